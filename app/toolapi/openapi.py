"""The tool API's OpenAPI document, generated from the models that validate it.

``python -m app.toolapi.openapi`` rewrites ``resources/toolapi/openapi-v1.json``; a test fails
while the committed document differs from what the models say, so tool vendors always read the
truth.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic.json_schema import models_json_schema

from app.toolapi import API_VERSION
from app.toolapi.records import KIND_MODELS
from app.toolapi.schema import ActionOut, RecordPage

DOCUMENT = Path(__file__).resolve().parents[2] / "resources" / "toolapi" / "openapi-v1.json"
REF = "#/components/schemas/{model}"


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def build_document() -> dict[str, Any]:
    models = [*KIND_MODELS.values(), RecordPage, ActionOut]
    _, definitions = models_json_schema([(m, "validation") for m in models], ref_template=REF)
    schemas = definitions["$defs"]
    generic_page = schemas.pop("RecordPage")
    for kind, model in KIND_MODELS.items():
        page = dict(generic_page)
        page["properties"] = {
            **page["properties"],
            "items": {
                "type": "array",
                "maxItems": 10_000,
                "items": {"$ref": REF.format(model=model.__name__)},
                "description": "Each item is validated on its own; invalid items are rejected "
                "and counted without affecting the others.",
            },
        }
        schemas[_page_name(kind)] = page
    error = {"type": "object", "properties": {"error": {"type": "string"}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Watchfloor tool API",
            "version": API_VERSION,
            "description": "What a remote detection tool serves so that Watchfloor consoles can "
            "pull its alerts, detections, sensor observations and tracks, and accepts so that "
            "operators' actions on its alerts reach it. Alerts follow "
            "CAP 1.2 field meanings; locations are GeoJSON (longitude, latitude, WGS 84).",
        },
        "paths": {
            **{f"/api/v1/{kind}": _feed(kind, error) for kind in KIND_MODELS},
            "/api/v1/alerts/{identifier}/actions": {
                "post": {
                    "summary": "An operator's action on one of the tool's alerts (idempotent by "
                    "action_id)",
                    "parameters": [
                        {
                            "name": "identifier",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": _json({"$ref": REF.format(model="ActionOut")}),
                    },
                    "responses": {
                        "202": {"description": "Accepted"},
                        "200": {"description": "Already received (same action_id)"},
                        "422": {"description": "Invalid action", "content": _json(error)},
                    },
                }
            },
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "bearer": {"type": "http", "scheme": "bearer"},
                "basic": {"type": "http", "scheme": "basic"},
                "mutualTLS": {"type": "mutualTLS"},
            },
        },
    }


def render() -> str:
    return json.dumps(build_document(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _page_name(kind: str) -> str:
    return f"{kind.capitalize()}Page"


def _feed(kind: str, error: dict[str, Any]) -> dict[str, Any]:
    return {
        "get": {
            "summary": f"{kind.capitalize()} newer than a cursor, oldest first",
            "parameters": [
                {
                    "name": "since",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string"},
                    "description": "next_cursor of the previous page; omitted at first",
                },
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                },
                {
                    "name": "If-None-Match",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string"},
                },
            ],
            "responses": {
                "200": {
                    "description": "A page; send its ETag next time",
                    "content": _json({"$ref": REF.format(model=_page_name(kind))}),
                },
                "304": {"description": "Nothing new since the ETag sent"},
                "401": {
                    "description": "Missing or wrong credentials",
                    "content": _json(error),
                },
            },
        }
    }


if __name__ == "__main__":
    DOCUMENT.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {DOCUMENT}\n")
