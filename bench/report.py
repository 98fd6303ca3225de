"""After-action report generation time: an exercise run with about 500 alerts (half of them
acknowledged, some escalated, 50 scored expectations) and a few thousand sensor readings, on
the San Siro scenario's site layers. Measures collecting from the store (with scoring), the
HTML document and the PDF, each from a warm process (the first PDF pays for font loading)."""

from __future__ import annotations

import math
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pypdf import PdfReader

from app.bundled import resource_path
from app.model import (
    Alert,
    AlertAction,
    Category,
    ExerciseRun,
    GeoPoint,
    Observation,
    Priority,
    Status,
)
from app.report import collect_exercise, render_html, write_report
from app.scenario.model import ExpectationSpec, InjectSpec, ScenarioSpec, exercise_identifier
from app.storage import RecordStore, create_engine_for, upgrade_schema

Row = tuple[str, str, str]
T0 = datetime(2026, 6, 20, 18, 0, tzinfo=UTC)
RUN = "bench"
SENSORS = ("ss-dens-moratti", "ss-dens-sud", "ss-dens-nord")
CENTRE = (45.4781, 9.1252)


def _spec(alerts: int, duration_s: float) -> ScenarioSpec:
    return ScenarioSpec(
        id="bench-report",
        title="Report benchmark at San Siro",
        description="Synthetic exercise for the report benchmark.",
        city="Milan",
        duration_s=duration_s,
        injects=tuple(
            InjectSpec(
                id=f"a{n}", at_s=duration_s * n / alerts, kind="alert", tool="bench", data={}
            )
            for n in range(alerts)
        ),
        expectations=tuple(
            ExpectationSpec(
                f"a{n}", acknowledge_within_s=60, escalate=n % 5 == 0 or None, sop_steps=2
            )
            for n in range(0, alerts, alerts // 50)
        ),
        site_layers=(resource_path("scenarios/stadium-weapon/site.geojson"),),
        map_centre=CENTRE,
    )


def _records(spec: ScenarioSpec, readings: int) -> list:
    def at(seconds: float) -> datetime:
        return T0 + timedelta(seconds=seconds)

    records: list = [
        ExerciseRun(
            identifier=RUN,
            scenario=spec.id,
            title=spec.title,
            started=T0,
            trainee="bench",
            clock=((T0.isoformat(), 0.0, 1.0),),
            ended=at(spec.duration_s),
        )
    ]
    for n, inject in enumerate(spec.injects):
        ident = f"bench:{exercise_identifier(RUN, inject.id)}"
        angle = n * 2.4
        point = GeoPoint(CENTRE[0] + 0.002 * math.sin(angle), CENTRE[1] + 0.003 * math.cos(angle))
        records.append(
            Alert(
                identifier=ident,
                sender="bench",
                source_tool="bench",
                sent=at(inject.at_s),
                event_type="knife",
                category=Category.SECURITY,
                headline=f"Bench alert {n} at the Curva Sud turnstiles",
                status=Status.EXERCISE,
                point=point,
                priority=Priority(1 + n % 4),
            )
        )
        if n % 2 == 0:
            records.append(_action(ident, "acknowledge", at(inject.at_s + 20 + n % 90)))
        if n % 10 == 0:
            records.append(_action(ident, "escalate", at(inject.at_s + 120)))
    step = spec.duration_s / (readings / len(SENSORS))
    records += [
        Observation(
            identifier=f"sensors:{exercise_identifier(RUN, f'{sensor}.{i}')}",
            sensor_id=sensor,
            time=at(i * step),
            quantity="crowd_density",
            value=2.0 + 2.5 * math.sin(i / 40 + k),
            unit="persons/m²",
            status=Status.EXERCISE,
        )
        for k, sensor in enumerate(SENSORS)
        for i in range(readings // len(SENSORS))
    ]
    return records


def _action(alert_id: str, action: str, when: datetime) -> AlertAction:
    return AlertAction(
        identifier=f"{alert_id}-{action}",
        alert_identifier=alert_id,
        action=action,
        by="bench",
        time=when,
    )


def report_benchmarks(alerts: int = 500, readings: int = 3000) -> list[Row]:
    spec = _spec(alerts, duration_s=4 * 3600.0)
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine_for(f"sqlite:///{Path(folder) / 'report.db'}")
        upgrade_schema(engine)
        store = RecordStore(engine)
        store.save(_records(spec, readings))
        write_report(collect_exercise(store, RUN, spec=spec), Path(folder) / "warm.pdf")
        started = time.perf_counter()
        data = collect_exercise(store, RUN, spec=spec)
        collected = time.perf_counter() - started
        started = time.perf_counter()
        html = render_html(data, "en")
        rendered = time.perf_counter() - started
        started, cpu = time.perf_counter(), time.process_time()
        pdf = write_report(data, Path(folder) / "report.pdf", "en")
        printed, printed_cpu = time.perf_counter() - started, time.process_time() - cpu
        pages = len(PdfReader(pdf).pages)
        engine.dispose()
    what = f"{len(data.alerts)} alerts, {len(data.observations)} readings"
    return [
        ("report", f"collect + score ({what})", f"{collected * 1000:.0f} ms"),
        ("report", f"HTML ({len(html) // 1024} KiB)", f"{rendered * 1000:.0f} ms"),
        # CPU time beside wall time: on a shared machine the difference is other processes.
        ("report", f"PDF, whole ({pages} pages)", f"{printed:.2f} s (CPU {printed_cpu:.2f} s)"),
    ]


if __name__ == "__main__":
    for row in report_benchmarks():
        print("  ".join(row))
