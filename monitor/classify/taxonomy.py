"""Load `monitor/classify/taxonomy.yaml`: label IDs, descriptions and cue phrases as data.

The label IDs are fixed by ../shared/docs/taxonomy.md and listed once, in that file:
TOPICS, ITEMS and JURISDICTIONS are read from it at import. It ships inside the
package (beside this module) because the run time needs the IDs wherever it is installed.
The loader rejects a file that renames or drops one, so a typo in an override cannot
silently create a label nobody reads.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from monitor.errors import ConfigError

LANGS = ("en", "zh", "ja")

DEFAULT_TAXONOMY = Path(__file__).resolve().parent / "taxonomy.yaml"
# The C loader when PyYAML has it: this file is read at every import of the classifier.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _label_ids(path: Path) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The fixed IDs, in file order: the shipped taxonomy file is their one home.

    A `MONITOR_TAXONOMY` override may change cues, never the IDs, so they are read
    from the shipped file. Order matters: ties between labels break by it.
    """
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError([f"{path}: cannot read taxonomy: {e}"]) from e
    ids: list[tuple[str, ...]] = []
    for kind in ("topic", "item", "jurisdiction"):
        section = data.get(kind) if isinstance(data, dict) else None
        if not isinstance(section, dict) or not section:
            raise ConfigError([f"{path}: {kind}: missing (the label IDs live here)"])
        ids.append(tuple(str(label) for label in section))
    return ids[0], ids[1], ids[2]


TOPICS, ITEMS, JURISDICTIONS = _label_ids(DEFAULT_TAXONOMY)


@dataclass(frozen=True)
class Taxonomy:
    """Cue groups keyed `signal:<name>`, `topic:<id>`, `item:<id>`, `jur:<code>`, `gov:<code>`."""

    groups: dict[str, list[str]]
    descriptions: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"groups": self.groups, "descriptions": self.descriptions}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Taxonomy:
        return cls(groups={k: list(v) for k, v in data["groups"].items()},
                   descriptions=dict(data.get("descriptions", {})))


def taxonomy_path(path: str | os.PathLike[str] | None = None) -> Path:
    return Path(path or os.environ.get("MONITOR_TAXONOMY") or DEFAULT_TAXONOMY)


def _cues(where: str, block: Any, problems: list[str]) -> list[str]:
    """Flatten {en: [...], zh: [...], ja: [...]} into one sorted, de-duplicated list."""
    if block in (None, {}):
        return []
    if not isinstance(block, dict):
        problems.append(f"{where}: expected a mapping of language -> list of phrases")
        return []
    out: set[str] = set()
    for lang, phrases in block.items():
        if lang not in LANGS:
            problems.append(f"{where}.{lang}: unknown language (use {', '.join(LANGS)})")
            continue
        if not isinstance(phrases, list):
            problems.append(f"{where}.{lang}: expected a list of phrases")
            continue
        for p in phrases:
            if not str(p).strip():
                problems.append(f"{where}.{lang}: empty phrase")
            else:
                out.add(str(p).strip())
    return sorted(out)


def load_taxonomy(path: str | os.PathLike[str] | None = None) -> Taxonomy:
    """Read and validate the taxonomy file; ConfigError lists every problem."""
    p = taxonomy_path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError([f"{p}: cannot read taxonomy: {e}"]) from e
    if not isinstance(data, dict):
        raise ConfigError([f"{p}: expected a mapping at the top level"])
    problems: list[str] = []
    groups: dict[str, list[str]] = {}
    descriptions: dict[str, str] = {}
    for name, entry in (data.get("signals") or {}).items():
        groups[f"signal:{name}"] = _cues(f"{p}: signals.{name}.cues", entry.get("cues"), problems)
        descriptions[f"signal:{name}"] = str(entry.get("description", ""))
    for kind, fixed, prefix in (("topic", TOPICS, "topic"), ("item", ITEMS, "item"),
                                ("jurisdiction", JURISDICTIONS, "jur")):
        section = data.get(kind) or {}
        for label in section:
            if label not in fixed:
                problems.append(
                    f"{p}: {kind}.{label}: unknown label (fixed IDs: {', '.join(fixed)})")
        for label in fixed:
            entry = section.get(label)
            if not isinstance(entry, dict):
                problems.append(f"{p}: {kind}.{label}: missing (every fixed label needs an entry)")
                continue
            groups[f"{prefix}:{label}"] = _cues(f"{p}: {kind}.{label}.cues", entry.get("cues"),
                                                problems)
            descriptions[f"{prefix}:{label}"] = str(entry.get("description", ""))
            if kind == "jurisdiction":
                groups[f"gov:{label}"] = _cues(f"{p}: {kind}.{label}.government",
                                               entry.get("government"), problems)
    if "signal:export_control" not in groups:
        problems.append(f"{p}: signals.export_control: missing (the core relevance cues)")
    if problems:
        raise ConfigError(problems)
    return Taxonomy(groups=groups, descriptions=descriptions)
