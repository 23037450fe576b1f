"""Logging that cannot carry personal data.

An exception's *message* may hold what a user typed (``Invalid isoformat string: '…'``) or a
field value; its traceback frames (file, line, function, source line) do not. This filter keeps
the frames and the exception type and withholds the message, for every logger the application
and its servers write to. Database errors already hide their parameters (``hide_parameters``).
URLs carry ids only: no personal data may ever be put in a path or query string.
"""

import logging
import traceback

LOGGERS = ("nrm", "werkzeug", "apscheduler", "gunicorn.error", "sqlalchemy", "flask_limiter")
WITHHELD = "[message withheld: it may hold personal data]"


class WithholdExceptionMessages(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            kind, _value, tb = record.exc_info
            frames = "".join(traceback.format_list(traceback.extract_tb(tb)))
            record.exc_text = (f"Traceback (most recent call last):\n{frames}"
                               f"{kind.__module__}.{kind.__qualname__}: {WITHHELD}")
            record.exc_info = None
        return True


def install(app_logger_name: str) -> None:
    for name in {app_logger_name, *LOGGERS}:
        logger = logging.getLogger(name)
        if not any(isinstance(f, WithholdExceptionMessages) for f in logger.filters):
            logger.addFilter(WithholdExceptionMessages())
