"""Every kind of media a brand keeps: video, audio, Office documents, SVG/EPS and camera RAW are ingested
with their facts and a preview, searched, played with Range requests, packaged and shown on the brand
hub; hostile files of every kind are refused with a 4xx."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from models import Package, Rendition, Role
from portal.media import documents, vector
from portal.runtime import Runtime
from portal.services.brand import hub as brand_service
from portal.services.catalog.ingest import ingest_file
from portal.services.catalog.products import upsert_product
from portal.services.distribution import packages
from portal.services.governance.policy import Viewer
from portal.services.search.queries import SearchParams, run_search
from tests.brand_helpers import release as hub_release
from tests.gov_helpers import user_with_token
from tests.helpers import asset_and_version
from tests.integration.distribution_helpers import ingest, release
from tests.media_zoo import ZOO, bad_samples, good_samples, video

ADMIN = Viewer(None, Role.ADMIN)
OFFICE = {"datasheet.docx", "launch.pptx", "prices.xlsx", "datasheet.odt", "launch.odp"}
# name -> (media kind, format, a fact that must be there)
EXPECTED = {
    "clip.mp4": ("video", "MP4", {"video_codec": "h264", "audio_codec": "aac"}),
    "clip.webm": ("video", "WEBM", {"video_codec": "vp9", "audio_codec": "opus"}),
    "clip.mkv": ("video", "MKV", {"video_codec": "mpeg4"}),
    "clip.avi": ("video", "AVI", {"video_codec": "mjpeg"}),
    "clip.mov": ("video", "MOV", {"video_codec": "h264"}),
    "jingle.mp3": ("audio", "MP3", {"audio_codec": "mp3", "sample_rate": 44100}),
    "voice.wav": ("audio", "WAV", {"audio_codec": "pcm_s16le", "channels": 2}),
    "voice.flac": ("audio", "FLAC", {"audio_codec": "flac"}),
    "voice.opus": ("audio", "OPUS", {"audio_codec": "opus"}),
    "voice.m4a": ("audio", "M4A", {"audio_codec": "aac"}),
    "camera.dng": ("image", "DNG", {"raw_format": "DNG", "sensor_width": 600}),
    "logo.svg": ("vector", "SVG", {"vector": "svg"}),
    "logo.eps": ("vector", "EPS", {"vector": "eps"}),
    "datasheet.docx": ("document", "DOCX", {}),
    "launch.pptx": ("document", "PPTX", {"pages": 3}),
    "prices.xlsx": ("document", "XLSX", {}),
    "datasheet.odt": ("document", "ODT", {}),
    "launch.odp": ("document", "ODP", {"pages": 3}),
}


def _previews(rt: Runtime, version_id: int) -> set[str]:
    with rt.db.session() as session:
        return set(session.scalars(select(Rendition.preset).where(Rendition.version_id == version_id)))


def test_every_good_sample_is_ingested_with_facts_and_a_preview(sqlite_rt: Runtime, tmp_path: Path) -> None:
    rt = sqlite_rt
    samples = good_samples(tmp_path / "zoo")
    assert set(samples) == set(EXPECTED)
    for name, path in samples.items():
        result = ingest_file(rt, path, name)
        assert result.ok and result.asset_id, f"{name}: {result.error}"
        asset, version = asset_and_version(rt.db, result.asset_id)
        kind, fmt, facts = EXPECTED[name]
        assert (asset.media_kind, version.format) == (kind, fmt), name
        for key, value in facts.items():
            assert version.facts.get(key) == value, f"{name}: {key}={version.facts.get(key)!r}"
        if kind in ("video", "audio"):
            assert 0.9 <= version.facts["duration_s"] <= 1.1, name
        if kind == "video":
            assert (version.width, version.height) == (320, 240), name
        wants_preview = name not in OFFICE or documents.libreoffice() is not None
        if name == "logo.eps" and vector.ghostscript() is None:
            wants_preview = False
        if wants_preview:
            assert version.preview_state == "ready", f"{name}: {version.preview_error}"
            assert {"thumb", "preview"} <= _previews(rt, version.id), name
            if name in OFFICE:  # laid out by LibreOffice: the converted PDF's page count
                assert version.pages and version.pages >= 1 and version.facts["pages"] == version.pages
            if kind == "video":
                assert "filmstrip" in _previews(rt, version.id), name
        else:
            assert version.preview_state == "none" and "not installed" in (version.preview_error or "")
    jingle = asset_and_version(rt.db, ingest_file(rt, samples["jingle.mp3"]).asset_id or 0)[0]
    assert (jingle.title, jingle.creator, jingle.copyright) == ("Jingle", "The Band", "CC0")


def test_pptx_is_found_by_a_word_on_its_third_slide_with_facets(sqlite_rt: Runtime) -> None:
    rt = sqlite_rt
    pptx = ingest_file(rt, ZOO / "launch.pptx").asset_id
    ingest_file(rt, ZOO / "datasheet.docx")
    result = run_search(rt, ADMIN, SearchParams(text="zephyrine"))
    assert result.ids == [pptx]
    kinds = run_search(rt, ADMIN, SearchParams(filters={"page_band": ("2-5 pages",)}))
    assert kinds.ids == [pptx]
    assert {v.value for v in kinds.facets["media_kind"]} == {"document"}


def test_a_partner_plays_a_released_video_with_range_requests(
    app: Flask, tmp_path: Path, login: Callable[..., FlaskClient]
) -> None:
    rt: Runtime = app.extensions["assetport"]
    clip = ingest(rt, video(tmp_path / "spin.mp4", size=(640, 360), seconds=1.0))
    hidden = ingest(rt, video(tmp_path / "draft.mp4", size=(320, 240), seconds=1.0, fps=24))
    release(rt, clip)
    partner = login("partner")
    full = partner.get(f"/a/{clip}/play")
    assert full.status_code == 200 and full.mimetype == "video/mp4"
    assert full.headers["Accept-Ranges"] == "bytes"
    body = full.get_data()
    assert body[4:8] == b"ftyp" and body.find(b"moov") < body.find(b"mdat"), "faststart: moov first"
    part = partner.get(f"/a/{clip}/play", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.get_data() == body[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(body)}"
    assert partner.get(f"/a/{clip}/play", headers={"Range": f"bytes={len(body) + 10}-"}).status_code == 416
    assert partner.get(f"/a/{hidden}/play").status_code == 404  # not released: same as missing
    assert app.test_client().get(f"/a/{clip}/play").status_code in (302, 401)  # log in first
    page = partner.get(f"/assets/{clip}").get_data(as_text=True)
    assert f'src="/a/{clip}/play"' in page and "<video" in page
    strip = partner.get(f"/a/{clip}/filmstrip")
    assert strip.status_code == 200 and strip.mimetype == "image/webp"
    with Image.open(io.BytesIO(strip.get_data())) as im:
        assert im.height == 120 and im.width > 4 * im.height  # several frames side by side


def test_an_approved_videos_720p_rendition_is_delivered_in_a_package(rt: Runtime, tmp_path: Path) -> None:
    with rt.db.transaction() as session:
        upsert_product(session, {"article_number": "V-100", "name": "Spinning chair"})
    clip = ingest(rt, video(tmp_path / "V-100_1.mp4", size=(1280, 960), seconds=0.5))
    still = ingest(rt, ZOO / "logo.svg", "V-100_2.svg")
    release(rt, clip)
    release(rt, still)
    with rt.db.transaction() as session:
        package_id = packages.create_package(
            session, Viewer(None, Role.PARTNER), lines=["V-100"], presets=["video-720", "web"]
        ).id
    rt.queue.join()
    with rt.db.session() as session:
        package = session.get(Package, package_id)
        assert package is not None and package.status == "done", package.error if package else None
        path = package.file_path or ""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        mp4s = [n for n in names if n.endswith(".mp4")]
        assert len(mp4s) == 1 and len([n for n in names if n.endswith(".jpg")]) == 2
        data = archive.read(mp4s[0])
    out = tmp_path / "out.mp4"
    out.write_bytes(data)
    from portal.media.avmedia import probe_av

    facts = probe_av(out, 10**8)
    assert (facts.width, facts.height) == (960, 720) and facts.facts["video_codec"] == "h264"


def test_an_svg_logo_renders_on_the_brand_hub_and_never_inline(app: Flask) -> None:
    rt: Runtime = app.extensions["assetport"]
    logo = ingest(rt, ZOO / "logo.svg", title="Brand logo")
    hub_release(rt, logo)
    with rt.db.transaction() as session:
        brand_service.create_section(session, ADMIN, title="Logos", kind="saved_search", query="logo")
    client = app.test_client()
    assert f"/brand/a/{logo}" in client.get("/brand").get_data(as_text=True)
    thumb = client.get(f"/brand/a/{logo}/thumb")
    assert (
        thumb.status_code == 200 and thumb.mimetype.startswith("image/") and thumb.mimetype != "image/svg+xml"
    )
    with client.session_transaction() as session:
        session["brand_terms_version"] = 2
    original = client.get(f"/brand/a/{logo}/original")
    if original.status_code == 200:
        assert original.headers["Content-Disposition"].startswith("attachment")
        assert original.mimetype != "image/svg+xml"


@pytest.mark.parametrize("role", ["editor"])
def test_every_bad_sample_is_refused_without_a_5xx(app: Flask, tmp_path: Path, role: str) -> None:
    _, headers = user_with_token(app, role)
    client = app.test_client()
    for name, path in bad_samples(tmp_path / "bad").items():
        resp = client.post(
            "/api/v1/assets",
            data={"file": (io.BytesIO(path.read_bytes()), name)},
            headers=headers,
            content_type="multipart/form-data",
        )
        assert 400 <= resp.status_code < 500, (
            f"{name}: {resp.status_code} {resp.get_data(as_text=True)[:300]}"
        )
        text = resp.get_data(as_text=True)
        assert str(tmp_path) not in text, f"{name}: the server path leaks"


def test_the_brand_hub_plays_a_public_video_and_hides_the_rest(app: Flask, tmp_path: Path) -> None:
    rt: Runtime = app.extensions["assetport"]
    clip = ingest(rt, video(tmp_path / "teaser.mp4", size=(320, 240), seconds=0.5), title="Teaser")
    internal = ingest(rt, video(tmp_path / "secret.mp4", size=(320, 240), seconds=0.5, fps=24))
    hub_release(rt, clip)
    hub_release(rt, internal, visibility="internal")
    client = app.test_client()
    page = client.get(f"/brand/a/{clip}").get_data(as_text=True)
    assert f'src="/brand/a/{clip}/play"' in page
    part = client.get(f"/brand/a/{clip}/play", headers={"Range": "bytes=0-7"})
    assert part.status_code == 206 and part.get_data()[4:8] == b"ftyp" and part.mimetype == "video/mp4"
    assert client.get(f"/brand/a/{internal}/play").status_code == 404
    assert client.get(f"/brand/a/{clip}/video-720").status_code in (302, 404)  # a download: terms/offer
    with rt.db.transaction() as session:
        brand_service.update_settings(
            session,
            ADMIN,
            name="Hub",
            colour="#112233",
            intro="",
            terms="",
            public_presets=["web", "print", "video-720"],
        )
    jingle = ingest(rt, good_samples(tmp_path / "zoo")["jingle.mp3"])
    hub_release(rt, jingle)
    video_page = client.get(f"/brand/a/{clip}").get_data(as_text=True)
    audio_page = client.get(f"/brand/a/{jingle}").get_data(as_text=True)
    assert 'data-preset="video-720"' in video_page and 'data-preset="print"' in video_page
    assert 'data-preset="video-720"' not in audio_page and 'data-preset="print"' not in audio_page
    assert f'src="/brand/a/{jingle}/play"' in audio_page


def test_a_video_rendition_job_reports_progress_and_clears_it(sqlite_rt: Runtime, tmp_path: Path) -> None:
    from models import AssetVersion
    from portal.jobs import renditions as rendition_jobs
    from portal.services.distribution import playback

    rt = sqlite_rt
    clip = ingest(rt, video(tmp_path / "long.mp4", size=(320, 240), seconds=3.0))
    _, version = asset_and_version(rt.db, clip)
    seen: list[dict[str, float]] = []
    original = playback.set_progress

    def spy(rt_: Runtime, version_id: int, preset: str, fraction: float | None) -> None:
        original(rt_, version_id, preset, fraction)
        with rt.db.session() as session:
            row = session.get(AssetVersion, version_id)
            seen.append(dict(row.progress) if row else {})

    rendition_jobs.playback.set_progress = spy  # type: ignore[assignment]
    try:
        rendition_jobs.build_rendition(rt, version.id, "video-720")
    finally:
        rendition_jobs.playback.set_progress = original  # type: ignore[assignment]
    assert seen[0] == {"video-720": 0.0} and seen[-1] == {}
    assert "video-720" in _previews(rt, version.id)


def test_the_api_accepts_a_video_and_reports_its_facts(app: Flask, tmp_path: Path) -> None:
    _, headers = user_with_token(app, "editor")
    client = app.test_client()
    clip = video(tmp_path / "api.mp4", seconds=0.5)
    resp = client.post(
        "/api/v1/assets",
        data={"file": (io.BytesIO(clip.read_bytes()), "api.mp4")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_json()
    asset_id = body.get("asset_id") or body.get("id") or body["results"][0]["asset_id"]
    detail = client.get(f"/api/v1/assets/{asset_id}", headers=headers).get_json()
    assert detail["media_kind"] == "video"
    facts = detail["versions"][0]["facts"]
    assert facts["video_codec"] == "h264" and facts["audio_codec"] == "aac" and facts["duration_s"] > 0.4


def test_a_long_video_is_built_by_a_job_not_in_the_request(
    app: Flask, tmp_path: Path, login: Callable[..., FlaskClient]
) -> None:
    rt: Runtime = app.extensions["assetport"]
    clip = ingest(rt, video(tmp_path / "long.mp4", size=(64, 48), seconds=61, fps=5, audio=None))
    release(rt, clip)
    partner = login("partner")
    first = partner.get(f"/a/{clip}/play")
    assert first.status_code == 409 and "being prepared" in first.get_data(as_text=True)
    rt.queue.join()  # the job recorded by the first request
    second = partner.get(f"/a/{clip}/play", headers={"Range": "bytes=0-99"})
    assert second.status_code == 206 and len(second.get_data()) == 100
    _, version = asset_and_version(rt.db, clip)
    assert version.progress == {}
