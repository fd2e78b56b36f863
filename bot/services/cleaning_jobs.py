"""What the pair's commands do (besides money: cleaning_money.py).

Each handler takes (ctx, job, side, args) and returns (result, effects):
``result`` routes the flow (``ok``, ``sent``, ``collect``…), ``effects`` are
the texts to either side. Replies go to the member in their language; texts
to the other side go through :func:`cleaning.send`, which leaves what the
glossary and cache do not know to the outbox worker's translator.
"""
from __future__ import annotations

from typing import Any

from babel.dates import format_date

from ..engine.model import Audit, UpdateContact
from . import cleaning as c
from .cleaning_words import parse_day, read_task_numbers, split_tasks


def _me(ctx):
    return ctx.contact


def _other(ctx, job, side):
    return c.contact(ctx.store, job[c.other_side(side)])


def _name(ctx, job, side, reader):
    """How ``reader`` calls the member on ``side``."""
    return c.name_for(ctx, c.contact(ctx.store, job[side]), side, c.lang_of(reader, ctx))


def _save_job(ctx, job, **changes):
    job.update(changes)
    ctx.store.put_record(c.JOB, job["id"], job)
    return job


# ------------------------------------------------------------ pairing
def invite(ctx: Any, client_id: str, cleaner_id: str) -> tuple[str, list]:
    """A pending job between the two; the cleaner gets a code to ACCEPT."""
    me = _me(ctx)
    if not cleaner_id or not client_id:
        return "bad_number", [ctx.say(me, "cleaning.bad_number")]
    if cleaner_id == client_id:
        return "same", [ctx.say(me, "cleaning.not_yourself")]
    existing = c.current_job(ctx.store, client_id)
    if existing:
        return "busy", [ctx.say(me, "cleaning.already_job")]
    code = c.new_code(ctx.store, f"{client_id}>{cleaner_id}@{ctx.now.isoformat()}", c.open_codes(ctx.store))
    client = c.contact(ctx.store, client_id)
    cleaner_rec = ctx.store.get_contact(cleaner_id) or ctx.store.upsert_contact(cleaner_id, created_at=ctx.now)
    job = {"id": ctx.ids.next("cj"), "client": client_id, "cleaner": cleaner_id, "status": "pending",
           "client_lang": c.lang_of(client, ctx), "cleaner_lang": ctx.catalog.lang_for(cleaner_rec.get("lang")),
           "created_at": ctx.now.isoformat(), "code": code, "list_sent": False}
    ctx.store.put_record(c.JOB, job["id"], job)
    # Being named as someone's cleaner opens the job's commands to them (ACCEPT, LIST…).
    ctx.store.upsert_contact(cleaner_id, roles=sorted(set(cleaner_rec.get("roles") or []) | {"cleaner"}))
    if not cleaner_rec.get("lang"):
        # Unknown yet: the invitation is in the line's language (it says how to
        # switch); a first reply with no language would only get the welcome.
        ctx.store.upsert_contact(cleaner_id, lang=ctx.catalog.default_lang)
    client_rec = ctx.store.get_contact(client_id) or {}
    client_changes = {"roles": sorted(set(client_rec.get("roles") or []) | {"client"}), c.JOB_FIELD: job["id"]}
    cleaner = c.contact(ctx.store, cleaner_id)
    effects = [ctx.say(cleaner, "cleaning.invite", name=_name(ctx, job, "client", cleaner), code=code),
               Audit(me.id, "cleaning.job_created", {"job": job["id"]})]
    # Through the step (not the store directly) so the client's conversation
    # sees the new role at once when it is theirs.
    effects.insert(0, UpdateContact(client_id, client_changes))
    if me.id == client_id:
        effects.insert(0, ctx.say(me, "cleaning.invited", code=code))
    else:  # a coordinator paired them
        effects.insert(0, ctx.say(me, "cleaning.paired", code=code))
        effects.append(ctx.say(client, "cleaning.paired_client", name=_name(ctx, job, "cleaner", client)))
    return "invited", effects


