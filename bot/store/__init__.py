"""Stores: where contacts, sessions, timers, outbox and records live.

``memory`` backs transcripts and the terminal simulator. The runtime adds
SQLite (embedded) and Redis (scaled) behind the same interface.
"""
