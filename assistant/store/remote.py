"""Chroma in client/server mode (store backend ``chroma-http``): where the server is, the client, and which
collection on the server belongs to which store directory.

Only the vectors, passages and their metadata live on the server; the ledger and the keyword index stay in
the store directory with the app, and the write path of :class:`assistant.store.index.Store` keeps the two
consistent exactly as it does for the embedded store. A server can hold the collections of several store
directories (an evaluation store, a test's temporary store, a second deployment): each ledger is paired with
collections of its own, ``chunks-<embedding key>-<store id>``, the store id being a random name kept in the
ledger (meta ``chroma_store_id``). So two ledgers never share vectors, and one ledger's ``recover()`` never
prunes another's. A ledger that lists stored documents but has no id (an embedded store pointed at a server),
or whose collection is missing on the server, is refused with what to do — never opened as an empty store.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from assistant.core.errors import AssistantError, ConfigError, InputError, StoreUnavailable

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

    from assistant.core.settings import Settings
    from assistant.store.ledger import Ledger

STORE_ID = "chroma_store_id"  # ledger meta: the id in the names of this store's collections on a server
COPYING = "copy_source"  # ledger meta while ``store copy`` fills this store: the source directory
HNSW = {"hnsw": {"space": "cosine"}}


@dataclass(frozen=True)
class ChromaServer:
    """Where the Chroma server is and how to talk to it."""

    host: str = "127.0.0.1"
    port: int = 8000
    ssl: bool = False
    token: str | None = field(default=None, repr=False)  # sent as "Authorization: Bearer …" (Chroma's
    # token auth, or a proxy's); never in a repr
    ca_bundle: str | None = None  # CA file to verify the server's certificate (default: certifi's)
    database: str = "default_database"
    timeout_s: float = 60.0

    @property
    def url(self) -> str:
        return f"{'https' if self.ssl else 'http'}://{self.host}:{self.port}"

    def at(self, url: str) -> ChromaServer:
        """These settings for the server at ``url`` (``http://HOST:PORT``; ``https://`` turns TLS on)."""
        parts = urlsplit(url if "://" in url else f"http://{url}")
        try:
            port = parts.port
        except ValueError:
            port = -1
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.path not in ("", "/")
            or port == -1
        ):
            raise InputError(
                f"{url}: not a Chroma server address (use http://HOST:PORT or https://HOST:PORT)"
            )
        ssl = parts.scheme == "https"
        return replace(self, host=parts.hostname, port=port or (443 if ssl else 8000), ssl=ssl)


def chroma_server(settings: Settings) -> ChromaServer | None:
    """The Chroma server the settings name (``store_backend="chroma-http"``); None for the embedded store."""
    if settings.store_backend != "chroma-http":
        return None
    return ChromaServer(
        host=settings.chroma_host,
        port=settings.chroma_port,
        ssl=settings.chroma_ssl,
        token=settings.chroma_token or None,
        ca_bundle=str(settings.chroma_ca_bundle) if settings.chroma_ca_bundle else None,
        database=settings.chroma_database,
        timeout_s=settings.chroma_timeout_s,
    )


