"""`make bench`: run every benchmark; each prints ratios against a baseline it measures itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ["poll.py", "delivery.py"]


def main() -> int:
    status = 0
    for name in BENCHES:
        path = HERE / name
        if not path.exists():
            print(f"== {name}: missing, skipped")
            continue
        print(f"== {name}", flush=True)
        rc = subprocess.call([sys.executable, str(path), *sys.argv[1:]])
        status = status or rc
    print("== classifier throughput: see `make eval` (items/s on one core)")
    return status


if __name__ == "__main__":
    sys.exit(main())
