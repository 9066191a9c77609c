"""External calendars: fetch, mirror, sync."""
