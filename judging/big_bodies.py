"""C6: a 5 MB body in an async view, read and parsed three ways (orjson against json, the parse
offloaded against inline, a chunked read against a buffered one), each at every concurrency level."""
from __future__ import annotations

from bench import experiments as X
from bench.evidence import Evidence
from judging.core import (DECIDED, INCONCLUSIVE, SUPPORTED, Figure, Judged, Rule, Scope, Verdict, banded, bar,
                          classify_repeats, combine, median, paired, possible_outcomes, ratio)
from judging.beside_fastapi import SAME_RULE, judge_both, role_of
from judging.measures import MiB, listed_ratios, main_rps, p99_of, per_repeat


# --- C6 -------------------------------------------------------------------------------------

C6_RULE = Rule(
    "5 MB bodies on one Uvicorn worker, at each concurrency level. Three parts: orjson parses faster (the "
    "parse time the server measured, json / orjson inline, >= {orjson}x); offloading the parse frees the loop "
    "(probe p99 with the json parse inline / offloaded >= {offload}x); reading the body in chunks saves memory "
    "(peak USS buffered / chunked, each on a fresh server, >= {memory}x). At each level the ratio is taken "
    "repeat by repeat: the level holds when every repeat clears the line, fails when none does, and is "
    "inconclusive when they straddle it. A part holds if it holds at every level, fails if it fails at every "
    "level, holds partly otherwise. Supported if all three hold, refuted if none, partly if some do; "
    "missing or straddling data never decides." + SAME_RULE,
    {"orjson": 1.2, "offload": 1.5, "memory": 1.2})

C6_NOTE = ("Django's ASGI handler reads the whole request body into a spooled temporary file (memory up to "
           "2.5 MiB, then disk) before the view runs; the 'stream' variant reads that spool in 64 KiB chunks, "
           "not the socket. What it can save is the second, in-memory copy a buffered read makes. FastAPI's "
           "stream variant reads request.stream(): the socket, chunk by chunk, as the body arrives, with no copy "
           "made before the endpoint runs; the upload's first-chunk time (Server-Timing) shows the difference.")


def _c6(ev: Evidence, cells: X.C6Cells, name: str) -> tuple[Judged, dict[str, float | None]]:
    """One framework's C6 outcome over its three parts, and the probe p99 per cell at the top level."""
    json_inline, json_off = cells.json.get(("json", 0)), cells.json.get(("json", 1))
    orjson_inline = cells.json.get(("orjson", 0))
    at = lambda v, u: ev.at(v, u) if v else []  # noqa: E731  (a framework may omit a cell)
    parse = lambda m: m.server_timing("json", "parse")  # noqa: E731
    uss = lambda m: m.peak("uss_bytes")  # noqa: E731
    parts = {
        "orjson faster": (C6_RULE["orjson"], lambda u: (per_repeat(at(json_inline, u), parse),
                                                        per_repeat(at(orjson_inline, u), parse))),
        "offload frees the loop": (C6_RULE["offload"], lambda u: (per_repeat(at(json_inline, u), p99_of("probe")),
                                                                  per_repeat(at(json_off, u), p99_of("probe")))),
        "chunked read saves memory": (C6_RULE["memory"], lambda u: (per_repeat(at(cells.upload_buffer, u), uss),
                                                                    per_repeat(at(cells.upload_stream, u), uss))),
    }
    levels = sorted(set().union(*(ev.users_levels(v) for v in cells.variants)))
    figures, scopes = [], []
    for part, (needed, pair) in parts.items():
        at_levels = []
        for users in levels:
            ratios = [ratio(a, b) for a, b in paired(*pair(users))]
            figures.append(Figure(f"{name}: {part}, {users} users: ratio per repeat (needs >= {needed})", ratios,
                                  "x", 2))
            outcome, disagree, n = classify_repeats(ratios, banded(needed))
            at_levels.append(Scope(f"{users} users", outcome, f"{listed_ratios(ratios)}"
                                   + (f" ({disagree})" if disagree else ""), n))
        outcome = combine(at_levels)[0]
        repeats = min((s.repeats for s in at_levels if s.outcome != INCONCLUSIVE), default=0)
        could = possible_outcomes(at_levels)  # a level refuted in every repeat: the part cannot hold everywhere
        bound = "; it cannot hold at every level" if outcome == INCONCLUSIVE and could and SUPPORTED not in could else ""
        scopes.append(Scope(part, outcome, ("; ".join(f"{s.name}: {s.why}" for s in at_levels) or "no data") + bound,
                            repeats, could_be=could or frozenset(DECIDED)))
    for v in cells.variants:
        for users in ev.users_levels(v):
            ms = ev.at(v, users)
            figures.append(Figure(f"{v.label}, {users} users: RPS", per_repeat(ms, main_rps), "", 1))
            figures.append(Figure(f"{v.label}, {users} users: probe p99", per_repeat(ms, p99_of("probe")), " ms"))
            figures.append(Figure(f"{v.label}, {users} users: peak USS", per_repeat(ms, uss), " MiB", 0, 1 / MiB))
            for endpoint, metric, what in (("json", "parse", "parse time in the server"),
                                           ("upload", "first-chunk", "first chunk in the view after"),
                                           ("upload", "body", "whole body read in the view in")):
                timed = per_repeat(ms, lambda m: m.server_timing(endpoint, metric))
                if any(t is not None for t in timed):
                    figures.append(Figure(f"{v.label}, {users} users: {what} (p50)", timed, " ms", 1))
    top = max(levels, default=0)
    probe = {role_of(v): median(per_repeat(ev.at(v, top), p99_of("probe"))) for v in cells.variants}
    return Judged(*combine(scopes, "part"), figures, scopes), probe


def _c6_present(django_probe: dict, fastapi_probe: dict) -> dict:
    cells = [(X.C6_UPLOAD_BUFFER, X.C6_FASTAPI.upload_buffer), (X.C6_UPLOAD_STREAM, X.C6_FASTAPI.upload_stream),
             *((v, X.C6_FASTAPI.json.get(key)) for key, v in X.C6_JSON.items())]
    chart = bar("Probe p99 while 5 MB bodies are handled (highest level)", "ms", [role_of(d) for d, _ in cells],
                {"Django": [django_probe[role_of(d)] for d, _ in cells],
                 "FastAPI": [fastapi_probe.get(role_of(f)) if f else None for _, f in cells]})
    return {"chart": chart, "note": C6_NOTE}


def judge_c6(ev: Evidence | None) -> Verdict:
    return judge_both("C6", C6_RULE, X.C6, ev, _c6, (X.C6_DJANGO, X.C6_FASTAPI, X.C6_FASTAPI.variants),
                       _c6_present)
