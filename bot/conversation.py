"""The shell around the pure engine: carry out its effects against a store.

Each entry point (a person's message, an event, a due timer, a background
job) runs one step for one contact in one store transaction: the engine's
effects are applied in order (sends go to the outbox, contact changes to the
store, actions run and resume the engine) and the session is saved.

Events addressed to other contacts are not run inside this step: they are
saved as timers due now, so they survive a crash and run later under the
other contact's own lock (``Pipeline`` fires them as soon as this contact's
lock is released). Chains of events are bounded (``MAX_HOPS``), so two flows
can never ping-pong forever.

Timers whose contact starts with ``job:`` are background jobs (dispatch
rings, escalations, grace windows, summaries): the action named by the
timer's event runs with the timer's data, with no session.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Mapping

from .actions import load as load_actions
from .actions.base import ActionContext
from .engine.model import (
    ActionResult, Audit, CallAction, CancelTimer, Contact, Emit, Event, Ids, Message, Schedule, Send, StepResult,
    UpdateContact, WriteRecord,
)
from .engine.runner import Engine
from .store.contacts import view

MAX_HOPS = 20  # events one input may set off across contacts, one after another
HOPS = "_hops"  # the timer data field that counts them
JOB_PREFIX = "job:"  # timers for a background job, not a contact's session
# An event named "start:<flow>" (``ctx.emit(to, "start:<flow>", state=..., vars={...})``) starts that
# flow for its contact on the line's initiative, whatever the contact was doing (the action that sends
# it decides whether to: school_alert_due only does when the parent is not busy), except for an
# opted-out contact or one the flow's roles do not allow.
START_PREFIX = "start:"
MAX_ACTIONS = 20  # actions one step may run
# Channels that can only answer inside the provider's own session (a USSD
# screen): a reply during the step goes there, but later messages (timers,
# other people's actions) go by the contact's usual channel, SMS by default.
SESSION_CHANNELS = frozenset({"ussd"})


@dataclass
class Outcome:
    """What one call did: the messages it queued (for the simulator and tests)
    and the contacts it addressed events to (timers now due: ``Pipeline``
    fires them once the step's own lock is released)."""

    sent: list
    emitted: list = field(default_factory=list)
    #: the contact as the step left them: session status, language, opted out
    #: (a synchronous channel draws its screen from it without reading again)
    after: dict | None = None


class Conductor:
    def __init__(self, engine: Engine | Callable[[], Engine], store: Any, ids: Ids,
                 settings: Mapping[str, Any] | None = None):
        self._engine = engine if callable(engine) and not isinstance(engine, Engine) else (lambda: engine)
        self.store = store
        self.ids = ids
        self.settings = dict(settings or {})
        self.actions = load_actions()

    @property
    def engine(self) -> Engine:
        return self._engine()

    def _detector(self):
        engine = self.engine
        if getattr(self, "_detect_for", None) is not engine:
            from .langdetect import detector_for

            self._detect, self._detect_for = detector_for(engine.catalog), engine
        return self._detect

    # ------------------------------------------------------------ entry points
    def message(self, contact_id: str, text: str, now: datetime, lang_hint: str | None = None,
                seq: int | None = None, channel: str | None = None) -> Outcome:
        """A text from ``contact_id``. ``seq`` (the inbound log's sequence number)
        makes the step idempotent: it is saved with the step, and a message at or
        below the contact's last handled sequence is skipped. ``channel`` is
        where it came from: replies to this contact go back that way."""
        def step(eng, session, contact):
            # Only a contact with no language yet needs the text's language guessed.
            hint = lang_hint if lang_hint is not None or contact.lang else self._detector()(text)
            return eng.message(session, contact, Message(text, hint), now, self.ids)

        return self._step(contact_id, now, step, seq=seq, channel=channel)

    def event(self, contact_id: str, name: str, data: Mapping[str, Any], now: datetime) -> Outcome:
        hops, data = shell_fields(data)
        if name.startswith(START_PREFIX):
            return self._step(contact_id, now, lambda eng, s, c: offer(eng, s, c, name, data, now, self.ids),
                              hops=hops)
        return self._step(contact_id, now, lambda eng, s, c: eng.event(s, c, Event(name, data), now, self.ids),
                          hops=hops)

    def start(self, contact_id: str, flow: str, now: datetime, vars_: Mapping | None = None) -> Outcome:
        return self._step(contact_id, now, lambda eng, s, c: eng.start(s, c, flow, now, self.ids, vars_))

    def timer(self, timer: Mapping[str, Any], now: datetime) -> Outcome:
        """A due timer: an event for a contact's session, or (``job:`` ids) a
        background job, which runs the action named by its event."""
        if timer["contact"].startswith(JOB_PREFIX):
            return self.job(timer["contact"], timer["event"], timer["data"], now)
        return self.event(timer["contact"], timer["event"], timer["data"], now)

    def job(self, key: str, action_name: str, params: Mapping[str, Any], now: datetime) -> Outcome:
        """Run a background job (a dispatch ring, an escalation, a summary): an
        action with no session, whose effects are applied like a step's."""
        sent: list = []
        emitted: list = []
        hops, params = shell_fields(params)
        with self.store.transaction() as tx:
            system = Contact(id=key, lang=None)
            outcome = self._run_action(tx, CallAction(action_name, params, key), system, now, self.engine)
            for effect in outcome.effects:
                self._apply(tx, effect, system, now, sent, emitted, None, hops)
            if outcome.result not in ("ok",) + tuple(getattr(self.actions.get(action_name), "results", ())):
                tx.audit({"at": now, "contact": key, "what": "job.result", "data": {"result": outcome.result}})
        return Outcome(sent, emitted)

    def fire_timers(self, now: datetime) -> Outcome:
        """Fire every due timer, and what those set off (transcripts and the
        terminal simulator: one process, no locks; the live line uses
        ``Pipeline.tick``)."""
        sent: list = []
        while batch := self.store.claim_due_timers(now):
            for timer in batch:
                sent.extend(self.timer(timer, now).sent)
        return Outcome(sent)

    # ------------------------------------------------------------ one step
    def _step(self, contact_id: str, now: datetime, call: Callable, seq: int | None = None,
              channel: str | None = None, hops: int = 0) -> Outcome:
        sent: list = []
        emitted: list = []
        engine = self.engine
        with self.store.transaction() as tx:
            rec = tx.get_contact(contact_id) or tx.upsert_contact(contact_id, created_at=now)
            if seq is not None:
                # The inbound's "handled" mark commits with the step itself.
                tx.mark_inbound_done(contact_id, seq)
                if (rec.get("last_seq") or 0) >= seq:
                    return Outcome(sent, emitted)  # handled before a crash; its effects are already saved
                changes = {"last_seq": seq}
                if channel and channel not in SESSION_CHANNELS and channel != rec.get("channel"):
                    changes["channel"] = channel
                rec = tx.upsert_contact(contact_id, **changes)
            contact = view(rec)
            result = call(engine, tx.get_session(contact_id), contact)
            session, effects = result.session, list(result.effects)
            actions_run = 0
            while True:
                action_call = None
                for effect in effects:
                    if isinstance(effect, CallAction):
                        action_call = effect
                        continue
                    contact = self._apply(tx, effect, contact, now, sent, emitted, channel, hops)
                if action_call is None:
                    break
                actions_run += 1
                if actions_run > MAX_ACTIONS:
                    result = engine.abort(session, contact, "actions", now, self.ids)
                else:
                    outcome = self._run_action(tx, action_call, contact, now, engine)
                    for effect in outcome.effects:
                        contact = self._apply(tx, effect, contact, now, sent, emitted, channel, hops)
                    result = engine.resume(session, contact, outcome, now, self.ids)
                session, effects = result.session, list(result.effects)
            tx.save_session(session)
        return Outcome(sent, emitted, {"status": session.status, "lang": contact.lang, "opted_out": contact.opted_out})

    def _run_action(self, tx, call: CallAction, contact, now, engine) -> ActionResult:
        action = self.actions.get(call.name)
        if action is None:  # lint rejects unknown actions; never crash a conversation
            tx.audit({"at": now, "contact": contact.id, "what": "action.unknown", "data": {"name": call.name}})
            return ActionResult("error", {"error": "unknown action"})
        ctx = ActionContext(contact, tx, engine.catalog, now, self.ids, self.settings)
        return action.run(ctx, call.params)

    def _apply(self, tx, effect, contact, now, sent: list, emits: list, reply_channel: str | None = None,
               hops: int = 0):
        if isinstance(effect, Send):
            # A reply goes back the way the message came; anyone else's by their channel.
            to_channel = reply_channel if reply_channel and effect.to == contact.id else channel_of(tx, effect.to,
                                                                                                     contact)
            msg = {"id": self.ids.next("m"), "to": effect.to, "text": effect.text, "key": effect.key,
                   "choices": [list(c) for c in effect.choices], "lang": effect.lang,
                   "channel": to_channel, "status": "queued", "created_at": now}
            if effect.extra:
                msg = {**dict(effect.extra), **msg}  # never overrides the row's own fields
            if effect.to != contact.id and not contact.id.startswith(JOB_PREFIX):
                # whose step wrote it (a relayed note, a post, a reply): erasing that
                # member erases their words here too (Store.forget_contact)
                msg["by"] = contact.id
            tx.add_outbound(msg)
            sent.append(msg)
        elif isinstance(effect, UpdateContact):
            rec = tx.upsert_contact(effect.contact, **dict(effect.changes))
            if effect.contact == contact.id:
                contact = view(rec)
        elif isinstance(effect, Schedule):
            tx.add_timer(effect.timer_id, effect.contact, effect.at, effect.event, dict(effect.data))
        elif isinstance(effect, CancelTimer):
            tx.cancel_timer(effect.timer_id)
        elif isinstance(effect, Emit):
            # Delivered as a timer due now: saved with this step (a crash loses
            # nothing) and run later under the other contact's own lock.
            if hops + 1 > MAX_HOPS:
                tx.audit({"at": now, "contact": effect.to, "what": "loop_guard.hops",
                          "data": {"event": effect.event, "from": contact.id}})
            else:
                tx.add_timer(self.ids.next("e"), effect.to, now, effect.event, {**dict(effect.data), HOPS: hops + 1})
                emits.append(effect.to)
        elif isinstance(effect, WriteRecord):
            tx.add_record(effect.kind, dict(effect.data))
        elif isinstance(effect, Audit):
            tx.audit({"at": now, "contact": effect.contact, "what": effect.what, "data": dict(effect.data)})
        return contact


def offer(eng: Engine, session, contact, name: str, data: Mapping[str, Any], now: datetime, ids: Ids):
    """A ``start:<flow>`` event: start the flow (at ``data["state"]`` when it is one of the flow's ``entries``, else
    its start) with ``data["vars"]``; for an opted-out contact, or one the
    flow does not allow, an ordinary event (ignored unless a wait names it).

    With ``data["resting"]`` (flow names), a contact who by now is in the
    middle of another conversation keeps it: they get ``data["busy_key"]``
    (with ``data["busy_values"]``) as a plain message instead, so what the
    flow would have said is not lost (a school alert in "text REPLY" form)."""
    flow = eng.flows.flows.get(name[len(START_PREFIX):])
    if flow is None or contact.opted_out or not flow.allows(contact.roles):
        return eng.event(session, contact, Event(name, data), now, ids)
    resting = data.get("resting")
    if resting is not None and session is not None and session.busy_outside(resting, now):
        key = data.get("busy_key")
        if not key:
            return StepResult(session, ())
        lang = eng.catalog.lang_for(contact.lang)
        text = eng.catalog.text(lang, key, dict(data.get("busy_values") or {}))
        return StepResult(session, (Send(contact.id, text, key, (), lang),))
    state = data.get("state")
    state = state if state in flow.entries else None  # only where the flow says the line may start it
    return eng.start(session, contact, flow.name, now, ids, dict(data.get("vars") or {}), state)


def channel_of(tx, to: str, contact) -> str:
    """Where a message to ``to`` goes: the channel that person last wrote from
    (a Telegram id can only be reached on Telegram; anyone else defaults to SMS)."""
    if to == contact.id:
        channel = contact.fields.get("channel")
    else:
        rec = tx.get_contact(to)
        channel = rec.get("channel") if rec else None
    return channel or ("telegram" if to.startswith("tg:") else "sms")


def shell_fields(data: Mapping[str, Any]) -> tuple[int, dict]:
    """(hops so far, the data without the shell's own ``_`` fields)."""
    return int(data.get(HOPS) or 0), {k: v for k, v in data.items() if not str(k).startswith("_")}
