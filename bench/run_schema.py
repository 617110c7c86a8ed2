"""The shape of a run export (``djlab-run/1``), checked whole before one row is stored.

An export file may come from another machine or another person, so nothing in it is trusted:
every row kind lists its keys, types and sizes (the model's own column limits), and any other
key is refused. Database ids (``id``, ``run_id``, ``step_id``, ``experiment_id``) are such
keys: rows are linked by nesting alone, so an import can only ever create new rows under the
new run. JSON columns are checked to be plain JSON that PostgreSQL stores (finite numbers, no
NUL character), and the parts the pages read by key (histograms, Server-Timing, open-loop
summaries, loop lag, the deployment, the whoami, coroutine and sweep observations) are typed
down to the values read, so an imported run cannot make the pages that read it fail. Left
plain: the fault and overload records in ``observations``, read by the reliability page only,
which never reads an imported run.
"""
from __future__ import annotations

import datetime as dt
import math
import reprlib
import uuid
from typing import Annotated, Literal

from hdrh.histogram import HdrHistogram
from pydantic import (AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, JsonValue, ValidationError,
                      model_validator)

from bench.models import ExperimentRun, Run

FORMAT = "djlab-run/1"
MAX_BYTES = 100 * 2**20  # runs measured on the development machine exported to 1.5-4 MB each
MAX_TEXT = 100_000  # characters of one free-text column (a command line, an error, a note)
MAX_JSON_DEPTH = 32
CLOCK_SKEW = dt.timedelta(days=1)  # a run may start this far after the import: another machine's clock


def _plain_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("PostgreSQL cannot store the NUL character")
    return value


def _plain_json(value, depth: int = 0):
    """JSON as PostgreSQL's jsonb takes it: finite numbers, no NUL, bounded nesting."""
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("numbers must be finite (no NaN or Infinity)")
    if isinstance(value, str):
        _plain_text(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _plain_text(key)
            _plain_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _plain_json(item, depth + 1)
    return value


def Str(max_length: int = MAX_TEXT):  # noqa: N802 (a type, spelled like one)
    return Annotated[str, Field(max_length=max_length), AfterValidator(_plain_text)]


Count = Annotated[int, Field(ge=0, le=2**31 - 1)]  # PositiveIntegerField
Big = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]  # BigIntegerField
Number = Annotated[float, Field(allow_inf_nan=False)]
Ms = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Json = Annotated[dict[str, JsonValue], AfterValidator(_plain_json)]


