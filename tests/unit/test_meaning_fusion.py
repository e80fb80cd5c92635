"""Meaning search pieces without an engine: RRF with strong word hits first, the floor's relative margin, the
embedded text of a document, batched embedding, and match explanations (escaped, bare ``<mark>``)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from indexer.analysis import Analysis
from indexer.meaning import (
    MATCHED_BY_BOTH,
    MATCHED_BY_MEANING,
    MATCHED_BY_WORDS,
    RELATIVE_MARGIN,
    _near_best,
    attach_text_vectors,
    document_text,
    fuse_meaning,
)
from indexer.query import PortalQuery, SearchHit
from indexer.schema import TEXT_VECTOR_FIELD, VECTOR_FIELD
from portal.services.search.explain import explain_hits, matcher


def _hits(*pairs: tuple[int, float]) -> list[SearchHit]:
    return [SearchHit(i, s, {"id": i}) for i, s in pairs]


def test_rrf_sums_reciprocal_ranks_and_breaks_ties_by_id() -> None:
    words = _hits((1, 10.0), (2, 9.0))
    meaning = _hits((2, 0.9), (1, 0.8))
    fused = fuse_meaning(words, [meaning], all_words=False, k=60)
    assert [f.hit.id for f in fused] == [1, 2]  # equal sums (1/61 + 1/62): the smaller id first
    assert fused[0].hit.score == pytest.approx(1 / 61 + 1 / 62)
    assert {f.matched_by for f in fused} == {MATCHED_BY_BOTH}
    assert fused[0].similarity == pytest.approx(0.8)


def test_strong_word_hits_rank_above_hits_found_by_meaning_alone() -> None:
    words = _hits((5, 10.0), (6, 9.0), (7, 1.0))  # 7 is weak: below half the best score
    meaning = _hits((9, 0.9), (8, 0.8), (7, 0.7))
    order = [f.hit.id for f in fuse_meaning(words, [meaning])]
    assert order[:2] == [5, 6]
    assert set(order[2:]) == {7, 8, 9}
    assert order.index(9) < order.index(8)
    by = {f.hit.id: f.matched_by for f in fuse_meaning(words, [meaning])}
    assert by == {
        5: MATCHED_BY_WORDS,
        6: MATCHED_BY_WORDS,
        7: MATCHED_BY_BOTH,
        8: MATCHED_BY_MEANING,
        9: MATCHED_BY_MEANING,
    }


def test_without_word_hits_meaning_decides_and_a_second_vector_list_joins() -> None:
    meaning = _hits((3, 0.6), (4, 0.5))
    clip = _hits((4, 0.3))
    fused = fuse_meaning([], [meaning, clip])
    assert [f.hit.id for f in fused] == [4, 3]  # in both lists
    assert all(f.matched_by == MATCHED_BY_MEANING for f in fused)


def test_duplicates_count_once_and_k_is_checked() -> None:
    fused = fuse_meaning(_hits((1, 2.0), (1, 1.0)), [])
    assert len(fused) == 1 and fused[0].hit.score == pytest.approx(1 / 61)
    with pytest.raises(ValueError):
        fuse_meaning([], [], k=0)


def test_meaning_hits_far_below_the_best_one_are_left_out() -> None:
    hits = _hits((1, 0.8), (2, 0.8 - RELATIVE_MARGIN + 0.01), (3, 0.8 - RELATIVE_MARGIN - 0.01))
    assert [h.id for h in _near_best(hits)] == [1, 2]
    assert _near_best([]) == []


def test_document_text_holds_product_and_metadata_text() -> None:
    doc = {
        "id": 1,
        "title": "Black Hoodie",
        "product_names": ["Black Hoodie"],
        "category": ["Hoodies"],
        "tags": ["winter", "summer-2026"],
        "auto_tags": ["hoodie"],
        "attr.material": ["Cotton"],
        "description": "Warm  and\nsoft " + "x" * 2000,
        "article_numbers": ["62783187"],
    }
    text = document_text(doc)
    assert text.startswith("Black Hoodie. Hoodies. hoodie. Cotton. Warm and soft")
    # Manual tags (workflow and campaign labels, bulk-edited) stay out; words still match them.
    assert "winter" not in text and "summer-2026" not in text
    assert "62783187" not in text and len(text) <= 1000


def test_attach_text_vectors_embeds_each_distinct_text_once() -> None:
    calls: list[Sequence[str]] = []

    def encoder(texts: Sequence[str]) -> list[list[float]]:
        calls.append(list(texts))
        return [[float(len(t)), 1.0] for t in texts]

    docs = [{"id": 1, "title": "Juice"}, {"id": 2, "title": "Juice"}, {"id": 3, "title": "Wine"}, {"id": 4}]
    assert attach_text_vectors(docs, encoder) == 3
    assert calls == [["Juice", "Wine"]]
    assert docs[0][TEXT_VECTOR_FIELD] == docs[1][TEXT_VECTOR_FIELD] == [5.0, 1.0]
    assert TEXT_VECTOR_FIELD not in docs[3]


def test_portal_query_checks_vector_field_and_floor() -> None:
    q = PortalQuery(vector=(1.0, 0.0), vector_field=TEXT_VECTOR_FIELD, min_score=0.35)
    assert q.min_score == 0.35 and q.vector_field == TEXT_VECTOR_FIELD
    assert PortalQuery().vector_field == VECTOR_FIELD
    with pytest.raises(ValueError):
        PortalQuery(vector=(1.0,), vector_field="other")
    with pytest.raises(ValueError):
        PortalQuery(vector=(1.0,), min_score=2.0)


def test_explanations_mark_the_matched_words_and_escape_everything_else() -> None:
    doc = {
        "title": "<script>alert(1)</script> Black Hoodies & more",
        "product_names": ["Black Hoodie"],
        "article_numbers": ["AB-1234.56"],
        "description": "no match here",
    }
    hits = [SearchHit(1, 1.0, doc, MATCHED_BY_WORDS), SearchHit(2, 0.5, doc, MATCHED_BY_MEANING)]
    why = explain_hits(hits, "hoodie", {}, Analysis(("en",)))
    title = why[1].highlights[0]
    assert title.field == "title"
    assert title.html == "&lt;script&gt;alert(1)&lt;/script&gt; Black <mark>Hoodies</mark> &amp; more"
    assert "style" not in title.html
    assert [h.field for h in why[1].highlights] == ["title", "product_names"]
    assert why[2].by_meaning_only and why[2].highlights == ()
    assert explain_hits(hits, "  ", {}, Analysis(("en",))) == {}


def test_explanations_follow_typos_prefixes_synonyms_and_article_fragments() -> None:
    doc = {"title": "Apple Juice", "article_numbers": ["AB-1234.56"], "attr.flavor": ["Apple"]}
    english = Analysis(("en",))
    assert matcher("juise", {}, english).word("Juice")  # one typo
    assert matcher("apple jui", {}, english).word("Juice")  # the last word as a prefix
    assert matcher("beverage", {"beverage": ("juice",)}, english).word("Juice")
    assert not matcher("wine", {}, english).word("Juice")
    why = explain_hits([SearchHit(1, 1.0, doc)], "ab 1234", {}, english)[1]
    assert [(h.field, h.html) for h in why.highlights] == [("article_numbers", "<mark>AB-1234.56</mark>")]


def test_an_unavailable_encoder_leaves_documents_without_text_vectors() -> None:
    docs = [{"id": 1, "title": "Juice"}]
    assert attach_text_vectors(docs, lambda texts: None) == 0
    assert TEXT_VECTOR_FIELD not in docs[0]
