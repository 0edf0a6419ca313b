"""The caseload backend: FastAPI app factory."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from fastapi import APIRouter, FastAPI, status

from backend.app.api.routes import (
    appointments,
    assessments,
    auth,
    carers,
    decision_aids,
    escalations,
    patients,
)
from backend.app.api.routes import reminders as reminder_routes
from backend.app.core.config import Settings, get_settings
from backend.app.core.db import get_sessionmaker
from backend.app.errors import install_error_handlers
from backend.app.notifier import Notifier
from backend.app.safety_reconciler import SafetyReconciler
from backend.app.services import reminders

logger = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    tasks = []
    notifier = None
    if settings.notifier_enabled:
        notifier = app.state.notifier = Notifier(settings, get_sessionmaker())
        tasks.append(asyncio.create_task(notifier.run(), name="notifier"))
    if settings.reminders_enabled:
        tasks.append(
            asyncio.create_task(
                _every(
                    settings.reminder_interval_seconds,
                    lambda: _queue_reminders(settings, notifier),
                ),
                name="reminders",
            )
        )
    if settings.rasa_events_url:
        reconciler = SafetyReconciler(
            settings, get_sessionmaker(), on_created=notifier.wake if notifier else lambda: None
        )
        tasks.append(asyncio.create_task(reconciler.run(), name="safety-reconciler"))
    yield
    for task in tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _queue_reminders(settings: Settings, notifier: Notifier | None) -> None:
    with get_sessionmaker()() as session:
        if reminders.queue_due(session, settings) and notifier:
            notifier.wake()


async def _every(seconds: float, job: Callable[[], None]) -> None:
    """Run a blocking job in a worker thread every `seconds`, logging (not dying on) failures."""
    while True:
        try:
            await asyncio.to_thread(job)
        except Exception:  # noqa: BLE001 - try again next time; the database may come back
            logger.exception("periodic job failed")
        await asyncio.sleep(seconds)


def create_app() -> FastAPI:
    app = FastAPI(
        title="Care coordination backend",
        version="0.1.0",
        description="Caseload, appointments, escalations and audit for the care coordination "
        "assistant.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    api = APIRouter(prefix="/api/v1")
    api.include_router(auth.router)
    api.include_router(patients.router)
    api.include_router(escalations.router)
    api.include_router(appointments.router)
    api.include_router(carers.router)
    api.include_router(assessments.router)
    api.include_router(decision_aids.router)
    api.include_router(reminder_routes.router)
    app.include_router(api)

    @app.get("/health", status_code=status.HTTP_200_OK, tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
app = create_app()
