"""The one place that talks HTTP to the consumer, and turns what happens into an `Outcome`.

Nothing above this module sees an aiohttp type. The consumer is not trusted: redirects are not
followed (a 3xx is a failed push), at most `max_response_bytes` of a response body are read, and
the timeout covers the whole exchange, connection set-up included.

Connection pools: each lane pushes through a pool of its own (`HttpTransport.pool`), as large as
the number of requests its machine can have in flight. A subscription whose endpoint hangs then
holds only its own connections, never one another subscription waits for; and since a lane never
asks for more connections than its pool has, no push waits for a free connection, a wait that
aiohttp would count into the delivery timeout. What is not a push (OAuth token requests, the
contract's probes) goes through the shared session. A thousand subscriptions keep a thousand
connections alive: `reserve_descriptors` makes room for them before the first push.

A pooled connection the consumer closed while idle (nginx after 75 s, Node after 5 s) can be
closed at the very instant a push reuses it: the request meets a closed socket and no byte of an
answer comes back. That is not a delivery attempt, and a well-behaved HTTP client (Apache
HttpClient, OkHttp, browsers: RFC 9112 §9.3.1) sends such a request again once, on a fresh
connection. So does this transport (`retry_stale`, on by default; the real producer's client is
undocumented): once, only for a reused connection closed before any byte of the answer, within
the same timeout, never after a timeout or a partial answer. aiohttp already does that itself
for idempotent methods (GET); a push is a POST.
"""

from __future__ import annotations

import asyncio
import math
import ssl
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Protocol

import aiohttp

from simulator.core.outcome import Outcome, OutcomeKind, classify_status
from simulator.errors import ConfigError
from simulator.shell.transit import transit


class Transport(Protocol):
    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout: float
    ) -> Outcome: ...

    async def get(
        self, url: str, headers: Mapping[str, str], *, timeout: float
    ) -> tuple[Outcome, bytes]: ...


def _timeout(total: float) -> aiohttp.ClientTimeout:
    # aiohttp rounds timeouts of ceil_threshold (5 s) and more up to a whole second of loop time;
    # an infinite threshold keeps 20 s exactly 20 s, so 19.5 s answers succeed and 20.5 s do not.
    return aiohttp.ClientTimeout(total=total, ceil_threshold=math.inf)


class HttpTransport:
    """POSTs over an aiohttp session of its own, made on first use; `pool` makes more.

    `limit` bounds the session's connections (0: no bound; the callers bound their requests)."""

    def __init__(
        self,
        *,
        max_response_bytes: int = 65_536,
        limit: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        retry_stale: bool = True,
    ) -> None:
        self.max_response_bytes = max_response_bytes
        self.retry_stale = retry_stale
        self.stale_retries = 0
        """Requests sent again because their reused connection was closed under them."""
        self._limit = limit
        self._ssl: ssl.SSLContext | bool = True if ssl_context is None else ssl_context
        self._session: aiohttp.ClientSession | None = None
        self._pools: list[HttpTransport] = []

    def pool(
        self, limit: int, *, ca_file: str | None = None, retry_stale: bool | None = None
    ) -> HttpTransport:
        """A transport with a connection pool of its own, of at most `limit` connections (a
        lane's most requests in flight), with the same rules; closed with this one. `ca_file`:
        a PEM file of CA certificates its https connections trust besides the system's;
        `retry_stale` (None: this transport's) whether a stale connection's request is resent."""
        if limit < 1:
            raise ValueError(f"a pool needs at least one connection (got {limit})")
        context = trusting(ca_file) if ca_file is not None else None
        pool = HttpTransport(
            max_response_bytes=self.max_response_bytes,
            limit=limit,
            ssl_context=context,
            retry_stale=self.retry_stale if retry_stale is None else retry_stale,
        )
        self._pools.append(pool)
        return pool

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            # A keep-alive longer than the 3-minute retry interval lets probes reuse a connection
            # and spares the virtual clock a cleanup timer every 15 s of idle time.
            connector = aiohttp.TCPConnector(
                limit=self._limit, keepalive_timeout=300.0, ssl=self._ssl
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                skip_auto_headers=("User-Agent",),
                cookie_jar=aiohttp.DummyCookieJar(),
                trace_configs=[_reuse_tracing()],
            )
        return self._session

    async def close(self) -> None:
        pools, self._pools = self._pools, []
        for pool in pools:
            await pool.close()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> HttpTransport:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout: float
    ) -> Outcome:
        outcome, _ = await self._exchange("POST", url, headers, timeout, body)
        return outcome

    async def post_answer(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout: float
    ) -> tuple[Outcome, bytes]:
        """`post`, also returning the (bounded) body of the answer, for `marketo-sim send`."""
        return await self._exchange("POST", url, headers, timeout, body)

    async def get(
        self, url: str, headers: Mapping[str, str], *, timeout: float
    ) -> tuple[Outcome, bytes]:
        """GET with the same rules as `post`; also returns the (bounded) body, for challenges."""
        return await self._exchange("GET", url, headers, timeout)

    async def _exchange(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        timeout: float,
        body: bytes | None = None,
    ) -> tuple[Outcome, bytes]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        resend = self.retry_stale and method == "POST"  # aiohttp resends a GET itself
        while True:
            request = SimpleNamespace(reused=False, answered=False)  # what the attempt met
            try:
                with transit(loop).carrying():
                    async with self.session.request(
                        method,
                        url,
                        headers=dict(headers),
                        allow_redirects=False,
                        timeout=_timeout(started + timeout - loop.time()),
                        data=body,
                        trace_request_ctx=request,
                    ) as response:
                        request.answered = True
                        answer = await read_bounded(response, self.max_response_bytes)
                        status = response.status
            except TimeoutError:
                return timed_out(timeout, loop.time() - started), b""
            except (aiohttp.ClientError, ssl.SSLError, OSError) as exc:
                if resend and _stale(exc, request) and loop.time() < started + timeout:
                    resend = False
                    self.stale_retries += 1
                    continue
                took = loop.time() - started
                return Outcome(OutcomeKind.CONNECTION_ERROR, None, took, describe(exc)), b""
            return status_outcome(status, loop.time() - started), answer

    async def form(
        self,
        url: str,
        fields: Mapping[str, str],
        headers: Mapping[str, str],
        *,
        timeout: float,
    ) -> tuple[int, bytes]:
        """POST a form and return status and (bounded) body; raises `aiohttp.ClientError`."""
        with transit().carrying():
            async with self.session.post(
                url,
                data=dict(fields),
                headers=dict(headers),
                allow_redirects=False,
                timeout=_timeout(timeout),
            ) as response:
                return response.status, await read_bounded(response, self.max_response_bytes)


