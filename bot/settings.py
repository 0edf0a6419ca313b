"""Rasa server process settings (the SMS channel): the one place it reads its environment."""

from functools import lru_cache

from pydantic import BaseSettings


class BotSettings(BaseSettings):
    twilio_account_sid: str = "ACsandbox0000000000000000000000000"
    twilio_auth_token: str = "sandbox-auth-token"
    # Twilio's REST base; the SMS sandbox's in the demo and tests.
    twilio_api_base: str = "https://api.twilio.com"
    sms_from_number: str = "+447700900999"
    # The URL Twilio is configured to call: signatures are checked against it (behind a proxy
    # this differs from the URL the request arrives at).
    sms_webhook_public_url: str = "http://127.0.0.1:5005/webhooks/sms/webhook"
    max_inbound_chars: int = 1600


@lru_cache
def get_settings() -> BotSettings:
    return BotSettings()
