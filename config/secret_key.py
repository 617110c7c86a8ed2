"""This checkout's SECRET_KEY, kept in ``.local/secret_key`` (git-ignored).

``make setup`` creates it (``python -m config.secret_key``); importing the settings only reads it,
so a tool process that imports them writes nothing into the checkout. Without the file (a clone
that skipped ``make setup``), each process draws a key of its own: nothing in the lab signs data
that another process must verify (no sessions, no cookies, no CSRF tokens).
"""
from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from groundwork.database import BASE_DIR


def key_path(base_dir: Path = BASE_DIR) -> Path:
    return base_dir / ".local" / "secret_key"


def stored(base_dir: Path = BASE_DIR) -> str:
    """The checkout's key, or "" when it has none."""
    try:
        return key_path(base_dir).read_text().strip()
    except OSError:
        return ""


def read(base_dir: Path = BASE_DIR) -> str:
    """$SECRET_KEY, else the checkout's key, else a key for this process alone. Writes nothing."""
    return os.environ.get("SECRET_KEY") or stored(base_dir) or secrets.token_urlsafe(50)


def ensure(base_dir: Path = BASE_DIR) -> Path:
    """Create the checkout's key once, readable by its owner only; an existing key is kept."""
    path = key_path(base_dir)
    if stored(base_dir):
        return path
    path.parent.mkdir(exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(secrets.token_urlsafe(50))
    try:
        os.link(tmp, path)  # whole or not at all, and never over a key another process just stored
    except FileExistsError:
        if not stored(base_dir):
            os.replace(tmp, path)  # an empty file an interrupted write left
    finally:
        tmp.unlink(missing_ok=True)
    return path


if __name__ == "__main__":
    print(f"SECRET_KEY in {ensure()}", file=sys.stderr)
