"""Deterministic pseudo-randomness as portable SQL expressions (pure: builds text, runs nothing).

The demo tables must be byte-identical for the same ``(rows, as_of)`` on every run, engine and version, so
no ``rand()`` and no engine hash function (DuckDB's ``hash`` and Databricks' ``hash`` differ, and may change
between versions). Instead a row key goes through two integer steps modulo the prime 2^31 - 1: an affine
step (a Weyl sequence over consecutive keys) and a squaring step that breaks its linearity. All values stay
below 2^63, so neither engine can overflow, and ``%`` of non-negative integers means the same on both.
"""

from __future__ import annotations

_PRIME = 2147483647  # 2^31 - 1
_MULTIPLIER = 1103515245
_INCREMENT = 12345
_SALT_STEP = 7919  # a prime, so different salts land far apart


def hash_int(key: str, salt: int) -> str:
    """An integer in ``[0, 2^31 - 1)`` from the non-negative integer SQL expression ``key`` (< 10^9).

    Different ``salt`` values give unrelated-looking streams for the same key, one per random column.
    """
    affine = f"(({key}) * {_MULTIPLIER} + {_INCREMENT + salt * _SALT_STEP}) % {_PRIME}"
    return f"((({affine}) * ({affine})) % {_PRIME})"


def uniform(key: str, salt: int) -> str:
    """A DOUBLE in ``[0, 1)``, roughly uniform, from ``key`` and ``salt``."""
    return f"({hash_int(key, salt)} / {float(_PRIME)})"


def choice(key: str, salt: int, count: int) -> str:
    """An integer in ``[0, count)`` from ``key`` and ``salt``."""
    return f"({hash_int(key, salt)} % {count})"


def between(key: str, salt: int, low: float, high: float) -> str:
    """A DOUBLE in ``[low, high)`` from ``key`` and ``salt``."""
    return f"({low} + {high - low} * {uniform(key, salt)})"
