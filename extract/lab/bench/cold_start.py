"""Cold start: `streamlit run app.py` → health check → the matrix visible in headless Chromium,
beside a minimal Streamlit app measured in the same run (Streamlit's own floor)."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .common import ROOT, log, med
from .memory import rss_kb

__all__ = ["bench_cold_start"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
# Streamlit's own floor on this machine, measured in the same run: an app of a title and
# one small HTML table (no store, no sidebar, no widgets), drawn like our matrix.
MINIMAL_APP = (
    "import streamlit as st\n"
    "st.set_page_config(page_title='minimal', layout='wide')\n"
    "st.title('Vendor privacy posture')\n"
    "st.markdown('<table class=\"pp-matrix\"><tr><th class=\"pp-mv\" title=\"Cloud "
    "Services Provider\">Cloud Services Provider</th></tr></table>', "
    "unsafe_allow_html=True)\n")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _torch_mapped(pid: int) -> bool:
    try:
        return "libtorch" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def _start_chromium(browser: bool):
    """(playwright, chromium) or (None, None) with a notice when there is no browser."""
    if not browser:
        return None, None
    if not Path(CHROMIUM).exists():
        log(f"notice: {CHROMIUM} not found (apt-get install chromium); measuring up to the "
            "health check only")
        return None, None
    try:
        from playwright.sync_api import sync_playwright
        pw = sync_playwright().start()
    except Exception as exc:  # noqa: BLE001
        log(f"notice: cannot start Chromium ({exc}); measuring up to health only")
        return None, None
    try:
        return pw, pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception as exc:  # noqa: BLE001
        log(f"notice: cannot start Chromium ({exc}); measuring up to health only")
        return pw, None


def bench_cold_start(reps: int, tmp: Path, browser: bool, big_db: Path | None = None) -> dict:
    """`streamlit run app.py` → health → the matrix visible in headless Chromium."""
    log("\n== Cold start: streamlit run → matrix visible ==")
    out: dict = {"runs": [], "minimal_runs": []}
    pw, chromium = _start_chromium(browser)
    minimal = tmp / "minimal_app.py"
    minimal.write_text(MINIMAL_APP, encoding="utf-8")
    try:
        _cold_runs(out, reps, tmp, chromium, minimal)
        if big_db is not None and big_db.exists():
            r = _one_cold_start(big_db, chromium, False, vendor=None)
            out["large_store"] = {"db": big_db.name, **r}
            log(f"with {big_db.stem}: health {r.get('health_s')} s, matrix visible "
                f"{r.get('matrix_visible_s')} s {r.get('error', '')}")
    finally:
        if chromium:
            chromium.close()
        if pw:
            pw.stop()
    _summarise(out)
    return out


def _cold_runs(out: dict, reps: int, tmp: Path, chromium, minimal: Path) -> None:
    """`reps` starts on a seeded store, each followed by the minimal app, then one first-ever
    start on an empty database (seeded by the app itself)."""
    from extract.seeds import ensure_seeded
    from extract.store import Store

    for rep in range(reps + 1):
        first_ever = rep == reps  # last run: an empty database, seeded by the app itself
        db = tmp / f"cold-{rep}.db"
        if not first_ever:
            ensure_seeded(Store(db))
        out["runs"].append(_one_cold_start(db, chromium, first_ever))
        if not first_ever:  # interleaved, so load changes hit both alike
            out["minimal_runs"].append(_one_cold_start(db, chromium, False, script=minimal))


def _summarise(out: dict) -> None:
    seeded = [r for r in out["runs"] if not r["first_ever"] and "error" not in r]
    out["health_s"] = med(r["health_s"] for r in seeded)
    out["first_paint_s"] = med(r.get("matrix_visible_s") for r in seeded)
    out["torch_loaded_in_server"] = any(r.get("torch_loaded") for r in out["runs"])
    ok = [r for r in out["minimal_runs"] if "error" not in r]
    out["minimal_app_health_s"] = med(r["health_s"] for r in ok)
    out["minimal_app_first_paint_s"] = med(r.get("matrix_visible_s") for r in ok)
    log(f"median: health {out['health_s']} s, matrix visible {out['first_paint_s']} s "
        f"(seeds stored); torch loaded by the server: {out['torch_loaded_in_server']}")
    log(f"a minimal Streamlit app (title + one HTML table), same machine and run: health "
        f"{out['minimal_app_health_s']} s, table visible {out['minimal_app_first_paint_s']} s "
        "(Streamlit's own start-up and front-end boot)")


def _one_cold_start(db: Path, chromium, first_ever: bool,
                    vendor: str | None = "Cloud Services Provider",
                    script: Path | str = "app.py") -> dict:
    port = _free_port()
    env = {**os.environ, "PRIVACY_DB": str(db), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    res: dict = {"first_ever": first_ever}
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = t0 + 120
        while time.perf_counter() < deadline:
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            time.sleep(0.05)
        else:
            res["error"] = "no health response in 120 s"
            return res
        res["health_s"] = round(time.perf_counter() - t0, 3)
        if chromium is not None:
            page = chromium.new_page(viewport={"width": 1400, "height": 1000})
            try:
                page.goto(url, wait_until="commit")
                # The matrix drawn (plain HTML, first on the page), with a vendor's column;
                # by its title: the header text itself may be shortened with "…".
                loc = page.locator(".pp-matrix th.pp-mv"
                                   + (f'[title="{vendor}"]' if vendor else ""))
                loc.first.wait_for(state="visible", timeout=180_000)
                res["matrix_visible_s"] = round(time.perf_counter() - t0, 3)
            except Exception as exc:  # noqa: BLE001
                res["error"] = f"browser: {exc}"[:300]
            finally:
                page.close()
        time.sleep(0.3)
        res["torch_loaded"] = _torch_mapped(proc.pid)
        res["server_rss_mb"] = round(rss_kb(proc.pid) / 1024, 1)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return res
