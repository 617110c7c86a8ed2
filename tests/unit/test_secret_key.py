"""Importing the settings writes nothing into the checkout: the SECRET_KEY file is made by
``make setup`` (``python -m config.secret_key``), and only read on import."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from groundwork.database import BASE_DIR

PRINT_KEY = "from django.conf import settings; print(settings.SECRET_KEY)"


def checkout_copy(tmp_path: Path) -> Path:
    """The settings' packages in a checkout of its own, with no ``.local``."""
    root = tmp_path / "checkout"
    for package in ("config", "groundwork"):
        shutil.copytree(BASE_DIR / package, root / package, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def run_in(root: Path, code: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(PYTHONPATH=str(root), DJANGO_SETTINGS_MODULE="config.settings", PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=60)


def files_in(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*")}


def test_importing_the_settings_creates_no_file(tmp_path):
    root = checkout_copy(tmp_path)
    before = files_in(root)
    done = run_in(root, PRINT_KEY)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip()) >= 40  # a key all the same, for this process alone
    assert files_in(root) == before


def test_setup_makes_the_key_once_and_the_settings_read_it(tmp_path):
    root = checkout_copy(tmp_path)
    made = subprocess.run([sys.executable, "-m", "config.secret_key"], cwd=root, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(root)}, timeout=60)
    assert made.returncode == 0, made.stderr
    path = root / ".local" / "secret_key"
    key = path.read_text()
    assert len(key) >= 40 and path.stat().st_mode & 0o777 == 0o600
    assert subprocess.run([sys.executable, "-m", "config.secret_key"], cwd=root, env={**os.environ, "PYTHONPATH": str(root)},
                          timeout=60).returncode == 0
    assert path.read_text() == key  # kept, not replaced
    assert run_in(root, PRINT_KEY).stdout.strip() == key
    assert {p.name for p in path.parent.iterdir()} == {"secret_key"}  # no temporary file left
