"""USSD screens: reading Africa's Talking's history and paging long replies.

Pure functions (no Flask, no store), so property tests can drive them hard.

* ``split_history``: Africa's Talking sends everything typed in a session
  joined with ``*`` ("" first, then "1", then "1*2" …).
* ``paginate``: a reply longer than one screen becomes pages, each with the
  navigation lines it needs (``98 More``, ``0 Back``, ``00 Home``) and each
  within :data:`BODY_MAX`. Africa's Talking counts the whole response against
  the 182, ``CON ``/``END `` included, so a page body gets 178.
* Lengths are counted in UTF-16 code units (:func:`units`): an emoji counts
  two there, and a screen a little short is better than one the gateway cuts.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..engine.render import USSD_SCREEN_MAX

PREFIX = 4  # "CON " or "END "
BODY_MAX = USSD_SCREEN_MAX - PREFIX
NEXT, BACK, HOME = "98", "0", "00"  # no menu in flows/ numbers an option 0, 00 or 98
LABEL_MAX = 16  # a navigation label longer than this (a locale typo) is cut


def units(text: str) -> int:
    """Length as a USSD gateway counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def split_history(text: str) -> list[str]:
    """Every input of the session, oldest first ("" → none yet)."""
    return text.split("*") if text else []


@dataclass(frozen=True)
class Labels:
    more: str = "More"
    back: str = "Back"
    home: str = "Home"

    def clipped(self) -> "Labels":
        return Labels(*(_clip(" ".join(v.split()), LABEL_MAX) for v in (self.more, self.back, self.home)))


def nav_lines(labels: Labels, has_next: bool, has_prev: bool) -> list[str]:
    """The navigation a page offers. Back and Home only past the first page:
    on the first page they would only cost room (00 works everywhere anyway)."""
    lines = [f"{NEXT} {labels.more}"] if has_next else []
    if has_prev:
        lines += [f"{BACK} {labels.back}", f"{HOME} {labels.home}"]
    return lines


def paginate(text: str, labels: Labels, final: bool = False) -> list[str]:
    """Pages of ``text``, navigation included, each at most BODY_MAX units.

    ``final``: the session ends after the last page (END), so that page gets
    no navigation (nobody can answer an END screen)."""
    labels = labels.clipped()
    rest = _clean(text)
    pages: list[str] = []
    while True:
        first = not pages
        last_nav = [] if final else nav_lines(labels, False, not first)
        if units(_join(rest, last_nav)) <= BODY_MAX:
            pages.append(_join(rest, last_nav))
            return pages
        nav = nav_lines(labels, True, not first)
        budget = BODY_MAX - units("\n".join(nav)) - 1  # 1: the newline before the navigation
        head, rest = _cut(rest, budget)
        pages.append(_join(head, nav))


def _clean(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")).strip()


def _join(body: str, nav: list[str]) -> str:
    return "\n".join(([body] if body else []) + nav)


def _clip(text: str, budget: int) -> str:
    """The longest prefix of ``text`` within ``budget`` units."""
    used = 0
    for i, ch in enumerate(text):
        used += units(ch)
        if used > budget:
            return text[:i]
    return text


def _cut(text: str, budget: int) -> tuple[str, str]:
    """Split ``text`` so the head fits ``budget``: at a line end if one is
    not too early (choices stay whole), else between words, else anywhere."""
    head = _clip(text, max(budget, 2))
    if not head:  # never stall, whatever the budget
        head = text[:1]
    if len(head) < len(text):
        for sep in ("\n", " "):
            at = head.rfind(sep)
            if at >= len(head) // 3 and at > 0:
                head = head[:at]
                break
    return head.rstrip(), text[len(head):].lstrip(" \n")
