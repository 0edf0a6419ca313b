"""Run the action server with a token: rasa-sdk 3.6 has none, so every request but /health must
carry ?token=ACTION_SERVER_TOKEN (Rasa's action_endpoint sends it)."""

import argparse
import hmac
import logging
import os

from rasa_sdk.endpoint import create_app
from sanic import response
from sanic.request import Request


def build_app(token: str):  # type: ignore[no-untyped-def]
    if not token:
        raise SystemExit("ACTION_SERVER_TOKEN is not set: the action server refuses to start open")
    app = create_app("actions", cors_origins=[])

    @app.after_server_start
    async def _start_retries(app, _loop):  # type: ignore[no-untyped-def]
        from actions.safety import retry_forever

        app.add_task(retry_forever(), name="escalation-retries")

    @app.on_request
    async def _require_token(request: Request):  # type: ignore[no-untyped-def]
        if request.path == "/health":
            return None
        given = request.args.get("token", "")
        if not hmac.compare_digest(given.encode(), token.encode()):
            return response.json({"error": "unauthorised"}, status=401)
        return None

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    app = build_app(os.environ.get("ACTION_SERVER_TOKEN", ""))  # the one env read here
    app.run(host=args.host, port=args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
