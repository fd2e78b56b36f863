"""Shared helpers of the line's services (childcare, school alerts, cleaning, peer support)."""
