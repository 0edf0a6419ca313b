"""Action server settings: the one place this process reads its environment (pydantic 1, which
Rasa 3.6 pins)."""

from functools import lru_cache

from pydantic import BaseSettings


class ActionSettings(BaseSettings):
    backend_url: str = "http://127.0.0.1:8000"
    service_token: str = "demo-service-token-change-me"
    backend_timeout_seconds: float = 5.0
    timezone: str = "Europe/London"


@lru_cache
def get_settings() -> ActionSettings:
    return ActionSettings()
