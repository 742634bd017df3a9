"""The model's default place, and a Classifier that loads it at first use.

Light on purpose: `monitor run` builds a LazyClassifier at start, and a poll where
every source answers 304 must not import the model code, numpy or the cue tables.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.errors import ModelError

if TYPE_CHECKING:
    from monitor.classify.model import Classifier
    from monitor.models import Classification

DEFAULT_MODEL = Path(__file__).resolve().parent / "artifacts" / "model.json.gz"
HINT = "run `monitor train` to rebuild it"


class LazyClassifier:
    """A Classifier loaded on first use: a poll where every source answers 304 never loads it.

    A missing or unreadable artifact is still reported at construction, so
    `monitor run` refuses to start rather than failing at the first new item.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None,
                 threshold: float = 0.5) -> None:
        self.path = Path(path or DEFAULT_MODEL)
        self.threshold = threshold
        self._clf: Classifier | None = None
        if not os.access(self.path, os.R_OK):
            from monitor.classify.model import read_raw

            read_raw(self.path)  # raises the specific ModelError
            raise ModelError(f"cannot read classifier model {self.path}; {HINT}")

    @property
    def loaded(self) -> Classifier:
        if self._clf is None:
            from monitor.classify.model import load_classifier

            self._clf = load_classifier(self.path, threshold=self.threshold)
        return self._clf

    @property
    def is_loaded(self) -> bool:
        return self._clf is not None

    @property
    def version(self) -> str:
        return self.loaded.version

    def classify(self, title: str, text: str, lang: str | None = None) -> Classification:
        return self.loaded.classify(title, text, lang)
