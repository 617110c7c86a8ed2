"""Numbers in text a client sent (a query string, a path segment): parsed strictly, here only.

Python's own conversions are lenient where a benchmark must not be, and raise where a view must
not: ``int()`` and ``float()`` strip whitespace and accept underscores ("1_0") and any Unicode
decimal digit ("١", "５"); ``float()`` accepts "nan" and "inf"; ``int()`` raises ValueError past
4,300 digits (``sys.int_max_str_digits``); ``str.isdigit()`` accepts superscripts ("²") that
``int()`` then refuses, and ``"--5".lstrip("-")`` looks like digits. So the text is checked first:
its length, before anything reads it further, then its shape, on ASCII only. What fails is a
400 whose message names the parameter; no conversion error is left to become a 500.
"""
from __future__ import annotations

import re

from workloads.errors import ApiError

# The longest text read as a number: a 64-bit integer with its sign has 20 characters, so every
# bound the lab has fits with room for leading zeros, and int()'s limit is never approached.
MAX_CHARS = 32
INTEGER = re.compile(r"[+-]?[0-9]+")
DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _checked(name: str, raw: str, shape: re.Pattern, what: str) -> str:
    if len(raw) > MAX_CHARS:
        raise ApiError(400, f"parameter {name!r} must be {what} of at most {MAX_CHARS} characters, "
                            f"got {len(raw)} characters")
    if not shape.fullmatch(raw):  # fullmatch: "5\n" is not "5", as re's $ would have it
        raise ApiError(400, f"parameter {name!r} must be {what} (ASCII digits, an optional sign), got {raw!r}")
    return raw


def strict_int(name: str, raw: str) -> int:
    """An integer: an optional sign, then ASCII digits, nothing else (no spaces, no underscores)."""
    return int(_checked(name, raw, INTEGER, "an integer"))


def strict_float(name: str, raw: str) -> float:
    """A decimal number (``1``, ``-2.5``, ``.5``, ``1e3``): never nan, inf, hex or underscores."""
    return float(_checked(name, raw, DECIMAL, "a decimal number"))


def int_in_range(name: str, raw: str, low: int, high: int) -> int:
    """``strict_int`` within ``low``..``high`` inclusive: refused, never clamped."""
    value = strict_int(name, raw)
    if not low <= value <= high:
        raise ApiError(400, f"parameter {name!r} must be between {low} and {high}, got {value}")
    return value
