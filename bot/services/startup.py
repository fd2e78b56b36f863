"""The services' recurring jobs, scheduled whenever the line starts.

Each recurring job re-plans itself after it runs, and some service steps plan
it too (a SAFE plans the monthly childcare summary, a post plans the peer
retention sweep); but a line where nothing has happened yet, or whose timer
was lost, would never run them. So every start-up (web and each worker,
``runtime.build``) schedules each one under its fixed key: starting again only
replaces the same job. The jobs themselves are safe to run again: the monthly
summary sums each month up once (a month already sent only plans the next),
retention erases what is old by then.
"""
from __future__ import annotations

import logging
from datetime import datetime

from ..actions.base import job_timer_id
from . import childcare, peer

log = logging.getLogger(__name__)

# job key, action, when it should next run
JOBS = (
    # this month's first at 10:00 (at once when that is past: a line down on the 1st still sends it)
    (childcare.JOB_MONTHLY, "childcare_monthly", childcare.month_start),
    (peer.JOB_RETENTION, "peer_retention", peer.next_retention_run),
)


def schedule_recurring(store, now: datetime) -> dict | None:
    """Save every recurring job's timer; returns job key -> when it is due
    (None when the store did not answer: the line still starts, /healthz says
    why, and the next start-up schedules them)."""
    due = {key: when(now) for key, _action, when in JOBS}
    try:
        with store.transaction() as tx:
            for key, action, _when in JOBS:
                tx.add_timer(job_timer_id(key), f"job:{key}", due[key], action, {})
    except Exception:  # noqa: BLE001 - never keep the line from starting
        log.warning("could not schedule the recurring jobs", exc_info=True)
        return None
    return due
