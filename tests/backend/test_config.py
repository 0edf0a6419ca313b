import pytest
from pydantic import ValidationError

from backend.app.core.config import Settings


def test_production_refuses_demo_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SECRET_KEY", "SERVICE_TOKEN", "DEMO_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production", _env_file=None)


def test_production_accepts_real_secrets() -> None:
    settings = Settings(
        environment="production",
        secret_key="x" * 40,
        service_token="y" * 40,
        demo_password="z" * 20,
        twilio_auth_token="t" * 32,
        public_base_url="https://care.example.org",
        _env_file=None,
    )
    assert settings.environment == "production"


def test_production_refuses_to_alert_through_a_local_address() -> None:
    with pytest.raises(ValueError, match="TWILIO_API_BASE"):
        Settings(
            environment="production",
            secret_key="x" * 40,
            service_token="y" * 40,
            demo_password="z" * 20,
            twilio_auth_token="t" * 32,
            public_base_url="https://care.example.org",
            twilio_api_base="http://127.0.0.1:8001",
            _env_file=None,
        )
