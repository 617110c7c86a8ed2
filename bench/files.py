"""Writing a file a command was asked for (``--out``): never over an existing one unless ``--force``."""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError


def _exists(path: Path) -> CommandError:
    return CommandError(f"{path} exists: add --force to replace it, or choose another --out")


def refuse_existing(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise _exists(path)


def write_new(path: Path, text: str, force: bool) -> None:
    """Create the file (``x``: one that appeared since the check is not replaced either)."""
    try:
        with path.open("w" if force else "x", encoding="utf-8") as f:
            f.write(text)
    except FileExistsError:
        raise _exists(path) from None
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None
