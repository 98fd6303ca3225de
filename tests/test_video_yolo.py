"""The YOLO detector end to end: a YAML-built yolo11n (no download) saved as weights, loaded
through the plugin's ``build``, run over real frames of the PETS clip into ``Detection``
records; the same model exported to ONNX and run through ONNX Runtime; bad weights refused
with a reason; ultralytics kept offline and out of ``~/.config``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from app.model import Detection
from detectors.api import CancelToken
from detectors.video.cv import cv2
from detectors.video.frames import Frame
from tests.video_helpers import pets_video

REPO = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 6, 20, 12, 0, tzinfo=UTC)
NAMES = ["person", "handgun", "Knife", "rifle", "backpack"] + [f"class{i}" for i in range(5, 80)]
# What the bundled table must make of the names above; the rest keep their own name.
EXPECTED_EVENTS = {
    "person": "person",
    "handgun": "firearm",
    "Knife": "knife",
    "rifle": "firearm",
    "backpack": "backpack",
}
IMGSZ = 160


def pets_images(count: int, start: int = 0) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(pets_video()))
    try:
        images = []
        for index in range(start + count):
            ok, image = capture.read()
            assert ok, f"frame {index} of the test clip did not decode"
            if index >= start:
                images.append(image)
        return images
    finally:
        capture.release()


def frame(image: np.ndarray, index: int = 0, camera_id: str = "cam-pets") -> Frame:
    return Frame(camera_id, index, T0 + timedelta(seconds=index / 10), image)


def square(image: np.ndarray) -> np.ndarray:
    """A centred square crop: PyTorch letterboxes to the smallest rectangle, a fixed-size
    ONNX file to a square, so only a square picture reaches both models as the same input."""
    height, width = image.shape[:2]
    left = (width - height) // 2
    return np.ascontiguousarray(image[:, left : left + height])


def make_weights(path: Path, calibration: list[np.ndarray]) -> Path:
    """A YAML-built yolo11n whose boxes depend on the picture. Freshly initialised, its
    activations fade to nothing through the layers and every picture gets the same few
    full-frame boxes; batch-norm statistics from real frames (one forward pass in training
    mode) and a tamer class layer give it varied, picture-dependent boxes and scores."""
    import torch

    from detectors.video.yolo_env import YOLO

    torch.manual_seed(0)
    model = YOLO("yolo11n.yaml")
    network = model.model
    batch = np.stack([cv2.resize(image, (IMGSZ, IMGSZ))[..., ::-1] for image in calibration])
    tensor = torch.from_numpy(batch.copy()).permute(0, 3, 1, 2).float() / 255
    norms = [m for m in network.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # a plain average of what it sees
    with torch.no_grad():
        network.train()
        network(tensor)
        network.eval()
        for branch in network.model[-1].cv3:
            branch[-1].weight.mul_(0.1)
    for norm in norms:
        norm.momentum = 0.03
    network.names = dict(enumerate(NAMES))
    model.save(str(path))
    return path


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("yolo")
    with pytest.MonkeyPatch.context() as patch:  # the first import of ultralytics may be here
        patch.setenv("WATCHFLOOR_HOME", str(folder / "home"))
        return make_weights(folder / "pets-yolo11n.pt", pets_images(4, start=0))


def test_yolo_runs_over_real_frames_into_detection_records(weights: Path) -> None:
    from detectors.video import yolo

    images = pets_images(3, start=100)
    frames = [frame(image, 100 + i) for i, image in enumerate(images)]
    overrides = {"CLASS11": "weapon"}
    params = {"weights": str(weights), "confidence": 0.01, "imgsz": IMGSZ, "classes": overrides}
    found = list(yolo.run(frames, params, CancelToken()))

    assert found, "the picture-dependent model finds boxes at a low threshold"
    assert {d.time for d in found} <= {f.time for f in frames}
    assert len({d.time for d in found}) == len(frames), "every frame gets detections"
    for detection in found:
        assert isinstance(detection, Detection)
        assert (detection.detector_id, detection.source_id) == ("yolo", "cam-pets")
        assert detection.label in NAMES
        expected = "weapon" if detection.label == "class11" else detection.label
        assert detection.event_type == EXPECTED_EVENTS.get(detection.label, expected)
        assert 0.01 <= detection.confidence <= 1.0
        x, y, w, h = detection.bbox
        assert 0.0 <= x < 1.0 and 0.0 <= y < 1.0 and w > 0 and h > 0
        assert x + w <= 1.0 + 1e-9 and y + h <= 1.0 + 1e-9
    per_frame = [[d.bbox for d in found if d.time == f.time] for f in frames]
    assert per_frame[0] != per_frame[-1], "the boxes follow the picture"


def test_a_higher_confidence_per_camera_keeps_fewer_boxes(weights: Path) -> None:
    from detectors.video import yolo

    image = pets_images(1, start=300)[0]
    low = yolo.build({"weights": str(weights), "confidence": 0.01, "imgsz": IMGSZ})
    high = yolo.build({"weights": str(weights), "confidence": 0.3, "imgsz": IMGSZ})
    assert low.backend == "pytorch" and dict(low.names) == dict(enumerate(NAMES))
    kept_low, kept_high = low.step(frame(image)), high.step(frame(image))
    assert len(kept_high) < len(kept_low)
    assert all(d.confidence >= 0.3 for d in kept_high)


def test_cancelling_stops_the_detector_between_frames(weights: Path) -> None:
    from detectors.video import yolo

    images = pets_images(3, start=300)
    read: list[int] = []

    def source() -> Iterator[Frame]:
        for index, image in enumerate(images):
            read.append(index)
            yield frame(image, index)

    token = CancelToken()
    params = {"weights": str(weights), "confidence": 0.01, "imgsz": IMGSZ}
    found = []
    for detection in yolo.run(source(), params, token):
        found.append(detection)
        token.cancel()
    assert len(found) == 1 and read == [0]


def test_onnx_export_runs_through_onnx_runtime_like_pytorch(weights: Path, tmp_path: Path) -> None:
    from detectors.video import yolo

    exported = yolo.export_onnx(weights, imgsz=IMGSZ, out_dir=tmp_path / "onnx")
    assert exported == tmp_path / "onnx" / "pets-yolo11n.onnx" and exported.is_file()
    assert not weights.with_suffix(".onnx").exists(), "nothing written beside the weights"
    assert list((tmp_path / "onnx").iterdir()) == [exported], "no scratch left behind"

    params = {"confidence": 0.01, "imgsz": IMGSZ}
    torch_detector = yolo.build({"weights": str(weights), **params})
    onnx_detector = yolo.build({"weights": str(exported), **params})
    assert onnx_detector.backend == "onnx" and dict(onnx_detector.names) == dict(enumerate(NAMES))
    one_thread = yolo.build({"weights": str(exported), "threads": 1, **params})
    session = one_thread._model.predictor.model.backend.session  # ultralytics' own session
    assert session.get_session_options().intra_op_num_threads == 1
    for index, image in enumerate(pets_images(2, start=300)):
        picture = frame(square(image), index)
        from_torch, from_onnx = torch_detector.step(picture), onnx_detector.step(picture)
        assert from_onnx and all(d.time == picture.time for d in from_onnx)
        assert _boxes(one_thread.step(picture)) == _boxes(from_onnx)
        assert abs(len(from_torch) - len(from_onnx)) <= 1 + len(from_torch) // 10
        strongest = sorted(from_torch, key=lambda d: -d.confidence)[:5]
        for detection in strongest:
            assert _has_twin(detection, from_onnx), f"no ONNX box like {detection}"


def _boxes(found: list[Detection]) -> list[tuple]:
    return sorted((d.label, round(d.confidence, 4), *(round(v, 4) for v in d.bbox)) for d in found)


def _has_twin(detection: Detection, others: list[Detection]) -> bool:
    return any(
        other.label == detection.label
        and abs(other.confidence - detection.confidence) < 1e-3
        and max(abs(a - b) for a, b in zip(other.bbox, detection.bbox, strict=True)) < 0.01
        for other in others
    )


def test_class_names_map_to_event_types() -> None:
    from detectors.video.yolo import YoloParams, event_type_for

    assert event_type_for("handgun") == event_type_for("Pistol") == "firearm"
    assert event_type_for("RIFLE") == event_type_for("long-gun") == "firearm"
    assert event_type_for("knife") == "knife" and event_type_for("weapon") == "weapon"
    assert event_type_for("person") == "person" and event_type_for("suitcase") == "suitcase"
    assert event_type_for("traffic light") == "traffic_light"
    assert event_type_for("Zebra") == "Zebra", "an unknown class keeps its own name"
    params = YoloParams(weights=Path("m.pt"), classes={"Zebra": "weapon", "Knife": "fight"})
    assert event_type_for("zebra", params.classes) == "weapon"
    assert event_type_for("knife", params.classes) == "fight"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("absent.pt", None, "does not exist"),
        ("model.txt", b"not weights", "neither PyTorch (.pt) nor ONNX (.onnx)"),
        ("folder.pt", "dir", "is a folder"),
        ("garbage.pt", bytes(range(256)) * 8, "is not a YOLO model"),
        ("garbage.onnx", b"\x08\x07" + bytes(range(200)), "is not a YOLO model"),
        ("empty.onnx", b"", "is not a YOLO model"),
    ],
)
def test_unusable_weights_are_refused_with_a_reason(
    tmp_path: Path, name: str, content: bytes | str | None, reason: str
) -> None:
    from detectors.video import yolo

    path = tmp_path / name
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(yolo.ModelLoadError) as caught:
        yolo.build({"weights": str(path)})
    assert reason in str(caught.value) and str(path) in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_a_pickle_that_is_no_yolo_model_is_refused(tmp_path: Path) -> None:
    import torch

    from detectors.video import yolo

    path = tmp_path / "state.pt"
    torch.save({"weights": torch.zeros(3)}, path)
    with pytest.raises(yolo.ModelLoadError, match="is not a YOLO model"):
        list(yolo.run([], {"weights": str(path)}, CancelToken()))


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"weights": ""},
        {"weights": "m.pt", "confidence": 1.5},
        {"weights": "m.pt", "iou": -0.1},
        {"weights": "m.pt", "imgsz": 16},
        {"weights": "m.pt", "imgsz": "640"},
        {"weights": "m.pt", "threads": -1},
        {"weights": "m.pt", "colour": "red"},
    ],
)
def test_bad_parameters_are_refused_before_loading(params: dict) -> None:
    from detectors.video.yolo import YoloParams

    with pytest.raises(ValueError, match="yolo"):
        YoloParams.from_mapping(params)


def test_only_pytorch_weights_are_exported(tmp_path: Path) -> None:
    from detectors.video import yolo

    with pytest.raises(yolo.ModelLoadError, match=r"Only PyTorch \(.pt\) weights"):
        yolo.export_onnx(tmp_path / "model.onnx", out_dir=tmp_path)
    with pytest.raises(yolo.ModelLoadError, match="does not exist"):
        yolo.export_onnx(tmp_path / "absent.pt", out_dir=tmp_path / "out")


_OFFLINE_PROBE = textwrap.dedent(
    """
    import json, os, socket, sys
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(repr(args[:2]))
        raise OSError("network refused by the test")

    socket.socket.connect = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse
    cv_first = []
    import builtins
    real_import = builtins.__import__

    def watch(name, *args, **kwargs):
        if name == "ultralytics" and not cv_first:
            cv_first.append("detectors.video.cv" in sys.modules)
        return real_import(name, *args, **kwargs)

    builtins.__import__ = watch
    from detectors.video.yolo_env import YOLO
    builtins.__import__ = real_import
    from ultralytics.utils import USER_CONFIG_DIR
    import numpy as np
    YOLO("yolo11n.yaml").predict(np.zeros((64, 64, 3), np.uint8), imgsz=64, verbose=False)
    print(json.dumps({
        "config": str(USER_CONFIG_DIR),
        "attempts": attempts,
        "cv_first": cv_first,
        "env": [os.environ.get(k) for k in ("YOLO_OFFLINE", "YOLO_AUTOINSTALL", "YOLO_VERBOSE")],
    }))
    """
)


@pytest.mark.parametrize("preset", [False, True], ids=["data-folder", "preset"])
def test_ultralytics_stays_offline_and_out_of_the_home_folder(tmp_path: Path, preset: bool) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YOLO_")}
    env.update(HOME=str(tmp_path / "user"), WATCHFLOOR_HOME=str(tmp_path / "wf"))
    env.pop("XDG_CONFIG_HOME", None)
    if preset:
        env["YOLO_CONFIG_DIR"] = str(tmp_path / "chosen")
    done = subprocess.run(
        [sys.executable, "-c", _OFFLINE_PROBE],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=100, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("{"), f"ultralytics printed: {done.stdout!r}"
    report = json.loads(done.stdout)
    assert report["attempts"] == [], "nothing may try the network"
    assert report["cv_first"] == [True], "OpenCV is imported through detectors.video.cv first"
    assert report["env"] == ["1", "false", "false"]
    folder = tmp_path / ("chosen" if preset else "wf/data/ultralytics")
    assert Path(report["config"]) == folder / "Ultralytics"
    assert (folder / "Ultralytics" / "settings.json").is_file()
    assert not (tmp_path / "user" / ".config").exists()
