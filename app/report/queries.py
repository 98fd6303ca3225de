"""The store queries a report needs: records of one exercise run, or of one time window.

An exercise's records are found by their identifiers (``<tool>:x<run>.<inject>``, see
``app.scenario.model``) and, for records the console derived itself (a sensor anomaly raised
from a replayed reading), by status Exercise inside the run's time window.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import SQLAlchemyError

from app.model import Status
from app.storage import RecordStore, StorageError
from app.storage.codecs import TABLES, from_row
from app.storage.orm import ExerciseRunRow

R = TypeVar("R")
CHUNK = 500  # identifiers per IN (...): under every backend's parameter limit
MAX_ROWS = 200_000  # per kind: a report is read by people, not a data export


def _time_column(table: Any) -> Any:
    return table.sent if hasattr(table, "sent") else table.time


def _read(store: RecordStore, record_type: type[R], query: Any) -> list[R]:
    try:
        with store.session() as session:
            return [from_row(record_type, row) for row in session.scalars(query)]
    except SQLAlchemyError as exc:
        raise StorageError(f"could not read {record_type.__name__}: {exc}") from exc


def exercise_records(
    store: RecordStore, record_type: type[R], run_id: str, start: datetime, end: datetime
) -> list[R]:
    """Records of one run: its identifiers, or status Exercise between ``start`` and ``end``."""
    table = TABLES[record_type]
    column = _time_column(table)
    query = (
        select(table)
        .where(
            or_(
                table.identifier.contains(f":x{run_id}.", autoescape=True),
                and_(table.status == Status.EXERCISE.value, column.between(start, end)),
            )
        )
        .order_by(column)
        .limit(MAX_ROWS)
    )
    return _read(store, record_type, query)


def window_records(
    store: RecordStore,
    record_type: type[R],
    start: datetime,
    end: datetime,
    **equal: Any,
) -> list[R]:
    """Records whose own time falls in [start, end], optionally with columns equal to values
    (a list or tuple value means "one of")."""
    table = TABLES[record_type]
    column = _time_column(table)
    query = select(table).where(column.between(start, end))
    for name, value in equal.items():
        attribute = getattr(table, name)
        if isinstance(value, list | tuple | set | frozenset):
            query = query.where(attribute.in_(list(value)))
        else:
            query = query.where(attribute == value)
    return _read(store, record_type, query.order_by(column).limit(MAX_ROWS))


def by_column(
    store: RecordStore,
    record_type: type[R],
    column_name: str,
    values: Iterable[str],
    until: datetime | None = None,
) -> list[R]:
    """Records whose ``column_name`` is one of ``values`` (and, with ``until``, whose own time
    is not later), in time order when they have a time."""
    table = TABLES[record_type]
    column = getattr(table, column_name)
    wanted = sorted(set(values))
    found: list[R] = []
    for start in range(0, len(wanted), CHUNK):
        query = select(table).where(column.in_(wanted[start : start + CHUNK]))
        if until is not None:
            query = query.where(_time_column(table) <= until)
        found.extend(_read(store, record_type, query))
    if found and hasattr(found[0], "time"):
        found.sort(key=lambda record: record.time)
    return found


def latest_run_id(store: RecordStore) -> str | None:
    """The exercise run that started last, for a report asked for with no identifier."""
    with store.session() as session:
        query = select(ExerciseRunRow.identifier).order_by(ExerciseRunRow.started.desc())
        return session.scalars(query.limit(1)).first()
