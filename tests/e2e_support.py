"""Helpers for the real-browser journeys in test_e2e.py (Playwright sync API, no plugin).

Modelled on Streamlit's own e2e_playwright suite: one `streamlit run app.py` subprocess on a
free port for the whole session, one headless Chromium, a fresh browser context per test, and
waits on Streamlit's own DOM state (`data-test-script-state` on the app root) instead of sleeps.
"""
from __future__ import annotations

import ast
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("PRIVACY_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SERVER_START_TIMEOUT_S = 90.0   # cold import of streamlit + seeding the database
APP_TIMEOUT_MS = 30_000         # one page run (stored results only)
UPLOAD_TIMEOUT_MS = 180_000     # first upload loads the embedding model (~10 s, slower on CI)
ARTIFACTS = ROOT / "artifacts" / "screenshots"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def browser_missing_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -r requirements.txt)"
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"{CHROMIUM} not found (apt-get install chromium)"
    return None


# --------------------------------------------------------------------------- the server
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    db: Path | str  # the SQLite file, or a postgresql:// URL
    log: Path
    process: subprocess.Popen = field(repr=False)

    def log_tail(self, n: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no server log)"


def start_server(tmp: Path, env: dict[str, str] | None = None) -> Server:
    """`streamlit run app.py` on a free port with its own database; returns once healthy.

    `env` adds or overrides environment variables of the server (e.g. `PRIVACY_USERS_FILE`,
    or `PRIVACY_DB`: then `Server.db` is that database, not the file in `tmp`)."""
    port = free_port()
    db, log = tmp / "privacy.db", tmp / "streamlit.log"
    # Merged last, `env` wins (PRIVACY_DB too: e.g. a postgresql:// URL shared by two servers).
    env = {**os.environ, "PRIVACY_DB": str(db), "PYTHONUNBUFFERED": "1", **(env or {})}
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    target = db if env["PRIVACY_DB"] == str(db) else env["PRIVACY_DB"]
    server = Server(f"http://127.0.0.1:{port}", target, log, proc)
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        if time.monotonic() > deadline:
            stop_server(server)
            raise RuntimeError(f"streamlit was not healthy after {SERVER_START_TIMEOUT_S:.0f} s:"
                               f"\n{server.log_tail()}")
        time.sleep(0.2)  # health polling only; the browser steps never sleep


def stop_server(server: Server) -> None:
    proc = server.process
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


# --------------------------------------------------------------------------- the pages
@dataclass(frozen=True)
class AppPage:
    name: str      # url_path: file stem ("vendor"); screenshots are named after it
    title: str
    path: str      # URL path: "" for the default page, else the url_path
    file: str


def app_pages(app_py: Path = ROOT / "app.py") -> list[AppPage]:
    """Every st.Page registered in app.py, read from its source (so new pages are covered)."""
    ui_src = (ROOT / "pages" / "ui.py").read_text()
    consts = dict(re.findall(r'^(PAGE_\w+)\s*=\s*"([^"]+)"', ui_src, re.MULTILINE))
    pages = []
    for node in ast.walk(ast.parse(app_py.read_text())):
        if not (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "Page"):
            continue
        target = node.args[0]
        if isinstance(target, ast.Constant):
            file = target.value
        elif isinstance(target, ast.Attribute) and target.attr in consts:
            file = consts[target.attr]
        else:
            raise AssertionError(f"cannot resolve the page {ast.unparse(target)} in app.py")
        kw = {k.arg: k.value for k in node.keywords}
        url_path = (kw["url_path"].value if "url_path" in kw else Path(file).stem)
        title = kw["title"].value if "title" in kw else Path(file).stem.title()
        default = "default" in kw and kw["default"].value is True
        pages.append(AppPage(url_path, title, "" if default else url_path, file))
    assert pages, "no st.Page found in app.py"
    return pages


# --------------------------------------------------------------------------- console noise
# Console messages that are NOT app errors (each one understood):
#  * Streamlit's frontend, loaded at a page URL such as /vendor, first probes the server
#    relative to that path (/vendor/_stcore/health, /vendor/_stcore/host-config) to discover
#    the base URL; those two 404s are expected and Streamlit then uses "/".
# Nothing else: in particular a request to a third-party host (a favicon from Google's font
# servers, say) fails here — a privacy tool must not make one, and offline it breaks anyway.
_BENIGN_URLS = (
    re.compile(r"^https?://127\.0\.0\.1:\d+/[^?#]+/_stcore/(health|host-config)$"),
)


@dataclass
class ConsoleLog:
    errors: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    def _on_console(self, msg) -> None:
        if msg.type != "error":
            return
        url = (msg.location or {}).get("url", "")
        if msg.text.startswith("Failed to load resource") and any(
                p.match(url) for p in _BENIGN_URLS):
            return
        self.errors.append(f"console.error: {msg.text} ({url})")


# --------------------------------------------------------------------------- waiting
def wait_for_app(page, timeout: int = APP_TIMEOUT_MS) -> None:
    """Connected, the script run finished, no skeleton left (Streamlit's e2e wait_for_app_run)."""
    from playwright.sync_api import expect

    app = page.locator('[data-testid="stApp"]')
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=timeout)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout)
    expect(page.locator('[data-testid="stSkeleton"]')).to_have_count(0, timeout=timeout)
    expect(page.locator('[data-testid="stStatusWidget"]')).to_be_hidden(timeout=timeout)


