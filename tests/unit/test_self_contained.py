"""The repository stands on its own: no tracked file points at a path outside it or at an item of a
tracker a reader of the checkout cannot see. Where such a pointer was, the text now says what it
meant. Every file ``git ls-files`` lists is read, except binary ones (a NUL byte, or not UTF-8)
and the compressed or generated lock files (``*.xz``, ``*.lock``).

A line fails when it has

- **a path outside the checkout**: a relative path whose ``../`` climbs above the repository's
  root (resolved from the file's own folder, as a Markdown link is); an absolute path into a
  workspace or home folder (the root's work, home, Users, root, mnt or srv); a sibling folder of
  the checkout named as a path (shared, seed, or the hidden library folder, then a slash; the
  hidden library folder's name alone as well); a Markdown file the repository does not hold (its
  name matches no tracked file's path from the root, from the file's folder, or base name, letter
  case included);
- **a tracker number**: one of the words issue, ticket, task, bug, PR, pull request or todo
  followed by a number (with or without ``#``), or a ``#`` followed by digits alone.

Allowed, by design (each case has a test below):

- **an upstream citation**: a line that names a public tracker of another project, as an
  ``owner/repo#N`` (or ``owner/repo #N``) whose owner is not a folder of this repository, a
  ``github.com`` address, or "Django ticket #N" / "Django PR #N", may carry more numbers of the
  same citation (the further issues of a list after its first);
- **a run id**: "run #N" names a run of the results store (the dashboard's and the generated
  docs/findings.md's wording), not a tracker item;
- **a colour or an HTML entity**: ``&#8599;``; ``#`` and digits right after a quote (a JavaScript
  or HTML colour string) or ``=`` (an attribute), as a CSS custom property's value
  (``--fg: #111827``), or inside the value of a colour property (``border: 1px solid #111``);
- **system paths** (``/tmp``, ``/proc``, ``/sys``, ``/dev``, ``/usr``, ``/etc``): places the code
  uses at run time, not content kept outside the repository.

Run it alone: ``.venv/bin/python -m pytest tests/unit/test_self_contained.py``. mutmut's mutated
copy is no checkout, so the test skips there (and pyproject.toml's [tool.mutmut] leaves it out).
"""
from __future__ import annotations

import bisect
import functools
import itertools
import os
import re
import subprocess
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_SUFFIXES = (".xz", ".lock")

# --- paths outside the checkout -----------------------------------------------------------------

CLIMB = re.compile(r"(?<![\w.~/-])((?:\.\./)+[\w.-]*)")
WORKSPACE = re.compile(r"(?<![\w.~-])/(?:work|home|Users|root|mnt|srv)(?:/|\b)")
HIDDEN = re.escape("." + "library")  # spelled apart, so that this line does not name it
SIBLING = re.compile(rf"(?<![\w./-])(?:shared|seed|{HIDDEN})/|(?<![\w/-]){HIDDEN}\b")
MARKDOWN = re.compile(r"(?<![\w./:-])([\w./-]*[\w-]\.md)\b")

# --- tracker numbers ----------------------------------------------------------------------------

TRACKER_WORD = re.compile(
    r"\b(?:issue|ticket|task|bug|PR|pull request|todo)s?(?:\s+(?:no\.?\s*|number\s+)?#?|\s*#)\d+\b",
    re.IGNORECASE)
BARE_NUMBER = re.compile(r"(?<![\w&#/])#\d+\b")
UPSTREAM = re.compile(r"(?<![\w./-])([A-Za-z][\w.-]*)/[A-Za-z][\w.-]*\s?#\d+"  # owner/repo#N, owner: group 1
                      r"|github\.com/|\bDjango (?:ticket|PR) #\d+")
RUN_ID = re.compile(r"\brun\s$", re.IGNORECASE)
# What comes right before a colour's "#": a quote or "=", a custom property, a colour property's value.
COLOUR = re.compile(r"""(?:["'=]\s*|--[\w-]+\s*:\s*"""
                    r"""|(?:color|background|border|fill|stroke|outline|shadow)[\w-]*\s*:[^;{}"]*)$""", re.IGNORECASE)


# Every line one of the checks above could flag, and a few more: the checks' patterns without what
# they look at around a match, in one pass over a file (the checks then read those lines alone).
SUSPECT = re.compile(r"\.\./|/(?:work|home|Users|root|mnt|srv)(?:/|\b)|(?:shared|seed)/|library|\.md\b|#\d|"
                     rf"(?i:{TRACKER_WORD.pattern})")


def tracked_files() -> list[str]:
    """The checkout's tracked files (posix paths from the root), or a skip outside a checkout."""
    try:
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    if Path(top).resolve() != ROOT:
        pytest.skip(f"{ROOT} is not the root of a git checkout (mutmut's mutated copy)")
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [name for name in out.decode().split("\0") if name]


def text_of(path: Path) -> str | None:
    """The file's text, or None for a binary file, one that is gone, or a skipped kind."""
    if path.name.endswith(SKIPPED_SUFFIXES) or not path.is_file():
        return None
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def top_folders(files: list[str]) -> frozenset[str]:
    return frozenset(name.split("/")[0] for name in files if "/" in name)


@functools.cache
def base_names(files: frozenset[str]) -> frozenset[str]:
    return frozenset(PurePosixPath(f).name for f in files)


