"""The generic cell rate algorithm shared by the stores' ``rate_wait``.

One number per key (the "theoretical arrival time" of the next send) is all a
limiter needs, which is what lets Redis keep it in one key updated by a script
that every worker process shares. The Redis script mirrors this function.
"""
from __future__ import annotations


EPSILON = 1e-6


def gcra(stored_tat: float | None, now: float, interval: float, burst: int = 1) -> tuple[float, float]:
    """(wait, new_tat): wait 0.0 means the send may go now and new_tat is to be stored."""
    tat = max(stored_tat if stored_tat is not None else now, now)
    early = tat - now - (max(burst, 1) - 1) * interval
    if early > EPSILON:  # epoch seconds in floats: ignore sub-microsecond dust
        return early, tat
    return 0.0, tat + interval
