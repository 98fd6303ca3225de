"""Watchfloor's command line: the console, the headless core, and a screenshot tool.

Exit codes: 0 success, 1 unexpected failure, 2 wrong usage, 3 unusable configuration
(settings, database, scenario; a report's unknown run or incident), 4 the screenshot or report
could not be written, 5 an imported file was refused (nothing of that file was stored) or
`audit verify` found the audit log broken or a `users` command was refused (sign-in failed,
not an administrator).
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
    parser.add_argument(
        "--layout", choices=ROLES, help="layout to open, if it is one of the signed-in person's"
    )
    parser.add_argument("--user", metavar="NAME", help="user name to fill in on the sign-in dialog")
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
    shot.add_argument(
        "--user",
        dest="shot_user",
        metavar="NAME",
        help="who is signed in; the password comes from WATCHFLOOR_PASSWORD, or is the demo "
        "one where the demo accounts are in use (default on the demo: the layout's demo user)",
    )
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
    report.add_argument(
        "--unredacted",
        action="store_true",
        help="keep authors' pseudonyms, e-mail addresses and phone numbers (default: "
        "redacted); needs --as and --purpose, and the person's export and unmask permissions",
    )
    report.add_argument("--purpose", default="", metavar="TEXT", help="why, for the audit log")
    report.add_argument(
        "--as",
        dest="acting_as",
        default="",
        metavar="USER",
        help="who takes the unredacted report out (password asked, or WATCHFLOOR_PASSWORD)",
    )
    _audit_parser(commands)
    from app.security import secrets_cli

    secrets_cli.add_parser(commands)
    _users_parser(commands)
    return parser


def _users_parser(commands) -> None:  # commands: argparse._SubParsersAction
    users = commands.add_parser(
        "users",
        help="manage accounts (as an administrator: --as NAME, password from getpass or the "
        "WATCHFLOOR_PASSWORD environment variable; the first administrator needs no --as)",
    )
    users.add_argument("--as", dest="acting_as", default="", metavar="ADMIN")
    actions = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a local account")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", dest="roles", action="append", default=[], required=True)
    add.add_argument("--org", required=True, metavar="ORG", help="organisation (see the policy)")
    add.add_argument("--display", default="", metavar="TEXT", help="name as shown")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    actions.add_parser("list", help="list the accounts")
    for name, text in (("disable", "disable an account"), ("enable", "enable it again")):
        actions.add_parser(name, help=text).add_argument("name", metavar="NAME")
    passwd = actions.add_parser("passwd", help="set a local account's password")
    passwd.add_argument("name", metavar="NAME")
    passwd.add_argument("--password-stdin", action="store_true")
    roles = actions.add_parser("roles", help="replace an account's roles")
    roles.add_argument("name", metavar="NAME")
    roles.add_argument("--role", dest="roles", action="append", default=[], required=True)


def _users(settings, args: argparse.Namespace) -> int:  # settings: app.settings.Settings
    from app.security.accounts import AccountError
    from app.security.passwords import PasswordRuleError
    from app.security.users_cli import UsersRefusedError, UsersRequest, run_users

    request = UsersRequest(
        action=args.users_command,
        name=getattr(args, "name", ""),
        roles=tuple(getattr(args, "roles", ())),
        organisation=getattr(args, "org", ""),
        display=getattr(args, "display", ""),
        password_stdin=getattr(args, "password_stdin", False),
        acting_as=args.acting_as,
    )
    try:
        run_users(
            settings.effective_database_url(),
            settings.effective_workstation(),
            settings.policy_file,
            request,
        )
    except UsersRefusedError as exc:
        print(f"users: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except (AccountError, PasswordRuleError) as exc:
        print(f"users: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def _since(value: str):  # -> datetime
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO time, e.g. 2026-11-21T10:00"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _audit_parser(commands) -> None:  # commands: argparse._SubParsersAction
    audit = commands.add_parser(
        "audit", help="check or read the audit log (no sign-in needed; each use is recorded)"
    )
    audit_commands = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    audit_commands.add_parser(
        "verify",
        help="check the hash chain: exit 0 when intact, 5 with each broken place listed",
    )
    show = audit_commands.add_parser("show", help="print the newest entries, newest last")
    show.add_argument("--last", type=int, default=50, metavar="N", help="how many (default 50)")
    show.add_argument("--actor", default="", metavar="NAME", help="only this actor")
    show.add_argument("--action", default="", metavar="PREFIX", help="actions starting so")
    show.add_argument("--since", type=_since, metavar="ISO", help="entries from this time on")


def _audit(settings, args: argparse.Namespace) -> int:  # settings: app.settings.Settings
    from app.security.audit_cli import run_show, run_verify
    from app.security.audit_query import AuditFilter

    url = settings.effective_database_url()
    workstation = settings.effective_workstation()
    if args.audit_command == "verify":
        intact = run_verify(url, workstation, sys.stdout, sys.stderr)
        return EXIT_OK if intact else EXIT_REFUSED
    where = AuditFilter(actor=args.actor, action=args.action, since=args.since)
    run_show(url, workstation, max(1, args.last), where, sys.stdout, sys.stderr)
    return EXIT_OK


def _rotate_key() -> int:
    from app.social.keys import KeyStore

    key = KeyStore().rotate()
    print(f"new pseudonym key {key.key_id}; authors are pseudonymised with it from now on")
    return EXIT_OK


def _report(settings, args: argparse.Namespace) -> int:  # settings: app.settings.Settings
    from app.report import ReportError, ReportNotFoundError, ReportWriteError, write_report
    from app.report.collect import collect_exercise, collect_incident
    from app.report.render import check_output, report_language
    from app.security.export_access import ExportRefusedError, export_access
    from app.security.redaction import redact_report
    from app.storage import RecordStore, create_engine_for, upgrade_schema

    language = args.report_lang or settings.language or "en"
    try:
        check_output(args.out)  # before reading anything: a wrong path fails at once
        engine = create_engine_for(settings.effective_database_url())
        try:
            upgrade_schema(engine)
            store = RecordStore(engine)
            subject = args.incident or args.exercise or "latest exercise"
            access = export_access(
                store,
                settings.effective_workstation(),
                unredacted=args.unredacted,
                acting_as=args.acting_as,
                purpose=args.purpose,
                policy_file=settings.policy_file,
                directory=settings.directory,
                target=subject,
            )
            if args.incident:
                data = collect_incident(store, args.incident)
            else:
                data = collect_exercise(store, args.exercise)
            if access.redacted:  # exports are redacted unless a permitted person says why not
                with report_language(language):
                    data = redact_report(data)
            path = write_report(data, args.out, language)
            access.record(data.identifier, file=str(path), kind=data.kind)
        finally:
            engine.dispose()
    except ExportRefusedError as exc:
        print(f"report: {exc}", file=sys.stderr)
        return EXIT_REFUSED
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
    from app.security.export_access import export_access
    from app.storage import RecordStore, create_engine_for, upgrade_schema
    from app.video.dataset import export_dataset
    from app.video.marks import marked_samples
    from app.video.snapshots import SnapshotStore
    from detectors.video.faces import FaceBlurrer

    engine = create_engine_for(settings.effective_database_url())
    try:
        upgrade_schema(engine)
        store = RecordStore(engine)
        samples = marked_samples(store, SnapshotStore())
        # Pictures leave blurred (faces, and the heads of boxed people); on the record.
        access = export_access(
            store,
            settings.effective_workstation(),
            unredacted=False,
            action="export.dataset",
        )
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
    try:
        access.record(str(args.out), pictures=summary.train_images + summary.val_images)
    finally:
        engine.dispose()
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


def _move_plain_credentials(path: Path) -> None:
    """Tool credentials written in the settings file go to the secret store (with a warning);
    if that fails they stay where they are and the console still starts."""
    from app.security.secrets import SecretStoreError
    from app.sync.credentials import move_plain_credentials

    try:
        move_plain_credentials(path)
    except (SecretStoreError, OSError) as exc:
        log.error("Tool credentials left in %s: %s", path, exc)


def _settings(args: argparse.Namespace):  # -> app.settings.Settings
    from app import settings as settings_module

    _move_plain_credentials(args.settings or settings_module.default_path())
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
        if args.command == "audit":
            return _audit(settings, args)
        if args.command == "users":
            return _users(settings, args)
        if args.command == "secrets":
            from app.security import secrets_cli

            return secrets_cli.run(args, sys.stdin, sys.stdout, sys.stderr)
        from widgets.application import NoDisplayError, run_gui, take_screenshot

        if args.command == "screenshot":
            return take_screenshot(
                settings,
                args.out,
                args.size,
                args.wait,
                user=args.shot_user or args.user or "",
                layout=args.shot_layout or args.layout,
            )
        try:
            return run_gui(settings, settings_path=args.settings, username=args.user or "")
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
