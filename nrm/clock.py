"""The application's one source of time.

Everything that compares times (session timeouts, lockouts, and later the NRM clocks) calls
``now()``, so tests can drive time by putting a callable in ``app.config["CLOCK"]``.
The pure core never calls this: it is handed times as arguments.
"""

from datetime import UTC, datetime

from flask import current_app, has_app_context


def now() -> datetime:
    """Current time, timezone-aware UTC."""
    if has_app_context():
        source = current_app.config.get("CLOCK")
        if source is not None:
            return source()
    return datetime.now(UTC)
