"""Fetch a policy from a URL, safely: the address policy (SSRF), then one bounded GET per hop.

    check_address("169.254.169.254")   # "… link-local … (the cloud metadata service)" or None
    check_url("file:///etc/passwd")    # the refusal, after DNS resolution, or None
    page = fetch("https://acme.example/privacy")   # `Fetched`, or a `FetchError` subclass

A URL a user types is fetched by this server, so by default only public internet addresses are
reached: non-http(s) schemes are refused, and so is every host that resolves to a loopback,
private (RFC 1918, ULA), link-local (the cloud metadata address), unspecified, multicast,
reserved or otherwise non-global address — including those written as IPv4-mapped, 6to4 or NAT64
IPv6. Every address a name resolves to must pass, and each redirect hop is vetted the same way
before it is followed. The connection then goes to the vetted address itself (urllib3 dialling
the IP, with the host name kept in the Host header and as TLS SNI and certificate name), so a
second DNS answer cannot rebind the name to an inner address. `PRIVACY_FETCH_ALLOW_HOSTS`
lists host names or addresses allowed anyway (e.g. `127.0.0.1` for the tests' local server).

Bounded: a timeout per connect and read, a total time (`PRIVACY_FETCH_TIMEOUT`), the upload size
limit (checked on Content-Length and while streaming), at most `MAX_REDIRECTS` redirects, and
only the content types the reader handles (HTML, PDF, plain text, Markdown, DOCX).
"""
from __future__ import annotations

import ipaddress
import re
import socket
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping
from urllib.parse import unquote, urljoin, urlsplit

from .errors import FetchFailed, FetchRefused, FileTooLarge, UnsupportedFileType
from .model import utc_now
from .settings import settings

__all__ = ["check_address", "check_url", "vet", "fetch", "Target", "Fetched", "MAX_REDIRECTS",
           "ALLOW_SETTING", "CONTENT_TYPES", "resolve_host"]

MAX_REDIRECTS = 5
ALLOW_SETTING = "PRIVACY_FETCH_ALLOW_HOSTS"
USER_AGENT = "privacy-posture-dashboard/1 (policy fetcher)"
_CHUNK = 64 * 1024
_REDIRECTS = (301, 302, 303, 307, 308)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Media type → the suffix the reader dispatches on.
CONTENT_TYPES = {"text/html": ".html", "application/xhtml+xml": ".html",
                 "application/pdf": ".pdf", "text/plain": ".txt", "text/markdown": ".md",
                 "text/x-markdown": ".md", DOCX: ".docx"}
# Servers often send a PDF or DOCX as a generic download; then the URL's suffix decides.
_GENERIC = ("application/octet-stream", "binary/octet-stream", "")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_METADATA = ipaddress.ip_address("169.254.169.254")

Resolver = Callable[[str, int], list[str]]


