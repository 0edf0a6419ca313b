"""Action server settings: the one place this process reads its environment (pydantic 1, which
Rasa 3.6 pins)."""

from functools import lru_cache
from pathlib import Path

from pydantic import BaseSettings

REPO_ROOT = Path(__file__).resolve().parents[1]


class ActionSettings(BaseSettings):
    backend_url: str = "http://127.0.0.1:8000"
    service_token: str = "demo-service-token-change-me"
    backend_timeout_seconds: float = 5.0
    timezone: str = "Europe/London"
    # Escalations waiting for the backend: a file, so they survive a restart of the action server.
    escalation_outbox_path: Path = REPO_ROOT / "var" / "actions-outbox.db"
    escalation_retry_seconds: float = 5.0
    escalation_max_backoff_seconds: float = 300.0


@lru_cache
def get_settings() -> ActionSettings:
    return ActionSettings()
