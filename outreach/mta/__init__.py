"""The SMTP adapter: the only package that imports smtplib. `smtp` holds the client (one
connection, reused) and the pool, and classifies every server answer as sent, deferred or
bounced; the SMTP URL itself is parsed with the settings (`outreach.config.urls`)."""
