"""The office backend's pages under ``/.web/kamin/`` (German, server-rendered,
no script): each page reads through the JSON API's handlers and sends each
of its forms through the endpoint that does the work (``forms.py``), so
nothing the page does bypasses the API's validation, rights and log.

* Admins only (``kamin_admins``); an employee may open their own working
  hours (``arbeitszeiten/<id>``). No login: 401, which makes the browser ask.
* Every form carries the page's CSRF token (``csrf.py``); a POST from
  another origin or without the token is refused (403).
* Templates escape everything (Jinja2's autoescape): names and addresses
  come from imports and phones. Answers carry a Content-Security-Policy that
  allows only the page's own stylesheet — no script, no inline style, no
  frame, forms only to the server itself.
"""

from __future__ import annotations

import base64
import io
import json
import re
import urllib.parse
from importlib import resources
from typing import TYPE_CHECKING, Any, Optional

import jinja2
import multipart

from radicale_kamin.api import csrf, dispatch
from radicale_kamin.api.backend import forms, views
from radicale_kamin.api.paths import PREFIX
from radicale_kamin.entries import rules

if TYPE_CHECKING:
    from radicale_kamin.api.service import Api

PAGES = "/.web/kamin/"
HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": ("default-src 'none'; style-src 'self'; img-src 'self'; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
}
MAX_FORM = 20 * 1024 * 1024
_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("radicale_kamin.api.backend", "templates"),
    autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
views.install_filters(_ENVIRONMENT)
OK_MESSAGES = {
    "settings": "Die Einstellungen sind gespeichert und gelten ab sofort.",
    "staff": "Die Mitarbeiter-Einstellungen sind gespeichert.",
    "new-staff": "Der Mitarbeiter ist angelegt: er kann sich sofort anmelden.",
    "password": "Das Passwort ist neu gesetzt; das alte gilt nicht mehr.",
    "hours": "Die Arbeitszeiten sind gespeichert und gelten ab sofort.",
    "hours-reset": "Die Arbeitszeiten kommen wieder aus der Datei.",
    "fix": "Der Eintrag ist ergänzt.",
    "contact": "Der Kontakt ist gespeichert; seine Termine sind neu bewertet.",
    "subscription": "Der externe Kalender ist eingetragen.",
    "removed": "Der externe Kalender ist entfernt.",
    "sync": "Der externe Kalender ist abgeglichen.",
    "preview": "Die Spaltenzuordnung ist übernommen.",
    "webhook": "Der Webhook-Empfänger ist eingetragen: er bekommt die Ereignisse ab jetzt.",
    "webhook-removed": "Der Webhook-Empfänger ist entfernt: ihm wird nichts mehr gesendet.",
}


class PageError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class Pages:
    """The pages of one web plugin (one ``Api``)."""

    def __init__(self, api: Api):
        self.api = api

    # --- HTTP ----------------------------------------------------------------------

    def get(self, environ, base_prefix, path, user, groups):
        page = path[len(PAGES):] if path.startswith(PAGES) else ""
        if page == "static/kamin.css":
            return 200, {"Content-Type": "text/css; charset=utf-8",
                         "Cache-Control": "max-age=3600",
                         "X-Content-Type-Options": "nosniff"}, stylesheet(), None
        query = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", "")))
        return self._answer(environ, base_prefix, user, groups, page, query, None)

    def post(self, environ, base_prefix, path, user, groups):
        page = path[len(PAGES):]
        query = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", "")))
        return self._answer(environ, base_prefix, user, groups, page, query, environ)

    def _answer(self, environ, base_prefix, user, groups, page, query, posted):
        context = Context(self, environ, base_prefix, user, set(groups or ()), query)
        try:
            if not user:
                raise PageError(401, "Bitte anmelden.")
            handler, args = route(page)
            context.allow(handler, args)
            if posted is not None:
                if not hasattr(handler, "post"):
                    raise PageError(405, "Diese Seite nimmt kein Formular an.")
                return handler.post(context, *args, form=context.read_form(posted))
            if hasattr(handler, "download"):
                return handler.download(context, *args)
            return context.html(*handler.get(context, *args))
        except PageError as e:
            return context.refusal(e)
        except Redirect as e:
            return 303, {"Location": e.location, "Cache-Control": "no-store"}, b"", None

    # --- the API, as the page's client -------------------------------------------------

    def call(self, context: "Context", method: str, path: str,
             body: Optional[dict] = None) -> tuple[int, dict]:
        """One request to the JSON API as the logged-in user (same origin)."""
        path, _, query = path.partition("?")
        data = json.dumps(body).encode("utf-8") if body is not None else b""
        environ = {key: value for key, value in context.environ.items()
                   if key in ("HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "wsgi.url_scheme",
                              "HTTP_ORIGIN", "HTTP_SEC_FETCH_SITE", "HTTP_X_FORWARDED_HOST",
                              "HTTP_X_FORWARDED_PROTO")}
        environ.update({"REQUEST_METHOD": method, "QUERY_STRING": query,
                        "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(data)),
                        "wsgi.input": io.BytesIO(data)})
        status, _, answer = dispatch.answer(self.api, method, environ, PREFIX + path,
                                            context.user, context.groups)
        return status, json.loads(answer)


