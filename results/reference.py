"""The reference bundle: runs measured on the maintainers' machines, shipped in the repository
(``reference/runs.json.xz``), imported by ``make demo`` and shown beside the user's own runs,
labelled "reference machine"; ``docs/findings.md`` is generated from it (``manage.py findings``).

One file, format ``djlab-reference/2``: ``{"format", "machines", "runs"}``, where ``runs`` are run
exports (``djlab-run/1``, ``bench.store.export_run``) whole, raw histograms and samples included
(every card is recomputed from them), oldest first, and ``machines`` the hardware they were
measured on, each run on one of them (its own environment says which, and keeps its versions,
pinning and commit). Every card reads one run, so it speaks for one machine, which it names; the
maintainers' sessions do not always get the same virtual machine, so a bundle may hold several
(``djlab-reference/1`` files, of one ``machine``, still read). Written as sorted, compact JSON
compressed with xz, so the same runs always give the same bytes.

Runs are keyed by their uid: adding a run the bundle holds replaces it, and importing skips every
run already in the store, so importing twice changes nothing.
"""
from __future__ import annotations

import json
import lzma
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from bench import run_schema, store
from bench.models import Run
from groundwork.database import BASE_DIR

BUNDLE_FORMAT = "djlab-reference/2"
ONE_MACHINE_FORMAT = "djlab-reference/1"  # read, never written: ``machine`` instead of ``machines``
REFERENCE_BUNDLE = BASE_DIR / "reference" / "runs.json.xz"
MAX_RUNS = 100
MAX_UNPACKED = MAX_RUNS * run_schema.MAX_BYTES  # an xz file can unpack to far more than its size: bounded
# What makes two runs "the same machine". Versions may change between runs of one machine.
MACHINE_KEYS = ("cpu_model", "cpu_count", "memory_bytes", "kernel")


class BundleError(ValueError):
    pass


class MachineDoc(BaseModel):
    """The hardware runs of the bundle were measured on (``bench.environment.capture``)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    cpu_model: run_schema.Str(200)
    cpu_count: Annotated[int, Field(ge=1, le=100_000)]
    memory_bytes: Annotated[int, Field(ge=0)]
    kernel: run_schema.Str(200)


class BundleDoc(BaseModel):
    """The bundle's envelope; each run is checked by ``bench.run_schema`` when it is imported."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    format: Literal[BUNDLE_FORMAT]
    machines: Annotated[list[MachineDoc], Field(min_length=1, max_length=MAX_RUNS)]
    runs: Annotated[list[dict[str, JsonValue]], Field(max_length=MAX_RUNS)]


class OneMachineBundleDoc(BaseModel):
    """A ``djlab-reference/1`` envelope: every run on its one ``machine``."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    format: Literal[ONE_MACHINE_FORMAT]
    machine: MachineDoc
    runs: Annotated[list[dict[str, JsonValue]], Field(max_length=MAX_RUNS)]


def machine_of(environment: dict) -> dict:
    """A run's machine, as a bundle records it (``MACHINE_KEYS`` of its environment)."""
    return {key: environment.get(key) for key in MACHINE_KEYS}


def describe_machine(environment: dict) -> str:
    """One line for a page: the CPU, its cores, the memory and the kernel."""
    memory = environment.get("memory_bytes")
    gib = f"{memory / 2**30:.1f} GiB memory" if isinstance(memory, int) else "memory unknown"
    return (f"{environment.get('cpu_model', 'unknown CPU')}, {environment.get('cpu_count', '?')} cores, {gib}, "
            f"Linux {environment.get('kernel', '?')}")


def describe_software(environment: dict) -> str:
    """One line: the versions a run was measured with, and its commit."""
    packages = environment.get("packages") or {}
    postgres = (environment.get("postgres") or {}).get("version", "?")
    git = environment.get("git") or {}
    commit = (git.get("commit") or "?")[:12] + (" (dirty)" if git.get("dirty") else "")
    return (f"Python {environment.get('python', '?')}, Django {packages.get('Django', '?')}, "
            f"PostgreSQL {postgres}, commit {commit}")


