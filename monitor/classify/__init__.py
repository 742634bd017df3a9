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

from monitor.classify.facts import extract_facts
from monitor.classify.model import DEFAULT_MODEL, Classifier, LazyClassifier, load_classifier

__all__ = ["DEFAULT_MODEL", "Classifier", "LazyClassifier", "extract_facts", "load_classifier"]
