"""The auto-tag vocabulary: tags with prompts, a per-tag score threshold and a group; a default list for
product photography; CSV import."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

# Groups the scorers know about. Tags of one group compete with each other (a photo has one dominant
# colour, one background); ``object`` and ``material`` are what ImageNet classes can speak to.
GROUPS = ("object", "colour", "material", "setting", "background")

DEFAULT_THRESHOLD = 0.35


@dataclass(frozen=True)
class Tag:
    """One vocabulary entry: the tag ``name`` stored on assets, the ``prompts`` describing it (the name is
    used when empty), the minimum calibrated score in [0, 1] for a suggestion, and its ``group``."""

    name: str
    prompts: list[str] = field(default_factory=list)
    threshold: float = DEFAULT_THRESHOLD
    group: str = "object"

    def texts(self) -> list[str]:
        """The phrases describing this tag (its prompts, or its name when it has none)."""
        return list(self.prompts) or [self.name]

    def __hash__(self) -> int:
        return hash((self.name, tuple(self.prompts), self.threshold, self.group))


def _tags(group: str, threshold: float, entries: list[tuple[str, list[str]]]) -> list[Tag]:
    return [Tag(name, prompts, threshold, group) for name, prompts in entries]


DEFAULT_VOCABULARY: list[Tag] = [
    *_tags(
        "object",
        0.35,
        [
            ("t-shirt", ["t-shirt", "tee shirt", "jersey shirt"]),
            ("sweatshirt", ["sweatshirt", "hoodie", "pullover sweater"]),
            ("shirt", ["button-down shirt", "dress shirt"]),
            ("trousers", ["trousers", "jeans", "pants"]),
            ("dress", ["dress", "gown"]),
            ("jacket", ["jacket", "coat"]),
            ("hat", ["hat", "cap", "beanie"]),
            ("sneaker", ["sneaker", "running shoe", "trainer shoe"]),
            ("shoe", ["shoe", "boot", "sandal"]),
            ("bag", ["bag", "backpack", "handbag"]),
            ("bottle", ["bottle", "water bottle", "wine bottle"]),
            ("juice", ["juice", "fruit juice drink", "smoothie"]),
            ("can", ["drink can", "tin can", "bucket of paint"]),
            ("cup", ["cup", "mug", "coffee mug"]),
            ("book", ["book", "comic book", "notebook"]),
            ("toy", ["toy", "teddy bear", "plush toy"]),
            ("watch", ["wristwatch", "watch"]),
            ("jewellery", ["jewellery", "necklace", "ring"]),
            ("glasses", ["sunglasses", "eyeglasses"]),
            ("furniture", ["chair", "table", "sofa"]),
            ("lamp", ["lamp", "table lamp"]),
            ("electronics", ["laptop", "smartphone", "headphones"]),
            ("cosmetics", ["lotion bottle", "lipstick", "perfume bottle"]),
            ("food", ["food", "snack", "fruit"]),
            ("tool", ["hammer", "screwdriver", "power drill"]),
            ("sports gear", ["ball", "skateboard", "tennis racket"]),
            ("gift card", ["gift card", "voucher card"]),
            ("poster", ["poster", "printed graphic"]),
        ],
    ),
    *_tags(
        "colour",
        0.4,
        [
            (c, [f"{c} product", f"{c} object"])
            for c in (
                "black",
                "white",
                "grey",
                "red",
                "orange",
                "yellow",
                "green",
                "teal",
                "blue",
                "purple",
                "pink",
                "brown",
                "beige",
            )
        ],
    ),
    *_tags(
        "material",
        0.4,
        [
            ("cotton", ["cotton fabric", "knitted cotton"]),
            ("denim", ["denim", "jeans fabric"]),
            ("leather", ["leather"]),
            ("wool", ["wool", "knitted wool"]),
            ("metal", ["metal", "steel", "aluminium"]),
            ("wood", ["wood", "wooden"]),
            ("glass", ["glass"]),
            ("plastic", ["plastic"]),
            ("paper", ["paper", "cardboard"]),
            ("ceramic", ["ceramic", "porcelain"]),
        ],
    ),
    *_tags(
        "setting",
        0.4,
        [
            ("packshot", ["product packshot on a plain background", "isolated studio product shot"]),
            ("lifestyle", ["lifestyle photo of the product in use", "person using the product"]),
            ("detail", ["close-up detail shot", "macro detail of the product"]),
            ("group shot", ["group shot of several products", "many products together"]),
        ],
    ),
    *_tags(
        "background",
        0.45,
        [
            ("white background", ["product on a white background", "plain white backdrop"]),
            ("transparent background", ["cut-out product on a transparent background", "product cut-out"]),
            ("scene background", ["product in a real scene", "product in a room or outdoors"]),
            ("coloured background", ["product on a plain coloured background"]),
        ],
    ),
]

_COLUMNS = ("name", "group", "threshold", "prompts")


def parse_vocabulary_csv(text: str) -> list[Tag]:
    """Parse a vocabulary CSV with the header ``name,group,threshold,prompts`` (prompts separated by ``|``;
    group, threshold and prompts may be empty). Raises ``ValueError`` naming the line of a bad row."""
    try:
        return _parse_vocabulary(text)
    except csv.Error as exc:  # a stray carriage return or an over-long field: a bad file, said as one
        raise ValueError(f"malformed CSV: {exc}") from None


def _parse_vocabulary(text: str) -> list[Tag]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "name" not in header:
        raise ValueError(f"line 1: the header must have a 'name' column (columns: {', '.join(_COLUMNS)})")
    unknown = [h for h in header if h not in _COLUMNS]
    if unknown:
        raise ValueError(f"line 1: unknown column(s) {', '.join(unknown)}; expected {', '.join(_COLUMNS)}")
    reader.fieldnames = header
    tags: list[Tag] = []
    seen: set[str] = set()
    for row in reader:
        line = reader.line_num
        tag = _parse_row(row, line)
        if tag is None:
            continue
        if tag.name in seen:
            raise ValueError(f"line {line}: duplicate tag {tag.name!r}")
        seen.add(tag.name)
        tags.append(tag)
    if not tags:
        raise ValueError("the vocabulary CSV has no tags")
    return tags


def _parse_row(row: dict[str | None, str | list[str] | None], line: int) -> Tag | None:
    if row.get(None):
        raise ValueError(f"line {line}: more values than columns")
    values = {k: (v or "").strip() for k, v in row.items() if isinstance(k, str) and not isinstance(v, list)}
    if not any(values.values()):
        return None  # blank line
    name = values.get("name", "")
    if not name:
        raise ValueError(f"line {line}: the tag name is empty")
    if len(name) > 100:
        raise ValueError(f"line {line}: the tag name is longer than 100 characters")
    group = values.get("group", "").lower() or "object"
    if group not in GROUPS:
        raise ValueError(f"line {line}: unknown group {group!r}; use one of {', '.join(GROUPS)}")
    threshold = _parse_threshold(values.get("threshold", ""), line)
    prompts = [p.strip() for p in values.get("prompts", "").split("|") if p.strip()]
    return Tag(name=name, prompts=prompts, threshold=threshold, group=group)


def _parse_threshold(raw: str, line: int) -> float:
    if not raw:
        return DEFAULT_THRESHOLD
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"line {line}: threshold {raw!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"line {line}: threshold {value} must be between 0 and 1")
    return value
