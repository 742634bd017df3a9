"""Poll benchmark: N loopback feeds with injected latency, fetch_many vs a naive loop.

    python bench/poll.py [--n 500] [--items 30] [--latency 0.05] [--naive-sample 40]

One asyncio HTTP server (in a child process, so the client's peak RSS is its
own) serves N feeds with ETags across several 127.0.0.x addresses, the way
N publishers would sit on different hosts (the per-host cap would otherwise
serialise everything).  Prints ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import multiprocessing as mp
import resource
import socket
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import feedparser
import httpx

from monitor.config import Defaults, SourceConfig
from monitor.models import Validators
from monitor.sources import fetch_many
from monitor.sources.feed import parse_feed
from monitor.sources.http import Response

HOSTS = 32


def feed_body(i: int, items: int) -> bytes:
    entries = "".join(
        f"<item><title>Feed {i} item {j}: export controls on gallium &amp; germanium</title>"
        f"<link>https://news{i}.example.com/2025/10/{j}/story-{j}.html?utm_source=rss</link>"
        f"<guid isPermaLink='false'>feed{i}-item{j}</guid>"
        f"<pubDate>Thu, 09 Oct 2025 {j % 24:02d}:00:00 GMT</pubDate>"
        f"<description>&lt;p&gt;Summary of story {j} about &lt;b&gt;export&lt;/b&gt; "
        f"licensing in feed {i}.&lt;/p&gt;</description></item>"
        for j in range(items))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Feed {i}</title><link>https://news{i}.example.com/</link>"
            f"<description>d</description><language>en</language>{entries}</channel></rss>"
            ).encode()


def host(i: int) -> str:
    return f"127.0.0.{i % HOSTS + 1}"


def serve(n: int, items: int, latency: float, conn: object) -> None:
    bodies = {f"/feed/{i}": feed_body(i, items) for i in range(n)}
    etags = {p: '"' + hashlib.sha1(b).hexdigest()[:16] + '"' for p, b in bodies.items()}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {k.lower(): v.strip() for k, _, v in
                           (ln.partition(":") for ln in lines[1:] if ln)}
                await asyncio.sleep(latency)
                body = bodies.get(path)
                if body is None:
                    writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                elif headers.get("if-none-match") == etags[path]:
                    writer.write(f"HTTP/1.1 304 Not Modified\r\nETag: {etags[path]}\r\n"
                                 "Content-Length: 0\r\n\r\n".encode())
                else:
                    writer.write(f"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; "
                                 f"charset=utf-8\r\nETag: {etags[path]}\r\n"
                                 f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, IndexError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        # One port on every address: take a free one from 127.0.0.1, then bind them all.
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        server = await asyncio.start_server(handle, [host(h) for h in range(HOSTS)], port,
                                            backlog=1024, reuse_address=True)
        conn.send(port)  # type: ignore[attr-defined]
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def start_server(n: int, items: int, latency: float) -> tuple[mp.Process, int]:
    parent, child = mp.Pipe()
    proc = mp.Process(target=serve, args=(n, items, latency, child), daemon=True)
    proc.start()
    return proc, int(parent.recv())


def naive(urls: list[str]) -> float:
    start = time.perf_counter()
    with httpx.Client(timeout=20) as client:
        for url in urls:
            feedparser.parse(client.get(url).content)
    return time.perf_counter() - start


def parse_cost(n: int, items: int) -> float:
    """CPU time to parse all N feeds once through our parser: the floor under any poll."""
    now = datetime.now(UTC)
    bodies = [feed_body(i, items) for i in range(n)]
    headers = httpx.Headers({"content-type": "application/rss+xml; charset=utf-8"})
    start = time.perf_counter()
    for i, b in enumerate(bodies):
        parse_feed(f"f{i}", Response(f"http://x/{i}", 200, headers, b, 0), now)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--items", type=int, default=30)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--naive-sample", type=int, default=40)
    args = ap.parse_args()
    n = args.n
    proc, port = start_server(n, args.items, args.latency)
    try:
        defaults = Defaults()
        sources = [SourceConfig(name=f"f{i}", url=f"http://{host(i)}:{port}/feed/{i}")
                   for i in range(n)]
        asyncio.run(fetch_many(sources[:2], {}, defaults))  # warm imports, not timed

        t0 = time.perf_counter()
        first = asyncio.run(fetch_many(sources, {}, defaults))
        t_first = time.perf_counter() - t0
        states = {r.source: Validators(etag=r.etag) for r in first}
        t0 = time.perf_counter()
        second = asyncio.run(fetch_many(sources, states, defaults))
        t_second = time.perf_counter() - t0

        sample = min(args.naive_sample, n)
        t_naive_sample = naive([s.url for s in sources[:sample]])
        t_naive = t_naive_sample / sample * n
        t_parse = parse_cost(n, args.items)
    finally:
        proc.terminate()
        proc.join(5)

    ok = sum(r.status == "ok" for r in first)
    items = sum(len(r.items) for r in first)
    not_mod = sum(r.status == "not_modified" for r in second)
    bound = n * args.latency / defaults.concurrency + t_parse
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"feeds: {n} x {args.items} items, {args.latency * 1000:.0f} ms latency, "
          f"concurrency {defaults.concurrency}, per-host {defaults.per_host}, "
          f"{HOSTS} loopback hosts")
    print(f"first poll:  {t_first:7.2f} s  ({ok}/{n} ok, {items} items)")
    print(f"second poll: {t_second:7.2f} s  ({not_mod}/{n} not modified)")
    print(f"naive sequential httpx+feedparser: {t_naive:7.2f} s "
          f"(sampled {sample} feeds in {t_naive_sample:.2f} s, extrapolated to {n})")
    print(f"parse time (our parser, all feeds, one core): {t_parse:.2f} s")
    print(f"first-poll speedup vs naive: {t_naive / t_first:6.1f}x   (target >= 10x)")
    print(f"ratio to concurrency bound:  {t_first / bound:6.2f}    (target <= 1.5; bound "
          f"{bound:.2f} s = N x latency / concurrency + parse)")
    print(f"304 share on second poll:    {not_mod / n:6.1%}   (target >= 95%)")
    print(f"peak RSS (client process):   {rss_mb:6.0f} MB (target <= 200 MB)")


if __name__ == "__main__":
    main()
