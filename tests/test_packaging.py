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
