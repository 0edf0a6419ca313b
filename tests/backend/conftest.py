"""Backend tests run against a real database: a fresh SQLite file by default, or a fresh
PostgreSQL database created from TEST_DATABASE_URL (dropped afterwards). The schema comes from the
Alembic migrations; each test runs in a transaction that is rolled back."""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from backend.app.core.config import get_settings
from backend.app.core.db import get_db, make_engine
from backend.app.main import create_app
from backend.app.seed import seed

REPO = Path(__file__).resolve().parents[2]
SERVICE_TOKEN = "test-service-token-0123456789"
PASSWORD = "test-password-0123"


@pytest.fixture(scope="session", autouse=True)
def _settings_env() -> Iterator[None]:
    os.environ.update(
        {
            "ENVIRONMENT": "test",
            "NOTIFIER_ENABLED": "false",
            "REMINDERS_ENABLED": "false",
            "SERVICE_TOKEN": SERVICE_TOKEN,
            "DEMO_PASSWORD": PASSWORD,
            "SECRET_KEY": "test-secret-key-0123456789abcdef",
        }
    )
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory, _settings_env: None) -> Iterator[Engine]:
    base = os.environ.get("TEST_DATABASE_URL")
    dropper = None
    if base:
        name = f"care_test_{uuid.uuid4().hex[:10]}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(base).set(database=name).render_as_string(hide_password=False)

        def dropper() -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    cfg = Config(str(REPO / "backend" / "alembic.ini"))
    cfg.attributes["database_url"] = url
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")
    eng = make_engine(url)
    yield eng
    eng.dispose()
    if dropper:
        dropper()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    connection = engine.connect()
    transaction = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint")
    yield db
    db.close()
    transaction.rollback()
    connection.close()


@pytest.fixture
def seeded(session: Session) -> Session:
    assert seed(session)
    return session


@pytest.fixture
def client(session: Session) -> Iterator[TestClient]:
    app = create_app()
    app.dependency_overrides[get_db] = lambda: session
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def login(client: TestClient, email: str = "coordinator@example.org") -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def service_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {SERVICE_TOKEN}"}
