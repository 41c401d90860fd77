"""The extraction pipeline: file → document → clauses → facts, as one callable object.

Fast by design (each part measured by `python -m extract.bench`):

* only the clauses that pass a fact's patterns (`classify.find_candidates`) are embedded —
  about 45 of the ~300 clauses of a 5,000-word policy; `prefilter=False` embeds every clause
  (the benchmark's "optimisations off" path) and gives identical facts;
* embeddings are cached by clause text in the store's SQLite file (`extract.cache`), so an
  unchanged clause — a re-upload, a new version of a policy, shared boilerplate — is never
  encoded twice;
* encoding is deterministic per text and spreads over the cores (`extract.embed`);
* `pipe(sources, workers=N)` runs a batch in N processes, each with cores // N threads;
* the model loads on first use, not when an `Extractor` is made.
"""
from __future__ import annotations

import os
import pickle
import re
import threading
import time
from collections import deque
from dataclasses import replace
from pathlib import Path
from typing import Iterable, Iterator, Union

from .errors import ExtractError
from .model import Document, Extraction, Fact
from .names import clean_vendor_name
from .segment import segment
from .settings import settings
from .taxonomy import TAXONOMY_VERSION

__all__ = ["Extractor", "EXTRACTOR_VERSION", "vendor_from_filename", "Source", "cache_enabled",
           "fast_path_enabled", "load_worker_extractor"]

EXTRACTOR_VERSION = f"taxonomy-{TAXONOMY_VERSION}/extractor-8"
# A path, the bytes of a file, or (file name, bytes).
Source = Union[str, os.PathLike, bytes, tuple]


# One trailing token that names the document, not the vendor: "privacy policy", a version
# ("v2", "v2.1", "2"), a date part ("2024", "05"), "final", "copy", "(1)". Only whole tokens
# (after a separator, or the whole stem): "nav0" and "acme-dev2" keep their digits.
_NOT_VENDOR_TAIL = re.compile(
    r"(?i)(?:^|[-_\s.]+)(?:privacy(?:[-_\s.]*(?:policy|notice|statement))?|policy|notice"
    r"|statement|v\d+(?:\.\d+)*|\d+(?:\.\d+)*|final|copy|draft|\(\d+\))$")


def vendor_from_filename(filename: str) -> str:
    """Guess a vendor name from a file name: "acme-cloud_privacy-policy-v2.pdf" → "Acme Cloud".

    Document words, versions and dates are cut from the end only as separate tokens; the
    name is cleaned like a typed one (NFC, no invisible characters)."""
    stem = clean_vendor_name(Path(filename).stem)
    while (m := _NOT_VENDOR_TAIL.search(stem)) and m.start() > 0:
        stem = stem[: m.start()]
    words = [w for w in re.split(r"[-_\s.]+", stem) if w]
    name = " ".join(w if w.isupper() and len(w) > 1 else w.capitalize() for w in words)
    return name[:80].strip() or "Unnamed vendor"


def _mark_ocr(facts: dict[str, Fact], doc: Document) -> None:
    """Mark evidence quoted from pages read by OCR with the page's word confidence, and
    weigh each fact's confidence by that of its evidence (the mean over its quotes, a page
    with a text layer counting 1): a misread word can change a fact."""
    if not any(p.ocr for p in doc.pages):
        return
    for fact in facts.values():
        if not fact.evidence:
            continue
        fact.evidence = [replace(e, ocr_confidence=doc.ocr_confidence(e.page))
                         for e in fact.evidence]
        weight = sum(e.ocr_confidence if e.ocr else 1.0 for e in fact.evidence)
        fact.confidence = min(1.0, fact.confidence * weight / len(fact.evidence))


def fast_path_enabled() -> bool:
    """`PRIVACY_FAST_PATH=0` switches the optimisations off for any command (e.g.
    `PRIVACY_FAST_PATH=0 python -m extract.evaluate ...`): every clause embedded, no cache."""
    return settings().fast_path


def cache_enabled() -> bool:
    """The embedding cache is on unless `PRIVACY_VECTOR_CACHE` (or `PRIVACY_FAST_PATH`) is
    0/false/no/off. (Not `PRIVACY_EMBED_CACHE`: that is `extract.learn`'s training cache folder.)"""
    return settings().vector_cache and fast_path_enabled()


def _source_label(src) -> str:
    if isinstance(src, tuple):
        return str(src[0])
    return "<bytes>" if isinstance(src, (bytes, bytearray, memoryview)) else str(src)