# --------------------------------------------------------------------------- the address policy
def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip().strip("[]").split("%", 1)[0]  # brackets, an IPv6 zone ("fe80::1%eth0")
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _embedded_v4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, str] | None:
    """The IPv4 address an IPv6 form carries (mapped, 6to4, NAT64), and the form's name."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped, "IPv4-mapped IPv6"
    if ip.sixtofour:
        return ip.sixtofour, "6to4 IPv6"
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), "NAT64 IPv6"
    return None


def _kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """What makes `ip` unfit to fetch from, or None for a public address. Loopback and
    link-local come before private: Python counts them as private too."""
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_loopback:
        return "a loopback address (this server itself)"
    if ip == _METADATA:
        return "the cloud metadata service's link-local address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private:
        return "a private network address"
    if not ip.is_global:
        return "not a public internet address"
    return None


def _why(address: str) -> str | None:
    ip = _parse_ip(address)
    if ip is None:
        return "not an IP address"
    if ip.version == 6 and (inner := _embedded_v4(ip)):
        if reason := _kind(inner[0]):
            return f"{inner[0]} written as {inner[1]}: {reason}"
        if ip.ipv4_mapped:  # the connection is made over IPv4, to that public address
            return None
    return _kind(ip)


def check_address(address: str) -> str | None:
    """Why this IP address must not be fetched from ("10.0.0.1 is a private network
    address"), or None when it is a public internet address."""
    why = _why(address)
    return f"{address} is {why}" if why else None


@dataclass(frozen=True)
class Target:
    """A vetted hop: where to connect (`address`) and what to ask for (`host`, `path`)."""

    url: str
    scheme: str
    host: str
    port: int
    address: str
    path: str

    @property
    def host_header(self) -> str:
        name = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return name if self.port == default else f"{name}:{self.port}"


def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (IPv4 and IPv6), in the resolver's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _allowed(allow: Iterable[str]) -> tuple[set[str], set]:
    names, ips = set(), set()
    for entry in allow:
        ip = _parse_ip(entry)
        if ip is not None:
            ips.add(ip)
        elif entry.strip():
            names.add(entry.strip().lower().rstrip("."))
    return names, ips


def _refused(url: str, why: str) -> FetchRefused:
    return FetchRefused(f"Refused to fetch {url}: {why}. Only public internet addresses are "
                        f"fetched; an administrator can allow a host with {ALLOW_SETTING}.")


def vet(url: str, allow: Iterable[str] | None = None,
        resolve: Resolver | None = None) -> Target:
    """The hop to make for `url`, after the scheme and every resolved address passed the
    policy; raises `FetchRefused` (or `FetchFailed` when the name does not resolve)."""
    url = url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchRefused(f"Refused to fetch “{url}”: only http:// and https:// addresses are "
                           f"fetched, not {scheme + ':' if scheme else 'this kind of address'}.")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise FetchRefused(f"Refused to fetch “{url}”: the port is not a number from 1 to "
                           "65535.") from None
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise FetchRefused(f"Refused to fetch “{url}”: it names no host.")
    try:
        host = host.encode("idna").decode("ascii") if _parse_ip(host) is None else host
    except UnicodeError:
        raise FetchRefused(f"Refused to fetch “{url}”: the host name is not valid.") from None
    names, ips = _allowed(settings().fetch_allow_hosts if allow is None else allow)
    if _parse_ip(host) is not None:
        addresses = [str(_parse_ip(host))]
    else:
        try:
            addresses = (resolve or resolve_host)(host, port)
        except (OSError, UnicodeError):
            raise FetchFailed(f"Could not fetch {url}: the host name “{host}” was not found "
                              "(check the address).") from None
        if not addresses:
            raise FetchFailed(f"Could not fetch {url}: “{host}” has no address.")
    if host.lower() not in names:
        for address in addresses:
            if _parse_ip(address) not in ips and (why := _why(address)):
                raise _refused(url, f"{address} is {why}" if address == host
                               else f"“{host}” resolves to {address}, which is {why}")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(url, scheme, host, port, addresses[0], path)


def check_url(url: str, allow: Iterable[str] | None = None,
              resolve: Resolver | None = None) -> str | None:
    """Why `url` would be refused (scheme, or any address its host resolves to), or None."""
    try:
        vet(url, allow, resolve)
    except FetchRefused as exc:
        return str(exc)
    return None


# --------------------------------------------------------------------------- fetching
@dataclass(frozen=True)
class Fetched:
    """One fetched document: the final URL (after redirects), its bytes and what they are.

    `not_modified`: the server answered 304 to a conditional re-check (then `data` is empty)."""

    url: str
    data: bytes
    suffix: str          # the reader's type: ".html", ".pdf", ".txt", ".md", ".docx"
    filename: str        # a file name for the reader, from the URL's last path segment
    fetched_at: str
    etag: str = ""
    last_modified: str = ""
    not_modified: bool = False


def _filename(url: str, suffix: str) -> str:
    """"https://acme.example/legal/privacy.php" → "privacy.html"; the host when no path."""
    parts = urlsplit(url)
    last = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    stem = re.sub(r"[^\w.\-]+", "-", last).strip("-.") or (parts.hostname or "page")
    stem = re.sub(r"(?i)\.(html?|xhtml|pdf|txt|md|markdown|docx|php|aspx?|jsp)$", "", stem)
    return (stem or "page") + suffix


def _suffix(content_type: str, url: str) -> str:
    media = content_type.split(";", 1)[0].strip().lower()
    if media in CONTENT_TYPES:
        return CONTENT_TYPES[media]
    path = urlsplit(url).path.lower()
    if media in _GENERIC:
        for suffix in (".pdf", ".docx", ".txt", ".md"):
            if path.endswith(suffix):
                return suffix  # the reader checks the bytes against it
    raise UnsupportedFileType(
        f"{url} is {media or 'of no stated type'}, not a policy document: only HTML pages, "
        "PDF, plain text, Markdown and DOCX are read.")


def _pool(target: Target, timeout: float):
    import urllib3

    kw = dict(timeout=urllib3.Timeout(connect=timeout, read=timeout), retries=False, maxsize=1)
    if target.scheme == "https":
        # Dial the vetted IP; SNI and the certificate check use the host name.
        return urllib3.HTTPSConnectionPool(target.address, target.port, cert_reqs="CERT_REQUIRED",
                                           server_hostname=target.host, **kw)
    return urllib3.HTTPConnectionPool(target.address, target.port, **kw)


def _open(target: Target, headers: Mapping[str, str], timeout: float):
    import urllib3

    pool = _pool(target, timeout)
    try:
        return pool.urlopen("GET", target.path, headers={
            "Host": target.host_header, "User-Agent": USER_AGENT,
            "Accept": "text/html,application/xhtml+xml,application/pdf,text/plain,"
                      f"text/markdown,{DOCX};q=0.9,*/*;q=0.1", **headers},
            redirect=False, preload_content=False, assert_same_host=False)
    except urllib3.exceptions.NewConnectionError as exc:  # (a ConnectTimeoutError subclass)
        raise FetchFailed(f"Could not fetch {target.url}: {_network_reason(exc)}.") from None
    except urllib3.exceptions.TimeoutError:
        raise FetchFailed(f"Could not fetch {target.url}: the server did not answer within "
                          f"{timeout:.0f} s.") from None
    except urllib3.exceptions.HTTPError as exc:
        raise FetchFailed(f"Could not fetch {target.url}: {_network_reason(exc)}.") from None


def _network_reason(exc: Exception) -> str:
    text = str(exc).lower()
    if "certificate" in text or "ssl" in text:
        return "its secure connection (TLS certificate) could not be verified"
    if "refused" in text:
        return "the server refused the connection"
    return "the server could not be reached"


def _read(resp, url: str, limit: int, deadline: float, timeout: float) -> bytes:
    """The body, stopped as soon as it passes `limit` bytes or the total time."""
    import urllib3

    def too_large() -> FileTooLarge:
        return FileTooLarge(f"{url} is larger than the limit of {limit / 1048576:.0f} MB "
                            "(PRIVACY_MAX_UPLOAD_MB); it was not read.")

    length = resp.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > limit:
        raise too_large()
    body = bytearray()
    try:
        for chunk in resp.stream(_CHUNK, decode_content=True):
            body += chunk
            if len(body) > limit:
                raise too_large()
            if time.monotonic() > deadline:
                raise FetchFailed(f"Could not fetch {url}: it took longer than {timeout:.0f} s.")
    except urllib3.exceptions.TimeoutError:
        raise FetchFailed(f"Could not fetch {url}: the server stopped answering for "
                          f"{timeout:.0f} s.") from None
    except urllib3.exceptions.HTTPError as exc:
        raise FetchFailed(f"Could not fetch {url}: the download broke off "
                          f"({type(exc).__name__}).") from None
    return bytes(body)


def fetch(url: str, headers: Mapping[str, str] | None = None, *, limit: int | None = None,
          timeout: float | None = None, max_redirects: int = MAX_REDIRECTS,
          allow: Iterable[str] | None = None, resolve: Resolver | None = None) -> Fetched:
    """GET `url`, following at most `max_redirects` redirects, each hop vetted before it is
    made. `headers` may carry If-None-Match / If-Modified-Since (a 304 gives `not_modified`).
    Raises `FetchRefused`, `FetchFailed`, `FileTooLarge` or `UnsupportedFileType`."""
    from .ingest import max_upload_bytes

    limit = limit or max_upload_bytes()
    timeout = timeout or settings().fetch_timeout
    deadline = time.monotonic() + timeout
    allow = tuple(settings().fetch_allow_hosts if allow is None else allow)
    for _ in range(max_redirects + 1):
        target = vet(url, allow, resolve)
        resp = _open(target, headers or {}, max(0.1, min(timeout, deadline - time.monotonic())))
        try:
            location = resp.headers.get("Location")
            if resp.status in _REDIRECTS and location:
                url = urljoin(target.url, location.strip())
                continue
            common = dict(url=target.url, fetched_at=utc_now(), etag=resp.headers.get("ETag", ""),
                          last_modified=resp.headers.get("Last-Modified", ""))
            if resp.status == 304:
                return Fetched(data=b"", suffix="", filename="", not_modified=True, **common)
            if resp.status != 200:
                raise FetchFailed(f"Could not fetch {target.url}: the server answered "
                                  f"{resp.status} {resp.reason or ''}".rstrip() + ".")
            suffix = _suffix(resp.headers.get("Content-Type", ""), target.url)
            data = _read(resp, target.url, limit, deadline, timeout)
            return Fetched(data=data, suffix=suffix, filename=_filename(target.url, suffix),
                           **common)
        finally:
            resp.release_conn()
            resp.close()
    raise FetchFailed(f"Could not fetch {url}: it redirected more than {max_redirects} times.")
