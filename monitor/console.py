"""What the person at the terminal sees: exit codes, error lines, summaries, tables.

Exit codes (the same for every command; see README "Exit codes"):
  0  done (for `run`: stopped by SIGINT/SIGTERM)
  1  the command ran and the answer is no: unhealthy (`health`), a post Slack
     refused (`send-test`), a backup that could not be written
  2  cannot run: bad usage, an unusable config, database or classifier model
`monitor health` only ever exits 0 or 1 (Docker reserves 2 in health checks).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from monitor import logs

EXIT_OK = 0
EXIT_NO = 1
EXIT_UNUSABLE = 2

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = EXIT_UNUSABLE) -> NoReturn:
    """Report `message` (an error event in JSON mode, a plain line otherwise) and exit."""
    if logs.json_mode():
        logs.get_logger("monitor").error("command_failed", error=message, exit_code=code)
    else:
        click.echo(message, err=True)
    sys.exit(code)


def human(message: str) -> None:
    """A summary for people: stderr normally, stdout when stderr is reserved for JSON."""
    click.echo(message, err=not logs.json_mode())


def _set_config(_ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        # Every load_config() below this command reads the same file.
        os.environ["MONITOR_CONFIG"] = value


def config_option(f: F) -> F:
    """`--config PATH` for any command that reads the config."""
    return click.option(
        "--config", "config_path", type=click.Path(dir_okay=False), default=None,
        expose_value=False, is_eager=True, callback=_set_config,
        help="Config file (default: $MONITOR_CONFIG or config/monitor.yaml).")(f)


def print_table(table: Any) -> None:
    """Print a rich table at the terminal's width ($COLUMNS, else 100 when piped)."""
    from rich.console import Console

    width = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 100
    Console(width=width).print(table)


def version() -> str:
    """The installed distribution's version (what `monitor --version` prints)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("export-control-monitor")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"
