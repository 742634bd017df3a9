"""`make bench`: the shared end-to-end poll benchmark (the judge), then the micro-benchmarks.

    python bench/run.py [--skip-e2e] [--skip-micro] [--skip-1000] [--json-dir DIR]

The end-to-end benchmark is ../shared/bench/poll_bench.py: `monitor run --once` against
N loopback feeds beside its peers, in one run, so the figures are ratios on one
machine at one moment.  It runs at N=200 (naive, reader, newsboat, monitor) and
N=1000 (reader, monitor), with `per_host: 16` (bench/per_host16.yaml) because all
feeds sit on one loopback host and the peers use 16 workers.

The peers' interpreter lives in .venv-bench (git-ignored, outside ../shared, which
is read-only); this script creates it from the harness's lock file when missing.
newsboat runs when it is on PATH (Debian: `apt-get install -y newsboat`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED_BENCH = ROOT.parent / "shared" / "bench"
PEERS_VENV = ROOT / ".venv-bench"
MICRO = ["poll.py", "delivery.py"]
RUNS = [  # (N, contenders, seconds per contender for both polls)
    (200, "naive,reader,newsboat,monitor", 300),
    # A loaded shared machine can push a contender past the harness's 300 s default;
    # a timed-out run is only a projection, so N=1000 gets room to finish.
    (1000, "reader,monitor", 1200),
]


def peers_python() -> Path | None:
    """The peers' venv, created (once) from the harness's lock file."""
    py = PEERS_VENV / "bin" / "python"
    stamp = PEERS_VENV / ".installed"
    lock = SHARED_BENCH / "requirements-peers.lock"
    if stamp.exists() and py.exists():
        return py
    print(f"== setting up the peers' venv in {PEERS_VENV.name} from {lock}", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "-r", str(lock)], check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"   could not set up the peers' venv ({e}); peers are skipped", flush=True)
        return None
    stamp.touch()
    return py


def end_to_end(n: int, contenders: str, timeout: int, json_dir: Path | None) -> int:
    harness = SHARED_BENCH / "poll_bench.py"
    py = peers_python()
    if py is None:
        contenders = "monitor"
    if "newsboat" in contenders and shutil.which("newsboat") is None:
        print("   newsboat not on PATH (apt-get install -y newsboat): skipped by the harness")
    monitor = ROOT / ".venv" / "bin" / "monitor"
    env = dict(os.environ, MONITOR_CMD=f"{monitor} run --once", MONITOR_CWD=str(ROOT))
    if py is not None:
        env["BENCH_PEERS_PYTHON"] = str(py)  # absolute: reader runs from another cwd
    cmd = [str(py or sys.executable), str(harness), "-n", str(n), "--contenders", contenders,
           "--monitor-extra-yaml", str(HERE / "per_host16.yaml"),
           "--contender-timeout", str(timeout)]
    if json_dir is not None:
        json_dir.mkdir(parents=True, exist_ok=True)
        cmd += ["--json-out", str(json_dir / f"poll_bench_n{n}.json")]
    print(f"== end to end, N={n}: {contenders}", flush=True)
    return subprocess.call(cmd, cwd=ROOT, env=env)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-e2e", action="store_true", help="only the micro-benchmarks")
    ap.add_argument("--skip-micro", action="store_true", help="only the end-to-end benchmark")
    ap.add_argument("--skip-1000", action="store_true", help="end to end at N=200 only")
    ap.add_argument("--json-dir", type=Path, default=None, help="keep the harness's JSON here")
    args = ap.parse_args()
    status = 0
    # Each `monitor run --once` is a fresh interpreter.  An editable install has no
    # .pyc files, and with PYTHONDONTWRITEBYTECODE set (as on the bench machine) none
    # are ever written: every poll would compile the whole package again (~0.3 s).
    # A wheel install compiles at install time; this does the same for the checkout.
    subprocess.call([sys.executable, "-m", "compileall", "-q", str(ROOT / "monitor")])
    if not args.skip_e2e:
        if not (SHARED_BENCH / "poll_bench.py").exists():
            print(f"== end to end: {SHARED_BENCH}/poll_bench.py not found, skipped")
        else:
            for n, contenders, timeout in RUNS:
                if n > 200 and args.skip_1000:
                    continue
                status = end_to_end(n, contenders, timeout, args.json_dir) or status
    if not args.skip_micro:
        for name in MICRO:
            print(f"== micro: {name}", flush=True)
            status = subprocess.call([sys.executable, str(HERE / name)]) or status
        print("== micro: ingest with 100,000 stored items: `pytest -s tests/store/"
              "test_story_index.py` prints ms/item; classifier throughput: `make eval`")
    return status


if __name__ == "__main__":
    sys.exit(main())
