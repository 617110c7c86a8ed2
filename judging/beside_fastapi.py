"""FastAPI beside Django: C3-C7 are also judged on FastAPI, the framework the source document
reasons with (the same rule and thresholds on FastAPI's own cells of the same experiment). The
verdict stays Django's, the lab's subject; FastAPI's outcome is a second badge with its scopes."""
from __future__ import annotations

from bench import experiments as X
from bench.evidence import Evidence
from bench.suites import SUITES
from judging.core import (INCONCLUSIVE, Beside, Judged, Rule, Scope, Verdict)
from judging.measures import provenance


# --- FastAPI beside Django ------------------------------------------------------------------
# C3-C7 are also judged on FastAPI, the framework the source document reasons with: the same
# rule, the same thresholds, on FastAPI's own cells of the same experiment. The verdict stays
# Django's (the lab's subject); FastAPI's outcome is shown beside it, with its scopes.

SAME_RULE = (" FastAPI on the same Uvicorn is judged by the same rule on its own cells and shown beside "
             "the verdict, which is Django's.")


def needs_command(claim: str, variants) -> str:
    """The command that produces ``variants``' data: the quick suite when it runs them all."""
    quick = {v for e in SUITES["quick"] for v in e.variants}
    return f"manage.py bench --suite {'quick' if set(variants) <= quick else 'full'} --only {claim}"


def two_frameworks(claim: str, rule: Rule, ev: Evidence | None, django: Judged, fastapi: Judged,
                   fastapi_variants, django_repeats: int | None = None, **kw) -> Verdict:
    """The verdict from Django's outcome, FastAPI's beside it: a second badge, its scopes
    prefixed "FastAPI", its figures after Django's; missing data says what to run. A Django outcome
    judged without scopes (C4, C7) becomes one scope resting on ``django_repeats``, the thinnest of
    Django's cells, so that one deployment measured once makes the verdict provisional."""
    base = provenance(ev) if ev else {}
    needs = f"manage.py bench --suite quick --only {claim}" if django.outcome == INCONCLUSIVE else ""
    verdict = Verdict(claim, django.outcome, rule.render(), django.why, django.figures + fastapi.figures,
                      scopes=list(django.scopes) or [Scope("Django", django.outcome, django.why, django_repeats)],
                      needs=needs, **kw, **base)
    fastapi_needs = needs_command(claim, fastapi_variants) if fastapi.outcome == INCONCLUSIVE else ""
    verdict.beside.append(Beside("FastAPI", fastapi.outcome, fastapi.why, fastapi_needs))
    verdict.scopes.append(Scope("FastAPI", fastapi.outcome, fastapi.why + (f" (run: {fastapi_needs})"
                                                                          if fastapi_needs else "")))
    verdict.scopes += [Scope(f"FastAPI: {s.name}", s.outcome, s.why) for s in fastapi.scopes]
    return verdict


def judge_both(claim: str, rule: Rule, experiment: X.Experiment, ev: Evidence | None, judge, cells,
                present) -> Verdict:
    """``judge(ev, cells, name)`` -> (Judged, what the chart needs) for Django's cells and FastAPI's
    (``cells``: the pair, FastAPI's with its variants for the command); ``present(django_extra,
    fastapi_extra)`` -> the Verdict's chart and note."""
    (django_cells, fastapi_cells, fastapi_variants) = cells
    if ev is None:
        return nothing_yet(claim, rule, experiment, fastapi_variants)
    django, django_extra = judge(ev, django_cells, "Django")
    fastapi, fastapi_extra = judge(ev, fastapi_cells, "FastAPI")
    measured = [len(ev.get(v)) for v in variants_of(django_cells) if ev.has(v)]
    return two_frameworks(claim, rule, ev, django, fastapi, fastapi_variants, min(measured, default=None),
                          **present(django_extra, fastapi_extra))


def variants_of(cells) -> tuple[X.Variant, ...]:
    """A framework's cells as variants: one variant, a tuple of them, or a cells record's ``variants``."""
    if isinstance(cells, X.Variant):
        return (cells,)
    return tuple(getattr(cells, "variants", cells))


def role_of(variant: X.Variant) -> str:
    """What a cell is, alike on either framework ("io/sleep"): the chart's category (``Variant.role``)."""
    return variant.role or variant.label


def nothing_yet(claim: str, rule: Rule, experiment: X.Experiment, fastapi_variants) -> Verdict:
    """No run holds the experiment: both frameworks inconclusive, each with what to run."""
    return two_frameworks(claim, rule, None, Judged(INCONCLUSIVE, f"no valid data yet for {experiment.name}"),
                           Judged(INCONCLUSIVE, "no FastAPI data yet"), fastapi_variants)
