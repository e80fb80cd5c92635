"""Shared fixtures: real SQLite and PostgreSQL databases, real Redis, settings and the Flask app.

Under ``CI=true`` a missing PostgreSQL or Redis fails the run instead of skipping.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from models import Base
from models.db import Database
from portal.app import create_app
from portal.jobs.bootstrap import build_runtime
from portal.runtime import Runtime
from portal.services.accounts.users import create_user
from portal.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
PG_ADMIN_URL = os.environ.get("ASSETPORT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("ASSETPORT_TEST_REDIS_URL", "redis://127.0.0.1:6379")
IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_PASSWORD = "correct horse battery staple"
# Vision models are slow to load: tests run without one unless they opt in (tests/vision_fixtures.py).
os.environ.setdefault("ASSETPORT_VISION_MODEL", "off")


def _unavailable(what: str, exc: BaseException) -> None:
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true but unreachable: {exc}")
    pytest.skip(f"{what} unavailable: {exc}")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test gets a copy (faster than migrating every time)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    db.dispose()
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, migrated to head, dropped afterwards."""
    try:
        import psycopg

        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except Exception as exc:
        _unavailable("PostgreSQL", exc)
        raise
    name = f"assetport_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    url = f"{base}/{name}"
    db = Database(url)
    db.upgrade()
    db.dispose()
    try:
        yield url
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _truncate_pg(url: str) -> None:
    db = Database(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """Each test runs once on SQLite and once on PostgreSQL, starting from empty tables."""
    if request.param == "sqlite":
        path = tmp_path / "assetport.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_url")
    _truncate_pg(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A SQLite database only (for tests where the backend does not matter)."""
    path = tmp_path / "assetport.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings for an isolated instance: own folder, own database, jobs run inline."""
    return Settings(
        instance_dir=tmp_path / "instance",
        database_url=database_url,
        secret_key="test-secret-key-not-for-production",
        jobs_eager=True,
    )


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    """The database of the test instance."""
    database = Database(settings.resolved_database_url)
    yield database
    database.dispose()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database number of its own for this test, flushed before and after."""
    try:
        import redis

        probe = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        probe.ping()
    except Exception as exc:
        _unavailable("Redis", exc)
        raise
    # Pick a db number from the worker's pid so parallel runs do not flush each other.
    number = 1 + (os.getpid() % 15)
    url = f"{REDIS_URL}/{number}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()
        probe.close()


@pytest.fixture
def sqlite_rt(tmp_path: Path, sqlite_url: str) -> Iterator[Runtime]:
    """A runtime on SQLite only, for wide parametrised tests where the database does not matter."""
    runtime = build_runtime(
        Settings(
            instance_dir=tmp_path / "instance", database_url=sqlite_url, secret_key="t", jobs_eager=True
        ),
        start_workers=False,
    )
    yield runtime
    runtime.close()


@pytest.fixture
def rt(settings: Settings) -> Iterator[Runtime]:
    """A runtime (database, blob store, eager job queue) for service-level tests."""
    runtime = build_runtime(settings, start_workers=False)
    yield runtime
    runtime.close()


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    """The Flask app on an isolated instance; jobs run inline."""
    application = create_app(settings)
    application.config["TESTING"] = True
    yield application
    application.extensions["assetport"].close()


@pytest.fixture
def make_user(app: Flask) -> Callable[..., int]:
    """Create a user: ``make_user("a@x.io", "editor", password=...)`` returns the id."""

    def make(email: str, role: str = "editor", password: str = TEST_PASSWORD) -> int:
        with app.extensions["assetport"].db.transaction() as session:
            return create_user(session, email, password, role).id

    return make


@pytest.fixture
def login(app: Flask, make_user: Callable[..., int]) -> Callable[..., FlaskClient]:
    """A test client logged in as a new user of the given role (CSRF checks stay on)."""

    def do(role: str = "editor", email: str | None = None) -> FlaskClient:
        address = email or f"{role}-{uuid.uuid4().hex[:6]}@example.com"
        make_user(address, role)
        client = app.test_client()
        token = csrf_token(client, "/login")
        resp = client.post("/login", data={"email": address, "password": TEST_PASSWORD, "csrf_token": token})
        assert resp.status_code == 302, resp.get_data(as_text=True)
        return client

    return do


def csrf_token(client: FlaskClient, path: str) -> str:
    """Fetch a page and read the CSRF token from its ``<meta name="csrf-token">`` tag."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, f"no csrf-token meta tag on {path}"
    return match.group(1)
