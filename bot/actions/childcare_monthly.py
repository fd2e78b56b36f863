"""childcare_monthly: the monthly thank-you and totals (a background job).

Scheduled under one fixed key: at the line's start-up
(``services/startup.py``, for this month's first at 10:00, at once
when that is past), by childcare_safe for the next first of the month at
10:00, and by itself for the month after::

    ctx.schedule_job("childcare_monthly", first_of_next_month_10am, "childcare.monthly")

(in YAML terms ``action: {call: childcare_monthly}``). For the month before
the run: each helper who took children to safety hears how many neighbours
they helped; each area's coordinators get the area's totals (requests,
children safe, escalated, helpers). Each month is summed up once: a run for
a month already done (a restart schedules it again) only plans the next.
Results: ``ok`` (data helpers, areas: how many texts of each kind),
``done`` (that month was already sent).
"""
from __future__ import annotations

from collections import defaultdict

from babel.dates import format_date

from ..engine.model import ActionResult, Audit
from ..services.childcare import JOB_MONTHLY, REQUEST, SAFE, coordinators, month_start, person
from .base import Action


class ChildcareMonthly(Action):
    name = "childcare_monthly"
    params = {}
    results = ("ok", "done")
    outputs = ("helpers", "areas")

    def run(self, ctx, params):
        end = month_start(ctx.now).replace(hour=0)  # the month before this run
        start = month_start(ctx.now, -1).replace(hour=0)
        nxt = ctx.schedule_job("childcare_monthly", month_start(ctx.now, 1), JOB_MONTHLY)
        if not ctx.store.claim("childcare.monthly", start.strftime("%Y-%m"), "job"):
            return ActionResult("done", {"helpers": 0, "areas": 0}, (nxt,))
        helped: dict[str, int] = defaultdict(int)
        areas: dict[str, dict] = defaultdict(lambda: {"requests": 0, "safe": 0, "escalated": 0, "helpers": set()})
        for req in ctx.store.find_records(REQUEST):
            created = req.get("created_at")
            if not created or not start <= created < end:
                continue
            area = areas[req.get("area") or ""]
            area["requests"] += 1
            area["escalated"] += bool(req.get("escalations"))
            if req.get("status") == SAFE and req.get("helper"):
                area["safe"] += 1
                area["helpers"].add(req["helper"])
                helped[req["helper"]] += 1
        effects: list = []
        for number, count in sorted(helped.items()):
            who = person(ctx.store, number)
            if who is not None:
                effects.append(ctx.say(who, "childcare.monthly_helper", count=count, month=self.month(ctx, who, start)))
        sent_areas = 0
        for name, totals in sorted(areas.items()):
            for number in coordinators(ctx.store, name) if name else []:
                who = person(ctx.store, number)
                if who is not None:
                    sent_areas += 1
                    effects.append(ctx.say(who, "childcare.monthly_area", area=name, month=self.month(ctx, who, start),
                                           requests=totals["requests"], safe=totals["safe"],
                                           escalated=totals["escalated"], helpers=len(totals["helpers"])))
        effects.append(nxt)
        effects.append(Audit(ctx.contact.id, "childcare.monthly", {"month": start.strftime("%Y-%m"),
                                                                  "helpers": len(helped), "areas": len(areas)}))
        return ActionResult("ok", {"helpers": len(helped), "areas": sent_areas}, tuple(effects))

    @staticmethod
    def month(ctx, who, when) -> str:
        lang = ctx.catalog.lang_for(who.lang)
        return format_date(when, "LLLL yyyy", locale=lang)


ACTION = ChildcareMonthly()
