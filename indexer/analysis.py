"""Text analysis shared by both engines: languages, stemming, typo tolerance, prefixes, article numbers.

One configuration drives the embedded engine's tantivy analysers and the OpenSearch analysers compiled in
``indexer.compile_os``, so a word means the same thing in either engine:

- every text field is indexed twice: exact words (letters/digits runs, lower case, ASCII folding) and, per
  configured language, their Snowball stems. An exact match outweighs a stemmed one (``EXACT_WEIGHT``);
- a query word found in neither form matches words within edit distance 1 (4-7 letters) or 2 (8+), ranked
  below (``FUZZY_WEIGHT``); never words with digits (article numbers, sizes) or words under 4 letters;
- the last query word is also a prefix (as you type);
- article numbers and model codes are also indexed separator- and case-insensitively (``AB-1234.56`` ->
  ``ab123456``), so ``ab 1234 56``, ``AB-12`` and ``ab12`` find them; the exact number ranks first;
- all words must match; when that finds fewer than ``RELAX_BELOW`` hits, most words do
  (``min_should_match``), ranked by how many matched (``COORD_BOOST`` per word) and BM25.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from dataclasses import dataclass

# ISO 639-1 code -> Snowball stemmer (tantivy's ``Filter.stemmer`` and OpenSearch's ``snowball`` filter).
STEMMERS: dict[str, str] = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "nl": "Dutch",
    "pt": "Portuguese",
    "sv": "Swedish",
    "da": "Danish",
    "no": "Norwegian",
    "fi": "Finnish",
}
DEFAULT_LANGUAGES: tuple[str, ...] = ("en",)
ENV_LANGUAGES = "ASSETPORT_SEARCH_LANGUAGES"
# Relative weights of how a query word matched a document word.
EXACT_WEIGHT = 1.0
STEM_WEIGHT = 0.6
PREFIX_WEIGHT = 0.4
FUZZY_WEIGHT = 0.25
# Per matched word when only most words need to match: more words matched always ranks higher.
COORD_BOOST = 100.0
# Added when the query, normalised, starts an article number or model code (the exact one gets more).
ARTICLE_PREFIX_BOOST = 500.0
# Relaxing to "most words" happens when all words find fewer hits than this.
RELAX_BELOW = 1
# Typo tolerance: edit distance 1 from this length, 2 from ``FUZZY_TWO``; shorter words must be exact.
FUZZY_MIN = 4
FUZZY_TWO = 8
# A prefix needs at least this many characters (one letter would expand to half the vocabulary).
PREFIX_MIN = 2
MAX_EXPANSIONS = 64
# A normalised query counts as an article-number fragment from this many characters, with a digit.
ARTICLE_MIN = 3
STEM_PREFIX = "~"  # postings key of a stem: "~en:hoodi"
ARTICLE_KEY_PREFIX = "#"  # postings key of a normalised article number or model code: "#ab123456"
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_HAS_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Analysis:
    """The instance's analysis: which languages' stemmers run beside exact words."""

    languages: tuple[str, ...] = DEFAULT_LANGUAGES

    def __post_init__(self) -> None:
        langs = tuple(dict.fromkeys(code.strip().lower() for code in self.languages if code.strip()))
        unknown = [code for code in langs if code not in STEMMERS]
        if unknown:
            raise ValueError(f"unsupported search language(s) {unknown}; use {', '.join(STEMMERS)}")
        object.__setattr__(self, "languages", langs or DEFAULT_LANGUAGES)

    @classmethod
    def parse(cls, value: str | None) -> Analysis:
        """From a comma-separated list such as ``"en,de"`` (empty: English)."""
        return cls(tuple((value or "").split(",")))


def current() -> Analysis:
    """The analysis named by ``ASSETPORT_SEARCH_LANGUAGES`` (English when unset)."""
    return Analysis.parse(os.environ.get(ENV_LANGUAGES))


def stem_key(language: str, stem: str) -> str:
    """The postings key of a stem in a language."""
    return f"{STEM_PREFIX}{language}:{stem}"


def normalize_article(text: str) -> str:
    """An article number or model code without case, accents or separators: ``AB-1234.56`` -> ``ab123456``."""
    folded = unicodedata.normalize("NFKD", str(text).casefold()).encode("ascii", "ignore").decode("ascii")
    return _NOT_ALNUM.sub("", folded)


def article_key(text: str) -> str:
    """The postings key of a normalised article number or model code."""
    return ARTICLE_KEY_PREFIX + normalize_article(text)


def article_fragment(text: str) -> str | None:
    """The normalised query when it could be (the start of) an article number, else None."""
    norm = normalize_article(text)
    if len(norm) >= ARTICLE_MIN and _HAS_DIGIT.search(norm) and len(text.split()) <= 4:
        return norm
    return None


def fuzzy_distance(word: str) -> int:
    """Edit distance a query word may be off by: 0 under 4 letters or with a digit, 1 to 7, 2 from 8."""
    if len(word) < FUZZY_MIN or _HAS_DIGIT.search(word):
        return 0
    return 1 if len(word) < FUZZY_TWO else 2


def min_should_match(words: int) -> int:
    """How many of ``words`` query words must match once "all of them" found too little."""
    if words <= 2:
        return 1
    return max(1, math.ceil(words * 2 / 3))


def within_distance(a: str, b: str, limit: int) -> bool:
    """True when ``a`` and ``b`` are at most ``limit`` edits apart (a transposition counts as one)."""
    if abs(len(a) - len(b)) > limit:
        return False
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], previous2[j - 2] + 1)
        if min(row) > limit:
            return False
        previous2, previous = previous, row
    return previous[-1] <= limit
