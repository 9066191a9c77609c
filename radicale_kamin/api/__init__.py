"""The JSON API under ``/.web/kamin/api/`` (docs/api.md).

* ``endpoints.py`` — the table of every endpoint: method, path, models,
  documentation, handler;
* ``models.py``, ``fields.py`` — what each request takes and each answer
  gives (pydantic), the one source of validation and of the OpenAPI
  document (``openapi.py``);
* ``dispatch.py`` — serves the table: routing, validation, headers;
* ``service.py`` — ``Api``: options, rights, staff, index and storage;
* ``calls.py``, ``slots.py``, ``booking.py``, ``busy.py``,
  ``subscriptions.py`` — the handlers.
"""

from radicale_kamin.api.errors import ApiError
from radicale_kamin.api.paths import PREFIX
from radicale_kamin.api.service import Api

__all__ = ["Api", "ApiError", "PREFIX"]
