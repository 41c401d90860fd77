"""Read a file in a separate worker process, so a heavy file cannot stall the app.

    doc = read_document_isolated(data, filename)   # same Document or ExtractError as in-process

The app serves every session from threads of one process: a long parse there holds the
interpreter lock and every other session waits. Here `read_document` runs in a worker
process (`serve`, started with `python -c`) under a memory limit (RLIMIT_AS, set by the
worker itself: a `preexec_fn` is unsafe in a threaded server) and a wall-clock limit (the
worker is killed when it runs over). Workers persist between files, at most
`Settings.read_workers` at once; a killed or crashed one is replaced on the next read.

A worker gets the bytes and the limits in force (`extract.read.LIMITS`) and answers in JSON
(never pickle: it has just read a hostile file): the `Document`'s fields, or an
`ExtractError`'s class name and message, which come back as the same type and message.
The worker imports only the readers (no model, no Streamlit).
"""
from __future__ import annotations

import atexit
import dataclasses
import json
import os
import select
import struct
import subprocess
import sys
import threading
import time

from extract import errors
from extract.errors import ExtractError, FileTooLarge
from extract.model import Document, Page
from extract.settings import ROOT, settings

from . import ocr
from .limits import MiB, current, too_large_message

__all__ = ["read_document_isolated", "shutdown_workers"]

_FRAME = struct.Struct("!Q")  # each message: its length, then its bytes
_ADVICE = "Save the policy text alone (e.g. as PDF or TXT) and upload that."


def read_document_isolated(data: bytes, filename: str) -> Document:
    """`read_document` in a worker process with a memory and a time limit (`Settings`
    read_memory_bytes, read_seconds). A worker that runs out of either is stopped and the
    file refused with `FileTooLarge`; any other `ExtractError` comes back as raised. OCR
    progress reaches the caller's `ocr_progress` callback as in-process reads do."""
    data, filename = bytes(data), str(filename)
    if len(data) > current().max_bytes:  # no need to ship it anywhere
        raise FileTooLarge(too_large_message(filename))
    env = settings()
    request = json.dumps({"filename": filename,
                          "limits": dataclasses.asdict(current())}).encode()
    for attempt in (1, 2):  # a worker that died while idle is replaced once
        worker = _POOL.acquire(env.read_memory_bytes)
        try:
            reply = worker.ask(request, data, time.monotonic() + env.read_seconds,
                               ocr.current_progress())
        except _Idle:
            _POOL.release(worker, keep=False)
            if attempt == 2:
                raise _died(filename, env.read_memory_bytes) from None
            continue
        except _Gone as exc:
            _POOL.release(worker, keep=False)
            raise (_timed_out(filename, env.read_seconds) if exc.timed_out
                   else _died(filename, env.read_memory_bytes)) from None
        except BaseException:
            _POOL.release(worker, keep=False)
            raise
        _POOL.release(worker, keep=not reply.get("recycle"))
        return _answer(reply, filename, env.read_memory_bytes)
    raise AssertionError("unreachable")


def shutdown_workers() -> None:
    """Stop the idle workers (at exit; also for tests). Busy ones stop after their file."""
    _POOL.close_idle()


def _timed_out(filename: str, seconds: float) -> FileTooLarge:
    return FileTooLarge(f"Reading “{filename}” took longer than {seconds:g} seconds; the file is "
                        f"too complex to read safely and was not read. {_ADVICE}")


def _died(filename: str, memory: int) -> FileTooLarge:
    return FileTooLarge(f"“{filename}” is too complex to read safely: reading it needed more than "
                        f"the {memory / MiB:g} MB of memory allowed, and it was not read. {_ADVICE}")


def _answer(reply: dict, filename: str, memory: int) -> Document:
    """The worker's JSON answer as a `Document`, or its error raised as the same type."""
    if "document" in reply:
        fields = reply["document"]
        return Document(**{**fields, "pages": tuple(Page(**p) for p in fields["pages"]),
                           "warnings": tuple(fields["warnings"])})
    if reply.get("out_of_memory"):
        raise _died(filename, memory)
    kind = getattr(errors, str(reply.get("error")), None)
    if not (isinstance(kind, type) and issubclass(kind, ExtractError)):
        kind = errors.CorruptFile
    raise kind(str(reply.get("message", f"“{filename}” could not be read.")))


# --------------------------------------------------------------------------- the parent side
class _Idle(Exception):
    """The worker was gone before it took the file (it may be replaced and asked again)."""


class _Gone(Exception):
    """The worker died or was killed while reading the file."""

    def __init__(self, timed_out: bool):
        super().__init__("timed out" if timed_out else "died")
        self.timed_out = timed_out