@dataclass(frozen=True)
class Bundle:
    machines: tuple[dict, ...]  # in the order their first run joined
    runs: tuple[dict, ...]  # run exports, oldest first

    @property
    def uids(self) -> list[str]:
        return [r["uid"] for r in self.runs]

    def as_dict(self) -> dict:
        return {"format": BUNDLE_FORMAT, "machines": list(self.machines), "runs": list(self.runs)}

    def machine_of_run(self, export: dict) -> int:
        """The index in ``machines`` of the machine ``export`` was measured on."""
        return self.machines.index(machine_of(export["environment"]))

    def with_run(self, export: dict) -> Bundle:
        """The bundle with ``export`` added (replacing the run of the same uid), oldest first, and
        its machine added when the bundle holds no run of it yet. Only a machine that records
        every figure a bundle describes a machine by may join."""
        machine = machine_of(export["environment"])
        try:
            MachineDoc.model_validate(machine)
        except ValidationError as exc:
            raise BundleError(f"run {export['uid']} does not record its machine: {run_schema.describe(exc)}") from None
        runs = [r for r in self.runs if r["uid"] != export["uid"]] + [export]
        held = [m for m in self.machines if any(machine_of(r["environment"]) == m for r in runs)]
        machines = tuple(held + ([machine] if machine not in held else []))
        return Bundle(machines, tuple(sorted(runs, key=lambda r: (r["started_at"], r["uid"]))))


def exportable(run: Run) -> dict:
    """``run``'s export, if it may go into a reference: completed, and measured on this machine."""
    if run.imported:
        raise BundleError(f"run {run.id} was imported ({run.imported_from}): a reference holds runs measured "
                             "on the machine it describes")
    if run.status != Run.COMPLETED:
        raise BundleError(f"run {run.id} is {run.get_status_display()}: only a completed run decides a card")
    return store.export_run(run)


def make(runs: list[Run]) -> Bundle:
    if not runs:
        raise BundleError("a bundle needs at least one run")
    exports = [exportable(r) for r in runs]
    bundle = Bundle((), ())
    for export in exports:
        bundle = bundle.with_run(export)
    return bundle


def pack(bundle: Bundle) -> bytes:
    """The file's bytes: the same bundle always gives the same bytes (sorted keys, no timestamps)."""
    text = json.dumps(bundle.as_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return lzma.compress(text.encode(), preset=9 | lzma.PRESET_EXTREME)


def unpack(raw: bytes) -> Bundle:
    """The bundle in ``raw``, its envelope checked and every run on one of its machines;
    ``BundleError`` saying what is wrong otherwise."""
    decompressor = lzma.LZMADecompressor()
    try:
        text = decompressor.decompress(raw, max_length=MAX_UNPACKED)
    except lzma.LZMAError as exc:
        raise BundleError(f"not an xz file ({exc})") from None
    if not decompressor.eof:
        raise BundleError(f"unpacks to more than {MAX_UNPACKED // 2**20} MiB, or is cut short")
    try:
        one_machine = json.loads(text).get("format") == ONE_MACHINE_FORMAT
    except (ValueError, AttributeError):
        one_machine = False
    try:
        checked = (OneMachineBundleDoc if one_machine else BundleDoc).model_validate_json(text)
    except ValidationError as exc:
        raise BundleError(run_schema.describe(exc)) from None
    machines = [checked.machine.model_dump()] if one_machine else [m.model_dump() for m in checked.machines]
    if any(machines.count(m) > 1 for m in machines):
        raise BundleError("a machine is listed twice")
    for run in checked.runs:
        environment = run.get("environment")
        if not isinstance(environment, dict) or machine_of(environment) not in machines:
            raise BundleError(f"run {run.get('uid')!r} does not say it was measured on one of the bundle's machines")
    uids = [str(r.get("uid")) for r in checked.runs]
    if len(set(uids)) != len(uids):
        raise BundleError("two runs share a uid")
    return Bundle(tuple(machines), tuple(checked.runs))


def read(path: Path = REFERENCE_BUNDLE) -> Bundle:
    with open(path, "rb") as f:
        return unpack(f.read(MAX_UNPACKED + 1))


@dataclass(frozen=True)
class Imported:
    uid: str
    run: Run
    new: bool  # False: the store held it already (imported before, or measured here)


def import_bundle(bundle: Bundle, source: str = REFERENCE_BUNDLE.name) -> list[Imported]:
    """Store every run of the bundle the store does not hold yet, marked as the reference
    machine's (``Run.is_reference``); the others are left as they are."""
    done = []
    for export in bundle.runs:
        try:
            uid = str(uuid.UUID(str(export.get("uid"))))
        except ValueError:
            raise BundleError(f"run uid {str(export.get('uid'))[:40]!r} is not a uuid") from None
        held = Run.objects.filter(uid=uid).first()
        if held is not None:
            done.append(Imported(uid, held, False))
            continue
        try:
            run = store.import_run(json.dumps(export), source=source, reference=True)
        except store.RunImportError as exc:
            raise BundleError(f"run {uid}: {exc}") from None
        done.append(Imported(uid, run, True))
    return done


def runs_of(bundle: Bundle):
    """The store's runs the bundle holds (after ``import_bundle``)."""
    return Run.objects.filter(uid__in=bundle.uids)
