"""External calendars (an employee's private Google or Outlook feed) mirrored
into staff calendars as white entries that block availability.

* ``config`` — the admin's subscriptions file, and feed URLs' secrets kept
  out of every message;
* ``fetch`` — one bounded download of a feed (the only side effect of the
  core) and reading its body;
* ``mirror`` — the entries a feed stands for (why they are rewritten, not
  copied: see its docstring);
* ``plan`` — what to write so a calendar's mirror equals the feed;
* ``sync`` — the shell: writing the plan through the storage, the fetch
  state, ``kamin sync``.

docs/subscriptions.md explains every decision.
"""