class _Worker:
    """One worker process and its two pipes."""

    def __init__(self, memory: int):
        self.memory = memory
        path = os.environ.get("PYTHONPATH", "")
        env = {**os.environ, "PYTHONPATH": str(ROOT) + (os.pathsep + path if path else "")}
        code = f"from extract.read.worker import serve; serve({int(memory)})"
        self.proc = subprocess.Popen([sys.executable, "-c", code],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT,
                                     env=env)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def ask(self, request: bytes, data: bytes, deadline: float,
            on_page: ocr.OnPage | None = None) -> dict:
        try:
            _write(self.proc.stdin, request)
            _write(self.proc.stdin, data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise _Idle() from None
        try:
            while "ocr_page" in (reply := json.loads(self._receive(deadline))):
                if on_page is not None:  # OCR progress, sent before each page it reads
                    i, n, name = reply["ocr_page"]
                    on_page(int(i), int(n), str(name))
            return reply
        except (_Gone, ValueError, TypeError):
            timed_out = time.monotonic() >= deadline
            self.kill()
            raise _Gone(timed_out) from None

    def _receive(self, deadline: float) -> bytes:
        header = self._exactly(_FRAME.size, deadline)
        return self._exactly(_FRAME.unpack(header)[0], deadline)

    def _exactly(self, n: int, deadline: float) -> bytes:
        fd, chunks, got = self.proc.stdout.fileno(), [], 0
        poller = select.poll()  # not select(): a server's descriptors may pass 1024
        poller.register(fd, select.POLLIN | select.POLLHUP)
        while got < n:
            left = deadline - time.monotonic()
            if left <= 0 or not poller.poll(left * 1000):
                raise _Gone(True)
            chunk = os.read(fd, min(n - got, 1 << 20))
            if not chunk:
                raise _Gone(False)
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def kill(self) -> None:
        if self.alive():
            self.proc.kill()
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        self.proc.wait()


def _write(pipe, payload: bytes) -> None:
    pipe.write(_FRAME.pack(len(payload)))
    pipe.write(payload)


class _Pool:
    """Idle workers kept for the next file; at most `Settings.read_workers` busy at once."""

    def __init__(self):
        self._idle: list[_Worker] = []
        self._busy = 0
        self._cond = threading.Condition()

    def acquire(self, memory: int) -> _Worker:
        with self._cond:
            while True:
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive() and worker.memory == memory:
                        self._busy += 1
                        return worker
                    worker.kill()
                if self._busy < max(1, settings().read_workers):
                    self._busy += 1
                    break
                self._cond.wait()
        try:  # started outside the lock: other threads may hand back workers meanwhile
            return _Worker(memory)
        except BaseException:
            self.release(None, keep=False)
            raise

    def release(self, worker: _Worker | None, keep: bool) -> None:
        with self._cond:
            self._busy -= 1
            if worker is not None and keep and worker.alive():
                self._idle.append(worker)
                worker = None
            self._cond.notify()
        if worker is not None:
            worker.kill()

    def close_idle(self) -> None:
        with self._cond:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()


_POOL = _Pool()
atexit.register(shutdown_workers)


# --------------------------------------------------------------------------- the worker side
def serve(memory: int) -> None:
    """The worker: answer requests on stdin until it closes (stdout carries only the
    answers), with its address space limited to `memory` bytes."""
    import resource

    from extract import read  # the readers only: imported before the limit applies

    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print from a library goes to the log, not into an answer
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    limit = memory if hard == resource.RLIM_INFINITY else min(memory, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    requests = sys.stdin.buffer
    while True:
        try:
            request, data = _read_frame(requests), _read_frame(requests)
            if request is None or data is None:
                return  # the app closed the pipe (or exited)
            reply = _handle(read, json.loads(request), data, answers)
        except MemoryError:  # even the file itself did not fit
            reply = {"out_of_memory": True, "recycle": True}
        _write(answers, json.dumps(reply).encode())
        answers.flush()
        if reply.get("recycle"):
            return  # after a MemoryError the heap may be in pieces: a fresh worker is cheaper


def _handle(read, request: dict, data: bytes, answers) -> dict:
    read.LIMITS = read.Limits(**request["limits"])

    def tell(i: int, n: int, filename: str) -> None:  # before each OCR page: the app shows it
        _write(answers, json.dumps({"ocr_page": [i, n, filename]}).encode())
        answers.flush()

    try:
        with ocr.ocr_progress(tell):
            doc = read.read_document(data, request["filename"])
    except ExtractError as exc:
        if isinstance(exc.__cause__, MemoryError):
            return {"out_of_memory": True, "recycle": True}
        return {"error": type(exc).__name__, "message": str(exc)}
    except MemoryError:
        return {"out_of_memory": True, "recycle": True}
    return {"document": dataclasses.asdict(doc)}


def _read_frame(stream) -> bytes | None:
    header = stream.read(_FRAME.size)
    if len(header) < _FRAME.size:
        return None
    (n,) = _FRAME.unpack(header)
    payload = stream.read(n)
    return payload if len(payload) == n else None
