"""``main.py secrets``: set, list and delete the console's secrets (never printing a value).

A value is typed at a hidden prompt, or read from standard input when that is no terminal
(``printf %s "$TOKEN" | main.py secrets set tool-wd``), never taken as an argument: arguments
end up in the shell's history and in every process listing.
"""

from __future__ import annotations

import argparse
import getpass
import json
from pathlib import Path
from typing import Any, TextIO

from app.security import private_files
from app.security.secrets import SecretStore, SecretStoreError

EXIT_OK, EXIT_USAGE, EXIT_CONFIG = 0, 2, 3
EXPORT_VERSION = 1


def add_parser(commands: Any) -> None:  # argparse._SubParsersAction
    secrets = commands.add_parser(
        "secrets",
        help="tool credentials and keys kept outside the database (OS keyring, or an "
        "owner-only file): set, list (names only) or delete them",
    )
    actions = secrets.add_subparsers(dest="secrets_command", metavar="ACTION", required=True)
    set_parser = actions.add_parser(
        "set",
        help="store a secret; the value is asked for (hidden), or read from standard input",
    )
    set_parser.add_argument("name", metavar="NAME", help="e.g. tool-<connector id>")
    actions.add_parser("list", help="the secrets' names and where they are kept")
    delete = actions.add_parser("delete", help="remove a secret")
    delete.add_argument("name", metavar="NAME")
    export = actions.add_parser(
        "export",
        help="write secrets to a new owner-only file, to carry them to another workstation "
        "of the same control room (e.g. pseudonym-keys column-key)",
    )
    export.add_argument("file", metavar="FILE")
    export.add_argument("names", metavar="NAME", nargs="+")
    imports = actions.add_parser("import", help="store the secrets of an exported file")
    imports.add_argument("file", metavar="FILE")
    imports.add_argument(
        "--replace",
        action="store_true",
        help="overwrite secrets that differ here (pseudonyms and sealed values made with the "
        "replaced keys can no longer be matched or opened)",
    )


def run(
    args: argparse.Namespace,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
    store: SecretStore | None = None,
) -> int:
    store = store if store is not None else SecretStore()
    try:
        if args.secrets_command == "list":
            print(f"backend: {store.backend}", file=stdout)
            for name in store.names():
                print(name, file=stdout)
            return EXIT_OK
        if args.secrets_command == "set":
            value = _read_value(args.name, stdin)
            if not value:
                print("secrets: an empty value is not stored", file=stderr)
                return EXIT_USAGE
            store.set(args.name, value)
            print(f"secret {args.name} stored ({store.backend})", file=stdout)
            return EXIT_OK
        if args.secrets_command == "export":
            return _export(store, Path(args.file), args.names, stdout, stderr)
        if args.secrets_command == "import":
            return _import(store, Path(args.file), args.replace, stdout, stderr)
        if store.delete(args.name):
            print(f"secret {args.name} deleted", file=stdout)
            return EXIT_OK
        print(f"secrets: there is no secret {args.name}", file=stderr)
        return EXIT_CONFIG
    except ValueError as exc:
        print(f"secrets: {exc}", file=stderr)
        return EXIT_USAGE
    except SecretStoreError as exc:
        print(f"secrets: {exc}", file=stderr)
        return EXIT_CONFIG


def _export(
    store: SecretStore, path: Path, names: list[str], stdout: TextIO, stderr: TextIO
) -> int:
    """A workstation sharing a database must use the same pseudonym and column keys as the
    others; this carries them over in a file only its owner can read (delete it after)."""
    values = {name: store.get(name) for name in names}
    missing = sorted(name for name, value in values.items() if value is None)
    if missing:
        print(f"secrets: there is no secret {', '.join(missing)}", file=stderr)
        return EXIT_CONFIG
    document = json.dumps({"version": EXPORT_VERSION, "secrets": values}, indent=2)
    try:
        created = private_files.create(path, document)
    except OSError as exc:
        print(f"secrets: cannot write {path}: {exc}", file=stderr)
        return EXIT_CONFIG
    if not created:
        print(f"secrets: {path} exists already; choose a new file", file=stderr)
        return EXIT_USAGE
    print(
        f"{len(values)} secret(s) written to {path} (owner-only; delete it once imported)",
        file=stdout,
    )
    return EXIT_OK


def _import(store: SecretStore, path: Path, replace: bool, stdout: TextIO, stderr: TextIO) -> int:
    try:
        private_files.tighten(path)
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("version") != EXPORT_VERSION:
            raise ValueError("not a secrets export of version 1")
        values = {str(k): str(v) for k, v in dict(document["secrets"]).items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        print(f"secrets: {path} cannot be imported ({exc})", file=stderr)
        return EXIT_CONFIG
    differing = sorted(
        name for name, value in values.items() if store.get(name) not in (None, value)
    )
    if differing and not replace:
        print(
            f"secrets: {', '.join(differing)} differ here; nothing imported (--replace "
            "overwrites them)",
            file=stderr,
        )
        return EXIT_CONFIG
    for name, value in values.items():
        store.set(name, value)
    print(f"{len(values)} secret(s) imported ({store.backend})", file=stdout)
    return EXIT_OK


def _read_value(name: str, stdin: TextIO) -> str:
    if stdin.isatty():
        return getpass.getpass(f"value of {name} (not shown): ")
    return stdin.readline().rstrip("\r\n")