def answer_invite(ctx: Any, code: str, accept: bool) -> tuple[str, list] | None:
    """The invited cleaner's ACCEPT/DECLINE <code>; None when no invitation has it."""
    me = _me(ctx)
    jobs = [j for j in ctx.store.find_records(c.JOB, status="pending", code=code) if j["cleaner"] == me.id]
    if not jobs:
        return None
    job = jobs[0]
    client = c.contact(ctx.store, job["client"])
    if not accept:
        _save_job(ctx, job, status="closed")
        _leave(ctx, job["client"], job)
        return "declined", [ctx.say(me, "cleaning.invite_declined_ok"),
                            ctx.say(client, "cleaning.invite_declined", name=_name(ctx, job, "cleaner", client))]
    current = c.current_job(ctx.store, me.id)
    if current and current["id"] != job["id"]:
        # One open job per member: a second would make "DONE 2" or a note go
        # to the wrong household. (Several at once: a later change.)
        side = c.side_of(current, me.id) or "client"
        return "ok", [ctx.say(me, "cleaning.busy_cleaner", code=code,
                              name=_name(ctx, current, c.other_side(side), me))]
    _save_job(ctx, job, status="active", cleaner_lang=c.lang_of(me, ctx), client_lang=c.lang_of(client, ctx))
    ctx.store.upsert_contact(me.id, **{c.JOB_FIELD: job["id"]})
    effects = [ctx.say(me, "cleaning.accepted_cleaner", name=_name(ctx, job, "client", me)),
               ctx.say(client, "cleaning.accepted_client", name=_name(ctx, job, "cleaner", client))]
    if c.tasks(ctx.store, job["id"]):
        effects.append(c.send_list(ctx, me, job, "cleaning.list_for_cleaner"))
        _save_job(ctx, job, list_sent=True)
    return "accepted", effects


def _leave(ctx, member: str, job) -> None:
    """``member`` no longer has ``job`` as their current one (another job of theirs stays)."""
    if (ctx.store.get_contact(member) or {}).get(c.JOB_FIELD) == job["id"]:
        ctx.store.upsert_contact(member, **{c.JOB_FIELD: None})


def close(ctx: Any, job: dict, side: str, args: str) -> tuple[str, list]:
    other = _other(ctx, job, side)
    _save_job(ctx, job, status="closed")
    for member in (job["client"], job["cleaner"]):
        _leave(ctx, member, job)
    return "closed", [ctx.say(_me(ctx), "cleaning.closed_ok"),
                      ctx.say(other, "cleaning.closed", name=_name(ctx, job, side, other))]


# ------------------------------------------------------------ tasks
def _list_to_cleaner(ctx, job, key="cleaning.list_updated") -> list:
    if job["status"] != "active" or not job.get("list_sent"):
        return []
    return [c.send_list(ctx, c.contact(ctx.store, job["cleaner"]), job, key)]


def add(ctx: Any, job: dict, side: str, args: str) -> tuple[str, list]:
    me = _me(ctx)
    if side != "client":
        return "ok", [ctx.say(me, "cleaning.client_only")]
    texts = split_tasks(args)
    if not texts:
        return "collect", []
    added = c.add_tasks(ctx, job, texts, c.lang_of(me, ctx))
    if not added:
        return "ok", [ctx.say(me, "cleaning.too_many_tasks")]
    lines = "\n".join(f"{t['n']}. {t['text']}" for t in added)
    return "ok", [ctx.say(me, "cleaning.tasks_added", tasks=lines)] + _list_to_cleaner(ctx, job)


def _tasks_named(ctx: Any, job: dict, args: str) -> tuple[list[dict], list[dict], str]:
    """(the tasks named by number in ``args`` ("1 3 99 abc"), all the job's
    tasks, and what was not understood in the member's language: "No task 99.
    Not a task number: 'abc'." — empty when every number is on the list)."""
    nums, bad = read_task_numbers(args)
    rows = {t["n"]: t for t in c.tasks(ctx.store, job["id"])}
    missing = [n for n in nums if n not in rows]
    lang = c.lang_of(_me(ctx), ctx)
    problems = []
    if missing:
        problems.append(ctx.catalog.text(lang, "cleaning.no_such_task", {"numbers": ", ".join(map(str, missing))}))
    if bad:
        words = ", ".join(f"'{w}'" for w in bad)
        problems.append(ctx.catalog.text(lang, "cleaning.not_task_number", {"words": words}))
    return [rows[n] for n in nums if n in rows], list(rows.values()), " ".join(problems)


