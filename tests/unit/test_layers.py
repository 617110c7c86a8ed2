"""The project's layers import downward only (pyproject.toml, [tool.importlinter]): the pages,
the judging, the instrument and its store, deployments and load scenarios, the app under test,
and what all of them share. No database, no servers."""
from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
NOT_CODE_OF_THE_LAB = {"tests", "scripts", "docs"}  # run, not imported: outside the layers


def lint_imports(*args: str) -> subprocess.CompletedProcess:
    command = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert command, "import-linter is not installed: it is pinned in requirements.txt (make setup)"
    return subprocess.run([command, *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_every_package_imports_only_the_layers_below_it():
    result = lint_imports("--no-cache")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "1 kept, 0 broken" in result.stdout


def test_no_package_of_the_lab_is_left_out_of_the_layers():
    """A new top-level package not named in the contract would escape it."""
    packages = {p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".")
                and any(p.glob("*.py")) and p.name not in NOT_CODE_OF_THE_LAB}
    layered = {name.strip() for layer in CONFIG["contracts"][0]["layers"] for name in layer.split("|")}
    assert packages == set(CONFIG["root_packages"]) == layered


def test_an_upward_import_breaks_the_contract(tmp_path):
    """The check can fail: a copy of the tree with one upward import (the store importing a page)."""
    copy = tmp_path / "lab"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv*", ".pgdata*", ".git", "node_modules",
                                                              "test-artifacts", "__pycache__", ".hypothesis",
                                                              "mutants"))
    knees = copy / "bench" / "knees.py"
    knees.write_text(knees.read_text() + "\nfrom dashboard import views  # upward\n")
    command = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    result = subprocess.run([command, "--no-cache"], cwd=copy, capture_output=True, text=True, timeout=120,
                            env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"})
    assert result.returncode != 0 and "bench.knees -> dashboard.views" in result.stdout, result.stdout[-3000:]
