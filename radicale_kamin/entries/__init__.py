"""The entry profile: states and colours, what the server derives from a VEVENT, contacts, time (pure)."""
