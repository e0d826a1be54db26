"""Where remote-endpoint credentials and settings come from: the environment or a private file.

Secrets never travel on the command line, where `ps`, shell history and CI logs would show them.
The environment wins over the file, so a CI job can override a workstation's settings.

Environment:

- ``KG_SPARQL_TOKEN``: a bearer token (sent as ``Authorization: Bearer ...``).
- ``KG_SPARQL_USER`` and ``KG_SPARQL_PASSWORD``, with ``KG_SPARQL_AUTH=basic|digest`` (default
  basic).
- ``KG_SPARQL_GRAPH_STORE``: the server's Graph Store Protocol URL, when it offers one.
- ``KG_SERVE_UPDATE_TOKEN``: the bearer token `kg serve` requires for SPARQL Update.
- ``KG_CREDENTIALS_FILE``: another path for the file below.

File ``~/.config/dmkg/credentials.toml`` (or under ``$XDG_CONFIG_HOME``), readable by its owner
only (``chmod 600``), with one table per endpoint URL (query or update endpoint)::

    [endpoints."https://example.org/sparql"]
    auth = "digest"            # basic | digest | bearer
    user = "dba"
    password = "..."
    graph_store = "https://example.org/sparql-graph-crud-auth"

    [serve]
    update_token = "..."
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kg.errors import StoreError

AUTH_KINDS = ("basic", "digest", "bearer")


@dataclass(frozen=True)
class Credentials:
    """How to authenticate to one endpoint (``auth`` None: anonymous)."""

    auth: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    graph_store: str | None = None


def credentials_path(environ: Mapping[str, str] = os.environ) -> Path:
    """Return where the credentials file lives.

    >>> credentials_path({"KG_CREDENTIALS_FILE": "/tmp/c.toml"})
    PosixPath('/tmp/c.toml')
    >>> credentials_path({"XDG_CONFIG_HOME": "/cfg"})
    PosixPath('/cfg/dmkg/credentials.toml')
    """
    if environ.get("KG_CREDENTIALS_FILE"):
        return Path(environ["KG_CREDENTIALS_FILE"])
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "dmkg" / "credentials.toml"


def read_config(path: Path) -> dict[str, Any]:
    """Read the credentials file, refusing one that others can read (as ssh does with keys).

    :returns: the parsed TOML, or an empty dict when the file does not exist.
    :raises StoreError: when the file is readable by others or is not valid TOML.
    """
    if not path.exists():
        return {}
    if os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise StoreError(
            f"{path}: other users can read this credentials file; run `chmod 600 {path}`"
        )
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise StoreError(f"{path}: cannot read the credentials file: {error}") from error


def load_credentials(
    urls: list[str], environ: Mapping[str, str] = os.environ, path: Path | None = None
) -> Credentials:
    """Return the credentials for an endpoint: the environment first, then the file.

    :param urls: the endpoint's URLs (query, then update); the first one the file lists is used.
    :param environ: the environment to read (tests pass their own).
    :param path: the credentials file (default: :func:`credentials_path`).
    :raises StoreError: for an unknown auth kind, or a user without a password.

    >>> load_credentials(["http://x/sparql"], {"KG_SPARQL_TOKEN": "t"}, Path("/nonexistent")).auth
    'bearer'
    """
    from_env = _credentials_from(
        {
            "token": environ.get("KG_SPARQL_TOKEN"),
            "user": environ.get("KG_SPARQL_USER"),
            "password": environ.get("KG_SPARQL_PASSWORD"),
            "auth": environ.get("KG_SPARQL_AUTH"),
        },
        "the environment",
    )
    file = path or credentials_path(environ)
    entry = _file_entry(file, urls)
    chosen = from_env if from_env.auth else entry
    graph_store = environ.get("KG_SPARQL_GRAPH_STORE") or entry.graph_store
    return replace(chosen, graph_store=graph_store)


def _file_entry(file: Path, urls: list[str]) -> Credentials:
    """Return the file's settings for the first of the URLs it lists (anonymous if none)."""
    endpoints = read_config(file).get("endpoints", {})
    for url in urls:
        if url in endpoints:
            return _credentials_from(endpoints[url], f"{file} [endpoints.{url!r}]")
    return Credentials()


def _credentials_from(values: Mapping[str, Any], where: str) -> Credentials:
    token, user, password = values.get("token"), values.get("user"), values.get("password")
    auth = values.get("auth") or ("bearer" if token else "basic" if user else None)
    if auth is not None and auth not in AUTH_KINDS:
        raise StoreError(f"{where}: auth {auth!r} is not one of {', '.join(AUTH_KINDS)}")
    if auth == "bearer" and not token:
        raise StoreError(f"{where}: bearer auth needs a token (KG_SPARQL_TOKEN or `token`)")
    if auth in ("basic", "digest") and not (user and password):
        raise StoreError(f"{where}: {auth} auth needs both a user and a password")
    return Credentials(
        auth=auth, user=user, password=password, token=token,
        graph_store=values.get("graph_store"),
    )  # fmt: skip


def load_serve_token(
    environ: Mapping[str, str] = os.environ, path: Path | None = None
) -> str | None:
    """Return the bearer token `kg serve` requires for updates (None: the endpoint is read-only).

    >>> load_serve_token({"KG_SERVE_UPDATE_TOKEN": "s3cret"}, Path("/nonexistent"))
    's3cret'
    """
    if environ.get("KG_SERVE_UPDATE_TOKEN"):
        return environ["KG_SERVE_UPDATE_TOKEN"]
    token = read_config(path or credentials_path(environ)).get("serve", {}).get("update_token")
    return str(token) if token else None
