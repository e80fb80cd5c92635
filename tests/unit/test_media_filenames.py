"""File-name templates of presets and packages: the one validity rule, and hostile values kept in place."""

from __future__ import annotations

import pytest

from portal.media.filenames import TemplateError, dedupe, render_filename, render_path, template_problems


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("{article_number}_{n}.{ext}", None),
        ("{model_code}/{title}.{ext}", None),
        ("{title}.jpg", "must contain {ext}"),
        ("{title}_{colour}.{ext}", "unknown field(s) colour"),
        ("{title.{ext}", "file name template:"),
        ("{}.{ext}", "unknown field(s)"),
    ],
)
def test_template_problems(template: str, problem: str | None) -> None:
    problems = template_problems(template)
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problem in problems[0]


def test_values_cannot_leave_their_folder() -> None:
    values = {"model_code": "../../etc", "title": "a/b\\c:d\x00", "ext": "jpg"}
    path = render_path("{model_code}/{title}.{ext}", values)
    # One folder level, as the template says; no part can be "..", hidden, or hold a separator.
    assert path == "_.._etc/a_b_c_d_.jpg"
    assert not any(part.startswith(".") for part in path.split("/"))
    assert render_filename("{model_code}/{title}.{ext}", values) == "_.._etc_a_b_c_d_.jpg"


def test_dedupe_numbers_repeats_before_the_extension_case_insensitively() -> None:
    taken: set[str] = set()
    assert [dedupe(p, taken) for p in ("A/x.jpg", "a/X.JPG", "A/x.jpg", "A/noext")] == [
        "A/x.jpg",
        "a/X_2.JPG",
        "A/x_3.jpg",
        "A/noext",
    ]


@pytest.mark.parametrize(
    "template",
    ["{article_number:d}_{n}.{ext}", "{title:>999999999}.{ext}", "{title!r}.{ext}", "{n:{title}}.{ext}"],
)
def test_templates_refuse_format_specs_and_conversions(template: str) -> None:
    # "{article_number:d}" raised ValueError in the package job (a crashed job); a width of 10^9 built
    # a gigabyte string per file. Any user's package form sends a template.
    assert template_problems(template) and "formats and conversions" in template_problems(template)[0]
    with pytest.raises(TemplateError):
        render_path(template, {"article_number": "A-1", "title": "t", "n": 1, "ext": "jpg"})


def test_escaped_braces_are_text() -> None:
    assert template_problems("{{draft}}_{n}.{ext}") == []
    assert render_path("{{x}}_{n}.{ext}", {"n": 1, "ext": "jpg"}) == "{x}_1.jpg"
