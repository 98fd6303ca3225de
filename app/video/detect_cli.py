"""``main.py detect``: one detector over one source, no display, JSON out.

For a detector node next to the cameras, for checking a camera address, and for scripting: one
JSON line per detection on standard output, a summary at the end, and a non-zero exit with the
reason when the source or the detector cannot be used.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, TextIO

from app.model import Detection
from app.plugins import PluginRegistry
from detectors.api import CancelToken
from detectors.video.capture import open_source
from detectors.video.frames import SourceError

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_SOURCE = 0, 1, 2, 3


def detection_json(detection: Detection, frame_index: int) -> str:
    return json.dumps(
        {
            "frame": frame_index,
            "time": detection.time.isoformat(),
            "camera": detection.source_id,
            "detector": detection.detector_id,
            "event_type": detection.event_type,
            "label": detection.label,
            "confidence": round(detection.confidence, 4),
            "bbox": [round(v, 5) for v in detection.bbox] if detection.bbox else None,
            "track_id": detection.track_id,
        },
        ensure_ascii=False,
    )


def run_detect(
    source_uri: str,
    detector_id: str,
    params: dict[str, Any],
    frames: int | None,
    as_json: bool,
    out: TextIO,
    err: TextIO,
    plugins: PluginRegistry | None = None,
) -> int:
    from app.video.pipeline import analyse_source

    plugins = plugins or PluginRegistry.discover()
    manifest = plugins.get(detector_id)
    if manifest is None or manifest.kind != "video-detector":
        known = ", ".join(sorted(m.id for m in plugins.manifests("video-detector")))
        print(f"detect: no video detector {detector_id!r} (installed: {known})", file=err)
        return EXIT_USAGE
    build = plugins.load(detector_id)
    try:
        if build is None:
            raise ValueError(plugins.problems[-1].message if plugins.problems else detector_id)
        stepper = build(params)
        source = open_source(source_uri)
    except (OSError, ValueError, SourceError) as exc:
        print(f"detect: {exc}", file=err)
        return EXIT_SOURCE
    counts = {"frames_read": 0, "frames_analysed": 0, "detections": 0}
    started = time.perf_counter()
    try:
        for frame, found in analyse_source(source, stepper, CancelToken(), frames, camera_id="cli"):
            counts["frames_read"] = frame.index + 1
            counts["frames_analysed"] += 1
            counts["detections"] += len(found)
            for detection in found:
                if as_json:
                    print(detection_json(detection, frame.index), file=out)
                else:
                    print(_text_line(detection, frame.index), file=out)
    except SourceError as exc:
        print(f"detect: {exc}", file=err)
        return EXIT_SOURCE
    finally:
        source.close()
    elapsed = max(time.perf_counter() - started, 1e-9)
    summary = {
        **counts,
        "seconds": round(elapsed, 3),
        "fps": round(counts["frames_analysed"] / elapsed, 2),
    }
    if counts["frames_read"] == 0:
        print(f"detect: {source_uri} gave no frame", file=err)
        return EXIT_SOURCE
    if as_json:
        print(json.dumps({"summary": summary}), file=out)
    else:
        print(
            "frames read {frames_read}, analysed {frames_analysed}, detections {detections}, "
            "{fps} fps".format(**summary),
            file=out,
        )
    return EXIT_OK


def _text_line(detection: Detection, frame_index: int) -> str:
    box = ""
    if detection.bbox:
        box = " at " + ",".join(f"{v:.3f}" for v in detection.bbox)
    track = f" track {detection.track_id}" if detection.track_id else ""
    return (
        f"frame {frame_index}: {detection.event_type} {detection.label} "
        f"{detection.confidence:.2f}{box}{track}"
    )
