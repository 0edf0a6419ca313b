"""Backend settings: the one place this process reads its environment."""

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[3]

# Values that ship in .env.example. Outside the demo they must be replaced.
DEMO_SECRETS = {
    "secret_key": "demo-secret-key-change-me-0123456789abcdef",
    "service_token": "demo-service-token-change-me",
    "demo_password": "demo-password-change-me",
    # The SMS sandbox's token: production talks to Twilio with real credentials.
    "twilio_auth_token": "sandbox-auth-token",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=REPO_ROOT / ".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Literal["demo", "test", "production"] = "demo"
    database_url: str = f"sqlite:///{REPO_ROOT / 'var' / 'care.db'}"

    # Staff bearer tokens (JWT, HS256).
    secret_key: str = DEMO_SECRETS["secret_key"]
    access_token_expire_minutes: int = 8 * 60
    # The action server's token (sent as "Authorization: Bearer ...").
    service_token: str = DEMO_SECRETS["service_token"]
    demo_password: str = DEMO_SECRETS["demo_password"]

    timezone: str = "Europe/London"
    # Appointments starting sooner than this cannot be changed by text: a person calls back.
    appointment_change_min_hours: float = 24.0
    # How far ahead alternative slots are offered.
    appointment_offer_days: int = 42
    # Before details are disclosed by text the sender confirms their date of birth: again after
    # this many days; locked (and a call back raised) after this many wrong answers in a row.
    identity_reconfirm_days: int = 180
    identity_max_attempts: int = 3
    # Appointment reminders by SMS, through the outbox: this many days before, never in quiet
    # hours (local time, [start, end)), never to an opted-out patient.
    reminders_enabled: bool = True
    reminder_days_before: float = 2.0
    reminder_interval_seconds: float = 300.0
    # A bare "1" or "2" within this many hours of a reminder answers it (confirm / change).
    reminder_reply_hours: float = 72.0
    quiet_hours_start: int = 20
    quiet_hours_end: int = 8
    public_base_url: str = "http://127.0.0.1:8000"
    # The activation questionnaire (issue 5): a licensed PAM-13 file supplied by the deploying
    # organisation, or the project's demonstration instrument; level cut-points on its 0-100 score.
    pam_instrument_path: Path = REPO_ROOT / "data" / "instruments" / "pam_demo.yml"
    pam_level_cutpoints: str = "47.0,55.1,67.0"

    # Outbound SMS (clinician alerts). The demo points at the SMS sandbox; unset TWILIO_API_BASE
    # to talk to Twilio itself.
    twilio_account_sid: str = "ACsandbox0000000000000000000000000"
    twilio_auth_token: str = DEMO_SECRETS["twilio_auth_token"]
    twilio_api_base: str | None = None
    sms_from_number: str = "+447700900999"
    # The notifier drains the outbox inside the backend process.
    notifier_enabled: bool = True
    notifier_interval_seconds: float = 5.0
    notifier_max_attempts: int = 8
    notifier_max_backoff_seconds: float = 600.0
    # Rasa's SQL event broker (bot/endpoints.yml), read by the safety reconciler: every user
    # message Rasa flagged becomes an escalation even if the action server never ran. Unset: off.
    rasa_events_url: str | None = None
    safety_reconcile_interval_seconds: float = 10.0
    # Leave the action server this long to raise it first (it knows the patient and transcript).
    safety_reconcile_grace_seconds: float = 15.0

    @model_validator(mode="after")
    def _no_demo_secrets_in_production(self) -> "Settings":
        if self.environment == "production":
            weak = [
                name
                for name, demo_value in DEMO_SECRETS.items()
                if getattr(self, name) == demo_value or len(getattr(self, name)) < 16
            ]
            loopback = [
                name
                for name in ("twilio_api_base", "public_base_url")
                if re.search(r"//(127\.|localhost|0\.0\.0\.0)", getattr(self, name) or "")
            ]
            problems = []
            if weak:
                problems.append(
                    "ENVIRONMENT=production needs real secrets; replace: "
                    + ", ".join(name.upper() for name in weak)
                )
            if loopback:
                problems.append(
                    "ENVIRONMENT=production cannot send alerts to a local address; set: "
                    + ", ".join(name.upper() for name in loopback)
                )
            if problems:
                raise ValueError("; ".join(problems))
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
