"""The services' send-time gates, for the outbox worker (``OutboxWorker(gates=...)``).

A step chooses who gets a text from the records it read; the text goes out
later, from the outbox. A coordinator's "not vetted" or a suspension that
lands in between must still win, as STOP does: so the texts only some members
may get (a childcare ask: a child's name, age and pick-up place; a worry
posted to peer support) are checked again against the contact's record as
each one is sent, and marked ``blocked`` with the reason when they no longer
may. The same check keeps a childcare ask held up by a provider outage (the
outbox retries for hours) from going once its request no longer needs a
helper. Each service declares its own, next to the rule it repeats.
"""
from __future__ import annotations

from . import childcare, peer

SEND_GATES = {**childcare.SEND_GATES, **peer.SEND_GATES}
