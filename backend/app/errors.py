"""Domain errors, each with a stable `detail` string, mapped to HTTP in one handler."""

import logging

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

logger = logging.getLogger(__name__)


class DomainError(Exception):
    status_code = status.HTTP_400_BAD_REQUEST
    detail = "bad_request"
    headers: dict[str, str] | None = None

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.detail)
        if detail:
            self.detail = detail


class NotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    detail = "not_found"


class NotAuthenticated(DomainError):
    status_code = status.HTTP_401_UNAUTHORIZED
    detail = "not_authenticated"
    headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    detail = "forbidden"


class Conflict(DomainError):
    status_code = status.HTTP_409_CONFLICT
    detail = "conflict"


class InvalidInput(DomainError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    detail = "invalid_input"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code, content={"detail": exc.detail}, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        # Where and what, never the submitted value: it may be patient data.
        errors = [
            {"loc": [str(part) for part in err.get("loc", ())], "msg": err.get("msg", "")}
            for err in exc.errors()
        ]
        return JSONResponse(
            status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
            content={"detail": "invalid_input", "errors": errors},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Logged in full here; the client learns nothing about the internals.
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(status_code=500, content={"detail": "internal_error"})
