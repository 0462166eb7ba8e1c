"""Alembic migrations of rulewatch's schema: one revision per change, run by state.migrate (no
alembic.ini needed; `rulewatch db upgrade` and every Store's start run them)."""