class Extractor:
    """Extract facts from policy files.

    >>> ex = Extractor()
    >>> result = ex("policy.pdf")            # a path
    >>> result = ex(data, filename="x.pdf")  # or bytes
    >>> for r in ex.pipe(paths, workers=2):  # a batch, in input order
    ...     ...

    `encoder`: anything with `transform(texts) -> L2-normalised float32 array`; default the
    bundled model (`embed.SentenceEncoder`). `cache`: None (default) caches the default
    encoder's vectors in the store's database unless `PRIVACY_VECTOR_CACHE=0`; True / a path /
    an `EmbeddingCache` caches whatever encoder is used (only for the bundled model!); False
    never caches. `prefilter=False` embeds every clause, not only the candidates (slower, same
    facts; for the benchmark). Defaults follow `PRIVACY_FAST_PATH` (see `fast_path_enabled`).
    """

    def __init__(self, encoder=None, scorer=None, *, cache=None, prefilter: bool | None = None):
        if prefilter is None:
            prefilter = fast_path_enabled()
        from .cache import CachedEncoder, EmbeddingCache

        default_encoder = encoder is None
        if encoder is None:
            from .embed import SentenceEncoder
            encoder = SentenceEncoder()
        if cache is None:
            cache = default_encoder and cache_enabled()
        if cache is not False and not isinstance(encoder, CachedEncoder):
            if not isinstance(cache, EmbeddingCache):
                cache = EmbeddingCache(None if cache is True else cache)
            encoder = CachedEncoder(encoder, cache)
        self.encoder = encoder
        self.prefilter = prefilter
        self._scorer = scorer
        self._facts = None
        self._init_lock = threading.Lock()
        self._tls = threading.local()

    # -- the classifier, built on first use (building it encodes the taxonomy examples) --
    @property
    def facts(self):
        if self._facts is None:
            with self._init_lock:
                if self._facts is None:
                    from .classify import FactExtractor
                    self._facts = FactExtractor(self._encode, self._scorer)
        return self._facts

    def warm(self) -> "Extractor":
        """Load the model and build the classifier now (e.g. behind a spinner) instead of on
        the first extraction."""
        self.facts  # noqa: B018 - the property builds it
        inner = getattr(self.encoder, "encoder", self.encoder)
        if callable(getattr(inner, "_model", None)):
            inner._model()  # SentenceEncoder: the model itself, even if the cache has it all
        return self

    @property
    def cache(self):
        """The `EmbeddingCache` in use, or None."""
        return getattr(self.encoder, "cache", None)

    def _encode(self, texts):
        """The encode function handed to `FactExtractor`: timed, and served from the
        whole-document embedding when `prefilter=False`."""
        tls = self._tls
        t0 = time.perf_counter()
        pre = getattr(tls, "precomputed", None)
        if pre is not None:
            from .embed import canonical
            import numpy as np

            keys = [canonical(t) for t in texts]
            missing = [k for k in keys if k not in pre]
            if missing:
                pre.update(zip(missing, self.encoder.transform(missing)))
            out = np.stack([pre[k] for k in keys]) if keys else self.encoder.transform([])
        else:
            out = self.encoder.transform(list(texts))
        if getattr(tls, "timings", None) is not None:
            tls.timings["embed"] = tls.timings.get("embed", 0.0) + time.perf_counter() - t0
        return out

    # -- one file -------------------------------------------------------------------------
    def read(self, source: Source, filename: str | None = None) -> Document:
        """Read a path or bytes into a `Document` (raises `ExtractError` subclasses)."""
        from .read import read_document
        if isinstance(source, tuple):
            filename, source = filename or source[0], source[1]
        if isinstance(source, (bytes, bytearray, memoryview)):
            return read_document(bytes(source), filename or "upload.txt")
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ExtractError(f"Cannot open {path.name}: {exc.strerror or exc}.") from exc
        return read_document(data, filename or path.name)

    def from_document(self, doc: Document, vendor: str | None = None) -> Extraction:
        """Segment and classify an already-read document."""
        tls = self._tls
        timings = getattr(tls, "timings", None)
        t0 = time.perf_counter()
        clauses = segment(doc)
        t1 = time.perf_counter()
        engine = self.facts  # built on the first call only
        if not self.prefilter:
            # Optimisations off: embed every clause, as if there were no prefilter; the
            # classifier then takes its candidates' vectors from this (same bits, see embed).
            from .embed import canonical
            texts = list(dict.fromkeys(canonical(c.text) for c in clauses if not c.is_heading))
            t2 = time.perf_counter()
            tls.precomputed = dict(zip(texts, self.encoder.transform(texts)))
            if timings is not None:
                timings["embed"] = timings.get("embed", 0.0) + time.perf_counter() - t2
        embed_before = timings.get("embed", 0.0) if timings is not None else 0.0
        t3 = time.perf_counter()
        try:
            facts = engine.extract(clauses)
        finally:
            tls.precomputed = None
        _mark_ocr(facts, doc)
        t4 = time.perf_counter()
        if timings is not None:
            timings["segment"] = t1 - t0
            timings["classify"] = (t4 - t3) - (timings.get("embed", 0.0) - embed_before)
            timings["n_clauses"] = len(clauses)
        return Extraction(vendor or vendor_from_filename(doc.filename), doc, facts, clauses,
                          EXTRACTOR_VERSION)

    def __call__(self, source: Source, filename: str | None = None,
                 vendor: str | None = None) -> Extraction:
        return self.from_document(self.read(source, filename), vendor)

    def timed(self, source: Source, filename: str | None = None,
              vendor: str | None = None) -> tuple[Extraction, dict]:
        """Extract and return `(extraction, seconds per stage)`: read, segment, embed,
        classify (classify excludes embed). For the benchmark."""
        timings: dict = {}
        self._tls.timings = timings
        try:
            t0 = time.perf_counter()
            doc = self.read(source, filename)
            timings["read"] = time.perf_counter() - t0
            self.facts  # noqa: B018 - a first call's model load is not a stage
            ex = self.from_document(doc, vendor)
        finally:
            self._tls.timings = None
        timings.setdefault("embed", 0.0)
        return ex, timings

    # -- many files -----------------------------------------------------------------------
    def pipe(self, sources: Iterable[Source], workers: int = 1,
             ahead: int | None = None) -> Iterator[Extraction | ExtractError]:
        """Extract many files, yielding results in input order; a bad file yields its
        `ExtractError` (with `.source` set) instead of stopping the batch.

        `workers=1` runs here. `workers=N>1` runs N worker processes, each with its own
        extractor and cores // N encoding threads; at most `ahead` (default 4·N) files are in
        flight, so a long iterable is not read into memory at once. The encoder (and scorer)
        must be picklable. Errors other than `ExtractError` stop the batch, as in-process.
        """
        if workers <= 1:
            for src in sources:
                try:
                    yield self(src)
                except ExtractError as exc:
                    exc.source = _source_label(src)
                    yield exc
            return
        yield from self._pipe_pool(sources, workers, ahead or 4 * workers)

    def _worker_config(self, workers: int) -> bytes:
        from .embed import default_threads
        # A scorer already built here (taxonomy examples encoded) is shipped, not rebuilt.
        scorer = self._facts.scorer if self._facts is not None else self._scorer
        return pickle.dumps({"encoder": self.encoder, "scorer": scorer,
                             "prefilter": self.prefilter,
                             "threads": default_threads(workers)})

    def _pipe_pool(self, sources, workers: int, ahead: int):
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        # spawn, not fork: a forked copy of a process whose torch thread pools are running
        # can deadlock, and spawn starts every worker from the same clean state.
        ctx = mp.get_context("spawn")
        pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                                   initargs=(self._worker_config(workers),))
        pending: deque = deque()
        it = iter(sources)
        try:
            for src in it:
                pending.append((src, pool.submit(_work, src)))
                if len(pending) >= ahead:
                    yield self._collect(*pending.popleft())
            while pending:
                yield self._collect(*pending.popleft())
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    @staticmethod
    def _collect(src, future):
        res = future.result()  # re-raises anything but ExtractError
        if isinstance(res, ExtractError):
            res.source = _source_label(src)
        return res


# --------------------------------------------------------------------------- pool workers
_WORKER: Extractor | None = None


def load_worker_extractor(config: bytes, threads: int | None = None) -> Extractor:
    """The extractor of a worker process (a pool's, or a Dask worker's: `extract.cluster`),
    made from `Extractor._worker_config`, with its model loaded and its classifier built.
    `threads` overrides the config's encoding threads (a remote worker knows its own cores)."""
    cfg = pickle.loads(config)
    if threads:
        cfg["threads"] = threads
    os.environ["PRIVACY_TORCH_THREADS"] = str(cfg["threads"])
    encoder = cfg["encoder"]
    inner = getattr(encoder, "encoder", encoder)
    if hasattr(inner, "threads") and getattr(inner, "threads", None) is None:
        inner.threads = cfg["threads"]
    # Load the model and build the classifier now, so no task waits for it.
    return Extractor(encoder, cfg["scorer"], cache=False, prefilter=cfg["prefilter"]).warm()


def _init_worker(config: bytes) -> None:
    global _WORKER
    _WORKER = load_worker_extractor(config)


def _work(src):
    try:
        return _WORKER(src)
    except ExtractError as exc:
        return exc
