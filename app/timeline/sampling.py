"""Thinning a lane that holds more events than the panel can draw, inside the database.

The window is cut into as many slices as marks are wanted, and each slice gives its first
event: one index seek per slice (``min(time)`` of a range), so the cost depends on the marks
wanted, not on how many rows the day holds. Every stretch with activity keeps a mark. When
the events crowd into a few slices (bursts in a quiet day), the busy slices are cut finer,
a few times at most, so the bursts get the marks the empty slices did not use.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, select
from sqlalchemy.orm import Session

SEEKS_PER_STATEMENT = 100
REFINEMENTS = 5
_STATEMENTS: dict[str, Select[Any]] = {}
Slice = tuple[datetime, datetime]  # [low, high)
_TICK = timedelta(microseconds=1)


def sample_times(
    session: Session,
    key: str,
    time: Any,
    where: ColumnElement[bool],
    start: datetime,
    end: datetime,
    take: int,
    params: dict[str, Any] | None = None,
) -> list[datetime]:
    """At most ``take`` distinct event times of [start, end], spread over the window.
    ``key`` names the (time column, filter) pair: its seek statement is built once, so a
    filter that changes between calls takes its values as bound ``params``."""
    if take <= 0:
        return []
    seeks = _statement(key, time, where)
    slices = split(start, end + _TICK, take)
    firsts = _firsts(session, seeks, slices, params)
    for _ in range(REFINEMENTS):
        busy = [piece for piece, first in zip(slices, firsts, strict=True) if first is not None]
        if not busy or len(busy) * 2 > take:
            break
        per = take // len(busy)
        slices = [finer for low, high in busy for finer in split(low, high, per)]
        firsts = _firsts(session, seeks, slices, params)
    return sorted({first for first in firsts if first is not None})[:take]


def split(low: datetime, high: datetime, parts: int) -> list[Slice]:
    """``parts`` equal slices of [low, high)."""
    step = (high - low) / max(parts, 1)
    if step <= timedelta(0):
        return [(low, high)]
    edges = [low + step * n for n in range(parts)] + [high]
    return [(a, b) for a, b in pairwise(edges) if a < b]


def _statement(key: str, time: Any, where: ColumnElement[bool]) -> Select[Any]:
    """``SEEKS_PER_STATEMENT`` range minimums with bound slice edges, built once per key:
    building hundreds of subqueries costs more than running them."""
    statement = _STATEMENTS.get(key)
    if statement is None:
        seeks = [
            select(func.min(time))
            .where(where, time >= bindparam(f"low{n}"), time < bindparam(f"high{n}"))
            .scalar_subquery()
            for n in range(SEEKS_PER_STATEMENT)
        ]
        statement = _STATEMENTS[key] = select(*seeks)
    return statement


def _firsts(
    session: Session,
    statement: Select[Any],
    slices: Sequence[Slice],
    params: dict[str, Any] | None,
) -> list[Any]:
    """The first event time in each slice (``None`` for an empty one)."""
    found: list[Any] = []
    for start in range(0, len(slices), SEEKS_PER_STATEMENT):
        chunk = list(slices[start : start + SEEKS_PER_STATEMENT])
        used = len(chunk)
        chunk += [(chunk[-1][1], chunk[-1][1])] * (SEEKS_PER_STATEMENT - used)  # empty
        values = dict(params or {})
        values |= {f"low{n}": low for n, (low, _) in enumerate(chunk)}
        values |= {f"high{n}": high for n, (_, high) in enumerate(chunk)}
        found.extend(session.execute(statement, values).one()[:used])
    return found