def _bucket(key: str) -> str:
    """A histogram bucket: a duration the pages read with ``float()``."""
    try:
        value = float(key)
    except ValueError:
        raise ValueError(f"a histogram bucket must be a number, got {key[:40]!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"a histogram bucket must be a finite duration, got {key[:40]!r}")
    return key


# Locust-style buckets, as the recorder stores them: {"12": 40, "130": 2}
Histogram = dict[Annotated[str, Field(max_length=32), AfterValidator(_bucket)], Count]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Blob(BaseModel):
    """A JSON column: the keys the pages read are typed, others are kept as plain JSON."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)

    @model_validator(mode="after")
    def _extra_is_plain(self):
        _plain_json(self.model_extra or {})
        return self


def _hdr(text: str) -> str:
    """An encoded HdrHistogram the front page can decode and merge."""
    try:
        HdrHistogram.decode(text)
    except Exception:  # noqa: BLE001 (hdrh raises several kinds on a bad encoding)
        raise ValueError("not an encoded HdrHistogram") from None
    return text


class _Percentiles(_Blob):
    count: Count = 0
    max_ms: Ms | None = None
    p50: Ms | None = None
    p90: Ms | None = None
    p95: Ms | None = None
    p99: Ms | None = None
    p999: Ms | None = None


class TimingDoc(_Percentiles):
    """One ``Server-Timing`` metric of an endpoint (``loadtests/_recorder.py``)."""

    sum_ms: Ms = 0.0
    avg_ms: Ms | None = None
    histogram_us: Histogram = {}


class HdrSummaryDoc(_Percentiles):
    """One of an open-loop step's three HdrHistograms (``loadtests/_hdr.py``)."""

    mean_ms: Ms | None = None
    hdr: Annotated[str, Field(max_length=10 * 2**20), AfterValidator(_hdr)] | None = None


class OpenLoopDoc(_Blob):
    """``Step.open_loop``: empty on a closed-loop step."""

    rate: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    dropped: Count = 0
    dropped_late: Count = 0
    started: Count = 0
    corrected: HdrSummaryDoc | None = None
    uncorrected: HdrSummaryDoc | None = None
    lag: HdrSummaryDoc | None = None


class QualityDoc(_Blob):
    """``Step.quality`` (``bench/step_quality.py``): empty on steps stored before it existed."""

    completions: Count = 0
    seconds: Count = 0
    rps_mean: Number | None = None
    rps_ci_pct: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    halves_change_pct: Number | None = None
    generator_core_busy_pct: Number | None = None
    generator_core_peak_pct: Number | None = None
    generator_process_peak_pct: Number | None = None
    generator_runqueue_pct: Number | None = None
    worker_cpu_least_share_pct: Number | None = None
    resolve_pct: Number | None = None
    measured_for_s: Number | None = None
    imprecise: bool | None = None
    stationary: bool | None = None


class DeploymentDoc(_Blob):
    """``ExperimentRun.deployment`` (``Deployment.as_dict``): what the pages read of it."""

    workers: Count | None = None
    interface: Str(10) | None = None
    label: Str(400) = ""


class ContextDoc(_Blob):
    """One (pid, loop, thread) context whoami answered from (``bench.runner.observe_whoami``)."""

    pid: Count
    loop_id: int | None
    is_main_thread: bool
    thread_names: Annotated[list[Str(200)], Field(max_length=100)]
    switch_interval_s: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None


class WhoamiDoc(_Blob):
    contexts: Annotated[list[ContextDoc], Field(max_length=10_000)] = []


class CoroutinesDoc(_Blob):
    """One io/gather observation (``bench.runner.observe_coroutines``): its USS figures, or its error."""

    n: Count
    uss_before: Big | None = None
    uss_during: Big | None = None
    error: Str() | None = None

    @model_validator(mode="after")
    def _figures_or_error(self):
        if self.error is None and (self.uss_before is None or self.uss_during is None):
            raise ValueError("uss_before and uss_during, or an error")
        return self


class SweepRowDoc(_Blob):
    configuration: Str(400)
    median: Number | None = None


class ConfigurationDoc(_Blob):
    """What a curve's sweep decided (``bench.curves``), as the front page reads it; an overload
    record's own keys (``bench.overload``) stay plain JSON."""

    best: Str(400) | None = None
    default: Str(400) | None = None
    saturated_rps: Number | None = None
    generator_limited: bool = False
    sweep: Annotated[list[SweepRowDoc], Field(max_length=1_000)] = []


class ObservationsDoc(_Blob):
    """``ExperimentRun.observations``: the parts the claim cards and the front page read are
    typed; fault records stay plain JSON (see the module's note)."""

    api: WhoamiDoc = Field(default_factory=WhoamiDoc, alias="/api")
    async_views: WhoamiDoc = Field(default_factory=WhoamiDoc, alias="/async")
    sync_views: WhoamiDoc = Field(default_factory=WhoamiDoc, alias="/sync")
    coroutines: Annotated[list[CoroutinesDoc], Field(max_length=1_000)] = []
    configuration: ConfigurationDoc = Field(default_factory=ConfigurationDoc)


class OptionsDoc(_Blob):
    """``Run.options``: how the runner was called."""

    repeat: Annotated[int, Field(ge=1, le=1_000)] = 1


class EndpointDoc(_Row):
    name: Str(120)
    method: Str(10)
    requests: Count
    failures: Count
    rps: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    avg_ms: Ms | None
    p50: Ms | None
    p90: Ms | None
    p95: Ms | None
    p99: Ms | None
    p999: Ms | None
    max_ms: Ms | None
    histogram: Histogram = {}
    server_timing: dict[Str(120), TimingDoc] = {}


class FailureDoc(_Row):
    name: Str(120)
    method: Str(10)
    error: Str()
    count: Count


class TimePointDoc(_Row):
    t: Number
    name: Str(120)
    requests: Count
    failures: Count
    p50: Ms | None
    p99: Ms | None


class SampleDoc(_Row):
    step_index: Annotated[int, Field(ge=-(2**31), le=2**31 - 1)] | None
    t: Number
    processes: Count
    cpu_percent: Number
    rss_bytes: Big
    uss_bytes: Big
    pss_bytes: Big = 0
    vms_bytes: Big = 0
    threads: Count
    ctx_voluntary: Big
    ctx_involuntary: Big
    open_files: Count
    db_connections: Annotated[int, Field(ge=-(2**31), le=2**31 - 1)] | None
    loop_lag_ms: dict[Str(40), Ms] = {}
    thread_starts: Big | None = None


class StepDoc(_Row):
    index: Count
    users: Count
    arrival_rate: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0
    started_at: AwareDatetime
    measured_s: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    valid: bool
    invalid_reason: Str()
    invalid_kind: Literal["", "generator", "failures", "nothing", "error"] = ""
    generator_cpu_max_process: Number
    generator_cpu_total: Number
    generator_processes: Count = 1
    open_loop: OpenLoopDoc = Field(default_factory=OpenLoopDoc)
    quality: QualityDoc = Field(default_factory=QualityDoc)
    endpoints: Annotated[list[EndpointDoc], Field(max_length=1_000)]
    failures: Annotated[list[FailureDoc], Field(max_length=10_000)]
    timeseries: Annotated[list[TimePointDoc], Field(max_length=1_000_000)]


class ExperimentDoc(_Row):
    claim: Str(8)
    experiment: Str(80)
    variant: Str(120)
    # ``Variant.key``; a file exported before keys were has none, and the import derives it
    # (``bench.store.import_run``). Taken as given otherwise: a file may hold runs of variants this
    # catalogue no longer defines, as trustworthy as its labels are.
    variant_key: Annotated[str, Field(max_length=64, pattern=r"^[0-9a-f]*$")] = ""
    repeat: Count
    deployment: DeploymentDoc | None
    command_line: Str()
    target: Str(200)
    scenario: Str(200)
    params: Json
    status: Literal[ExperimentRun.COMPLETED, ExperimentRun.ABORTED, ExperimentRun.FAILED, ExperimentRun.OUT_OF_SCOPE]
    error: Str()
    observations: ObservationsDoc
    started_at: AwareDatetime
    finished_at: AwareDatetime | None
    steps: Annotated[list[StepDoc], Field(max_length=10_000)]
    samples: Annotated[list[SampleDoc], Field(max_length=1_000_000)]

    @model_validator(mode="after")
    def _one_step_per_index(self):
        indexes = [s.index for s in self.steps]
        if len(set(indexes)) != len(indexes):
            raise ValueError("two steps share an index")
        return self


class RunDoc(_Row):
    format: Literal[FORMAT]
    uid: uuid.UUID
    suite: Str(40)
    status: Literal[Run.RUNNING, Run.COMPLETED, Run.PARTIAL, Run.ABORTED]
    started_at: AwareDatetime
    finished_at: AwareDatetime | None
    options: OptionsDoc
    environment: Json
    note: Str()
    experiments: Annotated[list[ExperimentDoc], Field(max_length=10_000)]

    @model_validator(mode="after")
    def _dates_make_sense(self):
        if self.started_at > dt.datetime.now(dt.timezone.utc) + CLOCK_SKEW:
            raise ValueError(f"started_at {self.started_at.isoformat()} is in the future")
        if self.finished_at is not None and self.finished_at < self.started_at:
            raise ValueError("finished_at is before started_at")
        return self


def parse(raw: bytes | str) -> RunDoc:
    """The document, checked; ``ValueError`` with one line saying what is wrong otherwise."""
    if len(raw) > MAX_BYTES:
        raise ValueError(f"larger than {MAX_BYTES // 2**20} MiB")
    try:
        return RunDoc.model_validate_json(raw)
    except ValidationError as exc:
        raise ValueError(describe(exc)) from None


_short = reprlib.Repr(maxstring=60, maxother=60)
_PLAIN_WORDS = {"extra_forbidden": "unknown key (rows link by nesting; ids are never imported)",
                "missing": "missing key", "json_invalid": "not JSON"}


def describe(exc: ValidationError) -> str:
    """The first problem, where it is and what was found, and how many others there are."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    where = "".join(f"[{p}]" if isinstance(p, int) else p if p == "[key]" else f".{p}"
                    for p in first["loc"]).lstrip(".") or "document"
    what = _PLAIN_WORDS.get(first["type"], first["msg"].removeprefix("Value error, "))
    if first["type"] == "json_invalid":
        what = f"not JSON ({first['ctx']['error']})" if "ctx" in first else what
    elif first["type"] not in ("missing", "extra_forbidden") and not isinstance(first["input"], (dict, list)):
        what += f", got {_short.repr(first['input'])}"
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"{where}: {what}{more}"
