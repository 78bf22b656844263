"""WSGI entry point for any server: `gunicorn 'outreach.web.wsgi:app'`.

Settings come from the environment (and an optional .env in the working directory).
"""

from __future__ import annotations

from outreach.config import load_settings
from outreach.web.app import create_app

app = create_app(load_settings())
