"""Watchfloor's command line: the console, the headless core, and a screenshot tool.

Exit codes: 0 success, 1 unexpected failure, 2 wrong usage, 3 unusable configuration
(settings, database, scenario; a report's unknown run or incident), 4 the screenshot or report
could not be written, 5 an imported file was refused (nothing of that file was stored).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_CONFIG, EXIT_OUTPUT, EXIT_REFUSED = 0, 1, 2, 3, 4, 5

log = logging.getLogger("watchfloor")


def _positive(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be greater than zero")
    return number


def _speed(value: str) -> float:
    number = _positive(value)
    if not 0.5 <= number <= 60:
        raise argparse.ArgumentTypeError(f"{value!r} is outside 0.5 to 60")
    return number


def _size(value: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in value.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not WIDTHxHEIGHT, e.g. 1600x900") from None
    if not (320 <= width <= 7680 and 240 <= height <= 4320):
        raise argparse.ArgumentTypeError(f"{value!r} is outside 320x240 to 7680x4320")
    return width, height


def build_parser() -> argparse.ArgumentParser:
    from app.settings import ROLES
    from i18n import LANGUAGES

    parser = argparse.ArgumentParser(
        prog="watchfloor",
        description="Situational-awareness console for city control rooms. With no command it "
        "opens the console (on its embedded demo when no source is configured).",
    )
    parser.add_argument(
        "--headless",
        action="store_true",
        help="run the core with no display until Ctrl-C or --duration ends",
    )
    parser.add_argument(
        "--duration",
        type=_positive,
        metavar="SECONDS",
        help="with --headless: stop after this many seconds",
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help="SQLAlchemy database URL (default: SQLite in the user data folder)",
    )
    parser.add_argument(
        "--settings",
        type=Path,
        metavar="FILE",
        help="settings file (default: settings.json in the user config folder)",
    )
    parser.add_argument("--lang", choices=sorted(LANGUAGES), help="user-interface language")
    parser.add_argument("--layout", choices=ROLES, help="role whose layout to open")
    parser.add_argument(
        "--no-demo",
        action="store_true",
        help="do not play the embedded demo when no source is configured",
    )
    parser.add_argument(
        "--scenario",
        metavar="NAME_OR_PATH",
        help="play a training scenario (a bundled one's name, or a YAML/JSON file) instead of "
        "the demo; with --headless, stop when it ends and log the score",
    )
    parser.add_argument(
        "--speed",
        type=_speed,
        metavar="X",
        help="replay speed of the scenario or the demo, 0.5 to 60 (default 1)",
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="logging detail",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    shot = commands.add_parser("screenshot", help="open the window offscreen and save it as PNG")
    shot.add_argument("--out", type=Path, required=True, metavar="FILE.png")
    shot.add_argument("--lang", dest="shot_lang", choices=sorted(LANGUAGES))
    shot.add_argument("--layout", dest="shot_layout", choices=ROLES)
    shot.add_argument("--size", type=_size, default=(1600, 900), metavar="WxH")
    shot.add_argument(
        "--wait",
        type=_positive,
        default=4.0,
        metavar="SECONDS",
        help="how long the demo runs before the picture is taken",
    )
    imports = commands.add_parser(
        "import",
        help="import alert files (CAP, Atom/RSS of CAP, GeoJSON, STIX 2.1, tool API "
        "JSON; a file with any invalid alert is refused whole) and post files (JSONL, CSV; "
        "bad lines are skipped with their reason) into the store",
    )
    imports.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    imports.add_argument(
        "--tool",
        default="import",
        metavar="ID",
        help="source tool the alerts are filed under (default: import)",
    )
    imports.add_argument(
        "--mapping",
        type=Path,
        metavar="FILE.json",
        help="JSON field mapping for files in no standard format",
    )
    analyze = commands.add_parser(
        "analyze-text",
        help="analyse social-media posts: JSONL on standard input, one JSON result per line "
        "on standard output",
    )
    analyze.add_argument(
        "--lang", dest="text_lang", default="auto", help="language of every post, or auto"
    )
    train = commands.add_parser(
        "train-text",
        help="train the threat and hate classifier on the bundled seed corpus plus your "
        "labelled JSONL files, and print its evaluation per language",
    )
    train.add_argument("--data", action="append", default=[], type=Path, metavar="FILE")
    train.add_argument("--out", type=Path, metavar="DIR", help="where the model goes")
    detect = commands.add_parser(
        "detect",
        help="run one video detector over a file, stream or camera with no display: one line "
        "per detection and a summary (exit 3 when the source or detector cannot be used)",
    )
    detect.add_argument("--source", required=True, metavar="PATH_OR_URL")
    detect.add_argument(
        "--detector", required=True, metavar="NAME", help="motion, people, faces or yolo"
    )
    detect.add_argument("--weights", type=Path, metavar="FILE", help="YOLO weights (.pt/.onnx)")
    detect.add_argument("--confidence", type=float, metavar="0..1", help="YOLO threshold")
    detect.add_argument("--frames", type=int, metavar="N", help="stop after N frames")
    detect.add_argument("--json", action="store_true", help="JSON lines instead of text")
    train_video = commands.add_parser(
        "train-detector",
        help="fine-tune a YOLO detector on a YOLO-format dataset (see export-dataset) and "
        "register it as a new model version that cameras can switch to",
    )
    train_video.add_argument("--data", required=True, type=Path, metavar="DIR")
    train_video.add_argument(
        "--base", metavar="WEIGHTS", help="weights to start from (.pt), or a model .yaml"
    )
    train_video.add_argument("--epochs", type=int, metavar="N")
    train_video.add_argument("--imgsz", type=int, metavar="PIXELS")
    train_video.add_argument("--title", metavar="TEXT", help="the version's name in menus")
    train_video.add_argument("--batch", type=int, metavar="N")
    train_video.add_argument("--out", type=Path, metavar="DIR", help="where the run is kept")
    export = commands.add_parser(
        "export-dataset",
        help="write the video detections operators marked true or false as a YOLO-format "
        "dataset (faces blurred) for train-detector",
    )
    export.add_argument("--out", required=True, type=Path, metavar="DIR")
    commands.add_parser(
        "rotate-pseudonym-key",
        help="start a new key for authors' pseudonyms (older keys are kept, outside the "
        "database, for authorised look-ups)",
    )
    report = commands.add_parser(
        "report",
        help="write the after-action report of an exercise run or an incident as PDF or HTML "
        "(with neither --incident nor --exercise: the latest exercise run)",
    )
    subject = report.add_mutually_exclusive_group()
    subject.add_argument("--incident", metavar="ID", help="the incident to report on")
    subject.add_argument("--exercise", metavar="RUN_ID", help="the exercise run to report on")
    report.add_argument("--out", required=True, type=Path, metavar="FILE.pdf|FILE.html")
    report.add_argument("--lang", dest="report_lang", choices=sorted(LANGUAGES))
    return parser


def _rotate_key() -> int:
    from app.social.keys import KeyStore

    key = KeyStore().rotate()
    print(f"new pseudonym key {key.key_id}; authors are pseudonymised with it from now on")
    return EXIT_OK


def _report(settings, args: argparse.Namespace) -> int:  # settings: app.settings.Settings
    from app.report import ReportError, ReportNotFoundError, ReportWriteError, write_report
    from app.report.collect import collect_exercise, collect_incident
    from app.report.render import check_output
    from app.storage import RecordStore, create_engine_for, upgrade_schema

    try:
        check_output(args.out)  # before reading anything: a wrong path fails at once
        engine = create_engine_for(settings.effective_database_url())
        try:
            upgrade_schema(engine)
            store = RecordStore(engine)
            if args.incident:
                data = collect_incident(store, args.incident)
            else:
                data = collect_exercise(store, args.exercise)
            path = write_report(data, args.out, args.report_lang or settings.language or "en")
        finally:
            engine.dispose()
    except ReportNotFoundError as exc:
        print(f"report: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except ReportWriteError as exc:
        print(f"report: {exc}", file=sys.stderr)
        return EXIT_OUTPUT
    except ReportError as exc:
        print(f"report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"report written to {path}")
    return EXIT_OK


def _analyze_text(args: argparse.Namespace) -> int:
    import io

    from detectors.text.cli import analyze_stream

    # Posts come from anywhere: undecodable bytes become U+FFFD instead of ending the run.
    lines = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
    out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", line_buffering=True)
    return analyze_stream(lines, out, language=args.text_lang)


def _train_text(args: argparse.Namespace) -> int:
    from detectors.text.classifier import train_main

    argv = [part for path in args.data for part in ("--data", str(path))]
    if args.out is not None:
        argv += ["--out", str(args.out)]
    return train_main(argv)


def _detect(args: argparse.Namespace) -> int:
    from app.video.detect_cli import run_detect

    params: dict[str, object] = {}
    if args.weights is not None:
        params["weights"] = str(args.weights)
    if args.confidence is not None:
        params["confidence"] = args.confidence
    return run_detect(
        args.source, args.detector, params, args.frames, args.json, sys.stdout, sys.stderr
    )


def _train_detector(args: argparse.Namespace) -> int:
    from detectors.video.training import train_main

    argv = ["--data", str(args.data)]
    for flag in ("base", "epochs", "imgsz", "title", "batch", "out"):
        value = getattr(args, flag)
        if value is not None:
            argv += [f"--{flag}", str(value)]
    return train_main(argv)


def _export_dataset(settings, args: argparse.Namespace) -> int:  # settings: Settings
    from app.storage import RecordStore, create_engine_for, upgrade_schema
    from app.video.dataset import export_dataset
    from app.video.marks import marked_samples
    from app.video.snapshots import SnapshotStore
    from detectors.video.faces import FaceBlurrer

    engine = create_engine_for(settings.effective_database_url())
    try:
        upgrade_schema(engine)
        samples = marked_samples(RecordStore(engine), SnapshotStore())
    finally:
        engine.dispose()
    if not samples:
        print(
            "export-dataset: no video detection has been marked true or false yet", file=sys.stderr
        )
        return EXIT_REFUSED
    try:
        summary = export_dataset(samples, args.out, blur=FaceBlurrer().apply)
    except (OSError, ValueError) as exc:
        print(f"export-dataset: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    print(
        f"{summary.data_yaml}: {summary.train_images} training and {summary.val_images} "
        f"validation picture(s), {summary.boxes} box(es), {summary.negatives} negative(s), "
        f"classes {', '.join(summary.classes) or '-'}"
    )
    for what, reason in summary.skipped:
        print(f"skipped {what}: {reason}")
    return EXIT_OK


def _import(settings, args: argparse.Namespace) -> int:  # settings: app.settings.Settings
    import json

    from app.importer import import_files
    from app.runtime import Core

    mapping = json.loads(args.mapping.read_text(encoding="utf-8")) if args.mapping else None
    core = Core(settings)
    try:
        results = import_files(
            args.paths, core.ingest.accept, core.terms, args.tool, mapping=mapping
        )
    finally:
        core.stop()
    for result in results:
        if result.ok:
            print(f"{result.path}: stored {result.accepted} record(s) ({result.format})")
            for skipped in result.skipped:
                print(f"{result.path}: skipped {skipped}")
        else:
            print(f"{result.path}: refused, nothing stored: {result.error or ''}", file=sys.stderr)
            for reason in result.rejected:
                print(f"{result.path}:   {reason}", file=sys.stderr)
    return EXIT_OK if all(r.ok for r in results) else EXIT_REFUSED


def _settings(args: argparse.Namespace):  # -> app.settings.Settings
    from app import settings as settings_module

    settings = settings_module.load(args.settings)
    if args.db:
        settings.database_url = args.db
    if args.no_demo:
        settings.demo = False
    if args.scenario:
        settings.scenario = args.scenario
    if args.speed is not None:
        settings.demo_speed = args.speed
    language = getattr(args, "shot_lang", None) or args.lang
    role = getattr(args, "shot_layout", None) or args.layout
    if language:
        settings.language = language
    if role:
        settings.role = role
    return settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.log_level != "DEBUG":
        logging.getLogger("alembic").setLevel(logging.WARNING)
    if args.duration is not None and not args.headless:
        parser.error("--duration only applies with --headless")
    if args.headless and args.command:
        parser.error(f"--headless cannot be combined with the {args.command!r} command")

    from app.demo.scenario import ScenarioError
    from app.scenario.errors import ScenarioError as ScenarioFileError
    from app.settings import SettingsError
    from app.storage import StorageError

    try:
        settings = _settings(args)
        if args.headless:
            from app import headless
            from app.runtime import Core

            return headless.run(Core(settings), args.duration)
        if args.command == "import":
            return _import(settings, args)
        if args.command == "analyze-text":
            return _analyze_text(args)
        if args.command == "train-text":
            return _train_text(args)
        if args.command == "detect":
            return _detect(args)
        if args.command == "train-detector":
            return _train_detector(args)
        if args.command == "export-dataset":
            return _export_dataset(settings, args)
        if args.command == "rotate-pseudonym-key":
            return _rotate_key()
        if args.command == "report":
            return _report(settings, args)
        from widgets.application import NoDisplayError, run_gui, take_screenshot

        if args.command == "screenshot":
            return take_screenshot(settings, args.out, args.size, args.wait)
        try:
            return run_gui(settings, settings_path=args.settings)
        except NoDisplayError as exc:
            print(f"watchfloor: {exc}", file=sys.stderr)
            return EXIT_CONFIG
    except (SettingsError, StorageError, ScenarioError, ScenarioFileError) as exc:
        print(f"watchfloor: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except OSError as exc:
        print(f"watchfloor: {exc}", file=sys.stderr)
        return EXIT_OUTPUT if args.command == "screenshot" else EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
