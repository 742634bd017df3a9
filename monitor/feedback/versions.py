"""Versioned classifier artifacts on disk, wrapped around the artifact format (never changed).

Layout under the model directory (`retrain.dir`, default `models/` beside the
database):

    <version>.json.gz   one file per version; version = sha256[:12] of the file,
                        the same string the classifier reports and items.model_version stores
    CURRENT             the version `monitor run` loads (absent: the config's `model:`)

Old versions stay on disk, so `monitor model use VERSION` can roll back.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from monitor.config import Config
from monitor.errors import ModelError

CURRENT = "CURRENT"
SUFFIX = ".json.gz"
VERSION = re.compile(r"^[0-9a-f]{12}$")


def version_of(blob: bytes) -> str:
    """What `read_artifact` reports as the version of these bytes."""
    return hashlib.sha256(blob).hexdigest()[:12]


def model_dir(cfg: Config) -> Path:
    retrain = getattr(cfg, "retrain", None)
    if retrain is not None and retrain.dir:
        return Path(retrain.dir)
    return Path(cfg.database).parent / "models"


def current_version(cfg: Config) -> str | None:
    try:
        text = (model_dir(cfg) / CURRENT).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text if VERSION.match(text) else None


def path_of(cfg: Config, version: str) -> Path:
    return model_dir(cfg) / f"{version}{SUFFIX}"


def active_model_path(cfg: Config) -> str | None:
    """The artifact `monitor run` should load: the CURRENT version if set, else `model:`."""
    version = current_version(cfg)
    if version is not None and path_of(cfg, version).is_file():
        return str(path_of(cfg, version))
    return cfg.model


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)  # a crash never leaves half a model or half a pointer


def store(cfg: Config, blob: bytes) -> tuple[str, Path]:
    """Keep an artifact under its version name; returns (version, path)."""
    version = version_of(blob)
    path = path_of(cfg, version)
    if not path.is_file():
        _atomic_write(path, blob)
    return version, path


def set_current(cfg: Config, version: str) -> None:
    if not VERSION.match(version) or not path_of(cfg, version).is_file():
        raise ModelError(f"no model version {version!r} in {model_dir(cfg)}; "
                         "`monitor model` lists the versions kept")
    _atomic_write(model_dir(cfg) / CURRENT, f"{version}\n".encode())
