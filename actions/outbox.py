"""The action server's durable outbox for escalations (and opt-outs from texts, actions/opt_out.py,
which must not be lost either). A safety concern is written here (a SQLite
file, committed) before anything else is tried, then delivered to the backend; if the backend is
down it stays here and is retried with backoff until the backend has it. Delivery is idempotent on
the backend (keyed by the inbound message id), so a retry after a lost answer cannot duplicate.
Once delivered, only the key is kept. SQLite calls run off the event loop.

Nothing is dropped for being old: an escalation is retried until delivered. One the backend
refuses as invalid (HTTP 4xx other than 408/429) is kept with status `rejected` and logged as an
error, for a person to look at."""

import asyncio
import json
import logging
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS escalation_outbox (
    key TEXT PRIMARY KEY,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_error TEXT,
    created_at REAL NOT NULL,
    delivered_at REAL
)
"""


class Rejected(Exception):
    """The backend refused the escalation as invalid: retrying will not help."""


@dataclass(frozen=True)
class Pending:
    key: str
    payload: dict[str, Any]
    attempts: int


Deliver = Callable[[dict[str, Any]], Awaitable[None]]


class EscalationOutbox:
    def __init__(
        self, path: Path, max_backoff_seconds: float = 300.0, first_attempt_seconds: float = 15.0
    ) -> None:
        self.path = path
        self.max_backoff_seconds = max_backoff_seconds
        # The action makes the first attempt itself; the retry loop leaves it alone until then.
        self.first_attempt_seconds = first_attempt_seconds
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.execute(SCHEMA)
        os.chmod(path, 0o600)  # message text and phone numbers: owner only

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA secure_delete=ON")
        return db

    def put(self, key: str, payload: dict[str, Any]) -> bool:
        """Store durably; False if this key is already stored (the same message again)."""
        now = time.time()
        with closing(self._connect()) as db, db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO escalation_outbox (key, payload, next_attempt_at, "
                "created_at) VALUES (?, ?, ?, ?)",
                (key, json.dumps(payload), now + self.first_attempt_seconds, now),
            )
            return cursor.rowcount == 1

    def due(self, now: float | None = None, limit: int = 50) -> list[Pending]:
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT key, payload, attempts FROM escalation_outbox WHERE status = 'pending' "
                "AND next_attempt_at <= ? ORDER BY created_at LIMIT ?",
                (now if now is not None else time.time(), limit),
            ).fetchall()
        return [Pending(key, json.loads(payload), attempts) for key, payload, attempts in rows]

    def status(self, key: str) -> str | None:
        with closing(self._connect()) as db:
            row = db.execute(
                "SELECT status FROM escalation_outbox WHERE key = ?", (key,)
            ).fetchone()
        return row[0] if row else None

    def counts(self) -> dict[str, int]:
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT status, COUNT(*) FROM escalation_outbox GROUP BY status"
            ).fetchall()
        return {status: count for status, count in rows}

    def _mark(self, key: str, status: str, error: str | None, retry_in: float = 0.0) -> None:
        now = time.time()
        with closing(self._connect()) as db, db:
            db.execute(
                "UPDATE escalation_outbox SET status = ?, attempts = attempts + 1, "
                "last_error = ?, next_attempt_at = ?, delivered_at = ? WHERE key = ?",
                (status, error, now + retry_in, now if status == "delivered" else None, key),
            )
            if status == "delivered":
                # The backend has it now: keep only the key (for de-duplication), not the text.
                db.execute("UPDATE escalation_outbox SET payload = '{}' WHERE key = ?", (key,))

    async def deliver(self, item: Pending, send: Deliver) -> bool:
        """One attempt. True when the backend has it."""
        try:
            await send(item.payload)
        except Rejected as exc:
            logger.error("outbox item %s rejected by the backend: %s", item.key, exc)
            await asyncio.to_thread(self._mark, item.key, "rejected", str(exc)[:500])
            return False
        except Exception as exc:  # noqa: BLE001 - anything else is retried
            wait = min(5.0 * 2**item.attempts, self.max_backoff_seconds)
            log = logger.error if item.attempts >= 3 else logger.warning
            log(
                "outbox item %s not delivered (attempt %s): %s; retrying in %.0f s",
                item.key,
                item.attempts + 1,
                exc,
                wait,
            )
            error = f"{type(exc).__name__}: {exc}"[:500]
            await asyncio.to_thread(self._mark, item.key, "pending", error, wait)
            return False
        await asyncio.to_thread(self._mark, item.key, "delivered", None)
        return True

    async def deliver_due(self, send: Deliver) -> int:
        delivered = 0
        for item in await asyncio.to_thread(self.due):
            delivered += await self.deliver(item, send)
        return delivered
