"""Request and response models of the JSON API, declared once: views validate with them and the OpenAPI
document is generated from them (``portal.api.schema``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from portal.services.paging import MAX_PAGE, MAX_PAGE_SIZE

Visibility = Literal["internal", "partner", "public"]
# A database id: 32-bit on PostgreSQL, so a larger number is refused before it reaches a query.
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
# A custom field value: text, number, yes/no, ISO date (text) or the option values of a multi select.
CustomValue = str | int | float | bool | list[str]


class Open(BaseModel):
    """A response that may carry more fields than the ones named (they are additive, never removed)."""

    model_config = ConfigDict(extra="allow")


class Strict(BaseModel):
    """A request body: unknown fields are an error (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid")


class Paging(BaseModel):
    """``page`` and ``size`` of a listing."""

    page: int = Field(1, ge=1, le=MAX_PAGE)
    size: int = Field(48, ge=1, le=MAX_PAGE_SIZE)


class PageInfo(Open):
    """The paging fields of every listing."""

    total: int
    page: int
    size: int
    pages: int


# --- assets ------------------------------------------------------------------------------------------


class AssetSummary(Open):
    """One asset in a listing."""

    id: int
    title: str | None
    status: str
    visibility: str
    article_numbers: list[str]
    thumbnail_url: str
    created_at: str


class AssetPage(PageInfo):
    """A page of assets."""

    items: list[AssetSummary]


class Link(Open):
    """A link between an asset and an article number or a model code."""

    id: int
    article_number: str | None
    model_code: str | None
    source: str


class InheritedBy(Open):
    """A sibling variant this asset also serves (variant inheritance), and the linked article it is
    inherited from."""

    article_number: str
    inherited_from: str


class AssetDetail(AssetSummary):
    """One asset with metadata, rights, links and versions."""

    description: str | None
    rights_note: str | None
    usage_restrictions: str | None = None
    rights_expire_at: str | None
    tags: list[str]
    links: list[Link]
    inherited_by: list[InheritedBy] = Field(
        default_factory=list, description="variants without an asset of their own of this kind that it serves"
    )
    versions: list[dict[str, object]]
    updated_at: str
    fields: dict[str, CustomValue] = Field(
        default_factory=dict, description="custom field values by field key (those the caller may see)"
    )


class UploadedAsset(AssetDetail):
    """An upload's answer: the asset, and whether the same bytes were stored already."""

    duplicate: bool


class AssetQuery(Paging):
    """Filters of the asset list."""

    article_number: str | None = Field(None, max_length=128, description="only assets linked to it")


class AssetPatch(Strict):
    """The fields to change (absent fields stay as they are; ``null`` clears an optional one)."""

    title: str | None = Field(None, max_length=500)
    description: str | None = Field(None, max_length=20_000)
    tags: list[str] | None = Field(None, max_length=100)
    visibility: Visibility | None = None
    rights_note: str | None = Field(None, max_length=5_000)
    usage_restrictions: str | None = Field(None, max_length=5_000)
    expires_at: str | None = Field(None, max_length=40, description="ISO date or date-time; null: never")
    fields: dict[str, CustomValue | None] | None = Field(
        None, description="custom field values to set by field key (null clears one; absent keys stay)"
    )


class LinkCreate(Strict):
    """Link an asset to an article number or a model code."""

    key: str = Field(min_length=1, max_length=128, description="article number or model code")


class LinkList(Open):
    """The links of one asset."""

    items: list[Link]


class Transition(Strict):
    """A workflow step."""

    action: Literal["submit", "approve", "reject", "reopen", "archive", "restore"]
    comment: str | None = Field(None, max_length=5_000)


class TransitionResult(Open):
    """An asset's workflow state after a step."""

    id: int
    status: str
    approved_version_id: int | None
    current_version_id: int | None
    review_comment: str | None


class ReviewQuery(Paging):
    """Filters of the review queue."""

    uploader: int | None = Field(None, ge=1, le=2**31 - 1)
    product: str | None = Field(None, max_length=128)
    category: str | None = Field(None, max_length=200)
    age: int | None = Field(None, ge=0, le=36_500, description="at least this many days in review")


class ReviewPage(PageInfo):
    """A page of the review queue."""

    items: list[AssetSummary]


class VersionList(Open):
    """The versions of an asset."""

    items: list[dict[str, object]]


class Versioned(Open):
    """An asset after a restored version."""

    id: int


class VersionAdded(BaseModel):
    """A new current version: its asset, id and number, and whether an approved asset went back to review."""

    asset_id: int
    version_id: int
    number: int
    back_in_review: bool


# --- products ----------------------------------------------------------------------------------------


class ProductText(Open):
    """A product's name and description in one language."""

    name: str | None = None
    description: str | None = None


class Product(Open):
    """A product (extra attributes live in ``attributes``; other languages in ``translations``)."""

    article_number: str
    model_code: str | None
    name: str | None
    price: str | None
    currency: str | None
    attributes: dict[str, object]
    translations: dict[str, ProductText] = Field(
        default_factory=dict, description="name and description by language code, e.g. de"
    )
    created_at: str | None
    updated_at: str | None


class ProductAsset(AssetSummary):
    """An asset serving a product: linked to it, to its model, or inherited from a sibling variant."""

    inherited_from: str | None = Field(
        None, description="the sibling article number this asset is inherited from; null when linked"
    )


class ProductWithAssets(Product):
    """A product and the assets the caller may see that serve it (variant inheritance included)."""

    assets: list[ProductAsset]
    asset_count: int


class ProductBody(Open):
    """A product's fields (the same names and rules as a column of the product import; localized columns
    such as ``name@de`` or ``name-de_DE`` too)."""

    name: str | None = None
    translations: dict[str, ProductText] | None = None


class ProductQuery(Paging):
    """Filters of the product list."""

    q: str | None = Field(None, max_length=200, description="words in article number, name, model code")
    category: str | None = Field(None, max_length=200)


class ProductListItem(Product):
    """A product in a listing, with a thumbnail when the caller may see an asset serving it."""

    thumbnail_url: str | None = Field(
        None, description="thumbnail of one asset the caller may see that serves the product; null if none"
    )


class ProductPage(PageInfo):
    """A page of products."""

    items: list[ProductListItem]


# --- search, packages, vision ------------------------------------------------------------------------


class HighlightFragment(Open):
    """A piece of a field's text; ``marked`` when it is a word that matched the query."""

    text: str
    marked: bool


class Highlight(Open):
    """A field that matched the query: ``html`` is its text HTML-escaped with each matched word in a bare
    ``<mark>`` element (safe to insert as is); ``fragments`` is the same as plain pieces."""

    field: str
    label: str
    html: str
    fragments: list[HighlightFragment]


class SearchHit(Open):
    """One hit and why it matched: ``matched_by`` is ``words``, ``meaning`` (found by the text model alone,
    no highlights) or ``words+meaning``; null without query text."""

    id: int
    score: float | None = None
    title: str | None = None
    article_numbers: list[str] = []
    product_names: list[str] = []
    file_type: str | None = None
    status: str | None = None
    thumbnail_url: str
    url: str
    matched_by: Literal["words", "meaning", "words+meaning"] | None = None
    highlights: list[Highlight] = []


class SearchResult(Open):
    """Hits, total and facet counts."""

    total: int
    hits: list[SearchHit]
    facets: dict[str, object]


class Job(Open):
    """A package job: status, progress, report and (when done) its download URL."""

    id: int
    status: str
    status_url: str


class JobCreated(Open):
    """A started job."""

    job: Job


class PackageCreate(Open):
    """What to package: article numbers (or asset ids), presets, file-name template, kind."""

    articles: list[str | int] | None = Field(None, max_length=10_000)
    asset_ids: list[Id] | None = Field(None, max_length=10_000)
    presets: list[str] = Field(default_factory=lambda: ["web"], max_length=50)
    template: str | None = Field(None, max_length=500)
    kind: Literal["zip", "links"] = "zip"


class Items(Open):
    """A list answer."""

    items: list[dict[str, object]]


class Decision(Strict):
    """Accept (true) or reject (false) a tag suggestion."""

    accept: bool


class SuggestionDecided(Open):
    """A tag suggestion after a decision."""

    id: int
    asset_id: int
    tag: str
    state: str


def _form(required: str, **fields: dict[str, object]) -> dict[str, object]:
    binary = {"type": "string", "format": "binary"}
    return {"type": "object", "required": [required], "properties": {required: binary, **fields}}


_TEXT: dict[str, object] = {"type": "string"}
UPLOAD_FORM = _form("file", title=_TEXT, description=_TEXT, article_number={"type": "array", "items": _TEXT})
VERSION_FORM = _form("file", comment=_TEXT)
IMAGE_FORM = _form("image")


class SuggestQuery(BaseModel):
    """What is typed in the search box."""

    q: str = Field("", max_length=200)


class Suggestion(BaseModel):
    """One suggestion: its kind (product, article number, tag, saved search), text, count and query."""

    kind: str
    text: str
    count: int
    query: str


class Suggestions(BaseModel):
    """Suggestions for the typed text, counted over what the caller may see."""

    suggestions: list[Suggestion]
