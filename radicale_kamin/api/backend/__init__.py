"""The office backend (docs/backend.md): its endpoints of the JSON API and
its German pages under ``/.web/kamin/``.

* ``endpoints.py`` — the office's rows of the endpoint table;
* ``models.py`` — what they take and give (pydantic, as ``api/models.py``);
* ``settings.py``, ``staff.py``, ``hours.py``, ``board.py``,
  ``contacts.py``, ``feeds.py``, ``imports.py`` — the handlers;
* ``pages.py`` — the pages: each reads through the handlers and sends its
  forms through the same endpoints (``forms.py``), so the page is a client
  of the API; ``templates/`` and ``static/`` hold the HTML and CSS.
"""
