"""Secrets by reference: the database and the logs name a secret, never hold it.

Apprise target URLs carry tokens and passwords (`json://user:pass@host`,
`tgram://bot-token/chat`).  An alert row records its target as
`apprise:<hash>`; delivery finds the URL in the current config by that hash.
A target removed from the config leaves its pending alerts undeliverable,
which `monitor log` shows, rather than keeping the secret around.
"""

from __future__ import annotations

import hashlib

PREFIX = "apprise:"


def target_ref(url: str) -> str:
    """The stored name of an apprise target URL: stable, and useless to an attacker."""
    return PREFIX + hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def is_ref(target: str) -> bool:
    return target.startswith(PREFIX)
