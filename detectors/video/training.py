"""Fine-tuning a detection model on operator-marked samples: the training side of the drift loop.

``app.video.dataset.export_dataset`` writes the marked samples as a YOLO dataset; ``fine_tune``
trains on it with ultralytics (on the CPU, offline), and registers the best weights with their
validation metrics in the model registry, where a camera can switch to them. A ``.yaml`` base
builds a model from scratch (no download, the way tests and first runs work); a ``.pt`` base
fine-tunes existing weights, which must already be on disk: a missing base is an error, never
a download.

``python main.py train-detector --data DIR`` runs ``train_main``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from app import paths
from app.video.messages import ModelVersion
from app.video.models import ModelRegistry
from detectors.video.yolo_env import YOLO

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
DEFAULT_BASE = "yolo11n.yaml"
DEFAULT_EPOCHS, DEFAULT_IMGSZ, DEFAULT_BATCH = 30, 640, 8
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
# Our metric names and the keys ultralytics' detection validator reports them under.
METRIC_KEYS = {
    "precision": "metrics/precision(B)",
    "recall": "metrics/recall(B)",
    "map50": "metrics/mAP50(B)",
    "map50_95": "metrics/mAP50-95(B)",
}

Progress = Callable[[str], None]


class TrainingError(ValueError):
    """The dataset or the base model cannot be trained on; the message says why."""


@dataclass(frozen=True, slots=True)
class TrainingRun:
    """Where a run writes (``out_dir``) and how long and large it trains."""

    out_dir: Path
    epochs: int = DEFAULT_EPOCHS
    imgsz: int = DEFAULT_IMGSZ
    batch: int = DEFAULT_BATCH


def check_dataset(data_yaml: Path) -> dict[str, Any]:
    """The dataset description, checked before ultralytics sees it: ultralytics would try to
    download a dataset whose pictures are missing, and runs a ``download`` entry as code."""
    if data_yaml.is_dir():
        data_yaml = data_yaml / "data.yaml"
    if not data_yaml.is_file():
        raise TrainingError(f"no dataset description at {data_yaml}")
    try:
        document = yaml.safe_load(data_yaml.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TrainingError(f"cannot read {data_yaml}: {exc}") from exc
    if not isinstance(document, dict) or not document.get("names"):
        raise TrainingError(f"{data_yaml} names no classes")
    if "download" in document:
        raise TrainingError(f"{data_yaml} has a 'download' entry; datasets must be local")
    root = Path(document.get("path") or data_yaml.parent)  # as ultralytics reads it
    for subset in ("train", "val"):
        folder = root / str(document.get(subset, ""))
        if not document.get(subset) or not folder.is_dir():
            raise TrainingError(f"{data_yaml}: the {subset} pictures folder {folder} is missing")
        if not any(p.suffix.lower() in IMAGE_SUFFIXES for p in folder.rglob("*")):
            raise TrainingError(f"{data_yaml}: the {subset} folder {folder} has no pictures")
    return {**document, "yaml_file": str(data_yaml)}


def _base_model(base: str | Path) -> YOLO:
    text = str(base)
    suffix = Path(text).suffix.lower()
    if suffix == ".pt" and not Path(text).is_file():
        raise TrainingError(f"no base weights at {text} (weights are never downloaded)")
    if suffix not in (".pt", ".yaml", ".yml"):
        raise TrainingError(f"the base must be .pt weights or a model .yaml, not {text}")
    try:
        return YOLO(text, task="detect")
    except Exception as exc:  # a missing YAML name, a broken file: ultralytics' own errors
        raise TrainingError(f"cannot load the base model {text}: {exc}") from exc


def fine_tune(
    data_yaml: Path,
    base: str | Path = DEFAULT_BASE,
    epochs: int = DEFAULT_EPOCHS,
    imgsz: int = DEFAULT_IMGSZ,
    batch: int = DEFAULT_BATCH,
    out_dir: Path | None = None,
    registry: ModelRegistry | None = None,
    title: str | None = None,
    progress: Progress | None = None,
) -> ModelVersion:
    """Trains ``base`` on the dataset, then registers the best weights (as validated at the
    end of training) with their precision, recall, mAP50 and mAP50-95."""
    data = check_dataset(Path(data_yaml))
    data_yaml = Path(data["yaml_file"])
    if epochs < 1 or imgsz < 32 or batch < 1:
        raise TrainingError("epochs and batch must be at least 1, imgsz at least 32")
    run = TrainingRun(out_dir or _default_out_dir(), epochs, imgsz, batch)
    model = _base_model(base)
    best, metrics = _train(model, data_yaml, run, progress or (lambda line: None))
    registry = registry if registry is not None else ModelRegistry()
    name = title or f"{Path(str(base)).stem} tuned on {data_yaml.parent.name}"
    return registry.register(
        best, name, base=str(base), dataset=str(data_yaml.parent), metrics=metrics
    )


def _default_out_dir() -> Path:
    return paths.data_dir() / "training" / datetime.now().strftime("%Y%m%d-%H%M%S")


def _train(
    model: YOLO, data_yaml: Path, run: TrainingRun, progress: Progress
) -> tuple[Path, dict[str, float]]:
    model.add_callback("on_fit_epoch_end", _epoch_reporter(progress))
    progress(f"training {run.epochs} epoch(s) at imgsz {run.imgsz} into {run.out_dir}")
    results = model.train(
        data=str(data_yaml), epochs=run.epochs, imgsz=run.imgsz, batch=run.batch,
        device="cpu", workers=0, plots=False, amp=False, exist_ok=True, verbose=False,
        project=str(run.out_dir.absolute()), name="run",
    )  # fmt: skip
    trainer = model.trainer
    best = Path(trainer.best) if Path(trainer.best).is_file() else Path(trainer.last)
    metrics = _metrics(getattr(results, "results_dict", None) or trainer.metrics or {})
    if len(metrics) < len(METRIC_KEYS):  # the final validation did not run: validate now
        progress(f"validating {best}")
        validation = YOLO(str(best)).val(
            data=str(data_yaml), imgsz=run.imgsz, batch=run.batch, device="cpu", workers=0,
            plots=False, verbose=False, project=str(run.out_dir.absolute()), name="val",
            exist_ok=True,
        )  # fmt: skip
        metrics = _metrics(validation.results_dict)
    return best, metrics


def _metrics(results: Mapping[str, Any]) -> dict[str, float]:
    return {ours: float(results[key]) for ours, key in METRIC_KEYS.items() if key in results}


def _epoch_reporter(progress: Progress) -> Callable[[Any], None]:
    def report(trainer: Any) -> None:
        epoch = trainer.epoch + 1
        if epoch > trainer.epochs:  # ultralytics calls this once more after its final check
            return
        metrics = _metrics(trainer.metrics or {})
        progress(
            f"epoch {epoch}/{trainer.epochs}: loss {_loss(trainer.tloss):.3f}, {_format(metrics)}"
        )

    return report


def _loss(losses: Any) -> float:
    """The summed training loss: a tensor in older ultralytics, a dict of named parts now."""
    if losses is None:
        return float("nan")
    parts = losses.values() if isinstance(losses, Mapping) else [losses]
    return float(sum(float(part.sum()) for part in parts))


def _format(metrics: Mapping[str, float]) -> str:
    return ", ".join(f"{name} {value:.3f}" for name, value in metrics.items())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="watchfloor train-detector",
        description="Fine-tune a YOLO detection model on an exported dataset of marked "
        "detections and register it as a new model version.",
    )
    parser.add_argument(
        "--data",
        type=Path,
        required=True,
        metavar="DIR",
        help="dataset folder holding data.yaml (or the data.yaml itself)",
    )
    parser.add_argument(
        "--base",
        default=DEFAULT_BASE,
        metavar="WEIGHTS",
        help=f"model to start from: .pt weights or a model .yaml "
        f"(default {DEFAULT_BASE}: from scratch)",
    )
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, metavar="N")
    parser.add_argument("--imgsz", type=int, default=DEFAULT_IMGSZ, metavar="N")
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, metavar="N")
    parser.add_argument("--title", metavar="TEXT", help="the model's name in the console")
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="where the training run writes (default: training in the data folder)",
    )
    return parser


def train_main(argv: list[str]) -> int:
    """``watchfloor train-detector``: 0 trained and registered, 2 bad arguments or dataset,
    1 training or registration failed."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed why
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        version = fine_tune(
            args.data, base=args.base, epochs=args.epochs, imgsz=args.imgsz, batch=args.batch,
            out_dir=args.out, title=args.title, progress=lambda line: print(line, flush=True),
        )  # fmt: skip
    except TrainingError as exc:
        print(f"watchfloor train-detector: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # ultralytics, torch and the registry raise all sorts
        log.debug("train-detector failed", exc_info=True)
        print(f"watchfloor train-detector: training failed: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"registered {version.version} ({version.title}): {_format(dict(version.metrics))}")
    print(f"weights: {version.path}")
    return EXIT_OK
