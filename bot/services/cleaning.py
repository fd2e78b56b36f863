"""Cleaning jobs: the pair, its tasks, and texts between the two in each one's
language. Shared by the ``cleaning_*`` actions (bot/actions) and the ledger
(cleaning_ledger.py).

Records (the web board lists them; keep the names):

* ``cleaning.job`` {id, client, cleaner, status: pending|active|closed,
  client_lang, cleaner_lang, created_at, code, list_sent}
* ``cleaning.task`` {id, job, n, text, lang, done, removed}: numbers stay put
  when a task is removed, so "DONE 3" means the same task to both sides.
* ``cleaning.note`` {id, job, n, from, to, text, lang, at}: what ORIGINAL shows.
* ``cleaning.visit`` {id, job, day, by, at}

Each member's current job is the contact field ``cleaning_job``. Numbers are
never put in a text to the other side: names (first name) or "your cleaner".
"""
from __future__ import annotations

import hashlib
from typing import Any, Iterable, Mapping

from ..engine.model import ActionResult, Contact, Send
from ..store.contacts import view
from ..translate import body_at, translate_now
from . import busy_elsewhere, int_setting

JOB = "cleaning.job"
TASK = "cleaning.task"
NOTE = "cleaning.note"
VISIT = "cleaning.visit"
JOB_FIELD = "cleaning_job"  # contact field: the member's current job id
MAX_TASKS = 30  # CLEANING_MAX_TASKS


def setting_int(settings: Mapping[str, Any], name: str, default: int) -> int:
    return int_setting(settings, name, default)


# ------------------------------------------------------------ the pair
def current_job(tx: Any, contact_id: str) -> dict | None:
    rec = tx.get_contact(contact_id) or {}
    job_id = rec.get(JOB_FIELD)
    job = tx.get_record(JOB, job_id) if job_id else None
    return job if job and job.get("status") != "closed" else None


def side_of(job: Mapping[str, Any], contact_id: str) -> str | None:
    if job.get("client") == contact_id:
        return "client"
    if job.get("cleaner") == contact_id:
        return "cleaner"
    return None


def other_side(side: str) -> str:
    return "cleaner" if side == "client" else "client"


FLOW = "cleaning_job"
LISTEN = "listen"  # the job's conversation, waiting for a note, having said nothing


def wake_other_side(ctx: Any, result: ActionResult) -> ActionResult:
    """When a step sent the other side of the job something (a note, "Rosa
    arrived", a payment request), their plain answer should be a note back,
    not the main menu: the job's conversation starts for them, listening,
    unless they are busy in another one (then JOB or a command brings them
    back)."""
    me = ctx.contact.id
    job = current_job(ctx.store, me)
    side = side_of(job, me) if job else None
    other = job.get(other_side(side)) if side else None
    if not other or not any(isinstance(e, Send) and e.to == other for e in result.effects):
        return result
    if busy_elsewhere(ctx.store, other, ctx.now, ("main",)):  # in the job's conversation or another
        return result
    # checked again when it is delivered: in this conversation by then, or in another, they keep it
    wake = ctx.emit(other, f"start:{FLOW}", state=LISTEN, resting=["main"])
    return ActionResult(result.result, result.data, tuple(result.effects) + (wake,))


def contact(tx: Any, contact_id: str) -> Contact:
    rec = tx.get_contact(contact_id)
    return view(rec) if rec else Contact(contact_id)


def name_for(ctx: Any, who: Contact, role: str, reader_lang: str | None) -> str:
    """What the other side calls ``who``: their first name, else "your cleaner"."""
    return who.first_name or ctx.catalog.text(reader_lang, f"cleaning.your_{role}")


def lang_of(who: Contact, ctx: Any) -> str:
    return ctx.catalog.lang_for(who.lang)


def new_code(tx: Any, seed: str, taken: Iterable[str] = ()) -> str:
    """A 3-digit code people type back (ACCEPT 482), unique among ``taken``."""
    taken = set(taken)
    n = int(hashlib.sha256(seed.encode()).hexdigest(), 16) % 900
    for i in range(900):
        code = str(100 + (n + i) % 900)
        if code not in taken:
            return code
    return str(1000 + n)


