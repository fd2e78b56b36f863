"""``vecina serve``: the web app on this machine (what ``make run`` starts).

It is the same app gunicorn serves in production (Procfile), on werkzeug's
threaded server, with the embedded profile's jobs thread when REDIS_URL is
unset. It prints where to talk to the line before it starts listening.
"""
from __future__ import annotations

import os
import sys

import click


@click.command()
@click.option("--host", default=lambda: os.environ.get("HOST", "127.0.0.1"), show_default="127.0.0.1 or $HOST",
              help="Address to listen on (0.0.0.0 for every interface).")
@click.option("--port", type=int, default=lambda: int(os.environ.get("PORT", "8000")), show_default="8000 or $PORT")
def serve(host: str, port: int) -> None:
    """Start the line's web app and print its address."""
    from werkzeug.serving import run_simple

    from ..config import from_env
    from ..web import create_app

    cfg = from_env()
    app = create_app({"VECINA_CONFIG": cfg})
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    base = f"http://{shown}:{port}"
    profile = f"scaled (Redis at {cfg.redis_url})" if cfg.redis_url else f"embedded (SQLite at {cfg.db_path})"
    rules = sorted({r.rule for r in app.url_map.iter_rules() if r.endpoint != "static"})
    click.echo(f"Vecina is running at {base}  [{profile}]")
    click.echo(f"  Simulator (chat as any phone): {base}/simulator"
               + ("  (open: no ADMIN_PASSWORD set)" if not (os.environ.get("ADMIN_PASSWORD") or cfg.redis_url) else ""))
    click.echo(f"  Admin (log in with ADMIN_PASSWORD): {base}/admin")
    click.echo("  Every route:")
    for rule in rules:
        click.echo(f"  {base}{rule}")
    click.echo("Press Ctrl-C to stop.")
    sys.stdout.flush()
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        app.extensions["vecina"].jobs.stop() if hasattr(app.extensions["vecina"].jobs, "stop") else None
