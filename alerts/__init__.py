"""Alerts: rendering (pure) and delivery from the outbox (the only code that posts)."""
