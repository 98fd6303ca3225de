"""The drift loop: marked detections exported as a YOLO dataset (faces blurred through the
caller's blur), fine-tuned with ultralytics on the CPU with the network cut off, and
registered as a model version a camera can load. Training runs are one epoch at imgsz 64 on
a handful of generated pictures: slow parts are kept to two runs."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest
import yaml

from app.video.dataset import MarkedSample, export_dataset
from app.video.models import ModelRegistry, RegistryError
from detectors.video.cv import cv2

SIZE = (96, 128)  # height, width of the generated pictures
RED, BLUE = (0, 0, 255), (255, 0, 0)


def invert(image: np.ndarray) -> np.ndarray:
    """A stand-in for the face blur whose effect on a picture is easy to check."""
    return 255 - image


def picture(path: Path, seed: int, boxes: list[tuple[tuple[int, int, int], tuple]]) -> Path:
    """A JPEG of smooth noise with filled rectangles (colour, normalised x, y, w, h) on it."""
    rng = np.random.default_rng(seed)
    small = rng.integers(40, 200, (SIZE[0] // 8, SIZE[1] // 8, 3), dtype=np.uint8)
    image = cv2.resize(small, (SIZE[1], SIZE[0]), interpolation=cv2.INTER_LINEAR)
    for colour, (x, y, w, h) in boxes:
        top_left = (round(x * SIZE[1]), round(y * SIZE[0]))
        bottom_right = (round((x + w) * SIZE[1]), round((y + h) * SIZE[0]))
        cv2.rectangle(image, top_left, bottom_right, colour, thickness=-1)
    assert cv2.imwrite(str(path), image)
    return path


def red_squares(folder: Path, count: int) -> list[MarkedSample]:
    """``count`` pictures, each with one red square marked as a true positive."""
    folder.mkdir(parents=True, exist_ok=True)
    samples = []
    for index in range(count):
        box = (0.1 + 0.06 * index, 0.15 + 0.05 * (index % 4), 0.35, 0.45)
        path = picture(folder / f"snap-{index}.jpg", index, [(RED, box)])
        samples.append(MarkedSample(path, "red", box, true_positive=True))
    return samples


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every way out to the network refuses and is recorded: the test then asserts none was
    even tried (ultralytics swallows failed fetches, so "it still worked" would not prove it)."""
    import requests

    attempts: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(repr(args[:2]))
        raise OSError("network refused by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(requests.Session, "request", refuse)
    return attempts


# --- dataset export -------------------------------------------------------------------------


def test_marked_samples_export_as_a_blurred_yolo_dataset(tmp_path: Path) -> None:
    src = tmp_path / "snapshots"
    src.mkdir()
    red, blue, other_blue = (0.1, 0.2, 0.3, 0.4), (0.55, 0.5, 0.25, 0.3), (0.6, 0.1, 0.2, 0.2)
    paths = [picture(src / f"p{i}.jpg", i, [(RED, red), (BLUE, blue)]) for i in range(6)]
    (src / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    samples = [
        MarkedSample(paths[0], "red", red, True),
        MarkedSample(paths[0], "blue", blue, True),
        MarkedSample(paths[0], "red", red, True),  # marked twice: one box
        MarkedSample(paths[1], "red", red, True),
        MarkedSample(paths[2], "red", red, False),  # a false alarm: a background picture
        MarkedSample(paths[3], "red", red, True),
        MarkedSample(paths[3], "blue", other_blue, False),
        MarkedSample(paths[4], "red", red, True),
        MarkedSample(paths[5], "blue", blue, True),
        MarkedSample(src / "gone.jpg", "red", red, True),
        MarkedSample(src / "broken.jpg", "red", red, True),
    ]
    out = tmp_path / "dataset"
    summary = export_dataset(samples, out, blur=invert)

    assert summary.classes == ("blue", "red") and summary.data_yaml == out / "data.yaml"
    assert (summary.train_images, summary.val_images) in {(5, 1), (4, 2), (3, 3)}
    assert (summary.boxes, summary.negatives) == (6, 1)
    assert dict(summary.skipped) == {
        str(src / "gone.jpg"): "missing",
        str(src / "broken.jpg"): "not a readable picture",
    }
    data = yaml.safe_load((out / "data.yaml").read_text(encoding="utf-8"))
    assert data == {
        "path": str(out),
        "train": "images/train",
        "val": "images/val",
        "nc": 2,
        "names": ["blue", "red"],
    }
    labels = _labels_by_source(out, paths)
    expected_red = f"1 {0.25:.6f} {0.4:.6f} {0.3:.6f} {0.4:.6f}"
    expected_blue = f"0 {0.675:.6f} {0.65:.6f} {0.25:.6f} {0.3:.6f}"
    assert labels["p0"] == [expected_red, expected_blue]
    assert labels["p1"] == labels["p3"] == labels["p4"] == [expected_red]
    assert labels["p2"] == [], "a false positive leaves its picture with no box"
    assert labels["p5"] == [expected_blue]
    _assert_blurred(out, paths)


def _labels_by_source(out: Path, sources: list[Path]) -> dict[str, list[str]]:
    labels = {}
    for subset in ("train", "val"):
        for image in (out / "images" / subset).glob("*.jpg"):
            text = (out / "labels" / subset / f"{image.stem}.txt").read_text(encoding="utf-8")
            source = next(s.stem for s in sources if image.stem.startswith(f"{s.stem}_"))
            labels[source] = text.splitlines()
    assert len(labels) == len(sources), "every readable picture written once"
    return labels


def _assert_blurred(out: Path, sources: list[Path]) -> None:
    for image_path in (out / "images").glob("*/*.jpg"):
        source = next(s for s in sources if image_path.stem.startswith(f"{s.stem}_"))
        written = cv2.imread(str(image_path)).astype(int)
        original = cv2.imread(str(source)).astype(int)
        assert np.abs(written - (255 - original)).mean() < 8, "the blur was applied"
        assert np.abs(written - original).mean() > 40


def test_the_split_is_stable_and_always_validates(tmp_path: Path) -> None:
    samples = red_squares(tmp_path / "snaps", 7)
    first = export_dataset(samples, tmp_path / "a", blur=invert, val_fraction=0.01)
    second = export_dataset(reversed(samples), tmp_path / "b", blur=invert, val_fraction=0.01)
    assert (
        (first.train_images, first.val_images) == (second.train_images, second.val_images) == (6, 1)
    )

    def names(root: Path, subset: str) -> set[str]:
        return {p.name for p in (root / "images" / subset).iterdir()}

    assert names(tmp_path / "a", "val") == names(tmp_path / "b", "val")
    only = export_dataset(samples[:1], tmp_path / "one", blur=invert)
    assert (only.train_images, only.val_images) == (1, 1), "one picture serves both"


def test_given_classes_fix_the_order_and_leave_out_other_labels(tmp_path: Path) -> None:
    samples = red_squares(tmp_path / "snaps", 2)
    samples.append(MarkedSample(samples[0].image_path, "blue", (0.5, 0.5, 0.2, 0.2), True))
    summary = export_dataset(samples, tmp_path / "out", blur=invert, classes=["car", "red"])
    assert summary.classes == ("car", "red") and summary.boxes == 2
    assert summary.skipped == ((str(samples[0].image_path), "label 'blue' is not a class"),)
    lines = [p.read_text().split()[0] for p in (tmp_path / "out" / "labels").glob("*/*.txt")]
    assert lines == ["1", "1"]


def test_an_export_refuses_what_it_cannot_do_safely(tmp_path: Path) -> None:
    samples = red_squares(tmp_path / "snaps", 2)
    with pytest.raises(ValueError, match="no marked detections"):
        export_dataset([], tmp_path / "empty", blur=invert)
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "old.txt").write_text("x")
    with pytest.raises(ValueError, match="not empty"):
        export_dataset(samples, tmp_path / "used", blur=invert)

    def broken_blur(image: np.ndarray) -> np.ndarray:
        raise RuntimeError("face detector failed")

    with pytest.raises(RuntimeError, match="face detector failed"):
        export_dataset(samples, tmp_path / "unblurred", blur=broken_blur)
    assert not list((tmp_path / "unblurred").rglob("*.jpg")), "nothing unblurred written"


# --- the model registry ---------------------------------------------------------------------


def test_the_registry_numbers_copies_and_lists_versions(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "best.pt").write_bytes(b"weights one")
    registry = ModelRegistry(tmp_path / "models")
    first = registry.register(run / "best.pt", "first", base="yolo11n.yaml", metrics={"map50": 0.5})
    (run / "best.pt").write_bytes(b"weights two")
    metrics = {"recall": 0.25, "precision": 0.75, "map50_95": 0.1, "map50": 0.2}
    second = registry.register(run / "best.pt", "second", dataset=str(run), metrics=metrics)
    shutil.rmtree(run)

    assert (first.version, second.version) == ("v1", "v2")
    assert second.metrics == (
        ("precision", 0.75), ("recall", 0.25), ("map50", 0.2), ("map50_95", 0.1),
    )  # fmt: skip
    assert [v.version for v in ModelRegistry(tmp_path / "models").versions()] == ["v1", "v2"]
    assert registry.get("v2") == second and registry.get("v1").title == "first"
    assert registry.path("v1").read_bytes() == b"weights one"
    assert registry.path("v2").read_bytes() == b"weights two"
    assert registry.path("v2").is_relative_to(tmp_path / "models")
    with pytest.raises(KeyError):
        registry.get("v3")


def test_a_broken_registry_is_reported_and_never_overwritten(tmp_path: Path) -> None:
    weights = tmp_path / "best.pt"
    weights.write_bytes(b"weights")
    registry = ModelRegistry(tmp_path / "models")
    registry.register(weights, "kept")
    for broken in ('{"models": [', '{"models": [{"version": "one"}]}', "[]"):
        registry.file.write_text(broken, encoding="utf-8")
        with pytest.raises(RegistryError, match="registry"):
            registry.versions()
        with pytest.raises(RegistryError):
            registry.register(weights, "lost")
        assert registry.file.read_text(encoding="utf-8") == broken
    with pytest.raises(FileNotFoundError):
        ModelRegistry(tmp_path / "other").register(tmp_path / "absent.pt", "none")


def test_weights_can_stay_where_they_are(tmp_path: Path) -> None:
    weights = tmp_path / "exported.onnx"
    weights.write_bytes(b"onnx")
    version = ModelRegistry(tmp_path / "models").register(weights, "in place", copy=False)
    assert Path(version.path) == weights.resolve()
    document = json.loads((tmp_path / "models" / "registry.json").read_text(encoding="utf-8"))
    assert document["models"][0]["file"] == str(weights.resolve())


# --- training -------------------------------------------------------------------------------


def test_train_detector_fine_tunes_offline_and_registers_a_loadable_model(
    tmp_path: Path, no_network: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from app.model import Detection
    from detectors.video import yolo
    from detectors.video.frames import Frame
    from detectors.video.training import train_main

    samples = red_squares(tmp_path / "snaps", 8)
    export_dataset(samples, tmp_path / "dataset", blur=invert)
    argv = ["--data", str(tmp_path / "dataset"), "--epochs", "1", "--imgsz", "64"]
    argv += ["--batch", "4", "--out", str(tmp_path / "runs"), "--title", "red squares"]
    assert train_main(argv) == 0

    out = capsys.readouterr().out
    assert "epoch 1/1: loss " in out and "registered v1 (red squares): precision " in out
    [version] = ModelRegistry().versions()  # the data folder of this test's home
    assert version.version == "v1" and version.title == "red squares"
    assert [name for name, _ in version.metrics] == ["precision", "recall", "map50", "map50_95"]
    assert all(0.0 <= value <= 1.0 for _, value in version.metrics)
    shutil.rmtree(tmp_path / "runs")  # the registry keeps its own copy

    detector = yolo.build({"weights": version.path, "confidence": 0.001, "imgsz": 64})
    assert dict(detector.names) == {0: "red"}
    image = cv2.imread(str(samples[0].image_path))
    found = detector.step(Frame("cam-1", 0, version.created, image))
    assert all(isinstance(d, Detection) and d.label == "red" for d in found)
    exported = yolo.export_onnx(Path(version.path), imgsz=64, out_dir=tmp_path / "onnx")
    assert yolo.build({"weights": str(exported), "confidence": 0.001}).backend == "onnx"
    assert no_network == [], "training, inference and export never touch the network"


def test_fine_tuning_pytorch_weights_registers_the_next_version(
    tmp_path: Path, no_network: list[str]
) -> None:
    from detectors.video.training import fine_tune
    from detectors.video.yolo_env import YOLO

    base = tmp_path / "base.pt"
    YOLO("yolo11n.yaml").save(str(base))
    registry = ModelRegistry(tmp_path / "models")
    registry.register(base, "shipped")
    export_dataset(red_squares(tmp_path / "snaps", 6), tmp_path / "dataset", blur=invert)
    progress: list[str] = []
    version = fine_tune(
        tmp_path / "dataset" / "data.yaml", base=base, epochs=1, imgsz=64, batch=4,
        out_dir=tmp_path / "runs", registry=registry, progress=progress.append,
    )  # fmt: skip
    assert version.version == "v2" and version.title == "base tuned on dataset"
    assert len(version.metrics) == 4 and Path(version.path).is_file()
    assert any(line.startswith("epoch 1/1: ") for line in progress)
    entry = json.loads(registry.file.read_text(encoding="utf-8"))["models"][1]
    assert (entry["base"], entry["dataset"]) == (str(base), str(tmp_path / "dataset"))
    assert no_network == []


def _without_val_pictures(root: Path) -> Path:
    export_dataset(red_squares(root / "snaps", 3), root / "dataset", blur=invert)
    for image in (root / "dataset" / "images" / "val").iterdir():
        image.unlink()
    return root / "dataset"


def _with_download_entry(root: Path) -> Path:
    export_dataset(red_squares(root / "snaps", 3), root / "dataset", blur=invert)
    data = root / "dataset" / "data.yaml"
    data.write_text(data.read_text().replace('"nc"', '"download": "rm -rf /",\n  "nc"'))
    return root / "dataset"


@pytest.mark.parametrize(
    ("make_data", "reason"),
    [
        (lambda root: root / "absent", "no dataset description at"),
        (lambda root: root, "no dataset description at"),
        (_without_val_pictures, "has no pictures"),
        (_with_download_entry, "datasets must be local"),
    ],
)
def test_train_detector_refuses_a_bad_dataset_with_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make_data, reason: str
) -> None:
    from detectors.video.training import train_main

    data = make_data(tmp_path)
    assert train_main(["--data", str(data)]) == 2
    assert reason in capsys.readouterr().err
    assert ModelRegistry().versions() == []


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        (["--base", "yolo11n.pt"], "never downloaded"),
        (["--base", "model.onnx"], "must be .pt weights or a model .yaml"),
        (["--base", "no-such-model.yaml"], "cannot load the base model"),
        (["--epochs", "0"], "epochs and batch must be at least 1"),
    ],
)
def test_train_detector_refuses_a_bad_base_or_setting(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    no_network: list[str],
    extra: list[str],
    reason: str,
) -> None:
    from detectors.video.training import train_main

    export_dataset(red_squares(tmp_path / "snaps", 3), tmp_path / "dataset", blur=invert)
    assert train_main(["--data", str(tmp_path / "dataset"), *extra]) == 2
    assert reason in capsys.readouterr().err
    assert no_network == []
