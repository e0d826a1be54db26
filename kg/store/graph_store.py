"""A small client for the SPARQL 1.1 Graph Store Protocol: read and write one graph's triples.

Credentials go with the first request (see :mod:`kg.store.http_auth`).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import quote

from pyoxigraph import NamedNode

from kg.errors import StoreError
from kg.store.http_auth import Authenticator


class GraphStoreClient:
    """Requests on one Graph Store Protocol endpoint, with credentials."""

    def __init__(self, url: str, authenticator: Authenticator, timeout: float) -> None:
        """Check the URL is http(s) and remember how to authenticate.

        :raises StoreError: for another URL scheme.
        """
        if not url.startswith(("http://", "https://")):
            raise StoreError(f"{url}: the graph store must be an http(s) URL")
        self.url, self.authenticator, self.timeout = url, authenticator, timeout

    def graph_url(self, graph: NamedNode) -> str:
        """The URL of one graph (indirect graph identification, ``?graph=``)."""
        return f"{self.url}?graph={quote(graph.value, safe='')}"

    def request(
        self, method: str, graph: NamedNode, body: bytes | None = None, content_type: str = ""
    ) -> tuple[int, bytes, str]:
        """Send one request; return status, body and content type (404 on GET is not an error).

        :raises StoreError: for any other HTTP error or a network failure.
        """
        url = self.graph_url(graph)
        headers = {"Content-Type": content_type} if content_type else {}
        if method == "GET":
            headers["Accept"] = "application/n-triples"
        request = urllib.request.Request(url, body, headers, method=method)  # noqa: S310 - checked
        header = self.authenticator.header(method, url)
        if header:
            request.add_header("Authorization", header)
        try:
            with urllib.request.build_opener().open(request, timeout=self.timeout) as reply:
                return reply.status, reply.read(), reply.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            if error.code == 404 and method == "GET":
                return 404, b"", ""
            raise StoreError(f"{url}: HTTP {error.code}: {read_error(error)}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise StoreError(f"{url}: cannot reach the graph store: {error}") from None


def read_error(error: urllib.error.HTTPError) -> str:
    """The server's error message, decoded and shortened."""
    try:
        return error.read().decode("utf-8", "replace").strip()[:2000]
    except OSError:
        return str(error.reason)
