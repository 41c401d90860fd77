"""SSRF: a URL someone types is fetched only from public internet addresses (issue 16).

The address policy is a pure function; the fetch path is exercised against a local server with
every socket connect and DNS lookup guarded: the test fails if the fetcher so much as tries to
reach any address but that server (no packet ever leaves for a real address).
"""
from __future__ import annotations

import pytest

from extract.errors import FetchFailed, FetchRefused
from extract.fetch import check_address, check_url, fetch, vet
from tests.web_support import no_other_connections, page, redirect, serve


# --------------------------------------------------------------------------- the pure policy
@pytest.mark.parametrize("address, words", [
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("::1", "loopback"),
    ("[::1]", "loopback"),
    ("169.254.169.254", "metadata"),
    ("169.254.1.1", "link-local"),
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("10.0.0.1", "private"),
    ("172.16.5.4", "private"),
    ("192.168.1.1", "private"),
    ("fd00::1", "private"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("100.64.0.1", "not a public"),
    ("::ffff:127.0.0.1", "IPv4-mapped IPv6: a loopback"),
    ("::ffff:169.254.169.254", "IPv4-mapped IPv6: the cloud metadata"),
    ("::ffff:10.0.0.1", "IPv4-mapped IPv6: a private"),
    ("2002:7f00:1::", "6to4"),
    ("64:ff9b::a9fe:a9fe", "NAT64"),
])
def test_non_public_addresses_are_refused_with_the_reason(address, words):
    reason = check_address(address)
    assert reason is not None and words in reason, reason


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111",
                                     "::ffff:93.184.215.14"])
def test_public_addresses_pass(address):
    assert check_address(address) is None


@pytest.mark.parametrize("url, scheme", [("file:///etc/passwd", "file:"),
                                         ("ftp://example.com/policy.pdf", "ftp:"),
                                         ("gopher://example.com:70/", "gopher:"),
                                         ("data:text/html,<h1>hi</h1>", "data:"),
                                         ("javascript:alert(1)", "javascript:")])
def test_only_http_and_https_are_fetched(url, scheme):
    reason = check_url(url, allow=["127.0.0.1", "example.com"])
    assert reason and "only http:// and https://" in reason and scheme in reason


@pytest.mark.parametrize("url", ["http://127.0.0.1/", "http://169.254.169.254/latest/meta-data",
                                 "http://10.0.0.1/", "http://[::1]:8080/",
                                 "http://[::ffff:127.0.0.1]/", "https://[::ffff:a9fe:a9fe]/"])
def test_address_urls_are_refused_with_a_message_naming_the_setting(url):
    reason = check_url(url, allow=[])
    assert reason and reason.startswith("Refused to fetch")
    assert "PRIVACY_FETCH_ALLOW_HOSTS" in reason


def _resolver(table):
    def resolve(host, port):
        return table[host]
    return resolve


def test_a_name_that_resolves_to_loopback_is_refused_after_resolution():
    resolve = _resolver({"intranet.example": ["127.0.0.1"]})
    reason = check_url("http://intranet.example/policy", allow=[], resolve=resolve)
    assert reason and "“intranet.example” resolves to 127.0.0.1" in reason
    assert "loopback" in reason


def test_localhost_itself_is_refused(monkeypatch):
    import socket
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 80))])
    assert "loopback" in check_url("http://localhost/", allow=[])


def test_every_resolved_address_must_be_public():
    """A name with one public and one private address is refused: the client might use either."""
    resolve = _resolver({"mixed.example": ["93.184.215.14", "10.1.2.3"]})
    reason = check_url("https://mixed.example/", allow=[], resolve=resolve)
    assert reason and "10.1.2.3" in reason and "private" in reason
    assert check_url("https://public.example/", allow=[],
                     resolve=_resolver({"public.example": ["93.184.215.14"]})) is None


