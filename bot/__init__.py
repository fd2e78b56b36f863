"""Vecina: a neighbourhood back-up line over SMS, USSD and Telegram."""
__version__ = "0.1.0"
