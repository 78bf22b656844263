"""Errors the project raises on purpose.

A `UserError` is a mistake the user made (bad option, unreadable file, unknown id):
the CLI prints its message on one line and exits 1, never a traceback.
"""


class UserError(Exception):
    """A mistake of the user's, reported as one line naming the row, field or option."""


class ConfigError(UserError):
    """A configuration value that is missing or malformed."""


class SchemaBehindError(UserError):
    """The database schema is older than this code: run `outreach db upgrade`."""
