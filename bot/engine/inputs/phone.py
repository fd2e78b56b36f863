"""``phone``: a phone number, normalised to E.164.

Read with ``phonenumbers`` in the line's region (``ctx.region``; spec ``region``
overrides it): "(415) 555-2671", "415.555.2671", "+1 415 555 2671",
"+52 55 1234 5678". The number must be *valid* for its region, not just the
right length: "(555) 123-4567" is not (555 is no US area code), while the
real-format "415 555 2671" is. A number inside words ("my number is 415 555
2671") is found when it is the only one. Anything else → ``input.phone.hint``.
Example: ``"(415) 555-2671"`` with region US → ``Parsed(ok=True, value="+14155552671")``.
"""
from __future__ import annotations

from typing import Any, Mapping

import phonenumbers
from phonenumbers import Leniency, NumberParseException, PhoneNumberFormat, PhoneNumberMatcher

from . import Parsed, ParseContext
from .normalize import clean_text

HINT = "input.phone.hint"
_FAIL = Parsed(ok=False, error=HINT)
_MAX_LEN = 120


def _region(spec: Mapping[str, Any], ctx: ParseContext) -> str | None:
    region = spec.get("region") or ctx.region
    return region.upper() if isinstance(region, str) and region else None


def _e164(number: Any) -> Parsed:
    return Parsed(ok=True, value=phonenumbers.format_number(number, PhoneNumberFormat.E164))


class PhoneKind:
    name = "phone"
    options = frozenset({"region"})

    def parse(self, text: str, spec: Mapping[str, Any], ctx: ParseContext) -> Parsed:
        try:
            return self._parse(text, spec, ctx)
        except Exception:
            return _FAIL

    def _parse(self, text: str, spec: Mapping[str, Any], ctx: ParseContext) -> Parsed:
        if not isinstance(text, str) or len(text) > _MAX_LEN:
            return _FAIL
        t = clean_text(text).replace("\n", " ")
        if not t or not any(c.isdigit() for c in t):
            return _FAIL
        region = _region(spec, ctx)
        try:
            number = phonenumbers.parse(t, region)
        except NumberParseException:
            number = None
        if number is not None and phonenumbers.is_valid_number(number):
            return _e164(number)
        if any(c.isalpha() for c in t):  # "my number is 415 555 2671"
            found = [m.number for m in PhoneNumberMatcher(t, region, leniency=Leniency.VALID, max_tries=5)]
            if len(found) == 1:
                return _e164(found[0])
        return _FAIL


KIND = PhoneKind()
