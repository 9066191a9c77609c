"""Calling rules, working hours, availability, recurrence, staff (pure)."""
