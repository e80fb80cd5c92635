"""Synonym rules and how they apply to query words (both engines use ``expansions``).

A rule is written like Solr's synonym files: ``hoodie, sweatshirt, hooded sweatshirt`` (two-way: every term
finds the others) or ``beverage => juice, wine, beer`` (one-way: the left terms also find the right ones,
not the other way round). A query word with a rule gets the rule's other terms as alternatives, each
ranked like a stemmed match; terms are compared as exact words (the embedded engine also by stem).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MAX_TERMS = 20
MAX_TERM_LENGTH = 60
_WORD = re.compile(r"[^\W_]+")

# A sensible start for product and e-commerce words, English and German (admins edit the list).
DEFAULT_RULES: tuple[str, ...] = (
    "hoodie, sweatshirt, hooded sweatshirt, sweater, hoody",
    "t-shirt, tshirt, tee",
    "sneaker, trainer, plimsoll, shoe",
    "cushion, pillow",
    "paint, emulsion",
    "beer, ale, lager",
    "beverage, drink => juice, wine, beer",
    "juice, smoothie",
    "bottle, flask",
    "bag, tote",
    "cap, hat",
    "trousers, pants",
    "jacket, coat",
    "mug, cup",
    "saft => juice",
    "kapuzenpullover, kapuzenpulli => hoodie",
    "pullover => sweater, hoodie",
    "farbe, wandfarbe => paint",
    "wein => wine",
    "bier => beer",
    "kissen => cushion",
    "schuh, turnschuh => sneaker, plimsoll, shoe",
    "hemd => shirt",
    "getrank => beverage, juice, wine, beer",
    "schwarz => black",
    "weiss => white",
    "rot => red",
    "gelb => yellow",
    "blau => blue",
    "grun => green",
)


@dataclass(frozen=True)
class Rule:
    """One synonym rule: ``terms`` find each other (two-way), or ``terms`` also find ``targets`` (one-way)."""

    terms: tuple[str, ...]
    targets: tuple[str, ...] = ()

    @property
    def one_way(self) -> bool:
        """True for ``a => b`` rules."""
        return bool(self.targets)

    def text(self) -> str:
        """The rule written out (``a, b`` or ``a => b``)."""
        left = ", ".join(self.terms)
        return f"{left} => {', '.join(self.targets)}" if self.targets else left


def fold(term: str) -> str:
    """A term as query words are compared: lower case, accents off, separators as single spaces."""
    text = unicodedata.normalize("NFKD", term.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(_WORD.findall(text))


def _terms(side: str) -> tuple[str, ...]:
    out = tuple(dict.fromkeys(t for t in (fold(part) for part in side.split(",")) if t))
    if len(out) > MAX_TERMS or any(len(t) > MAX_TERM_LENGTH for t in out):
        raise ValueError(f"a rule has at most {MAX_TERMS} terms of at most {MAX_TERM_LENGTH} characters")
    return out


def parse_rule(text: str) -> Rule:
    """A rule from its written form; a ``ValueError`` says what is wrong."""
    if text.count("=>") > 1:
        raise ValueError("a rule has at most one '=>'")
    if "=>" in text:
        left, right = text.split("=>")
        terms, targets = _terms(left), _terms(right)
        if not terms or not targets:
            raise ValueError("a one-way rule needs terms on both sides of '=>'")
        return Rule(terms, targets)
    terms = _terms(text)
    if len(terms) < 2:
        raise ValueError("a two-way rule needs at least two terms separated by commas")
    return Rule(terms)


def expansions(rules: Iterable[Rule]) -> dict[str, tuple[str, ...]]:
    """Query word -> the terms it also finds. Only one-word terms are looked up (a multi-word term is still
    found through the rule's other terms)."""
    out: dict[str, list[str]] = {}
    for rule in rules:
        for term in rule.terms:
            if " " in term:
                continue
            others = rule.targets or tuple(t for t in rule.terms if t != term)
            known = out.setdefault(term, [])
            known.extend(t for t in others if t not in known and t != term)
    return {word: tuple(alts) for word, alts in out.items() if alts}


def default_expansions() -> Mapping[str, tuple[str, ...]]:
    """The expansions of the default rules."""
    return expansions(parse_rule(text) for text in DEFAULT_RULES)