def test_the_setting_allows_listed_hosts_and_addresses_only(monkeypatch):
    monkeypatch.setenv("PRIVACY_FETCH_ALLOW_HOSTS", " 127.0.0.1 , Intranet.Example ")
    assert check_url("http://127.0.0.1:8000/policy") is None
    resolve = _resolver({"intranet.example": ["10.9.9.9"], "other.example": ["127.0.0.1"],
                         "evil.example": ["169.254.169.254"]})
    assert check_url("http://intranet.example/", resolve=resolve) is None    # by name
    assert check_url("http://other.example/", resolve=resolve) is None       # by address
    assert "metadata" in check_url("http://evil.example/", resolve=resolve)  # not listed
    assert "private" in check_url("http://10.0.0.1/")
    assert "loopback" in check_url("http://[::1]/")  # 127.0.0.1 listed, not ::1
    monkeypatch.delenv("PRIVACY_FETCH_ALLOW_HOSTS")
    assert "loopback" in check_url("http://127.0.0.1:8000/policy")


def test_the_hop_dials_the_vetted_address_and_keeps_the_host_name():
    target = vet("https://policies.example:8443/privacy?lang=en", allow=[],
                 resolve=_resolver({"policies.example": ["93.184.215.14"]}))
    assert (target.address, target.host, target.port) == ("93.184.215.14", "policies.example",
                                                           8443)
    assert target.host_header == "policies.example:8443" and target.path == "/privacy?lang=en"


# --------------------------------------------------------------------------- the fetch path
ALLOW = ["127.0.0.1"]


def test_a_redirect_to_a_private_address_is_refused_without_connecting(monkeypatch):
    routes = {"/to-private": redirect("http://10.0.0.1/"),
              "/to-metadata": redirect("http://169.254.169.254/latest/meta-data"),
              "/to-mapped": redirect("http://[::ffff:10.0.0.1]:80/admin"),
              "/to-file": redirect("file:///etc/passwd"),
              "/to-name": redirect("http://metadata.internal/computeMetadata/v1/")}
    with serve(routes) as site:
        made = no_other_connections(monkeypatch, site,
                                    names={"metadata.internal": ["169.254.169.254"]})
        for path, words in [("/to-private", "10.0.0.1 is a private"),
                            ("/to-metadata", "metadata"), ("/to-mapped", "IPv4-mapped"),
                            ("/to-file", "only http:// and https://"),
                            ("/to-name", "“metadata.internal” resolves to 169.254.169.254")]:
            with pytest.raises(FetchRefused, match=words):
                fetch(site.url(path), allow=ALLOW)
    assert made and all(m == ("127.0.0.1", site.port) or m[0] == "lookup" for m in made)
    assert [p for p, _ in site.requests] == list(routes)  # each first hop was made, no more


def test_the_guard_itself_fails_a_connection_elsewhere(monkeypatch):
    """The guard of these tests is real: a fetch allowed to a private address hits it."""
    with serve({}) as site:
        no_other_connections(monkeypatch, site)
        with pytest.raises(AssertionError, match="tried to connect to"):
            fetch("http://10.0.0.1:9/", allow=["10.0.0.1"], timeout=2)


def test_the_connection_goes_to_the_vetted_address_no_second_lookup(monkeypatch):
    """DNS rebinding: the name is resolved once per hop and that address is dialled; a second
    answer pointing inside is never asked for (the guard fails the test if it were used)."""
    answers = iter([["127.0.0.1"]])

    with serve({"/p": page("<html><body><main><p>" + "Policy text. " * 40
                           + "</p></main></body></html>")}) as site:
        made = no_other_connections(monkeypatch, site, names={})

        def resolve(host, port):  # a rebinding resolver: loopback once, then inside
            return next(answers, ["10.0.0.1"])

        got = fetch(f"http://pinned.example:{site.port}/p", allow=ALLOW, resolve=resolve)
    assert got.data.startswith(b"<html>") and got.suffix == ".html"
    assert made == [("127.0.0.1", site.port)]
    assert site.requests[0][1]["Host"] == f"pinned.example:{site.port}"


def test_unresolvable_names_are_a_clear_failure():
    def resolve(host, port):
        raise OSError("Name or service not known")
    with pytest.raises(FetchFailed, match="was not found"):
        fetch("https://no-such-host.example/", allow=[], resolve=resolve)


def test_the_default_policy_refuses_the_local_server_itself(monkeypatch):
    monkeypatch.delenv("PRIVACY_FETCH_ALLOW_HOSTS", raising=False)
    with serve({"/p": page("<p>hello</p>")}) as site:
        made = no_other_connections(monkeypatch, site)
        with pytest.raises(FetchRefused, match="loopback"):
            fetch(site.url("/p"))  # PRIVACY_FETCH_ALLOW_HOSTS unset
    assert made == [] and site.requests == []
