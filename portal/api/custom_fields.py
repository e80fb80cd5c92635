"""``/api/v1/fields``: the custom metadata schema. Everyone reads the definitions they may see; admins
create, change and delete them (a change or deletion reindexes the assets it touches, as a job)."""

from __future__ import annotations

from typing import Literal

from flask import Response
from flask.typing import ResponseReturnValue
from pydantic import Field

from portal.api import api_bp
from portal.api.models import Open, Strict
from portal.api.schema import operation, parse_body, respond
from portal.errors import NotFound
from portal.services.catalog import custom_fields, custom_values
from portal.web.context import client_ip, runtime, viewer

FieldType = Literal["text", "long_text", "number", "date", "boolean", "select", "multi_select"]
Audience = Literal["all", "staff"]
Labels = dict[str, str]


class OptionIn(Strict):
    """One choice of a select field: its stored value and labels per language."""

    value: str = Field(min_length=1, max_length=100)
    labels: Labels = Field(default_factory=dict, description='language code -> label, e.g. {"en": "Summer"}')


class CustomFieldBody(Strict):
    """A new field definition."""

    key: str = Field(min_length=1, max_length=40, description="a-z, 0-9 and _, starting with a letter")
    type: FieldType
    labels: Labels = Field(min_length=1, description="language code -> label")
    options: list[OptionIn] = Field(default_factory=list, max_length=500, description="select types only")
    required: bool = Field(False, description="needed before an asset may be submitted for review")
    audience: Audience = Field("all", description="all: shown to partners/public; staff: editors and up")
    searchable: bool = False
    facet: bool = False
    position: int = Field(0, ge=0, le=10_000)


class CustomFieldPatch(Strict):
    """The parts of a definition to change (the key and the type never change)."""

    labels: Labels | None = Field(None, min_length=1)
    options: list[OptionIn] | None = Field(None, max_length=500)
    required: bool | None = None
    audience: Audience | None = None
    searchable: bool | None = None
    facet: bool | None = None
    position: int | None = Field(None, ge=0, le=10_000)


class OptionOut(Open):
    """A choice of a select field."""

    value: str
    labels: Labels


class CustomFieldOut(Open):
    """A field definition."""

    key: str
    type: FieldType
    labels: Labels
    options: list[OptionOut]
    required: bool
    audience: Audience
    searchable: bool
    facet: bool
    position: int


class CustomFieldList(Open):
    """The definitions the caller may see, in display order."""

    items: list[CustomFieldOut]


@api_bp.get("/fields")
@operation(responses={200: CustomFieldList})
def list_custom_fields() -> ResponseReturnValue:
    """The custom metadata fields the caller may see (staff-only ones for editors and above)."""
    with runtime().db.session() as session:
        specs = custom_values.visible_fields(session, viewer())
    return respond(CustomFieldList, {"items": [custom_fields.as_dict(s) for s in specs]})


@api_bp.post("/fields")
@operation(responses={201: CustomFieldOut}, body=CustomFieldBody, errors=(403, 409))
def create_custom_field() -> ResponseReturnValue:
    """Define a new custom field (admins); a taken key is 409."""
    body = parse_body(CustomFieldBody)
    with runtime().db.transaction() as session:
        spec = custom_fields.create_field(session, viewer(), body.model_dump(mode="json"), ip=client_ip())
    return respond(CustomFieldOut, custom_fields.as_dict(spec), 201)


@api_bp.get("/fields/<key>")
@operation(responses={200: CustomFieldOut})
def get_custom_field(key: str) -> ResponseReturnValue:
    """One custom field definition (404 when unknown or staff-only for this caller)."""
    with runtime().db.session() as session:
        specs = {s.key: s for s in custom_values.visible_fields(session, viewer())}
    if key not in specs:
        raise NotFound(f"no custom field {key!r}")
    return respond(CustomFieldOut, custom_fields.as_dict(specs[key]))


@api_bp.patch("/fields/<key>")
@operation(responses={200: CustomFieldOut}, body=CustomFieldPatch, errors=(403, 409))
def update_custom_field(key: str) -> ResponseReturnValue:
    """Change a definition (admins): labels, options, rules. The assets holding a value are reindexed."""
    body = parse_body(CustomFieldPatch)
    data = body.model_dump(mode="json", exclude_unset=True)
    with runtime().db.transaction() as session:
        spec = custom_fields.update_field(session, viewer(), key, data, ip=client_ip())
    return respond(CustomFieldOut, custom_fields.as_dict(spec))


@api_bp.delete("/fields/<key>")
@operation(responses={204: None}, errors=(403,))
def delete_custom_field(key: str) -> ResponseReturnValue:
    """Delete a definition (admins); a job removes its values from the assets and reindexes them."""
    with runtime().db.transaction() as session:
        custom_fields.delete_field(session, viewer(), key, ip=client_ip())
    return Response(status=204)
