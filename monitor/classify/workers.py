"""Classify batches of new items in worker processes: the second core, outside the GIL.

`monitor run` fetches, stores and posts in one process whose threads share one
GIL; classifying is the largest pure CPU step of a busy poll (about 1 ms an
item), so a worker process takes it while the main process stores the previous
source and posts.  Pure in, pure out: (title, text, lang) tuples go in, the
model's version and one Classification per tuple come back.

Only a model loaded from a file can be loaded again in a worker
(`LazyClassifier`); anything else (tests' fakes) classifies in the caller.  A
worker that dies, or a model file that changed under it (the version differs
from the caller's), makes `classify` return None: the caller classifies those
items itself, so a broken pool costs speed, never an item.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from monitor import stories
from monitor.classify.lazy import LazyClassifier
from monitor.models import Classification, Item

if TYPE_CHECKING:
    import concurrent.futures

    from monitor.classify.model import Classifier

log = logging.getLogger(__name__)

ENV = "MONITOR_CLASSIFY_PROCESSES"  # 0: classify in the main process
MAX_PROCESSES = 4
# Fewer new items than this are classified in the caller: a process hop costs
# more than classifying a handful (about 1 ms each).
MIN_BATCH = 4

Entry = tuple[str, str, str | None, str]  # title, summary, lang, title_key
# What the writer needs besides the item: its verdict and its story keys.
Prepared = tuple[Classification, list[int]]

_model: Classifier | None = None  # the worker process's own copy


def _load(path: str, threshold: float) -> None:
    global _model
    from monitor.classify.model import load_classifier  # in the worker process only

    _model = load_classifier(path, threshold=threshold)


def _prepare(entries: Sequence[Entry]) -> tuple[str, list[Prepared]]:
    """The model's version and each entry's verdict and story keys (hashing the titles
    is pure work too, better done here than in the writer)."""
    assert _model is not None, "worker started without its model"
    out: list[Prepared] = []
    for title, summary, lang, title_key in entries:
        verdict = _model.classify(title, summary, lang)
        out.append((verdict, stories.story_keys(title_key, verdict.facts)))
    return _model.version, out


def processes_wanted(env: dict[str, str] | None = None) -> int:
    """Worker processes for this machine: one per core beyond the first (at most 4).

    `MONITOR_CLASSIFY_PROCESSES=N` overrides it; 0 keeps classifying in the main process.
    """
    raw = (env if env is not None else os.environ).get(ENV, "").strip()
    if raw:
        try:
            return max(0, min(int(raw), MAX_PROCESSES))
        except ValueError:
            log.warning("%s=%r is not a number; using the default", ENV, raw)
    return max(1, min((os.cpu_count() or 1) - 1, MAX_PROCESSES))


class ClassifyPool:
    """Worker processes holding the model at `path`; started at the first batch."""

    def __init__(self, path: Path, threshold: float, processes: int) -> None:
        self.path, self.threshold, self.processes = path, threshold, processes
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._broken = False

    @classmethod
    def for_classifier(cls, classifier: object, processes: int | None = None,
                       ) -> ClassifyPool | None:
        """A pool for a file-backed classifier, or None (fakes, or no processes wanted)."""
        n = processes_wanted() if processes is None else processes
        if n <= 0 or not isinstance(classifier, LazyClassifier):
            return None
        return cls(classifier.path, classifier.threshold, n)

    def _executor(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._pool is None:
            # Imported here: a run where every source answers 304 starts no worker.
            import concurrent.futures
            import multiprocessing

            # spawn, not fork: the monitor has threads (ingest, delivery, the loop's
            # own), and a fork copies whatever lock one of them holds at that moment.
            self._pool = concurrent.futures.ProcessPoolExecutor(
                self.processes, mp_context=multiprocessing.get_context("spawn"),
                initializer=_load, initargs=(str(self.path), self.threshold))
        return self._pool

    async def verdicts(self, items: Sequence[Item], known: Callable[[Item], bool],
                       version: Callable[[], str]) -> dict[str, Prepared] | None:
        """item id -> (Classification, story keys) for the items not `known` (most entries
        of a busy feed were stored at an earlier poll), or None: the caller does the work.

        `version` is the caller's model version, asked only when there is work; a worker
        holding another one (the file changed since it loaded) is not used.
        """
        new = [it for it in items if not known(it)]
        if self._broken or len(new) < MIN_BATCH:
            return None
        wanted = version()
        loop = asyncio.get_running_loop()
        try:
            got, prepared = await loop.run_in_executor(
                self._executor(), _prepare,
                [(it.title, it.summary, it.lang, it.title_key) for it in new])
        except asyncio.CancelledError:
            raise
        except Exception as e:  # a dead worker, a model it cannot load: classify inline
            log.warning("classifier worker failed (%s: %s); classifying in the main process "
                        "from now on", type(e).__name__, e)
            self._broken = True
            self.close()
            return None
        if got != wanted:
            log.info("classifier worker holds model %s, not %s: classified inline", got, wanted)
            return None
        return {it.id: p for it, p in zip(new, prepared, strict=True)}

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
