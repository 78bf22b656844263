"""Outgoing webhooks: events stored with the change they report, signed per Standard Webhooks,
delivered by Celery tasks with exponential backoff (see `outreach.webhooks.deliver`)."""
