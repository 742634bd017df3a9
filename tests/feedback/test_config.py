"""`retrain:` in the config: durations, bounds, and unknown keys named with a suggestion."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.errors import ConfigError


def test_retrain_block(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("retrain: {every: 7d, min_corrections: 20}\n", encoding="utf-8")
    rc = load_config(path).retrain
    assert rc is not None and rc.every == 7 * 86400 and rc.min_corrections == 20
    assert rc.holdout == 0.2 and rc.tolerance == 0.0 and rc.enabled
    path.write_text("database: x.db\n", encoding="utf-8")
    assert load_config(path).retrain is None  # absent: no background retraining


def test_retrain_mistakes_name_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("database: x.db\nretrain:\n  every: 7d\n  min_correction: 20\n"
                    "  holdout: 1.5\n", encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    problems = "\n".join(e.value.problems)
    assert (f"{path}:4: retrain.min_correction: unknown key (did you mean 'min_corrections'?)"
            in problems)
    assert f"{path}:5: retrain.holdout" in problems
