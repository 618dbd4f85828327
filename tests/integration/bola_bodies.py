"""Request bodies that name another tenant's resources: the other half of
the BOLA sweep, since an id in a body is looked up as one in a path is."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tenant_estate import Estate

# Body fields that name resources: `..._id`, `..._ids`, and a mix's groups of asset ids.
ID_FIELD = re.compile(r"(_ids?|^groups)$")
GENERATION = {"provider": "local", "prompt": "a lighthouse", "duration": 2, "resolution": "480p"}


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # as the OpenAPI document writes it
    field: str  # dotted, as id_fields names it
    body: dict[str, Any]

    @property
    def name(self) -> str:
        return f"{self.method} {self.path} {self.field}"


def _fields(spec: dict[str, Any], schema: dict[str, Any], seen: frozenset[str]) -> Iterator[str]:
    """Dotted names of a schema's properties, through references."""
    for name, value in schema.get("properties", {}).items():
        yield name
        for ref in _refs(value):
            if ref not in seen:
                nested = spec["components"]["schemas"][ref]
                yield from (f"{name}.{inner}" for inner in _fields(spec, nested, seen | {ref}))


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"].rsplit("/", 1)[1]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def id_fields(spec: dict[str, Any]) -> set[str]:
    """``METHOD path field`` of every request-body field that names a resource."""
    found = set()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            for content in operation.get("requestBody", {}).get("content", {}).values():
                for ref in _refs(content.get("schema", {})):
                    schema = spec["components"]["schemas"][ref]
                    for name in _fields(spec, schema, frozenset({ref})):
                        if ID_FIELD.search(name.rsplit(".", 1)[-1]):
                            found.add(f"{method.upper()} {path} {name}")
    return found


def cases(theirs: Estate, mine: dict[str, str]) -> list[Case]:
    """Calls naming ``theirs`` (another tenant's) in the body; ``mine`` are the
    caller's own video, project, session and character, for the paths."""
    video, image = theirs.ids["asset_id"], theirs.image_id
    own_video = mine["video"]
    return [
        Case("POST", "/v1/transcriptions", "asset_id", {"asset_id": video}),
        Case("POST", "/v1/pose-analyses", "asset_id", {"asset_id": video}),
        Case(
            "POST",
            "/v1/comparisons",
            "reference_asset_id",
            {"reference_asset_id": video, "attempt_asset_id": own_video},
        ),
        Case(
            "POST", "/v1/comparisons", "attempt_asset_id", {"reference_asset_id": own_video, "attempt_asset_id": video}
        ),
        Case("POST", "/v1/clip-jobs", "asset_id", {"asset_id": video}),
        Case("POST", "/v1/generations", "image_asset_id", {**GENERATION, "image_asset_id": image}),
        Case("POST", "/v1/generations", "character_id", {**GENERATION, "character_id": theirs.ids["character_id"]}),
        Case("POST", "/v1/generations:estimate", "image_asset_id", {**GENERATION, "image_asset_id": image}),
        Case(
            "POST",
            "/v1/generations:estimate",
            "character_id",
            {**GENERATION, "character_id": theirs.ids["character_id"]},
        ),
        Case("POST", "/v1/characters", "image_asset_id", {"name": "theirs", "image_asset_id": image}),
        Case("PATCH", "/v1/characters/{character_id}", "image_asset_id", {"image_asset_id": image}),
        Case("POST", "/v1/projects/{project_id}/items", "asset_id", {"asset_id": video}),
        Case(
            "POST",
            "/v1/projects/{project_id}/items",
            "clip.clip_job_id",
            {"clip": {"clip_job_id": theirs.ids["clip_job_id"], "index": 0}},
        ),
        Case("POST", "/v1/mixes", "groups", {"groups": [[own_video], [video]], "variants": 1}),
        Case("POST", "/v1/sessions", "reference_asset_id", {"name": "theirs", "reference_asset_id": video}),
        Case("POST", "/v1/sessions/{session_id}/recordings", "asset_id", {"asset_id": video}),
    ]


def concrete_path(case: Case, mine: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda match: mine[match.group(1)], case.path)
