"""JSON or CSV: the `format` query parameter, the choice it makes (with the Accept header)
and the CSV download and its OpenAPI 200, shared by the routes that answer both."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query, Request, Response

from api.export import CSV_MEDIA_TYPE

CONTEXT_HELP = (
    "Every row ends with the context columns target, issue_date, hindcast (true or false), "
    "model_version and data_as_of."
)


FormatQuery = Annotated[
    Literal["json", "csv"] | None,
    Query(
        alias="format",
        description="json, or csv: flat columns for spreadsheets (the 200 response names "
        f"them). {CONTEXT_HELP} Default: csv when the Accept header asks for text/csv, else "
        "json.",
        examples=["csv"],
    ),
]


def csv_response(description: str, example: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI 200 of a route that answers JSON or CSV."""
    return {
        200: {
            "description": description,
            "content": {"text/csv": {"schema": {"type": "string"}, "example": example}},
        }
    }


def csv_attachment(text: str, name: str) -> Response:
    """A CSV download named `name`."""
    return Response(
        text,
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def wants_csv(request: Request, fmt: str | None) -> bool:
    """CSV when `format=csv`, or when no format is given and Accept names text/csv."""
    if fmt is not None:
        return fmt == "csv"
    return "text/csv" in request.headers.get("accept", "")
