"""Small value types of ``velip``."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Problem"]


class Problem(NamedTuple):
    """A field of a record that could not be read; the record is still
    yielded, with that field ``None``.

    ``field`` is the wire key (``"date"``, ``"dur"``, ``"resp_2"``), ``raw``
    the value as received (JSON text: ``'"2026-02-30"'``, ``'27.5'``, at most
    200 characters) and ``rule`` the rule it broke
    (``"expected a date YYYY-MM-DD"``).
    """

    field: str
    raw: str
    rule: str
