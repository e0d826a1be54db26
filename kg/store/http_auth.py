"""HTTP credentials for remote endpoints, sent with the first request rather than after a 401.

Sent up front for two measured reasons. A server that refuses a large upload for want of
credentials closes the connection before reading it, so the client sees only a broken pipe
(Virtuoso's digest-protected /sparql-auth and /sparql-graph-crud-auth). And SPARQLWrapper's own
digest support installs a process-wide urllib opener, which then breaks every later urllib request
in the process that meets another auth scheme (a 401 with ``Bearer`` raises ValueError).

Basic and bearer credentials are simply sent. Digest needs the server's challenge: a bodiless
request to the same URL fetches it, and urllib's digest handler computes the answer (so the realm
is the server's own, whatever it is called).
"""

from __future__ import annotations

import base64
import urllib.error
import urllib.request

from kg.errors import StoreError
from kg.store.credentials import Credentials


class Authenticator:
    """Authorization headers for one set of credentials, remembering which URLs need none.

    Digest credentials usually guard only the update endpoint (Virtuoso: /sparql-auth, while
    /sparql is open), so a URL whose probe needs no credentials is not probed again.
    """

    def __init__(self, credentials: Credentials, timeout: float) -> None:
        """Keep the credentials and the time limit for probes."""
        self.credentials, self.timeout = credentials, timeout
        self._open_urls: set[str] = set()

    def header(self, method: str, url: str) -> str | None:
        """Return the Authorization header value for one request (None: send none).

        :raises StoreError: when a digest challenge cannot be fetched or answered.

        >>> Authenticator(Credentials("bearer", token="t"), 1.0).header("POST", "http://x/q")
        'Bearer t'
        >>> Authenticator(Credentials("basic", "u", "p"), 1.0).header("POST", "http://x/q")
        'Basic dTpw'
        """
        credentials = self.credentials
        if credentials.auth == "bearer":
            return f"Bearer {credentials.token}"
        if credentials.auth == "basic":
            pair = f"{credentials.user}:{credentials.password}".encode()
            return "Basic " + base64.b64encode(pair).decode("ascii")
        if credentials.auth != "digest" or url in self._open_urls:
            return None
        challenge = fetch_challenge(method, url, self.timeout)
        if challenge is None:
            self._open_urls.add(url)
            return None
        return answer_digest(credentials, challenge, method, url)


def fetch_challenge(method: str, url: str, timeout: float) -> str | None:
    """Return the server's WWW-Authenticate challenge for a URL, or None if it asks for none.

    :raises StoreError: when the URL is not http(s) or cannot be reached.
    """
    if not url.startswith(("http://", "https://")):
        raise StoreError(f"{url}: only http(s) endpoints are supported")
    probe = urllib.request.Request(url, method="HEAD" if method == "GET" else "GET")  # noqa: S310
    opener = urllib.request.build_opener()  # not urlopen: never an opener another module installed
    try:
        with opener.open(probe, timeout=timeout):
            return None
    except urllib.error.HTTPError as error:
        if error.code != 401:
            return None
        return str(error.headers.get("WWW-Authenticate", ""))
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise StoreError(f"{url}: cannot reach the endpoint: {error}") from None


def answer_digest(credentials: Credentials, challenge: str, method: str, url: str) -> str:
    """Compute the digest answer to a challenge with urllib's handler.

    :raises StoreError: when the challenge is not digest or cannot be answered.
    """
    if not challenge.lower().startswith("digest "):
        raise StoreError(f"{url}: expected a digest challenge, got {challenge!r}")
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, url, credentials.user, credentials.password)
    handler = urllib.request.HTTPDigestAuthHandler(passwords)
    fields = urllib.request.parse_keqv_list(
        urllib.request.parse_http_list(challenge.split(" ", 1)[1])
    )
    request = urllib.request.Request(url, method=method)  # noqa: S310 - checked by the probe
    answer = handler.get_authorization(request, fields)
    if not answer:
        raise StoreError(f"{url}: cannot answer the digest challenge {challenge!r}")
    return f"Digest {answer}"
