"""The export-control classifier: relevance, topic, item, jurisdiction, facts.

Corrections live in the store (`monitor.store.corrections`); training takes them as data.
Run time is this package; the tools that build and measure the artifact live in
`monitor.classify.training` (needs scikit-learn), which no run-time module imports.

Public API:
    load_classifier(path=None, threshold=0.5) -> Classifier
    LazyClassifier(path=None, threshold=0.5)   # loads on first classify (304-only polls skip it)
    Classifier.classify(title, text, lang=None) -> Classification   (pure, no IO)
    extract_facts(title, text) -> dict[str, list[str]]
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.classify.facts import extract_facts
    from monitor.classify.lazy import DEFAULT_MODEL, LazyClassifier
    from monitor.classify.model import Classifier, load_classifier

__all__ = ["DEFAULT_MODEL", "Classifier", "LazyClassifier", "extract_facts", "load_classifier"]

# Resolved at first use (PEP 562): importing one submodule, as `monitor run` does for
# the worker pool, must not load the model code, numpy and the cue tables with it.
_HOMES = {"extract_facts": "facts", "DEFAULT_MODEL": "lazy", "Classifier": "model",
          "LazyClassifier": "lazy", "load_classifier": "model"}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