def connect(server: ChromaServer) -> ClientAPI:
    """A client of the server (its database created when missing). Raises ConfigError when it cannot be
    reached, saying how to start one."""
    import chromadb
    import httpx
    from chromadb.config import Settings as ChromaSettings
    from chromadb.errors import NotFoundError

    options: dict[str, Any] = {"anonymized_telemetry": False}
    if server.token:
        options["chroma_client_auth_provider"] = "chromadb.auth.token_authn.TokenAuthClientProvider"
        options["chroma_client_auth_credentials"] = server.token
    if server.ca_bundle:
        options["chroma_server_ssl_verify"] = server.ca_bundle

    def client() -> ClientAPI:
        return chromadb.HttpClient(
            host=server.host,
            port=server.port,
            ssl=server.ssl,
            settings=ChromaSettings(**options),
            database=server.database,
        )

    try:
        try:
            made = client()
        except NotFoundError:  # a database of its own for this deployment: made once, as an admin would
            admin = chromadb.AdminClient(
                ChromaSettings(
                    chroma_api_impl="chromadb.api.fastapi.FastAPI",
                    chroma_server_host=server.host,
                    chroma_server_http_port=server.port,
                    chroma_server_ssl_enabled=server.ssl,
                    **options,
                )
            )
            admin.create_database(server.database)
            made = client()
    except (ValueError, httpx.HTTPError, OSError) as exc:
        raise unreachable(server, exc) from None
    # chromadb's HTTP client waits for ever by default: a server that stops answering would hang a write
    # (and the write lock with it). Private attribute, so checked: test_chroma_server asserts it is set.
    session = getattr(getattr(made, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(server.timeout_s)
        guard_session(session, server)
    return made


def unreachable(server: ChromaServer, exc: BaseException) -> StoreUnavailable:
    """The error for a server that cannot be reached: its address, the reason, and what to do."""
    import httpx

    cause = exc
    if not isinstance(exc, httpx.HTTPError) and isinstance(exc.__context__, httpx.HTTPError):
        cause = exc.__context__  # chromadb's "Could not connect …" hides why
    if isinstance(cause, httpx.TimeoutException):
        reason = f"no answer within {server.timeout_s:g} s ({type(cause).__name__})"
    elif isinstance(cause, httpx.ConnectError) and "refused" in str(cause).lower():
        reason = "connection refused: no server is listening there"
    else:
        reason = f"{type(cause).__name__}: {cause}" if str(cause) else type(cause).__name__
    return StoreUnavailable(
        f"cannot reach the Chroma server at {server.url} ({reason}): start one "
        f"(`chroma run --path DIR --port {server.port}`) or set ASSISTANT_CHROMA_HOST / ASSISTANT_CHROMA_PORT"
    )


READS = ("/get", "/query", "/count")  # the collection endpoints that only read: safe to send again
READ_RETRIES = (0.02, 0.05, 0.1, 0.2, 0.5)  # seconds before each new try of a read that raced a write


def guard_session(session: Any, server: ChromaServer) -> None:
    """Make the transport errors of ``session`` (an ``httpx.Client``: the server went away, stopped answering)
    a :class:`StoreUnavailable` naming the server, instead of a bare httpx error from deep in chromadb; the CLI
    prints it as one line and the REST API answers 503 with it.

    Also sends a read again when the server failed it with "Error finding id": Chroma answers so (HTTP 500)
    when a concurrent write deletes passages the read had found (seen in ``benchmarks/load.py --workers 2``: a
    search of a company, ``Store.company_chunks``, while an upload or deletion of that company's document
    removed passages). The write lock of the store cannot prevent it across worker processes, and reads do not
    take it. The write is over within milliseconds, and the read sent again sees the state after it."""
    import httpx

    class Guarded(httpx.BaseTransport):
        def __init__(self, inner: httpx.BaseTransport) -> None:
            self.inner = inner

        def send(self, request: httpx.Request) -> httpx.Response:
            try:
                return self.inner.handle_request(request)
            except httpx.TransportError as exc:
                raise unreachable(server, exc) from exc

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            response = self.send(request)
            if not request.url.path.endswith(READS):
                return response
            for pause in READ_RETRIES:
                if response.status_code != 500 or b"Error finding id" not in response.read():
                    return response
                response.close()
                time.sleep(pause)
                response = self.send(request)
            return response

        def close(self) -> None:
            self.inner.close()

    # Private attributes of httpx.Client (the default transport, and those of proxies): checked, not assumed.
    inner = getattr(session, "_transport", None)
    if isinstance(inner, httpx.BaseTransport):
        session._transport = Guarded(inner)
    mounts = getattr(session, "_mounts", None)
    if isinstance(mounts, dict):
        for pattern, transport in list(mounts.items()):
            if isinstance(transport, httpx.BaseTransport):
                mounts[pattern] = Guarded(transport)


def collection_name(key: str, store_id: str) -> str:
    return f"chunks-{key}-{store_id}"


def refuse_embedded(ledger: Ledger) -> None:
    """An embedded store must not open a directory whose vectors are on a server (its empty embedded
    collection would answer every search with nothing): raise ConfigError saying how to reach them."""
    store_id = ledger.get_meta(STORE_ID)
    if store_id is not None:
        raise ConfigError(
            f"the store {ledger.path.parent} keeps its vectors on a Chroma server (collections chunks-…-{store_id}): "
            "set ASSISTANT_STORE_BACKEND=chroma-http and ASSISTANT_CHROMA_HOST / _PORT, or use another --store"
        )


def paired_collection(
    client: ClientAPI, ledger: Ledger, key: str, function: Any, server: ChromaServer
) -> Collection:
    """This ledger's collection on the server: made for a new store, refused (with what to do) when the
    ledger and the server do not belong together. Call it holding the store's write lock (two processes
    opening a new store at once must agree on one id)."""
    from chromadb.errors import NotFoundError

    where = ledger.path.parent
    source = ledger.get_meta(COPYING)
    if source is not None:
        raise AssistantError(
            f"the store {where} is an unfinished copy of {source} (`assistant store copy` was interrupted): run "
            f"`assistant store copy --from {source} --to {server.url} --to-store {where}` again to finish it"
        )
    with ledger.tx() as db:
        stored = int(db.execute("SELECT COUNT(*) FROM documents WHERE status='stored'").fetchone()[0])
    store_id = ledger.get_meta(STORE_ID)
    if store_id is None:
        if stored:
            raise ConfigError(
                f"the store {where} keeps its {stored} documents in embedded Chroma, not on the server "
                f"{server.url}: copy it there once (`assistant store copy --from {where} --to {server.url} "
                "--to-store NEW_DIR`, then use NEW_DIR), or choose another --store directory for the server"
            )
        store_id = uuid.uuid4().hex[:12]
        ledger.set_meta(STORE_ID, store_id)
    name = collection_name(key, store_id)
    try:
        return client.get_collection(name, embedding_function=function)
    except NotFoundError:
        if stored:
            raise ConfigError(
                f"the collection {name} of the store {where} ({stored} documents) is not on the Chroma server "
                f"{server.url} (database {server.database}): point ASSISTANT_CHROMA_HOST / _PORT / _DATABASE "
                "at the server that has it, or use another --store directory"
            ) from None
    return client.get_or_create_collection(name, embedding_function=function, configuration=HNSW)  # type: ignore[arg-type]