def outside_paths(line: str, where: str, files: frozenset[str]) -> list[str]:
    """What on ``line`` of the file at ``where`` (posix, from the root) points outside the checkout."""
    found = [m.group(1) for m in CLIMB.finditer(line)
             if os.path.normpath(PurePosixPath(where).parent / m.group(1)).startswith("..")]
    found += [m.group(0) for m in (*WORKSPACE.finditer(line), *SIBLING.finditer(line))]
    names = base_names(files)
    for m in MARKDOWN.finditer(line):
        name = m.group(1)
        here = os.path.normpath(PurePosixPath(where).parent / name)
        if name.removeprefix("./") not in files and here not in files and name not in names:
            found.append(name)
    return found


def tracker_numbers(line: str, own_folders: frozenset[str]) -> list[str]:
    """The tracker references on ``line``: ``[]`` when the line cites an upstream tracker."""
    for m in UPSTREAM.finditer(line):
        if m.group(1) not in own_folders:
            return []
    found = [m.group(0) for m in TRACKER_WORD.finditer(line)]
    for m in BARE_NUMBER.finditer(line):
        before = line[max(0, m.start() - 80):m.start()]  # a run id's or a colour's context is short
        if not (RUN_ID.search(before) or COLOUR.search(before)) and not any(m.group(0) in f for f in found):
            found.append(m.group(0))
    return found


def findings(files: list[str]) -> list[str]:
    tracked, own = frozenset(files), top_folders(files)
    out = []
    for name in files:
        text = text_of(ROOT / name)
        if text is None:
            continue
        lines = text.split("\n")
        starts = list(itertools.accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
        suspects = sorted({bisect.bisect_right(starts, m.start()) for m in SUSPECT.finditer(text)})
        for number, line in ((n, lines[n - 1]) for n in suspects):  # each line at most once, in order
            for what, hits in (("outside path", outside_paths(line, name, tracked)),
                               ("tracker number", tracker_numbers(line, own))):
                out += [f"{name}:{number}: {what} {hit!r}" for hit in hits]
    return out


def test_no_tracked_file_points_outside_the_repository_or_at_a_tracker():
    files = tracked_files()
    assert len(files) > 10, files  # the checkout was read
    problems = findings(files)
    assert not problems, "say what is meant instead:\n" + "\n".join(problems)


# --- the checks shown failing, and the allowed cases shown passing --------------------------------
# The offending strings are put together here, so this file does not trip its own check.

UP = "../"
NESTED = "docs/asgi-thread-per-request/README.md"
FILES = frozenset({"README.md", "docs/claims.md", NESTED, "bench/runner.py"})
OWN = top_folders(list(FILES))
ISSUE, HASH = "iss" + "ue", "#"


@pytest.mark.parametrize("line, where", [
    (f"see {UP}{UP}sha" + "red/notes.txt", "docs/claims.md"),
    (f"[the guide]({UP}{UP}GUIDE" + ".md)", "docs/claims.md"),
    ("read /" + "work/main/.venv first", "README.md"),
    ("cp /" + "home/me/x .", "README.md"),
    ("as se" + "ed/handover.py does", "bench/runner.py"),
    ("see ." + "library/env", "README.md"),
    ("the rules in " + "CLAIMS" + ".md", "README.md"),
    ("the rules in docs/missing" + ".md", "README.md"),
])
def test_outside_paths_are_found(line, where):
    assert outside_paths(line, where, FILES), line


@pytest.mark.parametrize("line, where", [
    (f"[claims]({UP}claims.md)", NESTED),
    (f"[top]({UP}README.md)", "docs/claims.md"),
    ("written to /tmp/asgi_tax.log, read from /proc/self/smaps_rollup", "README.md"),
    ("bench/worker_memory.py and docs/claims.md", "README.md"),
    ("the shared pool; manage.py seed", "README.md"),
    ("see claims.md and README.md", NESTED),
])
def test_paths_inside_the_checkout_pass(line, where):
    assert not outside_paths(line, where, FILES), line


@pytest.mark.parametrize("line", [
    f"-- wrk script ({ISSUE} 11): averages",
    f"fixed by {ISSUE} {HASH}20",
    f"the GIL convoy ({HASH}19)",
    f"{HASH}19: the convoy",
    "as t" + "ask 7 asked",
    "see tick" + f"et {HASH}33497",
    "PR" + f"{HASH}12 and bu" + "g 4",
    f"bench/runner.py {HASH}12",  # a folder of this repository is no upstream owner
])
def test_tracker_numbers_are_found(line):
    assert tracker_numbers(line, OWN), line


@pytest.mark.parametrize("line", [
    f"django/asgiref {HASH}223 and {HASH}224, {HASH}227 (2021)",
    f"encode/httpcore{HASH}1035 and {HASH}929",
    f"https://github.com/django/asgiref/pull/563 (and {HASH}567, open)",
    f"connections leak (Django tick" + f"et {HASH}33497)",
    f"From run {HASH}12 · quick",
    f"report of Run {HASH}7",
    ":root { --fg: " + HASH + "111827; }",
    "header { background: " + HASH + "111827; border: 1px solid " + HASH + "111; }",
    f'const PALETTE = ["{HASH}111827", "{HASH}2563eb"];',
    f"dashboard &{HASH}8599; &middot;",
    "C11 and C13, 503 and 411, a 50 ms task per request, task1 = make()",
])
def test_allowed_numbers_pass(line):
    assert not tracker_numbers(line, OWN), line
