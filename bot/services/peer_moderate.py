"""Peer support: is a peer's reply fit to relay? One reason when it is not.

Reasons, checked in this order (the first found is the one the peer reads):

* ``contact``: anything that would let the two meet or find each other: a
  number, e-mail, link, @handle or address (``peer_scrub.identifiers``) or a
  phrase from ``peer.contact_phrases`` ("call me", "meet up", "nos vemos",
  "llámame", "whatsapp", "instagram"…) in any language;
* ``abuse``: a phrase from ``peer.abuse_words`` (Spanish profanity, "kill
  yourself", "kys"…) in any language, or English profanity by
  better-profanity's word list;
* ``too_short``: fewer than ``PEER_MIN_REPLY_CHARS`` characters.

better-profanity, as checked on our cases: it flags words a kind reply needs
("you're not stupid", "that sounds like hell", "it must suck", "God bless",
"drunk", "gay"), so those are let through from ``peer.profanity_allowed``; it
misses doubled letters ("fuckk", "fuuuck"), accents ("fück"), "f.u.c.k" and
symbols like "sh!t", so it reads our folded words too (``bot.engine.phrases.tokens``:
de-leeted, spaced-out letters joined, accents dropped) and a squashed copy.
It does not flag "Scunthorpe", "assassin", "class" or "analysis".
"""
from __future__ import annotations

from functools import lru_cache

from better_profanity import Profanity

from .peer_scrub import identifiers
from ..engine.phrases import phrase_list, squash, tokens

REASONS = ("contact", "abuse", "too_short")


@lru_cache(maxsize=8)
def _profanity(allowed: tuple[str, ...]) -> Profanity:
    checker = Profanity()
    checker.load_censor_words(whitelist_words=list(allowed))
    return checker


def _allowed(catalog) -> tuple[str, ...]:
    words: set[str] = set()
    for lang in catalog.langs:
        words.update(w.lower() for w in catalog.words(lang, "peer.profanity_allowed"))
    return tuple(sorted(words))


def profane(text: str, catalog) -> bool:
    """better-profanity on the text as typed, on its folded words, and on
    those words with repeated letters squashed ("fuuuck")."""
    checker = _profanity(_allowed(catalog))
    words = tokens(text)
    squashed = [s if len(s := squash(w)) >= 3 else w for w in words]
    return any(checker.contains_profanity(t) for t in (text, " ".join(words), " ".join(squashed)))


def contact_attempt(text: str, catalog, region: str = "US") -> bool:
    return bool(identifiers(text, region)) or phrase_list(catalog, "peer.contact_phrases").find(text) is not None


def abusive(text: str, catalog) -> bool:
    return phrase_list(catalog, "peer.abuse_words").find(text) is not None or profane(text, catalog)


def check_reply(text: str, catalog, region: str = "US", min_chars: int = 20) -> str | None:
    """None when the reply may be relayed, else one of :data:`REASONS`."""
    text = text or ""
    if contact_attempt(text, catalog, region):
        return "contact"
    if abusive(text, catalog):
        return "abuse"
    if len(" ".join(text.split())) < min_chars:
        return "too_short"
    return None
