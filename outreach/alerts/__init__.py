"""Alerts: Markdown source in, compiled (inlined) templates out, stored as an immutable snapshot.

`source` reads a file, `compile` turns it into per-variant Jinja2 sources once (premailer runs
here, never per recipient), `templating` is the Jinja2 setup shared by compile-time checks and
per-recipient rendering, `create` stores the result.
"""
