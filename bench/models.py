"""The results store. Everything a dashboard or a verdict needs is here, as measured:
nothing is summarised away (histograms are kept whole, samples are kept raw).

Run ─< ExperimentRun (one experiment x one variant x one repeat) ─< Step ─< EndpointStat
                                                                  │        ├< Failure
                                                                  │        └< TimePoint
                                                                  └< ServerSample
"""
import uuid

from django.db import models

from bench.observations import Observations

# How ``Run.imported_from`` begins for a run imported from the repository's reference bundle
# (``results.reference``), and for no other: ``bench.store.import_run`` writes it only when told the
# run is a reference run, and refuses a file name that begins with it.
REFERENCE_MARK = "reference machine: "


class RunQuerySet(models.QuerySet):
    def measured_here(self) -> "RunQuerySet":
        """The runs this lab recorded itself. An imported run comes from a file anyone may have
        written (its suite, status and dates included), so pages read it only when a user picks it."""
        return self.filter(imported_from="")

    def reference(self) -> "RunQuerySet":
        """The runs imported from the reference bundle the repository ships (measured on the
        maintainers' machine): shown beside the user's own, labelled, never mixed with them."""
        return self.filter(imported_from__startswith=REFERENCE_MARK)


class Run(models.Model):
    # PARTIAL: every planned experiment was tried, and at least one of them failed (its error is on
    # its ExperimentRun); not evidence for a verdict, which wants a COMPLETED run.
    RUNNING, COMPLETED, PARTIAL, ABORTED = "running", "completed", "partial", "aborted"
    STATUSES = [(RUNNING, "running"), (COMPLETED, "completed"), (PARTIAL, "completed with failures"),
                (ABORTED, "aborted")]

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    suite = models.CharField(max_length=40)
    status = models.CharField(max_length=20, choices=STATUSES, default=RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True)
    options = models.JSONField(default=dict)  # how the runner was called
    environment = models.JSONField(default=dict)  # machine, versions, pinning, commit
    note = models.TextField(blank=True)  # why it was aborted, what was missing
    # Empty for a run measured here; for an imported one, where it came from: the file's name, the
    # run's uid in the file and when it was imported (bench.store.import_run).
    imported_from = models.CharField(max_length=400, blank=True, default="")
    # The process running it (bench.runner_process.RunnerProcess), so that the next runner can tell a
    # "running" run whose runner died unannounced; local to this machine, never exported.
    runner = models.JSONField(default=dict)

    objects = RunQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]

    @property
    def imported(self) -> bool:
        return bool(self.imported_from)

    @property
    def is_reference(self) -> bool:
        return self.imported_from.startswith(REFERENCE_MARK)


class ExperimentRun(models.Model):
    COMPLETED, ABORTED, FAILED = "completed", "aborted", "failed"
    # declared before it ran: the cell cannot decide anything on this machine (its error says why)
    OUT_OF_SCOPE = "out_of_scope"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="experiments")
    claim = models.CharField(max_length=8)
    experiment = models.CharField(max_length=80)
    variant = models.CharField(max_length=120)  # its label when it ran, for people; may be reworded since
    # What the variant is (``Variant.key``, ``bench.variant_keys``): the readers find its runs by this.
    # Empty for a run of no catalogue variant (a Locust web UI run, a variant since removed or redefined):
    # such a run is still found by its label.
    variant_key = models.CharField(max_length=64, blank=True, default="", db_index=True)
    repeat = models.PositiveIntegerField(default=0)
    deployment = models.JSONField(null=True)  # None when benching an external --target
    command_line = models.TextField(blank=True)
    target = models.CharField(max_length=200)
    scenario = models.CharField(max_length=200)
    params = models.JSONField(default=dict)  # the scenario's knobs
    status = models.CharField(max_length=20, default=COMPLETED)
    error = models.TextField(blank=True)
    observations = models.JSONField(default=dict)  # e.g. whoami samples for C4/C7; read through ``observed``
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["id"]

    @property
    def observed(self) -> Observations:
        """``observations`` as one typed record (``bench.observations``), parsed once, and again only
        when the column is given a new value."""
        raw = self.observations
        cached = self.__dict__.get("_observed")
        if cached is None or cached[0] is not raw:
            cached = self.__dict__["_observed"] = (raw, Observations.parse(raw))
        return cached[1]


