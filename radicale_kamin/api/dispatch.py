"""Serving the endpoint table (``endpoints.py``): find the endpoint,
validate path, query and body against its models, call its handler, write
the answer with the API's headers.

Validation happens here, once, for every endpoint: a handler receives
typed values and checks nothing itself. Every refusal is a 4xx whose
``error`` names the field and the problem; a 500 means a bug.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import TYPE_CHECKING, Any, Optional

from pydantic import BaseModel, ValidationError
from radicale.log import logger

from radicale_kamin.api import csrf
from radicale_kamin.api.endpoints import ENDPOINTS, Endpoint
from radicale_kamin.api.errors import REFUSALS, ApiError
from radicale_kamin.api.models import Error
from radicale_kamin.api.paths import PREFIX
from radicale_kamin.api.problems import explain
from radicale_kamin.api.request import Request
from radicale_kamin.server.index import IndexNotReady

if TYPE_CHECKING:
    from radicale_kamin.api.service import Api

MAX_BODY = 64 * 1024
RETRY_AFTER = 30                # seconds, while a copied-in storage is being indexed
# Every answer: JSON that is never cached, never sniffed as something
# else, and never rendered or framed as a page.
HEADERS = {
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}
_ROUTES = [(re.compile(re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", endpoint.path) + r"\Z"), endpoint)
           for endpoint in ENDPOINTS]


def answer(api: Api, method: str, environ: dict, path: str, user: str,
           groups: set) -> tuple[int, dict, bytes]:
    """(status, headers, body) of one request to ``path`` (below PREFIX)."""
    payload: BaseModel
    try:
        if not user:
            raise ApiError(401, "authentication required")
        endpoint, params = route(method, path[len(PREFIX):])
        _allowed(api, endpoint, method, environ, params, user)
        request = _request(api, endpoint, method, environ, params, user, groups)
        status, payload = endpoint.handler(api, request)
    except ApiError as e:
        status, payload = e.status, Error(error=e.message, **e.extra)
    except REFUSALS as e:       # raised where the reason is known, for every endpoint
        status, payload = 400, Error(error="the entry cannot be stored: %s" % e)
    except IndexNotReady as e:  # a storage copied in: its calendars are being indexed
        status, payload = 503, Error(error=str(e))
    except Exception as e:      # a bug: say so; the log keeps its (scrubbed) traceback
        logger.error("Kamin API %s %s failed: %s", method, path, e, exc_info=True)
        status, payload = 500, Error(error="internal error (%s); see the server log"
                                     % type(e).__name__)
    data = payload.model_dump(mode="json", by_alias=True, exclude_unset=True)
    headers = dict(HEADERS)
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="Radicale - Password Required"'
    if status == 405:
        headers["Allow"] = ", ".join(data.get("allow", ()))
    if status == 503:
        headers["Retry-After"] = str(RETRY_AFTER)
    return status, headers, json.dumps(data, ensure_ascii=False).encode("utf-8")


def route(method: str, path: str) -> tuple[Endpoint, dict[str, str]]:
    """The endpoint for ``method`` and ``path`` (HEAD is a GET) and its
    path parameters; 405 naming the methods the path takes, else 404."""
    allowed = []
    for pattern, endpoint in _ROUTES:
        match = pattern.match(path)
        if not match:
            continue
        if endpoint.method == method or (endpoint.method, method) == ("GET", "HEAD"):
            return endpoint, match.groupdict()
        allowed.append(endpoint.method)
    if allowed:
        methods = sorted(set(allowed))
        raise ApiError(405, "use %s for this path" % " or ".join(methods), allow=methods)
    raise ApiError(404, "no such API path: %s%s" % (PREFIX, path))


def _allowed(api: Api, endpoint: Endpoint, method: str, environ: dict,
             params: dict[str, str], user: str) -> None:
    """403 for a user the endpoint is not for, and for a state-changing
    request another site made the browser send (``csrf.py``)."""
    if endpoint.access == "admin" and not api.is_admin(user):
        raise ApiError(403, "only admins ([storage] kamin_admins) may use this")
    if endpoint.access == "self" and params.get("staff") != user and not api.is_admin(user):
        raise ApiError(403, "only %s themself or an admin may use this" % params.get("staff"))
    if method not in ("POST", "PUT"):
        return
    reason = csrf.cross_site(environ)
    if reason:
        raise ApiError(403, "refused: %s" % reason)
    if csrf.is_form(environ) and not csrf.token_valid(api.office.secret(), user,
                                                      environ.get(csrf.HEADER)):
        raise ApiError(403, "refused: a form needs the page's CSRF token (header X-Kamin-CSRF);"
                            " API clients send Content-Type: application/json")


def _request(api: Api, endpoint: Endpoint, method: str, environ: dict,
             params: dict[str, str], user: str, groups: set) -> Request:
    context = {"timezone": api.timezone}
    path = _valid(endpoint.path_model, params, "path", context)
    query = _valid(endpoint.query, _query(environ.get("QUERY_STRING", "")), "query", context)
    body = None
    if endpoint.body is not None:
        raw = _read_json(environ, endpoint.max_body)
        if raw is None and endpoint.body_required:
            raise ApiError(400, "a JSON object is expected as the request body")
        body = _valid(endpoint.body, {} if raw is None else raw, "body", context)
    if_match = environ.get("HTTP_IF_MATCH") if endpoint.if_match else None
    return Request(user=user, groups=frozenset(groups or ()), path=path, query=query,
                   body=body, if_match=if_match or None, safe=method == "HEAD")


def _valid(model: type[BaseModel], data: Any, where: str, context: dict) -> BaseModel:
    if where == "body" and not isinstance(data, dict):
        raise ApiError(400, "a JSON object is expected as the request body")
    try:
        return model.model_validate(data, context=context)
    except ValidationError as e:
        raise ApiError(400, explain(e, model, where)) from None


def _query(raw: str) -> dict[str, str]:
    """The query parameters; each at most once. An empty value is the same
    as leaving the parameter out (``allowEmptyValue`` in the document)."""
    values: dict[str, str] = {}
    for name, value in urllib.parse.parse_qsl(raw, keep_blank_values=True):
        if name in values:
            raise ApiError(400, "query parameter %s given more than once" % name)
        values[name] = value
    return {name: value for name, value in values.items() if value != ""}


def _read_json(environ: dict, limit: int = MAX_BODY) -> Optional[Any]:
    """The request body as JSON, None when there is none."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ApiError(400, "invalid Content-Length") from None
    if length < 0:
        raise ApiError(400, "invalid Content-Length")
    if length > limit:
        raise ApiError(413, "request body larger than %d bytes" % limit)
    raw = environ["wsgi.input"].read(length) if length else b""
    if not raw.strip():
        return None
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constant,
                          object_pairs_hook=_unique_fields)
    except UnicodeDecodeError:
        raise ApiError(400, "the body is not valid JSON: not UTF-8") from None
    except RecursionError:
        raise ApiError(400, "the body is not valid JSON: nested too deeply") from None
    except ValueError as e:
        raise ApiError(400, "the body is not valid JSON: %s" % e) from None


def _no_constant(name: str) -> Any:
    # Python's json reads NaN and Infinity, which JSON does not have.
    raise ValueError("%s is not a JSON number" % name)


def _unique_fields(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    fields = dict(pairs)
    if len(fields) < len(pairs):
        seen: set[str] = set()
        twice = next(name for name, _ in pairs if name in seen or seen.add(name))
        raise ValueError("field %s given more than once" % twice)
    return fields

