"""A derived, disposable cache of the classifier's weights: numpy arrays instead of JSON.

Decoding the 6 MB JSON artifact is most of a cold start (0.3-0.4 s); the same
weights as raw arrays load in a few milliseconds.  The cache is keyed by the
artifact's hash, so a retrained model never meets stale weights, and it is
never committed: it lives in the user's cache directory (`MONITOR_CACHE_DIR`,
else `$XDG_CACHE_HOME/export-control-monitor`, else `~/.cache/...`).  Any
problem reading or writing it just means the JSON is decoded as before.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

import numpy as np

log = logging.getLogger(__name__)

FORMAT = 1  # bump when the layout below changes
_SEP = "\x1f"  # vocabulary joined into one string: one array instead of 37,000 objects

HeadArrays = tuple[list[str], np.ndarray, np.ndarray]


class _HeadLike(Protocol):
    # Read-only: the classifier's heads are frozen dataclasses.
    @property
    def names(self) -> list[str]: ...
    @property
    def weights(self) -> np.ndarray: ...
    @property
    def bias(self) -> np.ndarray: ...


def cache_dir() -> Path | None:
    explicit = os.environ.get("MONITOR_CACHE_DIR")
    if explicit is not None:
        return Path(explicit) if explicit.strip() else None  # empty: cache off
    base = os.environ.get("XDG_CACHE_HOME") or (Path.home() / ".cache")
    return Path(base) / "export-control-monitor"


def _path(version: str) -> Path | None:
    d = cache_dir()
    return None if d is None else d / f"classifier-{version}-v{FORMAT}.npz"


def load(version: str) -> tuple[dict[str, Any], HeadArrays, HeadArrays] | None:
    """(everything but the weights, main head, jurisdiction head), or None on a miss."""
    path = _path(version)
    if path is None or not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            rest = json.loads(str(z["rest"]))
            heads = tuple(
                (str(z[f"{h}_vocab"]).split(_SEP) if z[f"{h}_n"] else [],
                 z[f"{h}_w"], z[f"{h}_b"])
                for h in ("main", "jur"))
        return rest, heads[0], heads[1]
    except (OSError, ValueError, KeyError) as e:
        log.debug("classifier cache %s unusable (%s); decoding the artifact", path, e)
        return None


def store(version: str, data: dict[str, Any], main: _HeadLike, jur: _HeadLike) -> None:
    """Best effort: a read-only home or a full disk only costs the next start its speed."""
    path = _path(version)
    if path is None:
        return
    rest = {k: v for k, v in data.items() if k not in ("main", "jurisdiction", "_version")}
    # The classifier reads head names from the main block; the weights come from the arrays.
    rest["main"] = {"heads": [{"name": h["name"]} for h in data["main"]["heads"]]}
    arrays: dict[str, Any] = {"rest": np.asarray(json.dumps(rest, ensure_ascii=False))}
    for key, head in (("main", main), ("jur", jur)):
        arrays[f"{key}_vocab"] = np.asarray(_SEP.join(head.names))
        arrays[f"{key}_n"] = np.asarray(len(head.names))
        arrays[f"{key}_w"] = head.weights
        arrays[f"{key}_b"] = head.bias
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **arrays)
            os.replace(tmp, path)  # readers see a whole file or none
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as e:
        log.debug("classifier cache not written to %s: %s", path, e)