class Redirect(Exception):
    def __init__(self, location: str):
        self.location = location


class Context:
    """One page request: who asks, the token, rendering."""

    def __init__(self, pages: Pages, environ: dict, base_prefix: str, user: str, groups: set,
                 query: dict):
        self.pages, self.api = pages, pages.api
        self.environ, self.base, self.user, self.groups = environ, base_prefix, user, groups
        self.query = query

    @property
    def admin(self) -> bool:
        return self.api.is_admin(self.user)

    def url(self, page: str = "", **query: Any) -> str:
        shown = {k: v for k, v in query.items() if v not in (None, "")}
        return self.base + PAGES + page + ("?" + urllib.parse.urlencode(shown) if shown else "")

    def token(self) -> str:
        return csrf.make_token(self.api.office.secret(), self.user)

    def allow(self, handler, args) -> None:
        if getattr(handler, "for_self", False) and args and args[0] == self.user:
            return
        if not self.admin:
            raise PageError(403, "Das Backend ist nur für das Büro (die Admins in "
                                 "kamin_admins).")

    def read_form(self, environ: dict) -> dict[str, list[str]]:
        """The posted form (URL-encoded or multipart), after the CSRF checks."""
        reason = csrf.cross_site(environ)
        if reason:
            raise PageError(403, "Abgelehnt: die Anfrage kommt von einer anderen Seite.")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_FORM:
            raise PageError(413, "Die Anfrage ist zu groß (höchstens 20 MiB).")
        fields: dict[str, list[str]] = {}
        content_type = (environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
        if content_type == "multipart/form-data":
            form, files = multipart.parse_form_data(environ, strict=True,
                                                    mem_limit=MAX_FORM, disk_limit=MAX_FORM)
            for name in form:
                fields[name] = form.getall(name)
            for name in files:
                upload = files[name]
                fields[name] = [upload.filename or ""]
                fields[name + ":content"] = [base64.b64encode(upload.raw).decode("ascii")]
        elif content_type == "application/x-www-form-urlencoded":
            raw = environ["wsgi.input"].read(length).decode("utf-8", "replace")
            for name, value in urllib.parse.parse_qsl(raw, keep_blank_values=True):
                fields.setdefault(name, []).append(value)
        else:
            raise PageError(400, "Unbekanntes Formular.")
        if not csrf.token_valid(self.api.office.secret(), self.user, forms.one(fields, "csrf")):
            raise PageError(403, "Abgelehnt: das Formular ist abgelaufen oder kommt nicht von "
                                 "dieser Seite. Bitte die Seite neu laden.")
        return fields

    def call(self, method: str, path: str, body: Optional[dict] = None) -> tuple[int, dict]:
        return self.pages.call(self, method, path, body)

    def read(self, path: str) -> dict:
        """A GET of the API; a refusal becomes the page's refusal."""
        status, data = self.call("GET", path)
        if status >= 400:
            raise PageError(status, data.get("error", "Fehler"))
        return data

    def html(self, template: str, values: dict, status: int = 200):
        page = _ENVIRONMENT.get_template(template).render(
            **values, page=self, user=self.user, admin=self.admin, csrf=self.token(),
            ok=OK_MESSAGES.get(self.query.get("ok", "")), url=self.url,
            states=rules.STATES)
        return status, dict(HEADERS), page.encode("utf-8"), None

    def refusal(self, error: PageError):
        headers = dict(HEADERS)
        if error.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="Radicale - Password Required"'
        staff_ids = {m.id for m in self.api.all_staff()} if self.user else set()
        page = _ENVIRONMENT.get_template("refusal.html").render(
            message=error.message, status=error.status, user=self.user,
            own_hours=self.user in staff_ids, url=self.url)
        return error.status, headers, page.encode("utf-8"), None

    def done(self, page: str, ok: str, **query: Any):
        raise Redirect(self.url(page, ok=ok, **query))


def route(page: str):
    """The page handler and its arguments for a path below ``/.web/kamin/``."""
    page = page.strip("/")
    for pattern, handler in views.ROUTES:
        match = re.fullmatch(pattern, page)
        if match:
            return handler, [urllib.parse.unquote(g) for g in match.groups()]
    raise PageError(404, "Diese Seite gibt es nicht.")


def stylesheet() -> bytes:
    """The stylesheet, with one class per entry state (its colour) —
    inline styles are not allowed by the pages' CSP."""
    css = resources.files("radicale_kamin.api.backend").joinpath("static/kamin.css").read_text(
        encoding="utf-8")
    for name, state in rules.STATES.items():
        dark = state.colour in ("green", "red", "darkred")
        css += ".state-%s { background: %s; color: %s; }\n" % (
            name, state.colour, "#fff" if dark else "#111")
    return css.encode("utf-8")
