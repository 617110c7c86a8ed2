"""Writing a file a command was asked for (``--out``): never over an existing one unless ``--force``."""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError


def _exists(path: Path) -> CommandError:
    return CommandError(f"{path} exists: add --force to replace it, or choose another --out")


def refuse_existing(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise _exists(path)


def write_new(path: Path, text: str | bytes, force: bool) -> None:
    """Create the file (``x``: one that appeared since the check is not replaced either); text is
    written as UTF-8, bytes as they are."""
    binary = isinstance(text, bytes)
    try:
        with path.open(("w" if force else "x") + ("b" if binary else ""), encoding=None if binary else "utf-8") as f:
            f.write(text)
    except FileExistsError:
        raise _exists(path) from None
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None
