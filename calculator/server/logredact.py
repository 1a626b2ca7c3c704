"""Private edit tokens never reach a log.

An anonymous owner's edit link is `/s/<key>/edit/<token>/`; only a hash of the token is
stored, and the link itself must not be written anywhere either: not by the access log of
gunicorn or uvicorn (the request line, and the Referer in gunicorn's format), nor by Django's
loggers (a 403 for a wrong token is logged as "Forbidden: <path>"). Every record those
loggers make, and every record reaching the console handler, has the token replaced.
"""

from __future__ import annotations

import logging
import re

TOKEN_IN_EDIT_LINK = re.compile(r"(/s/[^/\s\"'?#]+/edit/)[^/\s\"'?#]+")
# The same link as a query string carries it (a form's field, its slashes as %2F).
TOKEN_IN_QUERY = re.compile(r"(%2Fs%2F[^%&\s\"'#]+%2Fedit%2F)[^%&\s\"'#]+", re.IGNORECASE)
REDACTED = r"\1[redacted]"

# Loggers that write request paths. A filter on a logger sees only the records made by that
# logger itself (not its children's), so each one is named.
LOGGERS = (
    "django.request",
    "django.server",
    "django.security.csrf",
    "gunicorn.access",
    "gunicorn.error",
    "uvicorn.access",
    "uvicorn.error",
)


def redact(text: str) -> str:
    return TOKEN_IN_QUERY.sub(REDACTED, TOKEN_IN_EDIT_LINK.sub(REDACTED, text))


class RedactEditTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record that cannot be formatted is the handler's to report
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def install() -> None:
    """Put the filter on every logger that writes paths (called when the app is ready, in
    every process: gunicorn's workers, uvicorn's, runserver's)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactEditTokens) for f in logger.filters):
            logger.addFilter(RedactEditTokens())
