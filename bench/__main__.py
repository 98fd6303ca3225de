"""Runs every benchmark and prints one table."""

from __future__ import annotations

import os
import platform
import sys

from bench.alerts import ingest_rate, latency_and_stalls, queue_at_scale
from bench.audit import audit_benchmarks
from bench.map import map_benchmarks
from bench.mqtt import mqtt_benchmarks
from bench.permissions import permission_benchmarks
from bench.propagation import propagation_benchmarks
from bench.replay import replay_benchmarks
from bench.report import report_benchmarks
from bench.sensor_chart import chart_benchmarks
from bench.sensor_detection import detection_benchmarks
from bench.startup import cold_start
from bench.storage import insert_rates
from bench.text_analysis import text_benchmarks
from bench.timeline import timeline_benchmarks
from bench.video import video_benchmarks
from bench.video_opencv import video_opencv_benchmarks
from bench.video_yolo import yolo_benchmarks


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    rows = insert_rates() + cold_start() + ingest_rate() + latency_and_stalls() + queue_at_scale()
    rows += map_benchmarks()
    rows += chart_benchmarks() + detection_benchmarks() + mqtt_benchmarks()
    rows += text_benchmarks()
    rows += timeline_benchmarks()
    rows += replay_benchmarks()
    rows += report_benchmarks()
    rows += audit_benchmarks()
    rows += permission_benchmarks()
    rows += propagation_benchmarks()
    rows += video_opencv_benchmarks() + yolo_benchmarks() + video_benchmarks()
    width = max(len(row[1]) for row in rows)
    print(
        f"Watchfloor benchmarks on {platform.node()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    print(f"{'area':<10} {'measure':<{width}}  result")
    print(f"{'-' * 10} {'-' * width}  {'-' * 12}")
    for area, measure, result in rows:
        print(f"{area:<10} {measure:<{width}}  {result}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
