"""Console accounts: users and roles, invitations, passwords, TOTP, login sessions.

Pure services on a SQLAlchemy session (no Flask): the web console and `outreach users` both
call them, and each change is audited in the caller's transaction by the caller.
"""