def wait_for_charts(page, timeout: int = APP_TIMEOUT_MS) -> None:
    """Every Plotly chart on the page has drawn its SVG."""
    from playwright.sync_api import expect

    charts = page.locator('[data-testid="stPlotlyChart"]')
    for i in range(charts.count()):
        # Attached, not visible: a chart may sit in a collapsed expander.
        expect(charts.nth(i).locator("svg.main-svg").first).to_be_attached(timeout=timeout)


def open_page(page, server: Server, app_page: AppPage | str, query: str = "") -> None:
    path = app_page.path if isinstance(app_page, AppPage) else app_page
    page.goto(f"{server.url}/{path}{'?' + query if query else ''}")
    wait_for_app(page)
    from playwright.sync_api import expect

    expect(page.locator("h1").first).to_be_visible(timeout=APP_TIMEOUT_MS)


def grid_rows(page, key: str | None = None) -> list[dict[str, str]]:
    """Rows of an st.dataframe from the grid's accessible table (the canvas draws the rest)."""
    scope = page.locator(f".st-key-{key}") if key else page
    table = scope.locator('[data-testid="stDataFrame"] table[role="grid"]').first
    return table.evaluate("""t => {
        const heads = [...t.querySelectorAll('thead th')].map(th => th.textContent.trim());
        return [...t.querySelectorAll('tbody tr')].map(tr => Object.fromEntries(
            [...tr.querySelectorAll('td')].map((td, i) => [heads[i], td.textContent.trim()])));
    }""")


# --------------------------------------------------------------------------- layout checks
OVERFLOW_JS = """tol => {
    const vw = window.innerWidth;
    const main = document.querySelector('[data-testid="stMainBlockContainer"]');
    const box = main.getBoundingClientRect();
    const name = e => e.tagName.toLowerCase()
        + (e.dataset.testid ? `[data-testid=${e.dataset.testid}]` : '')
        + (typeof e.className === 'string' && e.className
           ? '.' + e.className.trim().split(/\\s+/).filter(c => !c.startsWith('st-emotion')
                                                              && !/^e[0-9a-z]+$/.test(c))
                                                      .slice(0, 3).join('.') : '');
    // The right edge a reader can see: clipped by every ancestor inside the main block that
    // hides overflow (Streamlit's own scroll container, stMain, would hide everything).
    const visibleRight = e => {
        let right = e.getBoundingClientRect().right;
        for (let a = e.parentElement; a && a !== main; a = a.parentElement) {
            const s = getComputedStyle(a);
            if (s.overflowX !== 'visible') right = Math.min(right, a.getBoundingClientRect().right);
        }
        return right;
    };
    const scroller = document.querySelector('[data-testid="stMain"]');
    const out = {docScroll: Math.max(document.documentElement.scrollWidth,
                                     vw + scroller.scrollWidth - scroller.clientWidth),
                 viewport: vw,
                 mainRight: box.right, overflowing: [], scrollers: [], regions: []};
    for (const e of main.querySelectorAll('*')) {
        const r = e.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) continue;
        const s = getComputedStyle(e);
        if (s.visibility === 'hidden' || s.display === 'none') continue;
        if (visibleRight(e) > Math.min(vw, box.right) + tol)
            out.overflowing.push(`${name(e)} right=${Math.round(r.right)}`);
        // Content hidden behind a horizontal scroll bar (tables that do not fit). Intended
        // when it is a Streamlit data grid (its Vendor column is pinned) or an accessible
        // scroll region (role=region + tabindex: keyboard-scrollable, sticky first column).
        if ((s.overflowX === 'auto' || s.overflowX === 'scroll')
            && e.scrollWidth > e.clientWidth + tol && e.clientHeight > 0) {
            const intended = e.matches('.stDataFrameGlideDataEditor, .dvn-scroller')
                || (e.getAttribute('role') === 'region' && e.hasAttribute('tabindex'));
            (intended ? out.regions : out.scrollers)
                .push(`${name(e)} ${e.scrollWidth}>${e.clientWidth}`);
        }
    }
    return out;
}"""


def layout_report(page, tolerance: int = 2) -> dict:
    return page.evaluate(OVERFLOW_JS, tolerance)


def full_page_screenshot(page, path: Path) -> None:
    """The whole page, although Streamlit scrolls inside <section stMain>, not the document.

    The viewport is made as tall as the content for the shot, then restored.
    """
    size = page.viewport_size
    height = page.evaluate("""() => Math.max(
        document.querySelector('[data-testid="stMain"]')?.scrollHeight || 0,
        document.querySelector('[data-testid="stSidebarContent"]')?.scrollHeight || 0,
        window.innerHeight)""")
    page.set_viewport_size({"width": size["width"], "height": min(int(height) + 2, 16_000)})
    try:
        wait_for_charts(page)
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True, animations="disabled")
    finally:
        page.set_viewport_size(size)




def assert_clean(page, console, where: str) -> None:
    """No Streamlit exception on the page and no error in the browser console."""
    from playwright.sync_api import expect

    expect(page.locator('[data-testid="stException"]'),
           f"a Streamlit exception is shown on {where}").to_have_count(0)
    assert not console.errors, f"browser console errors on {where}:\n" + "\n".join(console.errors)
