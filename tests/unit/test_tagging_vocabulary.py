"""The default vocabulary and CSV import."""

from __future__ import annotations

import pytest

from tagging.vocabulary import DEFAULT_VOCABULARY, GROUPS, Tag, parse_vocabulary_csv


def test_default_vocabulary_covers_product_photography() -> None:
    names = [t.name for t in DEFAULT_VOCABULARY]
    assert len(names) == len(set(names))
    assert {t.group for t in DEFAULT_VOCABULARY} == set(GROUPS)
    for expected in ("t-shirt", "red", "leather", "packshot", "lifestyle", "detail", "group shot"):
        assert expected in names
    assert {"white background", "transparent background", "scene background"} <= set(names)
    assert all(0 < t.threshold < 1 and t.texts() for t in DEFAULT_VOCABULARY)
    assert not any("landscape" in n or "portrait" in n for n in names)  # orientation-independent


def test_parse_csv() -> None:
    text = (
        "\ufeffName,Group,Threshold,Prompts\nred shoe,object,0.5,a red shoe| red sneaker \n\nblue,colour,,\n"
    )
    assert parse_vocabulary_csv(text) == [
        Tag("red shoe", ["a red shoe", "red sneaker"], 0.5, "object"),
        Tag("blue", [], 0.35, "colour"),
    ]
    assert parse_vocabulary_csv("name\nmug\n") == [Tag("mug")]
    assert Tag("mug").texts() == ["mug"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tag,group\nx,object\n", "line 1: the header must have a 'name' column"),
        ("name,colour\nx,red\n", "line 1: unknown column(s) colour"),
        ("name,group\nx,shapes\n", "line 2: unknown group 'shapes'"),
        ("name,threshold\nx,0.5\ny,high\n", "line 3: threshold 'high' is not a number"),
        ("name,threshold\nx,1.5\n", "line 2: threshold 1.5 must be between 0 and 1"),
        ("name,group\nx,object,extra\n", "line 2: more values than columns"),
        ("name,group\n,object\n", "line 2: the tag name is empty"),
        ("name\nx\nx\n", "line 3: duplicate tag 'x'"),
        ("name\n", "no tags"),
        ("", "line 1"),
    ],
)
def test_parse_csv_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_vocabulary_csv(text)


def test_parse_vocabulary_reads_bare_cr_and_says_a_malformed_file_is_one() -> None:
    assert parse_vocabulary_csv("name,group\rmug,object\r") == [Tag("mug", group="object")]
    with pytest.raises(ValueError, match="malformed CSV"):  # csv.Error would escape the documented type
        parse_vocabulary_csv('name\n"' + "a" * 200_000 + '"\n')
