"""The heat maps paint their cells under the dashboard's Content-Security-Policy, which refuses
inline styles (``style-src 'self'``): a colour is a class the stylesheet defines, never a
``style`` attribute (the browser dropped those, and every cell showed uncoloured)."""
from __future__ import annotations

import re

from django.template.loader import render_to_string

from dashboard.claims import cell_colour, painted
from dashboard.report import STATIC


def one_map(share):
    return [{"wait_s": 1, "columns": [{"n": 100}], "rows": [
        {"stack": "gthread", "role": "threads", "cells": [{"share": share, "state": "held", "why": "w"}]}]}]


def test_a_cell_is_coloured_by_a_class_not_an_inline_style():
    html = render_to_string("dashboard/_heatmap.html", {"maps": painted(one_map(1.0))})
    assert "style=" not in html
    assert 'class="shade-10"' in html


def test_every_shade_the_cells_use_is_in_the_stylesheet():
    css = (STATIC / "dashboard.css").read_text()
    used = {cell_colour(share, "held") for share in [None] + [k / 100 for k in range(0, 101)]}
    assert used == {"shade-none", *(f"shade-{k}" for k in range(11))}
    for name in used:
        assert re.search(rf"\.heatmap td\.{name} \{{ background: [^;]+; \}}", css), name


def test_half_the_ideal_or_less_is_red_all_of_it_green():
    assert cell_colour(0.5, "missed") == cell_colour(0.1, "missed") == "shade-0"
    assert cell_colour(0.75, "missed") == "shade-5"
    assert cell_colour(1.0, "held") == "shade-10"
