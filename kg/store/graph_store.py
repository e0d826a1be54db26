"""A small client for the SPARQL 1.1 Graph Store Protocol: read and write one graph's triples.

Authentication is sent with the first request, not after a 401: a server that refuses a large
upload for want of credentials closes the connection before reading it, and the client then only
sees a broken pipe (measured with Virtuoso's digest-protected /sparql-graph-crud-auth). Basic and
bearer credentials are simply sent; digest needs the server's challenge, which a bodiless request
fetches first.
"""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from urllib.parse import quote

from pyoxigraph import NamedNode

from kg.errors import StoreError
from kg.store.credentials import Credentials


class GraphStoreClient:
    """Requests on one Graph Store Protocol endpoint, with credentials."""

    def __init__(self, url: str, credentials: Credentials, timeout: float) -> None:
        """Check the URL is http(s) and remember how to authenticate.

        :raises StoreError: for another URL scheme.
        """
        if not url.startswith(("http://", "https://")):
            raise StoreError(f"{url}: the graph store must be an http(s) URL")
        self.url, self.credentials, self.timeout = url, credentials, timeout

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
        authorization = self._authorization(request)
        if authorization:
            request.add_header("Authorization", authorization)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:  # noqa: S310
                return reply.status, reply.read(), reply.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            if error.code == 404 and method == "GET":
                return 404, b"", ""
            raise StoreError(f"{url}: HTTP {error.code}: {read_error(error)}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise StoreError(f"{url}: cannot reach the graph store: {error}") from None

    def _authorization(self, request: urllib.request.Request) -> str | None:
        credentials = self.credentials
        if credentials.auth == "bearer":
            return f"Bearer {credentials.token}"
        if credentials.auth == "basic":
            pair = f"{credentials.user}:{credentials.password}".encode()
            return "Basic " + base64.b64encode(pair).decode("ascii")
        if credentials.auth == "digest":
            return self._digest(request)
        return None

    def _digest(self, request: urllib.request.Request) -> str:
        """Answer the server's digest challenge for this request, fetched with a bodiless HEAD."""
        probe = urllib.request.Request(request.full_url, method="HEAD")  # noqa: S310 - checked
        try:
            with urllib.request.urlopen(probe, timeout=self.timeout):  # noqa: S310
                raise StoreError(f"{self.url}: asked no credentials; drop the digest settings")
        except urllib.error.HTTPError as error:
            challenge = error.headers.get("WWW-Authenticate", "")
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise StoreError(f"{self.url}: cannot reach the graph store: {error}") from None
        if not challenge.lower().startswith("digest "):
            raise StoreError(f"{self.url}: expected a digest challenge, got {challenge!r}")
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, self.url, self.credentials.user, self.credentials.password)
        handler = urllib.request.HTTPDigestAuthHandler(passwords)
        fields = urllib.request.parse_keqv_list(
            urllib.request.parse_http_list(challenge.split(" ", 1)[1])
        )
        answer = handler.get_authorization(request, fields)
        if not answer:
            raise StoreError(f"{self.url}: cannot answer the digest challenge {challenge!r}")
        return f"Digest {answer}"


def read_error(error: urllib.error.HTTPError) -> str:
    """The server's error message, decoded and shortened."""
    try:
        return error.read().decode("utf-8", "replace").strip()[:2000]
    except OSError:
        return str(error.reason)