def _which_task(ctx: Any, problems: str) -> list:
    """Nothing named could be used: what was wrong, and how to name a task."""
    me = _me(ctx)
    if not problems:
        return [ctx.say(me, "cleaning.which_task")]
    return [ctx.say(me, "cleaning.which_task_after", problems=problems)]


def remove(ctx: Any, job: dict, side: str, args: str) -> tuple[str, list]:
    me = _me(ctx)
    if side != "client":
        return "ok", [ctx.say(me, "cleaning.client_only")]
    named, _every, problems = _tasks_named(ctx, job, args)
    if not named:
        return "ok", _which_task(ctx, problems)
    for t in named:
        ctx.store.put_record(c.TASK, t["id"], {**t, "removed": True})
    removed = ", ".join(str(t["n"]) for t in named)
    reply = (ctx.say(me, "cleaning.tasks_removed_but", numbers=removed, problems=problems) if problems
             else ctx.say(me, "cleaning.tasks_removed", numbers=removed))
    return "ok", [reply] + _list_to_cleaner(ctx, job)


def send_tasks(ctx: Any, job: dict, side: str, args: str) -> tuple[str, list]:
    me = _me(ctx)
    if side != "client":
        return "ok", [ctx.say(me, "cleaning.client_only")]
    if args.strip():  # "SEND mop the floor": add it first
        c.add_tasks(ctx, job, split_tasks(args), c.lang_of(me, ctx))
    if not c.tasks(ctx.store, job["id"]):
        return "sent", [ctx.say(me, "cleaning.list_empty")]
    other_name = _name(ctx, job, "cleaner", me)
    if job["status"] != "active":
        return "sent", [ctx.say(me, "cleaning.list_saved", name=other_name)]
    _save_job(ctx, job, list_sent=True)
    cleaner = c.contact(ctx.store, job["cleaner"])
    return "sent", [ctx.say(me, "cleaning.list_sent", name=other_name),
                    c.send_list(ctx, cleaner, job, "cleaning.list_for_cleaner")]


def show_list(ctx: Any, job: dict, side: str, args: str) -> tuple[str, list]:
    return "ok", [c.send_list(ctx, _me(ctx), job)]


def done(ctx: Any, job: dict, side: str, args: str) -> tuple[str, list]:
    me = _me(ctx)
    if side != "cleaner":
        return "ok", [ctx.say(me, "cleaning.cleaner_only")]
    named, every, problems = _tasks_named(ctx, job, args)
    if not named:
        return "ok", _which_task(ctx, problems)
    newly = [t for t in named if not t.get("done")]
    for t in newly:
        ctx.store.put_record(c.TASK, t["id"], {**t, "done": True})
        t["done"] = True
    client = c.contact(ctx.store, job["client"])
    numbers = ", ".join(str(t["n"]) for t in named)
    effects = [ctx.say(me, "cleaning.done_ok_but", numbers=numbers, problems=problems) if problems
               else ctx.say(me, "cleaning.done_ok", numbers=numbers)]
    if newly:
        lang = c.lang_of(client, ctx)
        texts, left = c.translated(ctx, [t["text"] for t in newly], newly[0]["lang"], lang)
        ticks = "\n".join(f"✓ {text}" for text in texts)
        effects.append(c.send(ctx, client, "cleaning.ticked", newly[0]["lang"], left, ticks=ticks,
                              name=_name(ctx, job, "cleaner", client)))
    if all(t.get("done") for t in every) and newly:
        for reader in (client, me):
            effects.append(c.send_list(ctx, reader, job, "cleaning.all_done"))
    return "ok", effects


# ------------------------------------------------------------ arrival, lockout
def here(ctx: Any, job: dict, side: str, args: str) -> tuple[str, list]:
    me = _me(ctx)
    if side != "cleaner":
        return "ok", [ctx.say(me, "cleaning.cleaner_only")]
    client = _other(ctx, job, side)
    return "ok", [ctx.say(me, "cleaning.arrived_ok"),
                  ctx.say(client, "cleaning.arrived", name=_name(ctx, job, "cleaner", client), time=ctx.now)]


