"""``/admin``: the flows (lint, diagram, transcripts) and the message log."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from flask import Blueprint, abort, redirect, render_template, request, url_for
from markupsafe import Markup

from .. import transcripts
from ..engine.problems import ERROR
from ..flowfiles import read_flowset
from .auth import guard
from .common import mask, rt, when
from .diagrams import edges, kind, svg
from .i18n import t

bp = Blueprint("admin", __name__, url_prefix="/admin")
guard(bp)

MESSAGES_SHOWN = 200
STATUSES = ("queued", "sending", "sent", "delivered", "recorded", "failed", "undelivered", "blocked")


@bp.get("")
@bp.get("/")
def index():
    return redirect(url_for("board.board"))


def _transcripts_dir() -> Path:
    return Path(rt().cfg.flows_dir).resolve().parent / "tests" / "transcripts"


# Results per (file, its mtime), for the engine they ran on: a flow edit brings a new
# engine (hot reload), a transcript edit a new mtime; either runs it again.
_results: dict[tuple[str, int], tuple[object, dict]] = {}


def _run_transcripts(flow_name: str) -> list[dict]:
    out = []
    engine = rt().flows.engine()
    for path in transcripts.find([_transcripts_dir() / flow_name]):
        key = (str(path), path.stat().st_mtime_ns)
        cached = _results.get(key)
        if cached is not None and cached[0] is engine:
            out.append(cached[1])
            continue
        try:
            result = transcripts.run(path, engine, rt().cfg.timezone)
            row = {"file": path.name, "description": result.description, "passed": result.passed,
                   "failures": result.failures}
        except Exception as exc:  # noqa: BLE001 - a broken file (or action) is a failure to show, not a 500
            row = {"file": path.name, "description": "", "passed": False, "failures": [f"{type(exc).__name__}: {exc}"]}
        if len(_results) > 1000:  # edits over a long uptime: start over
            _results.clear()
        _results[key] = (engine, row)
        out.append(row)
    return out


def _flowset():
    cfg = rt().cfg
    return read_flowset(cfg.flows_dir, cfg.locales_dir, cfg.default_lang, cfg.currency, region=cfg.default_region)


@bp.get("/flows")
def flows():
    fs, problems = _flowset()
    rows = []
    for flow in sorted(fs.flows.values(), key=lambda f: (f.order, f.name)):
        mine = [p for p in problems if p.file == flow.file]
        results = _run_transcripts(flow.name)
        rows.append({"name": flow.name, "file": flow.file, "description": flow.description,
                     "roles": flow.roles, "states": len(flow.states),
                     "errors": sum(p.severity == ERROR for p in mine),
                     "warnings": sum(p.severity != ERROR for p in mine),
                     "transcripts": len(results), "passed": sum(r["passed"] for r in results)})
    files = {f.file for f in fs.flows.values()}
    other = [p for p in problems if p.file not in files]
    return render_template("admin_flows.html", rows=rows, other=other)


@bp.get("/flows/<name>")
def flow(name: str):
    fs, problems = _flowset()
    flow = fs.flows.get(name)
    if flow is None:
        abort(404)
    states = [{"name": st.name, "kind": kind(st), "edges": edges(st)} for st in flow.states.values()]
    return render_template("admin_flow.html", flow=flow, diagram=Markup(svg(flow)), states=states,
                           problems=[p for p in problems if p.file == flow.file],
                           results=_run_transcripts(name))


def error_of(m: dict) -> str:
    """What went wrong with a message, for a coordinator: why it was blocked in
    their language when the send path said why, else the provider's words."""
    if m.get("blocked"):
        return t(f"messages.blocked.{m['blocked']}", default=m.get("error") or m["blocked"])
    return m.get("error") or m.get("reason") or ""


@bp.get("/messages")
def messages():
    status = request.args.get("status") or None
    rows = rt().store.list_outbound(status=status, limit=MESSAGES_SHOWN)
    rows.reverse()  # newest first
    counts = Counter(m.get("status") for m in rt().store.list_outbound(limit=1000))
    shown = [{"when": when(m.get("updated_at") or m.get("created_at")), "to": mask(m.get("to")),
              "channel": m.get("channel") or "sms", "status": m.get("status"), "key": m.get("key"),
              "text": (m.get("text") or "")[:120], "error": error_of(m),
              "attempts": m.get("attempts") or 0} for m in rows]
    return render_template("admin_messages.html", rows=shown, status=status, counts=counts,
                           statuses=sorted(set(STATUSES) | set(counts)))
