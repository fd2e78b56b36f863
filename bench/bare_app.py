"""The baseline for bench/webhook.py: bare Flask under the same gunicorn
settings, answering the same POST with 204 and doing nothing else."""
from flask import Flask


def create_app():
    app = Flask(__name__)

    @app.post("/sms/twilio")
    def inbound():
        return "", 204

    @app.get("/healthz")
    def healthz():
        return {"ok": True}

    return app
