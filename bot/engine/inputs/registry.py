"""Every input kind by name: ``KINDS["time"].parse(text, spec, ctx)``.

A flow's ``ask: {kind: …}`` must name a key of ``KINDS``; the keys it may set
besides kind/save/hint are ``KINDS[kind].options``.
"""
from __future__ import annotations

from . import InputKind
from . import choice, money, number, phone, text, timeofday, yesno

KINDS: dict[str, InputKind] = {
    k.name: k
    for k in (
        choice.KIND,
        yesno.KIND,
        number.KIND,
        money.KIND,
        timeofday.KIND,
        phone.KIND,
        text.KIND,
    )
}

__all__ = ["KINDS"]
