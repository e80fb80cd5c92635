"""The ``assetport`` command line, run in-process against real databases."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from models import Asset, AuditEvent, Product, User
from models.brand import BrandSection
from models.db import Database
from portal.cli import main
from tests.helpers import DEMO, ZOO, count


@pytest.fixture
def cli_env(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setenv("ASSETPORT_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("ASSETPORT_DATABASE_URL", database_url)
    monkeypatch.setenv("ASSETPORT_WORKER_THREADS", "2")
    monkeypatch.delenv("ASSETPORT_REDIS_URL", raising=False)
    return Database(database_url)


def test_init_and_create_user(cli_env: Database) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    result = runner.invoke(
        main, ["create-user", "Ann@Example.com", "--role", "manager", "--password", "a-long-enough-password"]
    )
    assert result.exit_code == 0, result.output
    dup = runner.invoke(
        main, ["create-user", "ann@example.com", "--role", "manager", "--password", "a-long-enough-password"]
    )
    assert dup.exit_code != 0 and "already exists" in dup.output
    prompted = runner.invoke(
        main,
        ["create-user", "bob@example.com", "--role", "editor"],
        input="another-long-password\nanother-long-password\n",
    )
    assert prompted.exit_code == 0, prompted.output
    bad_role = runner.invoke(main, ["create-user", "c@example.com", "--role", "boss", "--password", "x" * 12])
    assert bad_role.exit_code != 0
    assert count(cli_env, User) == 2


def test_import_products_good_and_broken(cli_env: Database, tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["import-products", str(DEMO / "products.csv")])
    assert ok.exit_code == 0, ok.output
    assert "124 created" in ok.output
    again = runner.invoke(main, ["import-products", str(DEMO / "products.csv")])
    assert "0 created" in again.output and "124 unchanged" in again.output
    broken = tmp_path / "broken.csv"
    broken.write_text("sku_missing,title\n1,a\n")
    bad = runner.invoke(main, ["import-products", str(broken)])
    assert bad.exit_code != 0 and "article_number" in bad.output
    assert count(cli_env, Product) == 124


def test_ingest_reports_rejected_files_and_exits_nonzero(cli_env: Database, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    for name in ["hopper.jpg", "flower.webp", "hopper_mask.png"]:
        shutil.copy(ZOO / "good" / name, folder / name)
    shutil.copy(ZOO / "bad" / "truncated_jpeg.jpg", folder / "truncated_jpeg.jpg")
    shutil.copy(ZOO / "bad" / "test-ole-file.doc", folder / "notes.doc")
    result = CliRunner().invoke(main, ["ingest", str(folder)])
    assert result.exit_code == 1
    assert "rejected truncated_jpeg.jpg:" in result.output
    assert "rejected notes.doc:" in result.output
    assert "3 new, 0 already stored, 2 rejected" in result.output
    assert count(cli_env, Asset) == 3
    clean = CliRunner().invoke(main, ["ingest", str(folder / "hopper.jpg")])
    assert clean.exit_code == 0 and "0 new, 1 already stored, 0 rejected" in clean.output


def test_demo_twice_duplicates_nothing(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSETPORT_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("ASSETPORT_DATABASE_URL", sqlite_url)
    runner = CliRunner()
    first = runner.invoke(main, ["demo"])
    assert first.exit_code == 0, first.output
    assert "admin login: admin@assetport.local / " in first.output
    password = first.output.split("admin login: admin@assetport.local / ")[1].split()[0]
    second = runner.invoke(main, ["demo"])
    assert second.exit_code == 0, second.output
    assert password in second.output
    db = Database(sqlite_url)
    assert count(db, Product) == 124
    assert count(db, Asset) == 45  # five demo pictures show two products each (same bytes)
    assert count(db, User) == 1
    from portal.services.catalog.linking import asset_ids_for_article

    # Every one of the 50 demo files is linked to the product its name gives.
    articles = {p.name.rsplit("_", 1)[0] for p in (DEMO / "images").glob("*.png")}
    with db.session() as session:
        missing = [a for a in articles if not session.scalars(asset_ids_for_article(session, a)).first()]
    assert missing == []
    # Released like a manager would, once: approved and public (audited), and the hub set up.
    assert "demo assets released to the public: 45" in first.output
    assert "demo assets released to the public: 0" in second.output
    with db.session() as session:
        states = set(session.execute(select(Asset.status, Asset.visibility)).all())
        assert states == {("approved", "public")}
        approvals = session.scalars(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("%approve%"))
        ).one()
        assert approvals == 45
        assert len(session.scalars(select(BrandSection)).all()) == 3
    db.dispose()
