"""The caseload backend: FastAPI app factory."""

import logging

from fastapi import APIRouter, FastAPI, status

from backend.app.api.routes import auth, patients
from backend.app.errors import install_error_handlers


def create_app() -> FastAPI:
    app = FastAPI(
        title="Care coordination backend",
        version="0.1.0",
        description="Caseload, appointments and audit for the care coordination assistant.",
    )
    install_error_handlers(app)
    api = APIRouter(prefix="/api/v1")
    api.include_router(auth.router)
    api.include_router(patients.router)
    app.include_router(api)

    @app.get("/health", status_code=status.HTTP_200_OK, tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
app = create_app()
