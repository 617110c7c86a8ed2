"""argparse types of the lab's numeric knobs. A knob's type is its validator: argparse runs it on
the command line, ``_form_guard`` runs it again on what the web UI's form sent (Locust's form
converts a value by its type only, so ``nan``, ``inf`` or ``-5`` would pass)."""
from __future__ import annotations

import argparse
import math


def non_negative(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a finite number, 0 or more, got {text}")
    return value


def positive(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text}")
    return value


def int_between(low: int, high: int | None = None):
    """An integer type with bounds (``high`` None: no upper bound)."""
    def bounded(text: str) -> int:
        value = int(text)
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}, got {text}" if high is not None
                                             else f"must be {low} or more, got {text}")
        return value

    bounded.__name__ = "int"  # argparse names the type in its error messages
    return bounded
