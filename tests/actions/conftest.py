from pathlib import Path

import pytest

from actions import safety
from actions.outbox import EscalationOutbox


@pytest.fixture(autouse=True)
def _own_outbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EscalationOutbox:
    """Every action test gets its own durable outbox, never the demo's file."""
    box = EscalationOutbox(tmp_path / "own-outbox.db", max_backoff_seconds=60)
    monkeypatch.setattr(safety, "outbox", lambda: box)
    return box
