"""Password hashing (Argon2 via pwdlib) and staff bearer tokens (JWT)."""

import hmac
from datetime import UTC, datetime, timedelta

import jwt
from pwdlib import PasswordHash

from backend.app.core.config import get_settings

ALGORITHM = "HS256"
_password_hash = PasswordHash.recommended()
# Verified against when the e-mail is unknown, so that both paths take the same time.
_DUMMY_HASH = _password_hash.hash("dummy-password-for-timing")


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    if hashed is None:
        _password_hash.verify(password, _DUMMY_HASH)
        return False
    return _password_hash.verify(password, hashed)


def create_access_token(subject: str, role: str) -> str:
    settings = get_settings()
    now = datetime.now(UTC)
    payload = {
        "sub": subject,
        "role": role,
        "iat": now,
        "exp": now + timedelta(minutes=settings.access_token_expire_minutes),
    }
    return jwt.encode(payload, settings.secret_key, algorithm=ALGORITHM)


def decode_access_token(token: str) -> dict[str, object]:
    """Raise jwt.InvalidTokenError on anything but a valid, unexpired token."""
    return jwt.decode(
        token,
        get_settings().secret_key,
        algorithms=[ALGORITHM],
        options={"require": ["exp", "sub"]},
    )


def service_token_is_valid(token: str) -> bool:
    return hmac.compare_digest(token.encode(), get_settings().service_token.encode())
