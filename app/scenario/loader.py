"""Load a training scenario by name or path, checked from syntax to meaning.

``load_scenario("stadium-weapon")`` finds a bundled scenario (``resources/scenarios/``) by its
``id`` or file stem; anything else is a path to a YAML (``.yaml``/``.yml``) or JSON file.
Loading runs three stages, each reporting every problem with file, line and field: parsing,
the JSON Schema, then the semantic checks. Only a scenario that passes all three is built.

Run as ``python -m app.scenario.loader FILE...`` to check files: it prints ``ok`` per good
file or the problems, and exits 0 when all are good, 3 otherwise.
"""

from __future__ import annotations

import json
import logging
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from app.bundled import resource_path
from app.scenario.build import build_spec
from app.scenario.checks import semantic_findings
from app.scenario.document import YAML_LOADER, read_document
from app.scenario.errors import Problem, ScenarioError, display_path
from app.scenario.model import ScenarioSpec
from app.scenario.schema import schema_problems
from app.scenario.site import read_site

log = logging.getLogger(__name__)

SUFFIXES = (".yaml", ".yml", ".json")
EXIT_INVALID = 3


def scenarios_folder() -> Path:
    return resource_path("scenarios")


def load_scenario(name_or_path: str | Path) -> ScenarioSpec:
    """The checked scenario; raises ``ScenarioError`` listing every problem found."""
    bundled = _bundled(str(name_or_path))
    path = bundled or Path(name_or_path)
    if bundled is None and _plain_name(path) and not path.exists():
        names = ", ".join(name for name, _title in available_scenarios())
        message = f"no scenario named '{name_or_path}' (bundled: {names})"
        raise ScenarioError([Problem("", 0, "", message)])
    document = read_document(path)
    problems = schema_problems(document)
    if problems:
        raise ScenarioError(problems)
    site = read_site(document.data.get("site", []), path.parent)
    findings = semantic_findings(document.data, path.parent, site)
    if findings:
        raise ScenarioError([document.problem(where, message) for where, message in findings])
    spec = build_spec(document, site)
    log.info("Loaded scenario %s (%d injects) from %s", spec.id, len(spec.injects), path)
    return spec


def _plain_name(path: Path) -> bool:
    """A bare word (no folder, no scenario suffix) was meant as a bundled scenario's name."""
    return len(path.parts) == 1 and path.suffix.lower() not in SUFFIXES


def available_scenarios() -> list[tuple[str, str]]:
    """``(name, title)`` of each bundled scenario, sorted by name. Only the files' headers are
    read; a bundled file that cannot even be parsed is left out (and logged)."""
    found = []
    for path in _scenario_files():
        header = _header(path)
        if header is not None:
            found.append(header)
    return sorted(found)


def _scenario_files() -> list[Path]:
    """Scenario files at the top of the folder or one folder down (a scenario with its site
    layers and pictures); the schema itself is not one."""
    folder = scenarios_folder()
    candidates = [*folder.glob("*"), *folder.glob("*/*")]
    return sorted(
        path
        for path in candidates
        if path.is_file()
        and path.suffix.lower() in SUFFIXES
        and not path.name.endswith(".schema.json")
        and _looks_like_scenario(path)
    )


def _looks_like_scenario(path: Path) -> bool:
    """Site layers are JSON too; a scenario is the file that is not a GeoJSON collection."""
    return path.suffix.lower() != ".json" or b'"FeatureCollection"' not in path.read_bytes()[:4096]


def _header(path: Path) -> tuple[str, str] | None:
    stat = path.stat()
    return _cached_header(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _cached_header(path: Path, _mtime_ns: int, _size: int) -> tuple[str, str] | None:
    """Read once per version of the file: listing and name lookups happen often."""
    try:
        text = path.read_text(encoding="utf-8-sig")
        doc: Any = json.loads(text) if path.suffix.lower() == ".json" else _yaml(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        log.warning("Bundled scenario %s cannot be read: %s", path, exc)
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
        return None
    return doc["id"], str(doc.get("title", doc["id"]))


def _yaml(text: str) -> Any:
    return yaml.load(text, Loader=YAML_LOADER)


def _bundled(name: str) -> Path | None:
    """The bundled scenario named ``name``, by file stem first (no file read), then by id."""
    files = _scenario_files()
    for path in files:
        if path.stem == name:
            return path
    for path in files:
        header = _header(path)
        if header is not None and header[0] == name:
            return path
    return None


def main(argv: list[str] | None = None) -> int:
    """Check scenario files (names of bundled ones work too); 0 if all are good, else 3."""
    names = sys.argv[1:] if argv is None else argv
    if not names:
        sys.stderr.write("usage: python -m app.scenario.loader FILE_OR_NAME...\n")
        return 2
    status = 0
    for name in names:
        try:
            spec = load_scenario(name)
        except ScenarioError as exc:
            sys.stdout.write(f"{exc}\n")
            status = EXIT_INVALID
        else:
            sys.stdout.write(f"{display_path(spec.path or Path(name))}: ok\n")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
