"""Settings, all from the environment (a ``.env`` file in the working
directory is read too). The README's configuration table lists them."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from dotenv import load_dotenv

from .engine.runner import Settings

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Config:
    default_lang: str = "en"
    default_region: str = "US"
    timezone: str = "America/New_York"
    currency: str = "USD"
    flows_dir: str = str(ROOT / "flows")
    locales_dir: str = str(ROOT / "locales")
    line_name: str = "Vecina"
    crisis_line: str = "988"
    help_contact: str = ""
    public_url: str = ""
    secret_key: str = ""
    redis_url: str = ""
    redis_prefix: str = "vc"
    outbox_lease_seconds: str = "60"
    outbox_retry_hours: str = "24"
    inbound_step: str = ""  # "webhook" | "worker"; empty: worker on Redis, webhook on SQLite
    db_path: str = "var/vecina.db"
    # channels (bot/channels): a channel without credentials records instead of sending
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from: str = ""
    twilio_messaging_service_sid: str = ""
    twilio_whatsapp_from: str = ""
    twilio_api_url: str = ""
    twilio_mps: str = "1"
    telegram_bot_token: str = ""
    telegram_secret_token: str = ""
    telegram_api_url: str = ""
    ussd_secret: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def step_in_worker(self) -> bool:
        """Whether an SMS/WhatsApp/Telegram webhook only records the message and
        leaves its step to the worker (``INBOUND_STEP``). On the scaled profile
        the reply goes out through a worker anyway, so the webhook answering
        before the step changes nothing a person sees, and a web process then
        costs one Redis round trip per message. The embedded profile's worker
        is a thread of the same process: stepping in the request saves a hop."""
        return (self.inbound_step or ("worker" if self.redis_url else "webhook")) == "worker"

    @property
    def outbox_retry_seconds(self) -> float:
        """OUTBOX_RETRY_HOURS in seconds (0: give up after the six quick tries;
        from_env has checked it is a number)."""
        return float(self.outbox_retry_hours) * 3600

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def service_settings(self) -> dict:
        """What actions see as ``ctx.settings``: the services' own variables
        (``extra``) and the line-wide ones they need."""
        return {"TIMEZONE": self.timezone, "DEFAULT_REGION": self.default_region, "DEFAULT_LANG": self.default_lang,
                "CURRENCY": self.currency, "CRISIS_LINE": self.crisis_line, **self.extra}

    def engine_settings(self) -> Settings:
        return Settings(default_lang=self.default_lang, region=self.default_region,
                        line={"name": self.line_name, "crisis_line": self.crisis_line,
                              "help_contact": self.help_contact, "public_url": self.public_url})


ENV = {
    "DEFAULT_LANG": "default_lang",
    "DEFAULT_REGION": "default_region",
    "TIMEZONE": "timezone",
    "CURRENCY": "currency",
    "FLOWS_DIR": "flows_dir",
    "LOCALES_DIR": "locales_dir",
    "LINE_NAME": "line_name",
    "CRISIS_LINE": "crisis_line",
    "HELP_CONTACT": "help_contact",
    "PUBLIC_URL": "public_url",
    "SECRET_KEY": "secret_key",
    "REDIS_URL": "redis_url",
    "REDIS_PREFIX": "redis_prefix",
    "OUTBOX_LEASE_SECONDS": "outbox_lease_seconds",
    "OUTBOX_RETRY_HOURS": "outbox_retry_hours",
    "INBOUND_STEP": "inbound_step",
    "VECINA_DB": "db_path",
    "TWILIO_ACCOUNT_SID": "twilio_account_sid",
    "TWILIO_AUTH_TOKEN": "twilio_auth_token",
    "TWILIO_FROM": "twilio_from",
    "TWILIO_MESSAGING_SERVICE_SID": "twilio_messaging_service_sid",
    "TWILIO_WHATSAPP_FROM": "twilio_whatsapp_from",
    "TWILIO_API_URL": "twilio_api_url",
    "TWILIO_MPS": "twilio_mps",
    "TELEGRAM_BOT_TOKEN": "telegram_bot_token",
    "TELEGRAM_SECRET_TOKEN": "telegram_secret_token",
    "TELEGRAM_API_URL": "telegram_api_url",
    "USSD_SECRET": "ussd_secret",
}


INBOUND_STEPS = ("", "webhook", "worker")
SERVICE_PREFIXES = ("CHILDCARE_", "SCHOOL_", "CLEANING_", "PEER_", "TRANSLATOR", "LIBRETRANSLATE_")


def from_env(overrides: dict | None = None, dotenv: bool = True) -> Config:
    if dotenv:
        load_dotenv(Path.cwd() / ".env", override=False)
    values = {attr: os.environ[name] for name, attr in ENV.items() if os.environ.get(name)}
    # The services' own settings (CHILDCARE_RING_SIZE, PEER_RETENTION_DAYS…)
    # reach their actions as ``ctx.settings`` without a field here each.
    values["extra"] = {k: v for k, v in os.environ.items() if k.startswith(SERVICE_PREFIXES) and v}
    values.update(overrides or {})
    values["inbound_step"] = str(values.get("inbound_step") or "").strip().lower()
    cfg = Config(**values)
    ZoneInfo(cfg.timezone)  # fail early, with zoneinfo's message, on a bad TIMEZONE
    if cfg.inbound_step not in INBOUND_STEPS:
        raise ValueError(f"INBOUND_STEP must be 'webhook' or 'worker' (or unset), not {cfg.inbound_step!r}")
    if not _hours(cfg.outbox_retry_hours):
        raise ValueError(f"OUTBOX_RETRY_HOURS must be a number of hours, 0 or more, not {cfg.outbox_retry_hours!r}")
    return cfg


def _hours(raw: str) -> bool:
    try:
        return 0 <= float(raw) < float("inf")
    except (TypeError, ValueError):
        return False
