"""Which pure judge decides which claim, and by which rule: the index of the judging layer.

Each claim's judge lives in a module of its own (``judging.workers_one_core`` for C1 ...
``judging.upstream_calls`` for C15). A judge takes evidence already read (``bench.evidence``,
``results.grid``) and returns a ``Verdict``; no query runs inside it, so it is tested on evidence
built in memory and mutation-tested cheaply. Reading the store and handing each judge its evidence
from one run is the pages' shell, ``dashboard.cards``.
"""
from __future__ import annotations

from typing import Callable

from judging.advice import C12_RULE, judge_c12
from judging.big_bodies import C6_NOTE, C6_RULE, judge_c6
from judging.blocking_calls import C3_RULE, judge_c3
from judging.core import Rule, Verdict
from judging.cores import C10_RULE, judge_c10
from judging.handover import HANDOVER_RULE as C11_RULE, judge_c11
from judging.light_coroutines import C8_RULE, judge_c8
from judging.loop_lag import C5_RULE, judge_c5
from judging.pg_ceiling import pg_ceiling
from judging.preemption import C2_RULE, judge_c2
from judging.server_push import PUSH_RULE as C14_RULE, judge_c14
from judging.upstream_calls import UPSTREAM_RULE as C15_RULE, judge_c15
from judging.who_runs import C4_RULE, C7_RULE, C9_RULE, judge_c4, judge_c7, judge_c9
from judging.worker_memory import C13_RULE, judge_c13
from judging.workers_one_core import C1_RULE, judge_c1

RULES: dict[str, Rule] = {
    "C1": C1_RULE, "C2": C2_RULE, "C3": C3_RULE, "C4": C4_RULE, "C5": C5_RULE, "C6": C6_RULE, "C7": C7_RULE,
    "C8": C8_RULE, "C9": C9_RULE, "C10": C10_RULE, "C11": C11_RULE, "C12": C12_RULE, "C13": C13_RULE,
    "C14": C14_RULE, "C15": C15_RULE}
JUDGES: dict[str, Callable[..., Verdict]] = {
    "C1": judge_c1, "C2": judge_c2, "C3": judge_c3, "C4": judge_c4, "C5": judge_c5, "C6": judge_c6,
    "C7": judge_c7, "C8": judge_c8, "C9": judge_c9, "C10": judge_c10, "C11": judge_c11, "C12": judge_c12,
    "C13": judge_c13, "C14": judge_c14, "C15": judge_c15}

__all__ = ["RULES", "JUDGES", "C6_NOTE", "pg_ceiling", *(f"judge_c{n}" for n in range(1, 16))]
