"""vecina outbox: what the line sent (or, without credentials, recorded)."""
from __future__ import annotations

import json

import click

from ..config import from_env


@click.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per message.")
@click.option("--to", "to", help="Only messages to this number.")
@click.option("--failed", is_flag=True, help="Only messages that failed.")
@click.option("--limit", default=200, show_default=True)
def outbox(as_json, to, failed, limit) -> None:
    """List outbound messages, newest last."""
    from ..members import MemberError, normalise_number
    from ..runtime import open_store

    cfg = from_env()
    if to:
        try:
            to = normalise_number(to, cfg.default_region)
        except MemberError:
            pass  # a Telegram id or the like: use as given
    rows = open_store(cfg).list_outbound(to=to, status="failed" if failed else None, limit=limit)
    for m in rows:
        row = {"id": m["id"], "to": m["to"], "channel": m.get("channel"), "text": m.get("text"),
               "status": m.get("status"), "created_at": str(m.get("created_at")), "error": m.get("error"),
               "choices": m.get("choices") or []}
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            click.echo(f"{row['created_at']}  {row['status']:<9} {row['channel'] or '':<8} {row['to']}: "
                       + (row["text"] or "").replace("\n", " / "))
