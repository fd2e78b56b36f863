"""Anonymous peer support: the records, settings and lookups its actions share.

Records (the web board lists open posts by pseudonym; keep these names):

* ``peer.post`` {id, code, author (number, never shown), pseudonym, lang,
  text (scrubbed), status: open|answered|closed|crisis, asked: [peer numbers],
  replies: int, created_at} plus ``held`` (the "nobody free" text was sent)
  and ``erased`` (the text is gone, after PEER_RETENTION_DAYS).
* ``peer.reply`` {id, post, peer, peer_pseudonym, text, rating, created_at}
  plus ``by``: "peer" for a volunteer's reply, "person" for the person
  writing back to that volunteer (same thread, same retention). ``rating``:
  None, "helpful", "not_helpful" or "report".
* ``peer.ask`` {id: "<post>:<peer pseudonym>", post, peer}: that peer was sent
  the post. The post's ``asked``/``replies`` are copies for the board; these
  small records and the replies are what decide, so two steps writing the
  same post at once cannot lose a peer or a reply.
* ``peer.inbound`` {id: "<number>:<seq>", contact, seq, created_at}: an
  inbound message a peer action read, for the retention job to erase its
  copy in the inbound log (``peer_erase``).

Contact fields: ``pseudonym`` (the 4 digits peers see as "Neighbour 4821"),
``peer_pseudonym`` (a volunteer's own 4 digits, "Volunteer 3310"; never the
same as anyone's ``pseudonym``), ``peer_intro_seen``, ``peer_off`` (left with
STOP TALK), and for volunteers ``on_duty`` (missing = on duty), ``languages``
(list; missing = [lang]), ``quiet_start``/``quiet_end`` ("22:00"),
``suspended``, ``peer_last_asked``.

Pseudonyms are random (drawn from the ids, which are uuids on the live line)
and claimed in the store so no two contacts share one; nothing about them
comes from the number.
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, time, timedelta
from typing import Any, Iterable, Mapping

from ..engine.inputs.normalize import normalize
from ..engine.model import Audit, Send
from ..store.contacts import view
from . import first_number, int_setting, member
from .peer_scrub import scrub
from ..engine.phrases import phrase_list

POST, REPLY, ASK = "peer.post", "peer.reply", "peer.ask"
OPEN, ANSWERED, CLOSED, CRISIS = "open", "answered", "closed", "crisis"
LIVE = (OPEN, ANSWERED)  # a post replies can still reach
HELPFUL, NOT_HELPFUL, REPORT = "helpful", "not_helpful", "report"
RATINGS = {"1": HELPFUL, "2": NOT_HELPFUL, "3": REPORT}

# Settings (env vars, strings): name -> (default, meaning). Listed for the README.
SETTINGS = {
    "PEER_FANOUT": (3, "volunteers a post goes to at first, and how many more each time nobody has replied"),
    "PEER_WAIT_MINUTES": (10, "minutes without a reply before the post goes to more volunteers"),
    "PEER_MAX_REPLIES": (3, "volunteers who may answer one post"),
    "PEER_POSTS_PER_DAY": (3, "posts one person may send a day"),
    "PEER_MIN_REPLY_CHARS": (20, "shortest reply relayed"),
    "PEER_RETENTION_DAYS": (30, "days post and reply texts are kept before they are erased"),
    "PEER_OPEN_HOURS": (72, "hours a post stays open for replies"),
    "PEER_QUIET_START": ("22:00", "volunteers get no new posts from this time…"),
    "PEER_QUIET_END": ("08:00", "…until this time (a volunteer's quiet_start/quiet_end fields win)"),
}

JOB_WIDEN = "peer.widen:{}"
JOB_RETENTION = "peer.retention"  # one fixed key: scheduling it again replaces it
RETENTION_HOUR = 3  # the daily erase runs at 03:00 line time

_CLOCK = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*$")


def setting(ctx, name: str) -> int:
    """An integer setting (env values are strings), with its default."""
    return int_setting(ctx.settings, name, SETTINGS[name][0])


def clock(value: Any, default: str) -> time:
    """ "22:00", "22", "7:30" -> a time; anything unreadable -> ``default``."""
    for candidate in (value, default):
        m = _CLOCK.match(str(candidate or ""))
        if m and int(m.group(1)) < 24 and int(m.group(2) or 0) < 60:
            return time(int(m.group(1)), int(m.group(2) or 0))
    return time(0, 0)


def crisis_line(ctx) -> str:
    return str(ctx.settings.get("CRISIS_LINE") or "988")


def region(ctx) -> str:
    return str(ctx.settings.get("DEFAULT_REGION") or "US")


digits_in = first_number  # a post code or a pseudonym's number ("482", "Volunteer 3310")
contact = member


# ------------------------------------------------------------------ names
def person_name(ctx, lang: str | None, pseudonym: str) -> str:
    return ctx.catalog.text(lang, "peer.person_name", {"n": pseudonym})


def peer_name(ctx, lang: str | None, pseudonym: str) -> str:
    return ctx.catalog.text(lang, "peer.peer_name", {"n": pseudonym})


def _draw(ctx, owner: str, attempts: int = 50) -> str:
    """Four random digits no one else has (as person or as volunteer)."""
    for _ in range(attempts):
        seed = ctx.ids.next("pn")
        number = str(1000 + int(hashlib.sha256(seed.encode()).hexdigest(), 16) % 9000)
        if ctx.store.claim("peer.pseudonym", number, owner):
            return number
    raise RuntimeError("no free peer pseudonym")  # 9000 taken: widen the range


def ensure_pseudonym(ctx, number: str, field: str = "pseudonym") -> str:
    """The contact's stable pseudonym (``pseudonym`` or ``peer_pseudonym``),
    drawn and saved the first time."""
    rec = ctx.store.get_contact(number) or {}
    if rec.get(field):
        return str(rec[field])
    value = _draw(ctx, "x")  # the claim's owner is not the number: nothing links them but the contact
    ctx.store.upsert_contact(number, **{field: value})
    return value


def find_peer(store, pseudonym: str) -> dict | None:
    if not pseudonym:
        return None
    for rec in store.list_contacts("peer"):
        if str(rec.get("peer_pseudonym") or "") == pseudonym:
            return rec
    return None


# ------------------------------------------------------------------ who may get posts
def is_peer(rec: Mapping[str, Any] | None) -> bool:
    """May answer at all: a trained volunteer, not suspended, still in."""
    return bool(rec) and "peer" in (rec.get("roles") or ()) and bool(rec.get("trained")) \
        and not rec.get("suspended") and not rec.get("opted_out") and not rec.get("peer_off")


def post_refused(msg: Mapping[str, Any], rec: Mapping[str, Any] | None, store) -> str | None:
    """Why a worry must not reach this volunteer now, as it is sent (None: it
    may): one suspended, untrained or gone since the post chose them never reads it."""
    return None if is_peer(rec) else "peer_inactive"


# Checked again as each text goes out (bot/services/send_gates.py).
SEND_GATES = {"peer.to_peer_post": post_refused, "peer.to_peer_writeback": post_refused}


def languages(rec: Mapping[str, Any]) -> set[str]:
    langs = rec.get("languages")
    if isinstance(langs, str):
        langs = re.split(r"[\s,]+", langs)
    return {str(l).strip().lower() for l in (langs or [rec.get("lang") or "en"]) if str(l).strip()}


def quiet(ctx, rec: Mapping[str, Any]) -> bool:
    start = clock(rec.get("quiet_start"), str(ctx.settings.get("PEER_QUIET_START") or SETTINGS["PEER_QUIET_START"][0]))
    end = clock(rec.get("quiet_end"), str(ctx.settings.get("PEER_QUIET_END") or SETTINGS["PEER_QUIET_END"][0]))
    now = ctx.now.timetz().replace(tzinfo=None)
    if start == end:
        return False
    return start <= now < end if start < end else (now >= start or now < end)


def available(ctx, lang: str, exclude: Iterable[str]) -> list[dict]:
    """Volunteers who may get a post now, least recently asked first."""
    skip = set(exclude)
    pool = [c for c in ctx.store.list_contacts("peer")
            if c["id"] not in skip and is_peer(c) and c.get("on_duty") is not False
            and lang in languages(c) and not quiet(ctx, c)]
    return sorted(pool, key=lambda c: (str(c.get("peer_last_asked") or ""), c["id"]))


def coordinators(store) -> list[dict]:
    return [c for c in store.list_contacts("coordinator") if not c.get("opted_out")]


# ------------------------------------------------------------------ posts and replies
def _when(row: Mapping[str, Any]) -> float:
    at = row.get("created_at")
    return at.timestamp() if isinstance(at, datetime) else 0.0


def newest_first(rows: Iterable[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (_when(r), str(r.get("id"))), reverse=True)


def live_posts(ctx, author: str) -> list[dict]:
    """The author's posts replies can still reach, newest first."""
    cutoff = ctx.now - timedelta(hours=setting(ctx, "PEER_OPEN_HOURS"))
    return newest_first(p for p in ctx.store.find_records(POST, author=author)
                        if p.get("status") in LIVE and p.get("created_at") and p["created_at"] >= cutoff)


