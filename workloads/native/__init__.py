"""Native (C) work that releases the GIL, for the claim that threads use every core only when
the work leaves the interpreter (docs/claims.md, C10).

``_spin`` is a Cython module built by `make setup` (scripts/build-native) when a C compiler is
present; on a machine without one it is missing, ``SPIN_MISSING`` says why, and the endpoint
that needs it answers 404 with that sentence instead of failing.
"""
from __future__ import annotations

try:
    from workloads.native._spin import spin
except ImportError:  # not built here: no C compiler at `make setup`, or a checkout never set up
    spin = None

SPIN_MISSING = ("cpu/cython needs the Cython module workloads/native/_spin, which `make setup` builds when a "
                "C compiler is present; it was not built on this machine (see scripts/build-native)")
