"""Machine access to the product: API tokens and idempotency keys (the console's own logins
live in `outreach.accounts`)."""
