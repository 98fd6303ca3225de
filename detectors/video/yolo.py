"""ultralytics YOLO as a video detector: weights from a configured path, classes as event types.

PyTorch weights (``.pt``) run through PyTorch; an exported ``.onnx`` file runs through ONNX
Runtime, which is faster on a CPU (``bench/video_yolo.py`` measures by how much). Nothing is
ever fetched: the weights come from the configured path only, and ultralytics is imported
through ``detectors.video.yolo_env``, which keeps it offline.

A model's class names are its own (``handgun``, ``Knife``, ``person``...); the bundled table
``resources/video/yolo_classes.json`` turns them into our event types (``firearm``, ``knife``,
``person``), a camera's ``classes`` parameter overrides entries, and a class that neither
knows keeps its own name. The detection's label stays the model's class name, so an operator
sees what the model actually said.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from app.bundled import read_json
from app.model import Detection
from detectors.api import CancelToken, run_steps
from detectors.video.frames import Frame, make_detection, normalised_bbox
from detectors.video.yolo_env import YOLO
from i18n import gettext

log = logging.getLogger(__name__)

DETECTOR_ID = "yolo"
CLASSES_RESOURCE = "video/yolo_classes.json"
SUFFIXES = (".pt", ".onnx")
# ONNX Runtime 1.18 and later run opset 17 on every execution provider, and torch exports it
# without the newer exporter's surprises.
ONNX_OPSET = 17


class ModelLoadError(ValueError):
    """The configured weights cannot be used; the message says why, for the operator."""


def class_key(name: str) -> str:
    """How class names are compared: ``Hand-gun``, ``hand gun`` and ``hand_gun`` are one."""
    return "_".join(name.strip().lower().replace("-", " ").split())


@cache
def _bundled_classes() -> Mapping[str, str]:
    table = read_json(CLASSES_RESOURCE)["classes"]
    return MappingProxyType({class_key(name): event for name, event in table.items()})


def event_type_for(name: str, overrides: Mapping[str, str] | None = None) -> str:
    """The event type a model class raises: the camera's override, else the bundled table,
    else the class name itself."""
    key = class_key(name)
    if overrides and key in overrides:
        return overrides[key]
    return _bundled_classes().get(key, name)


@dataclass(frozen=True, slots=True)
class YoloParams:
    """A camera's YOLO settings. ``confidence`` is the threshold below which boxes are
    dropped; ``iou`` the overlap above which NMS merges boxes; ``imgsz`` the inference size
    for PyTorch weights (an ONNX file keeps the size it was exported at); ``classes`` maps
    class names to event types over the bundled table.

    ``threads`` caps ONNX Runtime's threads for this camera (0: its default, one per physical
    core, fastest for a single stream). Several cameras on few cores do better with 1: the
    default thread pools spin while they wait and slow each other down badly. PyTorch's
    thread count is process-wide (ultralytics sets one fewer than the cores) and is left as
    it is."""

    weights: Path
    confidence: float = 0.35
    iou: float = 0.5
    imgsz: int = 640
    classes: Mapping[str, str] = field(default_factory=dict)
    threads: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "weights", Path(self.weights).expanduser())
        for name in ("confidence", "iou"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
                raise ValueError(f"yolo {name}: must be a number from 0 to 1 (got {value!r})")
        if not isinstance(self.imgsz, int) or isinstance(self.imgsz, bool):
            raise ValueError(f"yolo imgsz: must be a whole number (got {self.imgsz!r})")
        if not 32 <= self.imgsz <= 4096:
            raise ValueError(f"yolo imgsz: must be from 32 to 4096 (got {self.imgsz})")
        if not isinstance(self.threads, int) or isinstance(self.threads, bool) or self.threads < 0:
            raise ValueError(f"yolo threads: must be a whole number >= 0 (got {self.threads!r})")
        classes = {class_key(str(k)): str(v) for k, v in dict(self.classes).items()}
        object.__setattr__(self, "classes", MappingProxyType(classes))

    @classmethod
    def from_mapping(cls, params: Mapping[str, Any]) -> YoloParams:
        """Parameters as settings and the plugin manifest hand them over (plain JSON values)."""
        unknown = set(params) - {"weights", "confidence", "iou", "imgsz", "classes", "threads"}
        if unknown:
            raise ValueError(f"yolo: unknown parameter(s) {sorted(unknown)}")
        if not params.get("weights"):
            raise ValueError("yolo weights: a path to .pt or .onnx weights is required")
        return cls(**dict(params))


def _check_file(weights: Path, suffixes: tuple[str, ...] = SUFFIXES) -> None:
    if weights.is_dir():
        message = gettext("The model path {path} is a folder, not a weights file.")
        raise ModelLoadError(message.format(path=weights))
    if not weights.is_file():
        message = gettext("The model file {path} does not exist.")
        raise ModelLoadError(message.format(path=weights))
    if weights.suffix.lower() not in suffixes:
        message = gettext("The model file {path} is neither PyTorch (.pt) nor ONNX (.onnx).")
        raise ModelLoadError(message.format(path=weights))


def load_model(weights: Path) -> YOLO:
    """The model in ``weights``, from that path only: a missing file, another format or a file
    that is not a detection model raises ``ModelLoadError`` instead of a download attempt."""
    _check_file(weights)
    try:
        model = YOLO(str(weights), task="detect")
        task, _ = model.task, model.names  # an ONNX file is only opened when asked for names
    except Exception as exc:  # torch, pickle, protobuf and ultralytics each raise their own
        log.info("cannot load %s: %r", weights, exc)
        message = gettext("The file {path} is not a YOLO model: {reason}")
        raise ModelLoadError(message.format(path=weights, reason=_first_line(exc))) from exc
    if task != "detect":
        message = gettext("The model {path} is a {task} model, not a detection model.")
        raise ModelLoadError(message.format(path=weights, task=task))
    return model


def _first_line(exc: BaseException) -> str:
    """The gist of a loader's complaint: its first sentence, without ultralytics' "ERROR ❌"
    mark and advice (which suggests downloading an official model)."""
    lines = str(exc).strip().splitlines()
    line = re.sub(r"^ERROR[\s\u274c\ufe0f]*", "", lines[0]) if lines else ""
    return line.split(". ")[0][:300] or type(exc).__name__


def _limit_onnx_threads(model: YOLO, weights: Path, threads: int) -> None:
    """Re-opens the ONNX Runtime session that ultralytics opened, with ``threads`` threads.
    ultralytics offers no way to pass session options, so this replaces its backend's
    session (same file, same providers); should that backend change shape, the model keeps
    ONNX Runtime's defaults and a warning says so."""
    import onnxruntime

    backend = getattr(getattr(model.predictor, "model", None), "backend", None)
    session = getattr(backend, "session", None)
    if not isinstance(session, onnxruntime.InferenceSession):
        log.warning("cannot limit ONNX Runtime threads for %s; using its defaults", weights)
        return
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    providers = session.get_providers()
    backend.session = onnxruntime.InferenceSession(str(weights), options, providers=providers)