def posts_today(ctx, author: str) -> int:
    day = ctx.now.date()
    return sum(1 for p in ctx.store.find_records(POST, author=author)
               if p.get("created_at") and p["created_at"].astimezone(ctx.now.tzinfo).date() == day)


def replies(store, post_id: str, by: str | None = "peer") -> list[dict]:
    """A post's replies (``by`` "peer", "person" or None for both), oldest first."""
    rows = [r for r in store.find_records(REPLY, post=post_id) if by is None or r.get("by") == by]
    return list(reversed(newest_first(rows)))


def repliers(store, post_id: str) -> set[str]:
    return {r["peer"] for r in replies(store, post_id)}


def was_asked(store, post: Mapping[str, Any], peer_pseudonym: str) -> bool:
    return store.get_record(ASK, f"{post['id']}:{peer_pseudonym}") is not None


def mark_asked(ctx, post: dict, peers: list[dict]) -> list:
    """Send ``post`` to ``peers``: record the asks, save the post, and return
    their texts (effects)."""
    effects = []
    for rec in peers:
        alias = ensure_pseudonym(ctx, rec["id"], "peer_pseudonym")
        ctx.store.put_record(ASK, f"{post['id']}:{alias}", {"id": f"{post['id']}:{alias}", "post": post["id"],
                                                           "peer": rec["id"]})
        ctx.store.upsert_contact(rec["id"], peer_last_asked=ctx.now.isoformat())
        reader = view(rec)
        effects.append(ctx.say(reader, "peer.to_peer_post", person=person_name(ctx, reader.lang, post["pseudonym"]),
                               code=post["code"], text=post["text"]))
    post["asked"] = list(post.get("asked") or []) + [rec["id"] for rec in peers]
    ctx.store.put_record(POST, post["id"], post)
    return effects


