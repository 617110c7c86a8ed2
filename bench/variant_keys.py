"""A variant's stable key: what it *is*, not what it is called.

``ExperimentRun.variant_key`` stores it beside the human label (``ExperimentRun.variant``), and the
store's readers find a variant's runs by it, so a label can be reworded without orphaning a run.

The key is the first 16 hex digits of the SHA-256 of the variant's *definition* as canonical JSON
(sorted keys, no spaces). A hash rather than a readable string: the definition of a grid cell
(deployment, knobs, environment, flags) runs to a few hundred characters, and a column that long
would still be unreadable; the readable form is ``definition(variant)``, for whoever needs to see
why two keys differ. 64 bits are plenty for a catalogue of a few hundred variants, and a test
(tests/unit/test_variant_keys.py) fails if two variants of one experiment ever collide.

What the definition holds, and what it leaves out:

- the deployment's fields (server, interface, workers, threads, cpus, pool size, app,
  backpressure, loop, backlog), and the variant's knobs, environment, load levels and flags;
- never the label, a cell's stack or role names, the host or the port (the runner picks a free port for every server);
- a field at its default is left out, so that adding a field with a default to ``Variant`` or
  ``Deployment`` later keeps every existing key. The pool size's default is the environment's
  (``LAB_DB_POOL_SIZE``): a deployment on the default pool is keyed "default pool", the same in a
  runner and a dashboard started with different environments; an explicit pool size is keyed
  by its number.

Changing what a variant *is* (another knob, another worker count) changes its key, and that is
intended: runs of the old definition measured something else. Changing this module's recipe
would orphan every stored key, so it is versioned (``RECIPE``) and must not change quietly.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json

from django.db.models import Q

from groundwork.database import PoolLimits

RECIPE = 1  # part of the hashed definition: a new recipe gives new keys, never colliding with old ones
KEY_LENGTH = 16
# Variant fields that name it rather than say what it is (``deployment`` is hashed field by field).
NAMES = ("label", "deployment", "stack", "role")
# Deployment fields that say where a server listens, not what it is.
WHERE_IT_LISTENS = ("host", "port")


def definition(variant) -> dict:
    """The variant as plain JSON, fields at their defaults left out (see the module's note)."""
    out = {"recipe": RECIPE, "deployment": _deployment(variant.deployment)}
    for f in dataclasses.fields(variant):
        if f.name in NAMES:
            continue
        value = getattr(variant, f.name)
        if value != _default(f):
            out[f.name] = _plain(sorted(value) if f.name == "env" else value)
    return out


def key_of(variant) -> str:
    canonical = json.dumps(definition(variant), sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:KEY_LENGTH]


def _deployment(deployment) -> dict | None:
    if deployment is None:  # no server at all (the database alone)
        return None
    out = {}
    for f in dataclasses.fields(deployment):
        if f.name in WHERE_IT_LISTENS:
            continue
        value = getattr(deployment, f.name)
        default = PoolLimits.from_env().size if f.name == "pool_size" else _default(f)
        if value != default:
            out[f.name] = _plain(value)
    return out


def _default(f: dataclasses.Field):
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING  # a required field: always part of the definition


def _plain(value):
    """Tuples as lists, and nothing JSON cannot say exactly (a key must not depend on ``repr``)."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"a variant's definition holds {type(value).__name__} {value!r}: not plain JSON")


# --- finding a variant's rows in the store ------------------------------------------------------
# A row stored before keys were, that matched no catalogue variant then, has an empty key
# (bench/migrations/0010_fill_variant_key.py): it is found by its label, as before.

LABEL_ONLY = "label:"  # a row without a key is kept under its label, so marked that no key can equal it


def stored_under(key: str, label: str) -> str:
    """Which variant a stored row (its ``variant_key``, its ``variant``) belongs to: its key, or its
    label when it has none."""
    return key or LABEL_ONLY + label


def is_stored_as(variant, key: str, label: str) -> bool:
    """Whether a stored row (its ``variant_key``, its ``variant``) is a run of ``variant``."""
    return key == variant.key if key else label == variant.label


def find_variant(variants, key: str, label: str):
    """Which of ``variants`` a stored row is a run of, or None."""
    return next((v for v in variants if is_stored_as(v, key, label)), None)


def stored_as(variants, prefix: str = "") -> Q:
    """A filter for the rows of any of ``variants`` (``prefix``: the path to ExperimentRun, e.g.
    ``step__experiment__``)."""
    keyed = Q(**{f"{prefix}variant_key__in": [v.key for v in variants]})
    unkeyed = Q(**{f"{prefix}variant_key": "", f"{prefix}variant__in": [v.label for v in variants]})
    return keyed | unkeyed
