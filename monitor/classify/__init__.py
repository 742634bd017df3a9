"""The export-control classifier: relevance, topic, item, jurisdiction, facts.

Corrections live in the store (`monitor.store.corrections`); training takes them as data.

Public API:
    load_classifier(path=None, threshold=0.5) -> Classifier
    LazyClassifier(path=None, threshold=0.5)   # loads on first classify (304-only polls skip it)
    Classifier.classify(title, text, lang=None) -> Classification   (pure, no IO)
    train(labels=None, corrections=(), out=None) -> TrainReport      (needs scikit-learn)
    extract_facts(title, text) -> dict[str, list[str]]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from monitor.classify.facts import extract_facts
from monitor.classify.model import DEFAULT_MODEL, Classifier, LazyClassifier, load_classifier

if TYPE_CHECKING:
    from monitor.classify.train import TrainReport


def train(*args: Any, **kwargs: Any) -> TrainReport:
    """Rebuild the artifact; imported lazily so inference never needs scikit-learn."""
    from monitor.classify.train import train as _train

    return _train(*args, **kwargs)


__all__ = ["DEFAULT_MODEL", "Classifier", "LazyClassifier", "extract_facts", "load_classifier",
           "train"]