def open_codes(tx: Any) -> set[str]:
    """Codes in use by jobs still waiting for an answer (unique line-wide: a
    cleaner answers an invitation before any job is theirs)."""
    return {j.get("code") for j in tx.find_records(JOB, status="pending")}


# ------------------------------------------------------------ tasks
def tasks(tx: Any, job_id: str, include_removed: bool = False) -> list[dict]:
    rows = [t for t in tx.find_records(TASK, job=job_id) if include_removed or not t.get("removed")]
    return sorted(rows, key=lambda t: t["n"])


def add_tasks(ctx: Any, job: Mapping[str, Any], texts: list[str], lang: str) -> list[dict]:
    """New tasks, numbered after every task the job ever had."""
    existing = tasks(ctx.store, job["id"], include_removed=True)
    limit = setting_int(ctx.settings, "CLEANING_MAX_TASKS", MAX_TASKS)
    live = sum(1 for t in existing if not t.get("removed"))
    n = max((t["n"] for t in existing), default=0)
    added = []
    for text in texts[: max(0, limit - live)]:
        n += 1
        task = {"id": f"{job['id']}.{n}", "job": job["id"], "n": n, "text": text, "lang": lang, "done": False,
                "removed": False}
        ctx.store.put_record(TASK, task["id"], task)
        added.append(task)
    return added


# ------------------------------------------------------------ texts across languages
def translated(ctx: Any, texts: list[str], source: str | None, target: str) -> tuple[list[str], list[str]]:
    """``texts`` in ``target`` as far as the glossary and the cache know them
    (no provider call here: this is a webhook's step), and the ones left for
    the outbox worker to translate."""
    out, left = [], []
    for text in texts:
        if not source or source == target:
            out.append(text)
            continue
        known = translate_now(ctx.store, ctx.settings, text, source, target)
        out.append(known if known is not None else text)
        if known is None:
            left.append(text)
    return out, left


def send(ctx: Any, to: Contact, key: str, source: str | None = None, bodies: Iterable[str] = (),
         **values: Any) -> Send:
    """``key`` to ``to`` in their language; ``bodies`` (parts of the text still
    in ``source``) are translated by the outbox worker before it goes."""
    lang = ctx.catalog.lang_for(to.lang)
    text = ctx.catalog.text(lang, key, values)
    bodies = [b for b in dict.fromkeys(bodies) if b and b in text]
    extra = None
    if bodies and source and source != lang:
        if len(bodies) == 1:
            field = next((k for k, v in values.items() if v == bodies[0]), None)
            at = body_at(ctx.catalog, lang, key, values, field) if field else None
            spec = {"source": source, "target": lang, "body": bodies[0]}
            extra = {"translate": spec if at is None else {**spec, "at": at}}
        else:
            extra = {"translate": {"source": source, "target": lang, "bodies": bodies}}
    return Send(to.id, text, key, (), lang, extra=extra)


def task_lines(ctx: Any, rows: list[dict], reader_lang: str) -> tuple[str, list[str], str | None]:
    """The numbered list in ``reader_lang`` ("1. change the sheets ✓"), the
    task texts left to the worker, and their language."""
    source = rows[0]["lang"] if rows else None
    texts, left = translated(ctx, [r["text"] for r in rows], source, reader_lang)
    lines = [f"{r['n']}. {text}{' ✓' if r.get('done') else ''}" for r, text in zip(rows, texts)]
    return "\n".join(lines), left, source


def send_list(ctx: Any, to: Contact, job: Mapping[str, Any], key: str = "cleaning.list") -> Send:
    rows = tasks(ctx.store, job["id"])
    if not rows:
        return ctx.say(to, "cleaning.list_empty")
    lang = ctx.catalog.lang_for(to.lang)
    lines, left, source = task_lines(ctx, rows, lang)
    done = sum(1 for r in rows if r.get("done"))
    return send(ctx, to, key, source, left, tasks=lines, done=str(done), total=str(len(rows)))
