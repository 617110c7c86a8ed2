"""Which stored run a card or a page reads: the one place that answers "the newest run that holds X".

Every finder here follows the same rule, "one run per card": among the runs it may read it takes
the one holding the most repeats of what is asked for, and the newest only among equals, so that a
quick run made after a full one never quietly replaces it. A user who picks a run (``runs``) gets
that run, whatever it holds. Reading a run's figures is ``bench.evidence.read_run`` (the runner's
planners read their own run through it too); this module only chooses.
"""
from __future__ import annotations

from django.db.models import Count, QuerySet

from bench.evidence import Evidence, read_run
from bench.experiments import Experiment, Variant
from bench.in_flight import IN_FLIGHT, Grid
from bench.models import ExperimentRun, Run
from bench.suites import LADDER_SUITES, VERDICT_SUITES


def verdict_runs(runs: QuerySet[Run] | None = None) -> QuerySet[Run]:
    """The runs a card may read: the ones given (a run the user picked), or else the completed
    runs of the suites whose runs decide claims: a smoke run proves the chain works and decides
    nothing, and an interrupted run would decide a card from whichever experiments it reached.
    An imported run is read only when picked: its file says what it likes about itself."""
    if runs is not None:
        return runs
    return Run.objects.measured_here().filter(suite__in=VERDICT_SUITES, status=Run.COMPLETED)


def reference_runs(runs: QuerySet[Run] | None = None) -> QuerySet[Run]:
    """The runs a reference card may read: the reference machine's (``Run.objects.reference()``,
    or the ``runs`` given: a bundle's own), completed, of the suites the cards read; passed to
    a card's shell as its ``runs`` explicitly."""
    return (Run.objects.reference() if runs is None else runs).filter(suite__in=VERDICT_SUITES,
                                                                      status=Run.COMPLETED)


def ladder_runs(runs: QuerySet[Run] | None = None) -> QuerySet[Run]:
    """The runs the ladders page may read: the ones given (a run the user picked), else the
    completed runs of the suites that hold ladder experiments (measured here: an imported run
    only when picked)."""
    return runs if runs is not None else Run.objects.measured_here().filter(suite__in=LADDER_SUITES,
                                                                           status=Run.COMPLETED)


def latest_evidence(experiment: Experiment | str, runs: QuerySet[Run] | None = None) -> Evidence | None:
    """The run that holds ``experiment`` with the most repeats (valid steps counted), the newest
    among equals: a newer run with fewer repeats (a quick run after a full one) never silently
    replaces a fuller one. The user can still pick any run (``runs``)."""
    name = experiment if isinstance(experiment, str) else experiment.name
    candidates = verdict_runs(runs).filter(experiments__experiment=name, experiments__steps__valid=True)
    counted = (ExperimentRun.objects.filter(run__in=candidates, experiment=name, steps__valid=True)
               .values("run", "variant_key", "variant").annotate(repeats=Count("id", distinct=True)))
    fullest: dict[int, int] = {}
    for row in counted:
        fullest[row["run"]] = max(fullest.get(row["run"], 0), row["repeats"])
    ordered = sorted(candidates.distinct().values_list("id", "started_at"),
                     key=lambda r: (fullest.get(r[0], 0), r[1], r[0]), reverse=True)
    for run_id, _ in ordered:
        evidence = read_run(name, Run.objects.get(id=run_id))
        if evidence is not None:
            return evidence
    return None


def same_run(evidence: Evidence) -> QuerySet[Run]:
    """The run ``evidence`` came from, as the ``runs`` that keep every other part of a card in it."""
    return Run.objects.filter(id=evidence.run.id)


def fullest_grid_run(runs: QuerySet[Run], spec: Grid = IN_FLIGHT) -> Run | None:
    """Among ``runs``, the one whose grid has the most repeats with a valid step, the newest among
    equals (a newer, thinner run never silently replaces a fuller one: one run per card; a repeat
    whose every cell was invalid is no repeat, as ``latest_evidence`` counts valid steps)."""
    best, best_key = None, None
    names = [r.name for r in spec.rows]
    for run in runs.filter(experiments__experiment__in=names).distinct():
        repeats = (ExperimentRun.objects.filter(run=run, experiment__in=names, steps__valid=True)
                   .values_list("repeat", flat=True).distinct().count())
        key = (repeats, run.started_at, run.id)
        if best_key is None or key > best_key:
            best, best_key = run, key
    return best


def newest_evidence(experiment: Experiment, cells: tuple[Variant, ...], runs: QuerySet[Run] | None = None
                    ) -> Evidence | None:
    """The newest ladder run's evidence for ``experiment`` in which one of ``cells`` has a valid
    step (a ladder's tables are read whole from the newest run that measured them)."""
    for run in ladder_runs(runs).filter(experiments__experiment=experiment.name).distinct().order_by(
            "-started_at", "-id"):
        ev = read_run(experiment, run)
        if ev is not None and any(ev.has(v) for v in cells):
            return ev
    return None