class Step(models.Model):
    experiment = models.ForeignKey(ExperimentRun, on_delete=models.CASCADE, related_name="steps")
    index = models.PositiveIntegerField()
    users = models.PositiveIntegerField()
    arrival_rate = models.FloatField(default=0.0)  # target requests/s: paced users, or an open loop's offered rate
    started_at = models.DateTimeField()
    measured_s = models.FloatField()
    valid = models.BooleanField(default=True)
    invalid_reason = models.TextField(blank=True)
    # bench.validity.InvalidKind: why, as data ("generator", "failures", "nothing", "error"; "" when valid)
    invalid_kind = models.CharField(max_length=20, blank=True, default="")
    generator_cpu_max_process = models.FloatField()  # % of one core, busiest Locust process
    generator_cpu_total = models.FloatField()
    generator_processes = models.PositiveIntegerField(default=1)
    # An open-loop step (loadtests/_open_loop.py), else empty: {"rate", "arrivals", "max_in_flight",
    # "max_lag_ms", "started", "dropped", "corrected", "uncorrected", "lag"}; each of the last three
    # {"count", "mean_ms", "max_ms", "p50".."p999" (ms), "hdr"}: the whole HdrHistogram in µs, encoded.
    open_loop = models.JSONField(default=dict)
    # bench.step_quality.StepQuality.as_dict(): completions, the throughput's batch-means interval,
    # the change between the window's halves, the generator's core; empty for steps stored before it
    quality = models.JSONField(default=dict)

    class Meta:
        ordering = ["experiment_id", "index"]


class EndpointStat(models.Model):
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="endpoints")
    name = models.CharField(max_length=120)
    method = models.CharField(max_length=10)
    requests = models.PositiveIntegerField()
    failures = models.PositiveIntegerField()
    rps = models.FloatField()
    avg_ms = models.FloatField(null=True)
    p50 = models.FloatField(null=True)
    p90 = models.FloatField(null=True)
    p95 = models.FloatField(null=True)
    p99 = models.FloatField(null=True)
    p999 = models.FloatField(null=True)
    max_ms = models.FloatField(null=True)
    # Successful requests only (so are rps, avg_ms, the percentiles and max_ms); Locust's
    # buckets: ms rounded to 1 below 100 ms, to 10 below 1 s, to 100 above.
    histogram = models.JSONField(default=dict)
    # The responses' Server-Timing header, per metric, over successful requests: {"parse": {"count",
    # "sum_ms", "avg_ms", "max_ms", "p50", "p90", "p95", "p99", "p999" (ms), "histogram_us"}}; the
    # histogram in µs, rounded as above (1 µs below 100 µs, 10 below 1 ms, 100 below 10 ms, 1 ms above).
    server_timing = models.JSONField(default=dict)

    class Meta:
        ordering = ["step_id", "name"]


class Failure(models.Model):
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="failures")
    name = models.CharField(max_length=120)
    method = models.CharField(max_length=10)
    error = models.TextField()
    count = models.PositiveIntegerField()

    class Meta:
        ordering = ["step_id", "name", "error"]


class TimePoint(models.Model):
    """One second of one endpoint in one step."""

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="timeseries")
    t = models.FloatField()  # seconds since the measured window began
    name = models.CharField(max_length=120)
    requests = models.PositiveIntegerField()
    failures = models.PositiveIntegerField()
    p50 = models.FloatField(null=True)
    p99 = models.FloatField(null=True)

    class Meta:
        ordering = ["step_id", "t", "name"]


class ServerSample(models.Model):
    """The server's whole process tree, about twice a second."""

    experiment = models.ForeignKey(ExperimentRun, on_delete=models.CASCADE, related_name="samples")
    step_index = models.IntegerField(null=True)  # the step whose measured window holds it; None otherwise
    t = models.FloatField()  # seconds since the experiment began
    processes = models.PositiveIntegerField()
    cpu_percent = models.FloatField()  # sum over the tree, 100 = one core
    rss_bytes = models.BigIntegerField()
    uss_bytes = models.BigIntegerField()
    pss_bytes = models.BigIntegerField(default=0)  # shared pages split among their sharers (copy-on-write)
    vms_bytes = models.BigIntegerField(default=0)  # virtual size: thread stacks are reserved here
    threads = models.PositiveIntegerField()
    ctx_voluntary = models.BigIntegerField()  # cumulative, as the kernel counts them
    ctx_involuntary = models.BigIntegerField()
    open_files = models.PositiveIntegerField()
    db_connections = models.IntegerField(null=True)
    loop_lag_ms = models.JSONField(default=dict)  # {pid: lag} for each ASGI worker
    # threads started so far by the counted processes (config.thread_starts), summed; null: not counted
    thread_starts = models.BigIntegerField(null=True)

    class Meta:
        ordering = ["experiment_id", "t"]
