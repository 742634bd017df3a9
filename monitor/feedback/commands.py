"""`monitor model`: the classifier versions kept, their scores; retrain now; roll back."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from monitor.config import Config, load_config
from monitor.errors import ConfigError, MonitorError


def _config() -> Config:
    try:
        return load_config()
    except ConfigError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}"


@click.group("model", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per version.")
@click.pass_context
def model_cmd(ctx: click.Context, as_json: bool) -> None:
    """List classifier versions (newest first) with their scores; * marks the one in use."""
    if ctx.invoked_subcommand is not None:
        return
    from monitor.feedback import versions
    from monitor.store import open_db
    from monitor.store.model_versions import listing

    cfg = _config()
    try:
        db = open_db(cfg.database)
    except MonitorError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    rows = listing(db)
    current = versions.current_version(cfg)
    for r in rows:
        r["current"] = r["version"] == current
    if as_json:
        for r in rows:
            click.echo(json.dumps(r, ensure_ascii=False))
        return
    if not rows:
        in_use = versions.active_model_path(cfg) or "the shipped one"
        click.echo(f"no versions yet: the model in use is {in_use}; "
                   "a retrain (config `retrain:`, or `monitor model retrain`) starts the list")
        return
    click.echo(f"{'':1} {'version':<12} {'status':<9} {'created':<20} {'corr.':>5} "
               f"{'dev F1':>7} {'held-out':>8} {'n':>3} {'items':>6}  note")
    for r in rows:
        mark = "*" if r["current"] else ""
        click.echo(f"{mark:1} {r['version']:<12} {r['status']:<9} {r['created_at']:<20} "
                   f"{r['corrections']:>5} {_fmt(r['dev_f1']):>7} "
                   f"{_fmt(r['heldout_accuracy']):>8} {r['heldout_n'] or 0:>3} {r['items']:>6}"
                   f"  {r['note'] or ''}")


@model_cmd.command("retrain")
def retrain_cmd() -> None:
    """Retrain from the corrections now; the new model goes in only if it is not worse."""
    from monitor.feedback.retrain import retrain

    cfg = _config()
    try:
        out = retrain(cfg)
    except MonitorError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    verdict = "now in use" if out.accepted else "kept out"
    click.echo(f"model {out.version}: {verdict} ({out.reason})")
    click.echo("a running `monitor run` with `retrain:` in its config picks it up within a minute"
               if out.accepted else "the current model stays")


@model_cmd.command("use")
@click.argument("version")
def use_cmd(version: str) -> None:
    """Make VERSION (a kept model, e.g. to roll back) the one `monitor run` loads."""
    from monitor.feedback import versions
    from monitor.store import open_db, utcnow
    from monitor.store.model_versions import activate

    cfg = _config()
    try:
        versions.set_current(cfg, version)
        activate(open_db(cfg.database), version, utcnow())
    except MonitorError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    click.echo(f"model {version} is now in use")


COMMANDS = [model_cmd]