def new_code(ctx) -> str:
    """A 3-digit post code no live post uses (peers type it: ANSWER 482 …)."""
    taken = {p.get("code") for p in ctx.store.find_records(POST, status=OPEN)}
    taken |= {p.get("code") for p in ctx.store.find_records(POST, status=ANSWERED)}
    for _ in range(50):
        seed = ctx.ids.next("pc")
        code = str(100 + int(hashlib.sha256(seed.encode()).hexdigest(), 16) % 900)
        if code not in taken:
            return code
    return str(1000 + int(hashlib.sha256(ctx.ids.next("pc").encode()).hexdigest(), 16) % 9000)


def audit(ctx, pseudonym: str, what: str, **data: Any) -> Audit:
    """An audit entry under the pseudonym: the audit log never holds a number."""
    return Audit(f"peer:{pseudonym}", what, data)


def alert_coordinators(ctx, key: str, **values: Any) -> list:
    """One text to every coordinator, in their language (pseudonyms only)."""
    out = []
    for rec in coordinators(ctx.store):
        reader = view(rec)
        filled = {k: (v(reader.lang) if callable(v) else v) for k, v in values.items()}
        out.append(ctx.say(reader, key, **filled))
    return out


def next_retention_run(now: datetime) -> datetime:
    run = now.replace(hour=RETENTION_HOUR, minute=0, second=0, microsecond=0)
    return run if run > now else run + timedelta(days=1)


def schedule_retention(ctx):
    return ctx.schedule_job("peer_retention", next_retention_run(ctx.now), JOB_RETENTION)


def listening(store, number: str) -> bool:
    """Is the person's conversation open on their post (a bare 1, 2 or 3 rates
    the reply)? The peer flow's listening states set ``listening``."""
    session = store.get_session(number)
    return bool(session is not None and session.flow == "peer" and session.status == "waiting_input"
                and session.vars.get("listening") is True)


def said(catalog, key: str, text: str) -> bool:
    """``text`` is exactly one of the word list ``key`` in any language."""
    want = normalize(text)
    return any(normalize(w) == want for lang in catalog.langs for w in catalog.words(lang, key))


# ------------------------------------------------------------------ crisis
def is_crisis(ctx, text: str) -> bool:
    return phrase_list(ctx.catalog, "peer.crisis_phrases", fuzzy=True).find(text) is not None


def crisis_effects(ctx, author: str, pseudonym: str, lang: str, text: str, code: str, post_id: str | None = None,
                   alert_key: str = "peer.alert_crisis") -> list:
    """Everything a crisis hit does, for a post, a write-back or any text to the
    line (``alert_key`` crisis.alert): the crisis line to the person, an alert
    to every coordinator, an audit entry. Returns effects."""
    me = contact(ctx.store, author)
    clean, _kinds = scrub(text, ctx.catalog.text(lang, "peer.removed"), region(ctx))
    said = ctx.say(me, "peer.crisis", crisis_line=crisis_line(ctx))
    # on USSD the screen closes after it: an open session keeps the phone from calling the line
    effects = [Send(said.to, said.text, said.key, (), said.lang, {"close_screen": True})]
    effects += alert_coordinators(ctx, alert_key, code=code, text=clean[:300],
                                  person=lambda l: person_name(ctx, l, pseudonym))
    effects.append(audit(ctx, pseudonym, "peer.crisis", post=post_id or "", code=code))
    return effects
