"""The deploy files name what operators rely on."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_names_service_volume_and_command() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    service = compose["services"]["monitor"]
    assert service["command"] == ["run"]
    assert "monitor-data" in compose["volumes"]
    assert any(v.startswith("monitor-data:/data") for v in service["volumes"])
    assert service["environment"]["MONITOR_DB"] == "/data/monitor.db"
    assert ".env" in service["env_file"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["monitor"]' in dockerfile


def test_console_script_declared() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    assert 'monitor = "monitor.cli:main"' in text
    assert "apscheduler>=3.11,<4" in text


# --- the image and the stack (Docker cannot run here: the files are checked instead) ---

def _lock_names(name: str) -> set[str]:
    text = (ROOT / name).read_text(encoding="utf-8")
    return {line.split("==")[0].strip().lower() for line in text.splitlines()
            if "==" in line and not line.startswith("#")}


def _instructions(name: str) -> list[str]:
    """Dockerfile instructions with continuation lines joined and comments dropped."""
    out: list[str] = []
    pending = ""
    for raw in (ROOT / name).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pending += line.removesuffix("\\").strip() + " "
        if not line.endswith("\\"):
            out.append(pending.strip())
            pending = ""
    return out


def test_image_installs_only_the_runtime_lock() -> None:
    runtime = _lock_names("requirements.lock")
    assert not runtime & {"pytest", "ruff", "mypy", "scikit-learn", "scipy", "datasette"}
    steps = _instructions("Dockerfile")
    installs = [s for s in steps if "pip install" in s]
    assert installs and all("requirements-dev" not in s for s in installs)
    assert any("-r requirements.lock" in s for s in installs)
    assert any("--no-deps" in s for s in installs)  # the package itself adds nothing


def test_image_base_pinned_by_version_and_digest() -> None:
    import re

    for name in ("Dockerfile", "Dockerfile.datasette"):
        froms = [s for s in _instructions(name) if s.startswith("FROM ")]
        assert froms, name
        for f in froms:
            assert re.match(r"FROM python:3\.11\.\d+-slim-\w+@sha256:[0-9a-f]{64}\b", f), f


def test_image_user_owns_data_and_checks_health() -> None:
    steps = _instructions("Dockerfile")
    mkdata = next(i for i, s in enumerate(steps) if "install -d -o 1000 -g 1000" in s
                  and s.rstrip().endswith("/data"))
    volume = next(i for i, s in enumerate(steps) if s.startswith("VOLUME"))
    user = next(i for i, s in enumerate(steps) if s.startswith("USER"))
    assert mkdata < volume < user  # the volume is seeded with a /data that UID 1000 owns
    assert steps[user] == "USER 1000:1000"
    assert "useradd --uid 1000" in " ".join(steps)
    health = next(s for s in steps if s.startswith("HEALTHCHECK"))
    assert health.endswith('CMD ["monitor", "health"]')
    assert 'ENV MONITOR_CONFIG=/app/config/monitor.yaml MONITOR_DB=/data/monitor.db' in \
        " ".join(steps).replace("  ", " ")


def test_dockerignore_keeps_the_context_small() -> None:
    lines = [x.strip() for x in (ROOT / ".dockerignore").read_text().splitlines()
             if x.strip() and not x.startswith("#")]
    assert lines[0] == "*"  # everything out, then only what the images copy
    allowed = {x[1:].rstrip("/") for x in lines if x.startswith("!")}
    assert {"monitor", "config", "requirements.lock", "pyproject.toml"} <= allowed
    assert not allowed & {".venv", "tests", "data", "training", ".git", "seeds"}
    copied = [s.split()[1] for name in ("Dockerfile", "Dockerfile.datasette")
              for s in _instructions(name) if s.startswith("COPY ") and "--from" not in s]
    for src in copied:
        top = src.split("/")[0]
        assert top in allowed or src in allowed, f"{src} is copied but ignored"


def test_compose_stack_monitor_and_readonly_datasette() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    mon, ds = compose["services"]["monitor"], compose["services"]["datasette"]
    listen = mon["environment"]["MONITOR_LISTEN"]
    port = listen.rsplit(":", 1)[1]
    assert mon["ports"] == [f"127.0.0.1:{port}:{port}"]
    assert mon["environment"]["LOG_FORMAT"] == "json"
    assert "monitor-data:/data:ro" in ds["volumes"]  # the same volume, read-only
    assert all(str(p).startswith("127.0.0.1:") for p in ds["ports"])
    assert ds["build"]["dockerfile"] == "Dockerfile.datasette"
    assert ds["command"] == ["/data/monitor.db"]
    entry = " ".join(s for s in _instructions("Dockerfile.datasette")
                     if s.startswith("ENTRYPOINT"))
    assert "--metadata" in entry and "--plugins-dir" in entry and " -i" not in entry
    for mount in ds["volumes"][1:]:
        assert (ROOT / mount.split(":")[0]).exists(), mount
    pinned = _lock_names("requirements-dev.lock") | _lock_names("requirements.lock")
    assert _lock_names("requirements-datasette.lock") - {"setuptools"} <= pinned
    dev = (ROOT / "requirements-dev.lock").read_text()
    assert "datasette==0.65.5" in dev and "datasette==0.65.5" in (
        ROOT / "requirements-datasette.lock").read_text()


def test_built_wheel_carries_the_model_and_runs(tmp_path: Path) -> None:
    """Build the wheel, install it with only the runtime lock into a fresh venv, run it."""
    import shutil
    import subprocess
    import sys
    import zipfile

    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "monitor", src / "monitor",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    built = subprocess.run([*pip, "wheel", "--no-deps", "-w", str(wheels), str(src)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next(wheels.glob("export_control_monitor-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
    assert "monitor/classify/artifacts/model.json.gz" in names
    assert "monitor/ops/server.py" in names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    vpip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    for args in (["-r", str(ROOT / "requirements.lock")], ["--no-deps", str(wheel)]):
        done = subprocess.run([*vpip, "install", *args], capture_output=True, text=True,
                              timeout=900)
        assert done.returncode == 0, done.stderr[-2000:]
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}
    version = subprocess.run([str(venv / "bin" / "monitor"), "--version"], cwd=tmp_path,
                             env=env, capture_output=True, text=True, timeout=120)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == "monitor 0.1.0"
    # the packaged model loads without the training libraries (none in the runtime lock)
    verdict = subprocess.run(
        [str(venv / "bin" / "monitor"), "classify"], cwd=tmp_path, env=env, text=True,
        input='{"id": "a", "title": "China imposes export controls on gallium", "text": ""}\n',
        capture_output=True, timeout=120)
    assert verdict.returncode == 0, verdict.stderr
    assert '"id": "a"' in verdict.stdout
