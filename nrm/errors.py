"""Exceptions shared across the application."""


class StartupError(RuntimeError):
    """The application must not start; the message says exactly what to do about it."""


class ValidationFailed(ValueError):
    """A user-correctable problem; ``message`` is a translated string safe to show to the user."""

    def __init__(self, message, field=None):
        super().__init__(str(message))
        self.message = message
        self.field = field
