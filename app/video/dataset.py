"""Operator-marked detections as a YOLO-format training set: the data side of the drift loop.

A true positive becomes a labelled box; a false positive contributes its picture with no box
for it, a background example that teaches the model what is *not* that class. Every picture
goes through the caller's ``blur`` before it is written, so exported training data carries no
identifiable faces (the core passes its face blur; export fails rather than skip it).

Layout (what ultralytics' ``train`` reads)::

    out_dir/images/{train,val}/NAME.jpg
    out_dir/labels/{train,val}/NAME.txt   one "class cx cy w h" line per box, normalised
    out_dir/data.yaml                     path, train, val, names

``data.yaml`` is written as JSON, which is YAML too, so no YAML writer is needed. The split
is decided by a hash of each picture's name, so exporting the same pictures again puts every
picture on the same side; the share in ``val`` is the asked fraction, at least one picture.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from detectors.video.cv import cv2
from i18n import gettext

log = logging.getLogger(__name__)

Box = tuple[float, float, float, float]
JPEG_QUALITY = 95


@dataclass(frozen=True, slots=True)
class MarkedSample:
    """One operator verdict: ``bbox`` is the detection's normalised (x, y, w, h), top-left
    corner first, as ``Detection.bbox`` holds it; ``image_path`` is the snapshot it was on."""

    image_path: Path
    label: str
    bbox: Box
    true_positive: bool


@dataclass(frozen=True, slots=True)
class DatasetSummary:
    """What an export wrote. ``negatives`` counts pictures with no box at all; ``skipped``
    lists (picture or mark, reason) for what was left out."""

    root: Path
    data_yaml: Path
    classes: tuple[str, ...]
    train_images: int
    val_images: int
    boxes: int
    negatives: int
    skipped: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class _Picture:
    source: Path
    name: str
    lines: tuple[str, ...]


def export_dataset(
    samples: Iterable[MarkedSample],
    out_dir: Path,
    blur: Callable[[np.ndarray], np.ndarray],
    val_fraction: float = 0.2,
    classes: list[str] | None = None,
) -> DatasetSummary:
    """Writes the YOLO dataset for ``samples`` into ``out_dir`` (new or empty). ``classes``
    fixes the class order (to fine-tune a model on its own classes); by default it is the
    sorted labels of the true positives. Missing or unreadable pictures and marks outside the
    classes are skipped and listed, never fatal; a ``blur`` that fails stops the export."""
    samples = list(samples)
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    if not samples:
        raise ValueError(gettext("There are no marked detections to export."))
    if out_dir.exists() and any(out_dir.iterdir()):
        message = gettext("The folder {path} is not empty; choose a new folder for the dataset.")
        raise ValueError(message.format(path=out_dir))
    names = list(classes) if classes is not None else _default_classes(samples)
    skipped: list[tuple[str, str]] = []
    pictures = _pictures(samples, {name: i for i, name in enumerate(names)}, skipped)
    written = {"train": 0, "val": 0}
    boxes = negatives = 0
    for picture, subsets in _split(_readable(pictures, skipped), val_fraction):
        if _write_picture(picture, subsets, out_dir, blur, skipped):
            for subset in subsets:
                written[subset] += 1
            boxes += len(picture.lines)
            negatives += not picture.lines
    return DatasetSummary(
        root=out_dir,
        data_yaml=_write_data_yaml(out_dir, names),
        classes=tuple(names),
        train_images=written["train"],
        val_images=written["val"],
        boxes=boxes,
        negatives=negatives,
        skipped=tuple(skipped),
    )


def _default_classes(samples: list[MarkedSample]) -> list[str]:
    """The true positives' labels; with none (every mark said "wrong"), every label, so the
    background pictures still train against the classes they were mistaken for."""
    labels = {s.label for s in samples if s.true_positive} or {s.label for s in samples}
    return sorted(labels)


def _pictures(
    samples: list[MarkedSample], index: dict[str, int], skipped: list[tuple[str, str]]
) -> list[_Picture]:
    """One entry per picture, its marks grouped; repeated identical marks count once."""
    grouped: dict[Path, list[str]] = {}
    for sample in samples:
        lines = grouped.setdefault(Path(sample.image_path), [])
        if not sample.true_positive:
            continue
        if sample.label not in index:
            skipped.append((str(sample.image_path), f"label {sample.label!r} is not a class"))
            continue
        line = _label_line(index[sample.label], sample.bbox)
        if line is None:
            skipped.append((str(sample.image_path), f"empty box {sample.bbox}"))
        elif line not in lines:
            lines.append(line)
    return [_Picture(path, _picture_name(path), tuple(lines)) for path, lines in grouped.items()]


def _label_line(class_index: int, bbox: Box) -> str | None:
    x, y, w, h = (float(v) for v in bbox)
    x0, y0 = min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)
    x1, y1 = min(max(x + w, 0.0), 1.0), min(max(y + h, 0.0), 1.0)
    if x1 <= x0 or y1 <= y0:
        return None
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return f"{class_index} {cx:.6f} {cy:.6f} {x1 - x0:.6f} {y1 - y0:.6f}"


def _picture_name(path: Path) -> str:
    """The file's stem plus a digest of its full path: snapshots from different cameras may
    share a file name, and a name must not hop between subsets from one export to the next."""
    digest = hashlib.sha1(str(path).encode("utf-8")).hexdigest()[:10]
    return f"{path.stem}_{digest}"


def _readable(pictures: list[_Picture], skipped: list[tuple[str, str]]) -> list[_Picture]:
    """The pictures that decode, so the split is made among pictures that will be written: a
    file with a JPEG header and nothing behind it passed a header check, landed in ``val`` and
    left validation empty. Decoding twice (here and when writing) keeps memory flat."""
    kept = []
    for picture in pictures:
        if not picture.source.is_file():
            _skip(skipped, picture.source, "missing")
        elif cv2.imread(str(picture.source), cv2.IMREAD_REDUCED_GRAYSCALE_8) is None:
            _skip(skipped, picture.source, "not a readable picture")
        else:
            kept.append(picture)
    return kept


def _skip(skipped: list[tuple[str, str]], path: Path, reason: str) -> None:
    skipped.append((str(path), reason))
    log.warning("dataset export: skipped %s (%s)", path, reason)


def _bucket(name: str) -> float:
    return int(hashlib.sha1(name.encode("utf-8")).hexdigest()[:8], 16) / 16**8


def _split(pictures: list[_Picture], val_fraction: float) -> list[tuple[_Picture, tuple[str, ...]]]:
    """Each picture with the subsets it goes to: the ``val_fraction`` of pictures with the
    lowest hashes (at least one) go to ``val``. Counting pictures under a hash threshold
    instead let chance send most of a small set to ``val``. A single picture goes to both,
    since training needs a ``train`` picture and validation a ``val`` one."""
    ordered = sorted(pictures, key=lambda p: _bucket(p.name))
    if len(ordered) == 1:
        return [(ordered[0], ("train", "val"))]
    val_count = min(max(round(len(ordered) * val_fraction), 1), len(ordered) - 1)
    return [(p, ("val",) if i < val_count else ("train",)) for i, p in enumerate(ordered)]


def _write_picture(
    picture: _Picture,
    subsets: tuple[str, ...],
    out_dir: Path,
    blur: Callable[[np.ndarray], np.ndarray],
    skipped: list[tuple[str, str]],
) -> bool:
    image = cv2.imread(str(picture.source), cv2.IMREAD_COLOR)
    if image is None:
        _skip(skipped, picture.source, "not a readable picture")
        return False
    blurred = blur(image)
    if not isinstance(blurred, np.ndarray) or blurred.shape != image.shape:
        raise ValueError(f"the blur returned a different picture for {picture.source}")
    for subset in subsets:
        images, labels = out_dir / "images" / subset, out_dir / "labels" / subset
        images.mkdir(parents=True, exist_ok=True)
        labels.mkdir(parents=True, exist_ok=True)
        quality = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
        if not cv2.imwrite(str(images / f"{picture.name}.jpg"), blurred, quality):
            raise OSError(f"cannot write {images / picture.name}.jpg")
        text = "".join(f"{line}\n" for line in picture.lines)
        (labels / f"{picture.name}.txt").write_text(text, encoding="utf-8")
    return True


def _write_data_yaml(out_dir: Path, names: list[str]) -> Path:
    for subset in ("train", "val"):
        (out_dir / "images" / subset).mkdir(parents=True, exist_ok=True)
        (out_dir / "labels" / subset).mkdir(parents=True, exist_ok=True)
    document = {
        "path": str(out_dir.absolute()),
        "train": "images/train",
        "val": "images/val",
        "nc": len(names),
        "names": names,
    }
    path = out_dir / "data.yaml"
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
