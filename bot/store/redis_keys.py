"""Every Redis key the Redis store uses, in one place, and how values are encoded.

Hash tags (the ``{…}`` part) decide the Redis Cluster slot. Everything one
contact owns shares ``{c:<contact_id>}`` so one step's writes for that contact
commit in one MULTI/EXEC on one slot. Global indexes live under their own tags:
``{sched}`` (the timer schedule), ``{out}`` (the whole outbox: messages and
their queues, so leasing is one script on one slot), ``{r:<kind>}`` (one record
kind), ``{idx}`` (the contact list) and ``{audit}``.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..engine.model import decode_json
from .json_codec import dumps_utc as dumps  # noqa: F401 - the store's writer: datetimes in UTC

SEEN_TTL = 7 * 24 * 3600  # how long a provider id is remembered (seconds)


class Keys:
    def __init__(self, prefix: str = "vc"):
        self.p = prefix

    # ------------------------------------------------ one contact: {c:<id>}
    def tag(self, contact_id: str) -> str:
        return f"{{c:{contact_id}}}"

    def contact(self, cid: str) -> str:
        return f"{self.p}:{self.tag(cid)}:contact"  # JSON of the contact record

    def session(self, cid: str) -> str:
        return f"{self.p}:{self.tag(cid)}:session"  # JSON of Session.to_dict()

    def timers(self, cid: str) -> str:
        return f"{self.p}:{self.tag(cid)}:timers"  # hash timer_id -> JSON {at, event, data}

    def inbound_seq(self, cid: str) -> str:
        return f"{self.p}:{self.tag(cid)}:in:seq"  # INCR counter

    def inbound(self, cid: str) -> str:
        return f"{self.p}:{self.tag(cid)}:in"  # hash seq -> JSON of a pending inbound message

    def inbound_pending(self, cid: str) -> str:
        return f"{self.p}:{self.tag(cid)}:in:pending"  # zset seq -> seq

    def seen(self, cid: str, channel: str, provider_id: str) -> str:
        return f"{self.p}:{self.tag(cid)}:seen:{channel}:{provider_id}"  # SET NX EX 7 days

    def lock(self, cid: str) -> str:
        return f"{self.p}:{self.tag(cid)}:lock"  # token, SET NX PX

    def contact_of(self, key: str) -> str:
        """The contact id in one of the keys above (``<p>:{c:<id>}:…``)."""
        start = len(self.p) + len(":{c:")
        return key[start:key.index("}:", start)]

    def contact_keys(self, cid: str) -> list[str]:
        """The keys ``remove_contact`` deletes (``seen`` keys expire on their own)."""
        return [self.contact(cid), self.session(cid), self.timers(cid), self.inbound_seq(cid),
                self.inbound(cid), self.inbound_pending(cid)]

    # ------------------------------------------------ global indexes
    def contacts_index(self) -> str:
        return f"{self.p}:{{idx}}:contacts"  # set of contact ids

    def schedule(self) -> str:
        return f"{self.p}:{{sched}}:due"  # zset timer_id -> epoch seconds

    def timer_owner(self) -> str:
        return f"{self.p}:{{sched}}:owner"  # hash timer_id -> contact id

    def wake(self) -> str:
        return f"{self.p}:{{sched}}:wake"  # list: a webhook rings it, a waiting worker BLPOPs it

    # ------------------------------------------------ outbox: {out}
    def out_seq(self) -> str:
        return f"{self.p}:{{out}}:seq"

    def out_queue(self) -> str:
        return f"{self.p}:{{out}}:queue"  # zset "<seq>|<id>" -> epoch when leasable

    def out_all(self) -> str:
        return f"{self.p}:{{out}}:all"  # zset id -> seq (creation order)

    def out_to(self, to: str) -> str:
        return f"{self.p}:{{out}}:to:{to}"  # zset id -> seq

    def out_msg_prefix(self) -> str:
        return f"{self.p}:{{out}}:m:"

    def out_msg(self, msg_id: str) -> str:
        return self.out_msg_prefix() + msg_id  # hash field -> JSON value (plus _q, _seq)

    # ------------------------------------------------ records: {r:<kind>}
    def records(self, kind: str) -> str:
        return f"{self.p}:{{r:{kind}}}:data"  # hash id -> JSON

    def records_order(self, kind: str) -> str:
        return f"{self.p}:{{r:{kind}}}:order"  # zset id -> epoch first written

    def claim(self, kind: str, record_id: str) -> str:
        return f"{self.p}:{{r:{kind}}}:claim:{record_id}"  # SET NX claimer

    # ------------------------------------------------ pacing
    def rate(self, key: str) -> str:
        return f"{self.p}:{{rate:{key}}}"  # the limiter's theoretical arrival time (epoch)

    # ------------------------------------------------ audit
    def audit(self) -> str:
        return f"{self.p}:{{audit}}:log"  # list of JSON entries, append only


# ---------------------------------------------------------------- values
def loads(raw: str | bytes | None) -> Any:
    return None if raw is None else decode_json(raw)


def utc(when: datetime) -> datetime:
    """``when`` in UTC (a naive datetime is taken as UTC): what ``dumps`` writes."""
    zone = when.tzinfo
    if zone is timezone.utc:
        return when
    return (when if zone else when.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def epoch(when: datetime) -> float:
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp()
