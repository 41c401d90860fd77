"""Memory of the benchmark's processes, from /proc: RSS and PSS of a process tree sampled while
it runs (`TreeRSS`), and the peaks of this process and its children (`rusage_mb`)."""
from __future__ import annotations

import os
import resource
import threading

__all__ = ["TreeRSS", "rusage_mb", "rss_kb", "hwm_kb"]


def _proc_kb(pid: int, file: str, field: str) -> int:
    """A "<field>: <n> kB" line of /proc/<pid>/<file>, or 0 when the process is gone."""
    try:
        with open(f"/proc/{pid}/{file}") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_kb(pid: int) -> int:
    return _proc_kb(pid, "status", "VmRSS")


def _pss_kb(pid: int) -> int:
    """Proportional set size: shared pages split between the processes sharing them."""
    return _proc_kb(pid, "smaps_rollup", "Pss")


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


class TreeRSS:
    """Samples the summed RSS (and PSS) of this process and all its descendants (workers)."""

    def __init__(self, every: float = 0.25):
        self.every, self.peak_kb, self.peak_pss_kb = every, 0, 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            pids = _descendants(os.getpid())
            self.peak_kb = max(self.peak_kb, sum(rss_kb(p) for p in pids))
            self.peak_pss_kb = max(self.peak_pss_kb, sum(_pss_kb(p) for p in pids))
            self._stop.wait(self.every)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


def hwm_kb() -> int:
    """Peak RSS of this process's current image (VmHWM). Unlike ru_maxrss it starts afresh at
    exec: Linux carries ru_maxrss over from the forking parent, so a subprocess of a big
    process reports the parent's peak."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:  # pragma: no cover
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def rusage_mb() -> dict:
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"self_peak_mb": round(hwm_kb() / 1024, 1),
            "self_ru_maxrss_mb": round(self_kb / 1024, 1),
            "largest_child_peak_mb": round(child_kb / 1024, 1)}
