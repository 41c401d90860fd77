"""A local web server for the URL tests (127.0.0.1 only), a seed dressed up as a web page, and a
guard that fails the test if anything tries to connect anywhere else or to look up a real name.

    with serve({"/page.html": page(html)}) as site:   # site.url("/page.html"), site.requests
        ...
    no_other_connections(monkeypatch, site, names={"intranet.example": ["10.0.0.1"]})
"""
from __future__ import annotations

import html
import ipaddress
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "data" / "seeds"

# Page chrome with fact-like sentences: none of it may ever become evidence.
CHROME_SENTENCES = ("we never sell your data", "kept for 13 months")
_HEAD = ("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Privacy</title>"
         "<script>var banner = 'We never sell your data. Cookies are kept for 13 months.';"
         "</script><style>.cookie-banner{position:fixed}</style></head><body>")
_BANNER = ("<div id='cookie-banner' class='cookie-banner' role='dialog'><p>We use cookies. "
           "Cookies are kept for 13 months. We never sell your data.</p>"
           "<button>Accept all cookies</button></div>")
_NAV = ("<header><nav><ul><li><a href='/'>Home</a></li><li><a href='/products'>Products</a></li>"
        "<li><a href='/trust'>We never sell your data</a></li></ul></nav></header>")
_FOOTER = ("<footer><p>We never sell your data. Cookies kept for 13 months.</p><p>© 2026 "
           "Example Ltd. All rights reserved.</p><nav><a href='/terms'>Terms</a></nav></footer>"
           "<script>document.cookie = 'seen=1; max-age=34186669';</script></body></html>")


def seed_html(text: str, chrome: bool = True) -> str:
    """A policy's TXT as a web page: with navigation, a cookie banner, scripts and a footer
    (`chrome`), or as a plain page of justified text (what a browser prints to PDF). A line
    "-" starts a list item, as does a line starting "- "; short lines are headings."""
    body = "<main><article>" + _body_html(text) + "</article></main>"
    if chrome:
        return _HEAD + _BANNER + _NAV + body + _FOOTER
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'><style>body{font-family:"
            "'DejaVu Sans',sans-serif;font-size:11pt;text-align:justify}</style></head><body>"
            + body + "</body></html>")


def _body_html(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines()]
    body, items, i = [], [], 0

    def flush() -> None:
        if items:
            body.append("<ul>" + "".join(f"<li>{html.escape(t)}</li>" for t in items) + "</ul>")
            items.clear()

    while i < len(lines):
        line = lines[i]
        if line == "-" and i + 1 < len(lines):
            items.append(lines[i + 1])
            i += 2
            continue
        if line.startswith("- "):
            items.append(line[2:])
            i += 1
            continue
        flush()
        if line:
            tag = "h2" if len(line) < 70 and not line.endswith((".", ":", ";")) else "p"
            body.append(f"<{tag}>{html.escape(line)}</{tag}>")
        i += 1
    flush()
    return "".join(body)


@dataclass
class Reply:
    """What the server answers on one path."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    block: threading.Event | None = None  # hold the answer until this is set (timeouts)
    stream: bool = False  # no Content-Length: the body ends when the connection closes


def page(text: str, content_type: str = "text/html; charset=utf-8", **headers) -> Reply:
    return Reply(200, text.encode("utf-8"), {"Content-Type": content_type, **headers})


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status, b"", {"Location": location})


@dataclass
class Site:
    port: int
    routes: dict[str, Reply]
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


class _Handler(BaseHTTPRequestHandler):
    site: Site

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        site = self.server.site  # type: ignore[attr-defined]
        site.requests.append((self.path, dict(self.headers.items())))
        reply = site.routes.get(self.path, Reply(404, b"not found",
                                                 {"Content-Type": "text/plain"}))
        if reply.block is not None:
            reply.block.wait(30)
        tag = reply.headers.get("ETag")
        if tag and self.headers.get("If-None-Match") == tag:
            self.send_response(304)
            self.send_header("ETag", tag)
            self.end_headers()
            return
        self.send_response(reply.status)
        for k, v in reply.headers.items():
            self.send_header(k, v)
        if "Content-Length" not in reply.headers and not reply.stream:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        try:
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading (size limit): that is the point

    def log_message(self, *args) -> None:
        pass


@contextmanager
def serve(routes: dict[str, Reply]) -> Iterator[Site]:
    """A threaded HTTP server on 127.0.0.1 (a free port) answering `routes`."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    site = Site(httpd.server_address[1], routes)
    httpd.site = site  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        for reply in routes.values():
            if reply.block is not None:
                reply.block.set()
        httpd.shutdown()
        httpd.server_close()


def no_other_connections(monkeypatch, site: Site, names: dict[str, list[str]] | None = None
                         ) -> list[tuple]:
    """Fail the test if any socket connects anywhere but the local site, or if a host name
    outside `names` (a fake DNS: name → addresses) is looked up. Returns the connections made
    (and records lookups as ("lookup", name))."""
    made: list[tuple] = []
    real_connect, real_lookup = socket.socket.connect, socket.getaddrinfo
    names = {k.lower(): v for k, v in (names or {}).items()}

    def connect(sock, address):
        made.append(tuple(address[:2]))
        if tuple(address[:2]) != ("127.0.0.1", site.port):
            raise AssertionError(f"the fetcher tried to connect to {address!r}")
        return real_connect(sock, address)

    def lookup(host, port, *args, **kwargs):
        host = host.decode() if isinstance(host, bytes) else str(host)
        try:
            ipaddress.ip_address(host.split("%")[0])
        except ValueError:
            made.append(("lookup", host))
            if host.lower() not in names:
                raise AssertionError(f"a real DNS lookup of {host!r} was attempted") from None
            return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                     (a, port) if ":" not in a else (a, port, 0, 0)) for a in names[host.lower()]]
        return real_lookup(host, port, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    return made


def seed_text(name: str = "itechno") -> str:
    return (SEEDS / f"{name}.txt").read_text(encoding="utf-8")
