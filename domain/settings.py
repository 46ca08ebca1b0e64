"""One Settings for kehoach, from the environment (prefix KEHOACH_) or a .env file.

Nothing connects at import: the engine is built on first use from `get_settings()`.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEHOACH_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///kehoach.db"
    documents_dir: Path = Path("documents")
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_timeout: float = 30.0
    smtp_ca_file: Path | None = None  # a private CA that signed the server's certificate (STARTTLS/SSL)
    mail_retry_delays: list[float] = [2, 10, 30]  # seconds before each retry of a chunk after a transient failure
    command_mail_retry_delays: list[float] = [2]  # the same, in a command a person waits for (the mail stays queued)
    receipt_reminder_days: int = 3  # working days after a distribution before an unconfirmed receipt is reminded
    mail_from: str = "vanthu@kehoach.local"
    mail_from_name: str = "Văn thư kehoach"
    message_id_domain: str = "kehoach.local"
    outbox_batch_size: int = 250  # at most this many rows per chunk of deliver-mail (one task, one connection)
    smtp_connections: int = 2  # chunks deliver-mail sends at once, each over an SMTP connection of its own
    outbox_lease_seconds: float = 600.0  # a row another machine left "sending" this long ago is sent again
    report_deadline_days: int = 3
    reminder_days_before: int = 2  # the daily sweep reminds late units from this many working days before a deadline
    overdue_follow_up_days: int = 10  # and sends the overdue list on this many working days after it
    timezone: str = "Asia/Ho_Chi_Minh"
    holidays_file: Path | None = None  # lines that complete or correct the shipped holidays (domain/model/calendar.py)


@lru_cache
def get_settings() -> Settings:
    return Settings()
