"""The store, on real SQLite files, upgraded by the real Alembic migrations."""

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event, inspect, text

from app.model import Alert, Observation, Post
from app.storage import RecordStore, StorageError, create_engine_for, upgrade_schema
from app.storage.codecs import TABLES
from app.storage.orm import Base
from tests.factories import alert, one_of_each


@pytest.fixture
def store(tmp_path: Path) -> RecordStore:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'nested' / 'store.db'}")
    upgrade_schema(engine)
    yield RecordStore(engine)
    engine.dispose()


def test_migrations_create_every_table_in_wal_mode(store: RecordStore) -> None:
    tables = set(inspect(store.engine).get_table_names())
    assert {t.__tablename__ for t in TABLES.values()} | {"alembic_version"} <= tables
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def test_models_and_migrations_do_not_drift(store: RecordStore) -> None:
    """A table change without its Alembic revision fails here, not on an operator's machine."""
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_upgrading_twice_is_harmless(store: RecordStore) -> None:
    store.save([alert()])
    upgrade_schema(store.engine)
    assert store.count(Alert) == 1


def test_every_record_kind_round_trips_exactly(store: RecordStore) -> None:
    records = one_of_each()
    assert store.save(records) == len(records)
    for record in records:
        assert store.get(type(record), record.identifier) == record


def test_times_come_back_as_the_same_instant_in_utc(store: RecordStore) -> None:
    evening_in_oslo = one_of_each()[1]
    store.save([evening_in_oslo])
    loaded = store.get(Alert, "a-2")
    assert loaded.sent == evening_in_oslo.sent
    assert loaded.sent.utcoffset().total_seconds() == 0


def test_duplicate_delivery_updates_and_never_doubles(store: RecordStore) -> None:
    store.save([alert(headline="first")])
    store.save([alert(headline="retried"), alert(headline="retried again")])
    assert store.count(Alert) == 1
    assert store.get(Alert, "a-1").headline == "retried again"


def test_a_batch_is_stored_whole_or_not_at_all(store: RecordStore) -> None:
    with pytest.raises(StorageError, match="cannot be stored"):
        store.save([alert("ok-1"), object()])
    assert store.count(Alert) == 0


def test_hostile_text_is_stored_verbatim(store: RecordStore) -> None:
    hostile = alert(headline="<script>alert('x')</script>'); DROP TABLE alerts; --")
    store.save([hostile])
    assert store.get(Alert, "a-1").headline == hostile.headline


def test_latest_orders_by_the_records_own_time(store: RecordStore) -> None:
    records = one_of_each()
    store.save(records)
    newest_first = store.latest(Alert)
    # a-2 was sent at 20:00 in Oslo summer time, which is 18:00 UTC: before a-1 (18:30 UTC).
    assert [a.identifier for a in newest_first] == ["a-1", "a-2"]
    assert store.latest(Post, limit=1)[0].identifier == "p-1"


def test_a_full_disk_gives_a_clear_error_and_keeps_what_was_stored(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'small.db'}")
    upgrade_schema(engine)
    store = RecordStore(engine)
    store.save([alert("kept")])
    # SQLite reports SQLITE_FULL exactly as on a full disk once it may not grow any further.
    event.listen(engine, "connect", lambda conn, _rec: conn.execute("PRAGMA max_page_count = 1"))
    engine.dispose()
    big_batch = [
        Observation(
            identifier=f"o-{i}",
            sensor_id="s",
            time=alert().sent,
            quantity="q",
            value=float(i),
            unit="u",
        )
        for i in range(2000)
    ]
    with pytest.raises(StorageError, match="disk holding the database is full"):
        store.save(big_batch)
    assert store.count(Observation) == 0
    assert store.get(Alert, "kept") is not None
    engine.dispose()


def test_bad_urls_are_explained() -> None:
    with pytest.raises(StorageError, match="not valid"):
        create_engine_for("not a url")
    with pytest.raises(StorageError, match="cannot open database"):
        create_engine_for("nosuchdialect://host/db")


def test_a_store_with_alerts_from_the_first_release_upgrades_in_place(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade_schema(engine, "0001")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO alerts (identifier, sender, source_tool, sent, status, msg_type, "
                "category, event_type, urgency, severity, certainty, headline, description, "
                'priority, confidence, evidence, "references", state, stored) '
                "VALUES ('old-1', 's', 't', '2026-01-01 12:00:00', 'Actual', 'Alert', "
                "'Security', 'knife', 'Unknown', "
                "'Unknown', 'Unknown', 'Old alert', '', 2, 1.0, '[]', '[]', 'acknowledged', "
                "'2026-01-01 12:00:00')"
            )
        )
    upgrade_schema(engine)
    old = RecordStore(engine).get(Alert, "old-1")
    assert old.occurrences == 1 and old.state_reason == "" and old.state.value == "acknowledged"
    engine.dispose()


def test_re_delivery_by_the_tool_keeps_the_operators_triage(store: RecordStore) -> None:
    from app.model import AlertState

    store.save([alert(state=AlertState.ACKNOWLEDGED, assignee="op-7", state_reason="on it")])
    store.save([alert(headline="tool re-sent this", state=AlertState.NEW)])
    kept = store.get(Alert, "a-1")
    assert kept.headline == "tool re-sent this"
    assert (kept.state, kept.assignee, kept.state_reason) == (
        AlertState.ACKNOWLEDGED,
        "op-7",
        "on it",
    )