def no_entry(ctx: Any, job: dict, side: str, args: str) -> tuple[str, list]:
    me = _me(ctx)
    if side != "cleaner":
        return "ok", [ctx.say(me, "cleaning.cleaner_only")]
    client = _other(ctx, job, side)
    note = " ".join(args.split())[:300]
    source, target = c.lang_of(me, ctx), c.lang_of(client, ctx)
    texts, left = c.translated(ctx, [note], source, target) if note else ([""], [])
    key = "cleaning.no_entry_alert_note" if note else "cleaning.no_entry_alert"
    return "ok", [ctx.say(me, "cleaning.no_entry_ok", name=_name(ctx, job, "client", me)),
                  c.send(ctx, client, key, source, left, name=_name(ctx, job, "cleaner", client), note=texts[0]),
                  Audit(me.id, "cleaning.no_entry", {"job": job["id"]})]


# ------------------------------------------------------------ notes
def note(ctx: Any, job: dict, side: str, text: str) -> tuple[str, list]:
    """Any other text: relayed to the other side in their language."""
    me = _me(ctx)
    text = text.strip()
    if job["status"] != "active":
        return "ok", [ctx.say(me, "cleaning.not_active", name=_name(ctx, job, c.other_side(side), me))]
    if not text:
        return "ok", []
    other = _other(ctx, job, side)
    source, target = c.lang_of(me, ctx), c.lang_of(other, ctx)
    n = len(ctx.store.find_records(c.NOTE, job=job["id"])) + 1
    nid = f"{job['id']}.{ctx.ids.next('N')}"  # both sides write notes, under their own locks: ids never from n
    ctx.store.put_record(c.NOTE, nid, {"id": nid, "job": job["id"], "n": n, "from": me.id, "to": other.id,
                                       "text": text, "lang": source, "at": ctx.now.isoformat()})
    texts, left = c.translated(ctx, [text], source, target)
    key = "cleaning.note" if source == target else "cleaning.note_translated"
    return "ok", [c.send(ctx, other, key, source, left, name=_name(ctx, job, side, other), note=texts[0])]


def original(ctx: Any, job: dict, side: str, args: str) -> tuple[str, list]:
    me = _me(ctx)
    notes = sorted((n for n in ctx.store.find_records(c.NOTE, job=job["id"]) if n["to"] == me.id),
                   key=lambda n: (n["n"], n["at"]))
    if not notes:
        return "ok", [ctx.say(me, "cleaning.no_original")]
    last = notes[-1]
    return "ok", [ctx.say(me, "cleaning.original", name=_name(ctx, job, c.other_side(side), me), note=last["text"])]


# ------------------------------------------------------------ visits
def visit(ctx: Any, job: dict, side: str, args: str) -> tuple[str, list]:
    me = _me(ctx)
    lang = c.lang_of(me, ctx)
    today = ctx.now.date()
    if not args.strip():
        days = sorted(v["day"] for v in ctx.store.find_records(c.VISIT, job=job["id"]) if v["day"] >= today.isoformat())
        if not days:
            return "ok", [ctx.say(me, "cleaning.no_visits")]
        listed = ", ".join(_day(d, lang) for d in days[:5])
        return "ok", [ctx.say(me, "cleaning.visits", days=listed)]
    words = {w: ctx.catalog.words(lang, f"cleaning.day_{w}") for w in ("today", "tomorrow")}
    day = parse_day(args, lang, today, words)
    if day is None:
        return "ok", [ctx.say(me, "cleaning.visit_hint")]
    vid = f"{job['id']}.{day.isoformat()}"
    ctx.store.put_record(c.VISIT, vid, {"id": vid, "job": job["id"], "day": day.isoformat(), "by": me.id,
                                        "at": ctx.now.isoformat()})
    other = _other(ctx, job, side)
    return "ok", [ctx.say(me, "cleaning.visit_set", day=_day(day.isoformat(), lang)),
                  ctx.say(other, "cleaning.visit_other", name=_name(ctx, job, side, other),
                          day=_day(day.isoformat(), c.lang_of(other, ctx)))]


def _day(iso: str, lang: str) -> str:
    from datetime import date

    return format_date(date.fromisoformat(iso), format="EEE d MMM" if lang != "en" else "EEE, MMM d", locale=lang)
