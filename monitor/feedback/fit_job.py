"""Fit a classifier in a child process: `python -m monitor.feedback.fit_job IN.jsonl OUT.gz`.

Training takes minutes of CPU; in a child process (at low priority) it cannot hold
the GIL of `monitor run`, whose polls and Socket Mode acks must go on meanwhile.
IN holds the training corrections, one eval-format record a line.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def fit_artifact(corrections: list[dict[str, object]]) -> bytes:
    """What `monitor train` builds, with these corrections instead of the whole table."""
    from monitor.classify.taxonomy import load_taxonomy
    from monitor.classify.training import examples as ex_mod
    from monitor.classify.training.train import dump_artifact, fit, gather

    base, _ = gather([])
    extra = [ex_mod.from_record(r, "correction") for r in corrections]
    return dump_artifact(fit(ex_mod.merge([base, extra]), load_taxonomy()))


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m monitor.feedback.fit_job IN.jsonl OUT.json.gz", file=sys.stderr)
        return 2
    if hasattr(os, "nice"):
        os.nice(10)
    records = [json.loads(line) for line in Path(argv[0]).read_text(encoding="utf-8")
               .splitlines() if line.strip()]
    try:
        blob = fit_artifact(records)
    except ImportError as e:  # scikit-learn is a training dependency, not a runtime one
        print(f"retraining needs the training dependencies ({e}); install "
              "requirements-dev.lock", file=sys.stderr)
        return 3
    out = Path(argv[1])
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(blob)
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
