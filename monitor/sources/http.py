"""Polite, bounded HTTP GET: conditional, size-capped, deadline-bound, redirect-capped.

Every failure becomes a `FetchError` with a message an operator can act on;
nothing here decides what the bytes mean.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus

import httpx

from monitor.errors import FetchError
from monitor.origins import Origin, classify, forbidden_host, host_of, literal_address, origin

MAX_REDIRECTS = 5
MAX_RETRY_AFTER = 7 * 86400.0  # a hostile or buggy header must not park a source for years
_REDIRECTS = {301, 302, 303, 307, 308}


# host name -> its addresses; [] when it does not resolve (httpx then says why).
Resolver = Callable[[str], Awaitable[list[str]]]


async def system_resolver(host: str) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in infos})


@dataclass(frozen=True)
class Policy:
    """Where one source's fetches may go (see `monitor.origins`)."""

    origin: Origin | None = None  # the configured URL's origin: `origin_headers` go only here
    origin_headers: Mapping[str, str] = field(default_factory=dict)
    allow_private: bool = True  # loopback / private addresses (never link-local or metadata)
    resolver: Resolver = system_resolver


async def addresses(host: str, resolver: Resolver) -> list[str]:
    ip = literal_address(host)
    return [str(ip)] if ip is not None else await resolver(host)


async def check_target(url: str, policy: Policy) -> None:
    """Raise FetchError before any byte is sent to a refused address."""
    why = forbidden_host(url)
    if why:
        raise FetchError(f"refused {url[:200]}: {why}")
    host = host_of(url)
    for address in await addresses(host, policy.resolver):
        kind = classify(address)
        if kind == "forbidden":
            raise FetchError(f"refused {url[:200]}: {host} resolves to {address}, a "
                             "link-local or cloud metadata address")
        if kind == "private" and not policy.allow_private:
            raise FetchError(f"refused {url[:200]}: {host} resolves to the private address "
                             f"{address}; set allow_private: true on the source if it is "
                             "meant to reach an internal host")


@dataclass
class Response:
    url: str  # final URL after redirects
    status: int
    headers: httpx.Headers
    body: bytes
    elapsed: float

    @property
    def content_type(self) -> str:
        return str(self.headers.get("content-type", ""))


def mib(n: int) -> str:
    return f"{n / 2**20:g} MiB" if n >= 2**20 else f"{n / 1024:g} KiB"


def seconds(value: float) -> str:
    return f"{value:g}s"


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date; None when absent/garbage."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(delta, 0.0), MAX_RETRY_AFTER)


def reason(status: int, phrase: str | None = None) -> str:
    if not phrase:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
    return f"HTTP {status} {phrase}".rstrip()


def make_client(user_agent: str, timeout: float, connect_timeout: float, limit: int,
                transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(timeout, connect=min(connect_timeout, timeout)),
        follow_redirects=False,  # followed by hand: loop detection and a clear message
        headers={"User-Agent": user_agent},
        limits=httpx.Limits(max_connections=max(limit, 1),
                            max_keepalive_connections=max(limit, 1)),
    )


async def _read_capped(resp: httpx.Response, max_bytes: int) -> bytes:
    declared = resp.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes and not resp.headers.get(
            "content-encoding"):
        raise FetchError(f"body exceeded {mib(max_bytes)} cap (Content-Length {declared})",
                         http_status=resp.status_code)
    chunks: list[bytes] = []
    size = 0
    # aiter_bytes yields decoded bytes, so a gzip bomb is capped on what it expands to.
    async for chunk in resp.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"body exceeded {mib(max_bytes)} cap", http_status=resp.status_code)
        chunks.append(chunk)
    return b"".join(chunks)


async def _get(client: httpx.AsyncClient, url: str, headers: dict[str, str],
               max_bytes: int, policy: Policy) -> Response:
    start = time.monotonic()
    seen = [url]
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        await check_target(current, policy)
        send = httpx.Headers(headers)
        if policy.origin_headers and origin(current) == policy.origin:
            send.update(policy.origin_headers)  # the operator's headers win, on their origin only
        async with client.stream("GET", current, headers=send) as resp:
            status = resp.status_code
            if status in _REDIRECTS and "location" in resp.headers:
                target = str(resp.url.join(resp.headers["location"]))
                if not target.startswith(("http://", "https://")):
                    raise FetchError(f"redirect to a non-HTTP URL: {target[:200]}",
                                     http_status=status)
                if current.startswith("https://") and target.startswith("http://"):
                    raise FetchError(f"redirect from https down to plain http refused: "
                                     f"{target[:200]}", http_status=status)
                if target in seen:
                    chain = " -> ".join([*seen[seen.index(target):], target])
                    raise FetchError(f"redirect loop: {chain[:300]}", http_status=status)
                seen.append(target)
                current = target
                continue
            if status == 304:
                return Response(str(resp.url), status, resp.headers, b"",
                                time.monotonic() - start)
            if status >= 400:
                retry = parse_retry_after(resp.headers.get("retry-after")) if status in (
                    429, 503) else None
                raise FetchError(reason(status, resp.reason_phrase), http_status=status,
                                 retry_after=retry)
            body = await _read_capped(resp, max_bytes)
            return Response(str(resp.url), status, resp.headers, body, time.monotonic() - start)
    raise FetchError(f"too many redirects (more than {MAX_REDIRECTS}): {' -> '.join(seen)[:300]}")


async def fetch(client: httpx.AsyncClient, url: str, *, headers: dict[str, str],
                timeout: float, connect_timeout: float, max_bytes: int,
                policy: Policy | None = None) -> Response:
    """GET `url` within an overall deadline; raise FetchError with a specific message.

    `policy` says which addresses each hop may reach and where the source's own
    headers may go; without one, only link-local/metadata addresses are refused.
    """
    try:
        # wait_for bounds the whole exchange: a server trickling one byte a second
        # never trips httpx's per-read timeout, but it does trip this.
        return await asyncio.wait_for(
            _get(client, url, headers, max_bytes, policy or Policy()), timeout)
    except TimeoutError:
        raise FetchError(f"timed out after {seconds(timeout)}") from None
    except FetchError:
        raise
    except httpx.ConnectTimeout:
        raise FetchError(f"connect timed out after {seconds(connect_timeout)}") from None
    except httpx.TimeoutException:
        raise FetchError(f"timed out after {seconds(timeout)}") from None
    except httpx.ConnectError as e:
        raise FetchError(f"cannot connect: {e or type(e).__name__}") from None
    except httpx.RemoteProtocolError as e:
        raise FetchError(f"server broke the HTTP protocol: {e}") from None
    except httpx.DecodingError as e:
        raise FetchError(f"cannot decode the response body (Content-Encoding): {e}") from None
    except httpx.InvalidURL as e:
        raise FetchError(f"invalid URL: {e}") from None
    except httpx.HTTPError as e:
        raise FetchError(f"{type(e).__name__}: {e}") from None
