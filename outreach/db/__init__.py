"""The database: engine, sessions and the schema check (`session`), the typed models
(`models`) and the Alembic migrations (`migrations`)."""