class YoloDetector:
    """A ``FrameStepper``: one frame in, a ``Detection`` per box the model keeps out. Each
    camera builds its own (an ultralytics model is not safe to share between threads)."""

    def __init__(self, params: YoloParams) -> None:
        self.params = params
        self._model = load_model(params.weights)
        self.backend = "onnx" if params.weights.suffix.lower() == ".onnx" else "pytorch"
        self.names: Mapping[int, str] = MappingProxyType(dict(self._model.names))
        self._events = {i: event_type_for(n, params.classes) for i, n in self.names.items()}
        self._warm_up()  # also makes ultralytics open its predictor and session
        if self.backend == "onnx" and params.threads:
            _limit_onnx_threads(self._model, params.weights, params.threads)

    def _warm_up(self) -> None:
        """One inference on a blank picture, so that a file that loads but cannot run fails
        here, with the other load errors, and the first real frame is not slow."""
        blank = np.zeros((self.params.imgsz, self.params.imgsz, 3), np.uint8)
        try:
            self._predict(blank)
        except Exception as exc:
            message = gettext("The file {path} is not a YOLO model: {reason}")
            path = self.params.weights
            raise ModelLoadError(message.format(path=path, reason=_first_line(exc))) from exc

    def _predict(self, image: np.ndarray) -> Any:
        p = self.params
        results = self._model.predict(
            image, conf=p.confidence, iou=p.iou, imgsz=p.imgsz, device="cpu", verbose=False
        )
        return results[0].boxes

    def step(self, item: Frame) -> list[Detection]:
        boxes = self._predict(item.image)
        xyxy = boxes.xyxy.cpu().numpy()
        scores = boxes.conf.cpu().numpy()
        classes = boxes.cls.cpu().numpy().astype(int)
        return [
            self._detection(item, box, float(score), int(index))
            for box, score, index in zip(xyxy, scores, classes, strict=True)
        ]

    def _detection(self, frame: Frame, box: np.ndarray, score: float, index: int) -> Detection:
        x0, y0, x1, y1 = (float(v) for v in box)
        name = self.names.get(index, str(index))
        bbox = normalised_bbox(frame, x0, y0, x1 - x0, y1 - y0)
        event_type = self._events.get(index, name)
        return make_detection(frame, DETECTOR_ID, event_type, name, score, bbox)


def build(params: Mapping[str, Any] | YoloParams) -> YoloDetector:
    """The plugin entry point (``detectors.video.yolo:build``)."""
    return YoloDetector(
        params if isinstance(params, YoloParams) else YoloParams.from_mapping(params)
    )


def run(
    source: Iterable[Frame], params: Mapping[str, Any] | YoloParams, token: CancelToken
) -> Iterator[Detection]:
    """The generator form: detections on each frame of ``source`` until it ends or ``token``
    is cancelled."""
    return run_steps(build(params), source, token)


def export_onnx(weights: Path, imgsz: int = 640, out_dir: Path | None = None) -> Path:
    """Exports PyTorch weights to ONNX (simplified by onnxslim, fixed ``imgsz``) and returns
    the ``.onnx`` path: beside the weights, or in ``out_dir`` under the weights' stem.

    ultralytics writes the export beside the ``.pt`` it loaded; with ``out_dir`` the weights
    are copied to a scratch folder there first, so a read-only registry folder is never
    written to."""
    weights = Path(weights)
    if weights.suffix.lower() != ".pt":
        message = gettext("Only PyTorch (.pt) weights can be exported, not {path}.")
        raise ModelLoadError(message.format(path=weights))
    _check_file(weights)
    if out_dir is None:
        return _export(load_model(weights), imgsz)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{weights.stem}.onnx"
    with tempfile.TemporaryDirectory(prefix=".export-", dir=out_dir) as scratch:
        copy = Path(scratch) / weights.name
        shutil.copyfile(weights, copy)
        _export(load_model(copy), imgsz).replace(target)
    return target


def _export(model: YOLO, imgsz: int) -> Path:
    path = model.export(
        format="onnx", imgsz=imgsz, simplify=True, opset=ONNX_OPSET, dynamic=False, half=False,
        nms=False, device="cpu", verbose=False,
    )  # fmt: skip
    log.info("exported %s at imgsz %d", path, imgsz)
    return Path(path)
