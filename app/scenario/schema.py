"""The scenario file's JSON Schema (``resources/scenarios/scenario.schema.json``) applied to a
read document, each violation turned into a problem at the line of the field it is about.

The schema is the format's single statement of shapes, types and ranges; the semantic checks
(``app.scenario.checks``) only run on a document that passed it, so they can trust its shape.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from app.bundled import read_json
from app.scenario.document import Document
from app.scenario.errors import FieldPath, Problem, field_name

SCHEMA_PATH = "scenarios/scenario.schema.json"
MAX_PROBLEMS = 50


@cache
def schema() -> dict[str, Any]:
    return read_json(SCHEMA_PATH)


@cache
def _validator() -> Draft202012Validator:
    Draft202012Validator.check_schema(schema())
    return Draft202012Validator(schema())


def schema_problems(document: Document) -> list[Problem]:
    """Every schema violation in ``document`` (at most ``MAX_PROBLEMS``), plus keys written
    twice in one mapping, which the parser would otherwise resolve silently."""
    message = "written twice in the same mapping; only one may stay"
    problems = [
        Problem(document.file, line, field_name(path), message)
        for path, line in document.duplicates
    ]
    for error in _validator().iter_errors(document.data):
        problems.extend(_problems(document, error))
        if len(problems) >= MAX_PROBLEMS:
            break
    return _unique(problems)


def _problems(document: Document, error: ValidationError) -> Iterator[Problem]:
    path: FieldPath = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and error.validator_value is False:
        known = sorted(error.schema.get("properties", {}))
        for key in _extra_keys(error):
            yield document.problem((*path, key), _unknown_field(key, known))
    elif error.validator == "required":
        instance = error.instance if isinstance(error.instance, dict) else {}
        for key in error.validator_value:
            if key not in instance:
                yield document.problem((*path, key), "required field is missing")
    elif "propertyNames" in error.relative_schema_path:
        yield document.problem((*path, str(error.instance)), _name_message(error))
    elif error.validator == "type" and _yaml_boolean(error):
        hint = " (YAML reads yes/no/on/off as true/false: put the text in quotes)"
        yield document.problem(path, error.message + hint)
    else:
        yield document.problem(path, error.message)


def _yaml_boolean(error: ValidationError) -> bool:
    """Text such as ``no`` (Norwegian) that YAML 1.1 read as a boolean."""
    return error.validator_value == "string" and isinstance(error.instance, bool)


def _extra_keys(error: ValidationError) -> list[str]:
    instance = error.instance if isinstance(error.instance, dict) else {}
    known = error.schema.get("properties", {})
    return [str(key) for key in instance if key not in known]


def _unknown_field(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else f"; expected one of {', '.join(known)}"
    return f"unknown field '{key}'{hint}"


def _name_message(error: ValidationError) -> str:
    return f"'{error.instance}' is not a valid name (lower-case letters, digits and '-')"


def _unique(problems: list[Problem]) -> list[Problem]:
    """The same fault reached through two schema branches is reported once."""
    seen: set[tuple[int, str, str]] = set()
    out = []
    for problem in problems:
        key = (problem.line, problem.field, problem.message)
        if key not in seen:
            seen.add(key)
            out.append(problem)
    return out
