"""Entry point for gunicorn and ``flask run``: ``gunicorn 'app:create_app()'``."""
from bot.web import create_app

__all__ = ["create_app"]
