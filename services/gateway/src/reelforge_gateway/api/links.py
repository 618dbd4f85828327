"""OpenAPI links: which operations take the id a response returns.

Clients generated from the document, and schemathesis' stateful phase, follow
them from a create to the resource's own operations (create → get → delete).
"""

from __future__ import annotations


def follow(
    status: int, path: str, parameter: str, *methods: str, field: str = "id"
) -> dict[int | str, dict[str, object]]:
    """A ``responses`` entry for ``status`` linking ``field`` of its body to
    ``parameter`` of ``path``'s ``methods``."""
    pointer = path.replace("~", "~0").replace("/", "~1")
    name = parameter.removesuffix("_id").replace("_", " ").title().replace(" ", "")
    return {
        status: {
            "links": {
                f"{method.title()}{name}": {
                    "operationRef": f"#/paths/{pointer}/{method}",
                    "parameters": {parameter: f"$response.body#/{field}"},
                }
                for method in methods
            }
        }
    }