def _reuse_tracing() -> aiohttp.TraceConfig:
    """Tracing that marks a request (its `trace_request_ctx`) whose connection came from the
    pool rather than being opened for it."""

    async def reused(
        session: aiohttp.ClientSession,
        context: SimpleNamespace,
        params: aiohttp.TraceConnectionReuseconnParams,
    ) -> None:
        request = context.trace_request_ctx
        if isinstance(request, SimpleNamespace):
            request.reused = True

    tracing = aiohttp.TraceConfig()
    tracing.on_connection_reuseconn.append(reused)
    return tracing


def _stale(exc: BaseException, request: SimpleNamespace) -> bool:
    """Whether `exc` ended a request that provably never reached the consumer's application: its
    connection was reused from the pool and closed before any byte of an answer (a clean close
    with nothing parsed, or a reset), not a connection that could not be opened."""
    if request.answered or not request.reused:
        return False
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return isinstance(exc.message, str)  # else the start of an answer had been parsed
    return isinstance(exc, aiohttp.ClientOSError) and not isinstance(
        exc, aiohttp.ClientConnectorError
    )


def trusting(ca_file: str) -> ssl.SSLContext:
    """The default verifying context (the system's CAs, or `SSL_CERT_FILE`'s) that trusts the
    CA certificates in the PEM file `ca_file` too; ConfigError when they cannot be loaded."""
    context = ssl.create_default_context()
    try:
        context.load_verify_locations(cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(
            f"tls.caFile {ca_file}: not a PEM file of CA certificates ({reason})"
        ) from None
    return context


async def read_bounded(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """Up to `limit` bytes of the body: `read(n)` returns what is buffered, so loop until the
    body ends or the bound is reached (the rest is never read: the peer is not trusted). To
    refuse a body over `limit` rather than cut it, read `limit + 1` and look at the length."""
    chunks: list[bytes] = []
    left = limit
    while left > 0 and (chunk := await response.content.read(left)):
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def status_outcome(status: int, latency: float) -> Outcome:
    """What an answer with `status` comes to: any 2xx succeeds, a 3xx is a redirect that is not
    followed, anything else fails."""
    detail = "redirect not followed" if 300 <= status < 400 else ""
    return Outcome(classify_status(status), status, latency, detail)


def timed_out(timeout: float, latency: float) -> Outcome:
    """No answer within `timeout` seconds; the request was given up after `latency` seconds."""
    return Outcome(OutcomeKind.TIMEOUT, None, latency, f"no answer in {timeout:g}s")


def describe(exc: BaseException) -> str:
    """A short, secret-free description of a connection failure."""
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
        return f"TLS error: {exc.__class__.__name__}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        reason = f" ({exc.strerror.lower()})" if exc.strerror else ""
        return f"cannot connect to {exc.host}:{exc.port}{reason}"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "server closed the connection without answering"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return f"{exc.__class__.__name__}: {exc}"[:200]


def reserve_descriptors(count: int) -> None:
    """Let this process hold `count` open files, sockets included: raise its soft limit as far
    as needed, within the hard limit. A ConfigError when the hard limit is lower: a push would
    otherwise fail mid-run with "too many open files" (1,024 is a common soft limit, and each
    subscription keeps a connection of its own). Nothing to do where there is no such limit."""
    try:
        import resource
    except ImportError:  # Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    unlimited = resource.RLIM_INFINITY
    if soft == unlimited or count <= soft:
        return
    if hard != unlimited and count > hard:
        raise ConfigError(
            f"this run needs about {count} open files (a connection per subscription), but the "
            f"process may open at most {hard}: raise the limit (ulimit -n {count}) or split "
            "the subscriptions over several runs"
        )
    resource.setrlimit(resource.RLIMIT_NOFILE, (count if hard == unlimited else hard, hard))
