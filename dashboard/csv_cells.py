"""CSV cells a spreadsheet will not run as formulas (OWASP, "CSV Injection").

Excel, LibreOffice and Google Sheets read a cell that starts with = + - @, a tab or a carriage
return as a formula. The text in a download comes from the results store (labels, failure
messages, anything an imported run carried), so a cell like that could run a formula on the
machine of whoever opens the file. OWASP's advice: prefix it with a single quote, which the
spreadsheet shows as text. Numbers stay numbers, negative ones too: a Python int or float, or a
text that is exactly a decimal number ("-1.5", "-3e-2"), is written as it is.
"""
from __future__ import annotations

from workloads.numbers import DECIMAL

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not DECIMAL.fullmatch(value):
        return "'" + value
    return value
