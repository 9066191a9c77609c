"""Endpoints of imports in the backend: upload a file (it is previewed —
every record's verdict, the CSV's column mapping — and nothing is written),
correct the mapping, import it (in the background, with progress), read the
report.

The uploaded file and its reports live in ``kamin-imports/<id>/`` of the
storage folder and the progress in the state store, so every server process
answers about every import. An import cut short by a restart is shown as
failed and may simply be run again: imports never duplicate
(docs/imports.md).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import os
import re
import shutil
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any, Optional

from radicale.log import logger

from radicale_kamin.api.backend.models import (ColumnOut, ImportAnswer, ImportList,
                                               ImportSummary, NewImport, RecordOut)
from radicale_kamin.api.errors import ApiError
from radicale_kamin.api.paths import sane_path
from radicale_kamin.api.request import Request
from radicale_kamin.importing import UnreadableFile, read_file
from radicale_kamin.importing import run as importer
from radicale_kamin.importing.columns import FIELDS
from radicale_kamin.importing.csvfile import column_mapping

if TYPE_CHECKING:
    from radicale_kamin.api.service import Api

FOLDER = "kamin-imports"
MAX_FILE = 16 * 1024 * 1024
MAX_BODY = MAX_FILE * 4 // 3 + 64 * 1024       # base64 and the other fields
SHOWN_RECORDS = 500
STALE_SECONDS = 600             # a running import without progress this long died
KEEP_DAYS = 14


def _folder(api: Api, import_id: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{32}", import_id):
        raise ApiError(404, "no import %s" % import_id)
    return os.path.join(api.storage.storage_folder, FOLDER, import_id)


def _row(api: Api, import_id: str):
    _folder(api, import_id)
    with api.office.state.connection() as db:
        row = db.execute("SELECT * FROM imports WHERE id=?", (import_id,)).fetchone()
    if row is None:
        raise ApiError(404, "no import %s" % import_id)
    if row["status"] == "running" and time.time() - row["updated"] > STALE_SECONDS:
        _update(api, import_id, status="failed",
                error="abgebrochen (der Server wurde neu gestartet?); einfach noch einmal "
                      "importieren – nichts wird doppelt angelegt")
        return _row(api, import_id)
    return row


def _update(api: Api, import_id: str, **values: Any) -> None:
    values["updated"] = int(time.time())
    with api.office.state.connection() as db:
        db.execute("UPDATE imports SET %s WHERE id=?" % ", ".join("%s=?" % k for k in values),
                   (*values.values(), import_id))


def _upload_path(folder: str) -> str:
    names = [n for n in os.listdir(folder) if n.startswith("upload")]
    return os.path.join(folder, names[0])


def _staff_calendars(api: Api) -> dict[str, str]:
    found = {}
    for member in api.all_staff():
        found[member.id.casefold()] = member.bookable
        found[member.name.casefold()] = member.bookable
    return found


def _read(api: Api, folder: str, options: dict):
    try:
        return read_file(_upload_path(folder), options.get("format"), options.get("columns", {}),
                         api.timezone)
    except (UnreadableFile, ValueError) as e:
        raise ApiError(400, "Die Datei ist nicht lesbar: %s" % e,
                       problems={"file": "Die Datei ist nicht lesbar: %s" % e}) from None


def _preview(api: Api, import_id: str, row, options: dict) -> None:
    """Read and judge the file, write nothing; keep the report."""
    folder = _folder(api, import_id)
    result = _read(api, folder, options)
    calendar = row["calendar"]
    report = importer.run(api.storage, result, row["file"], calendar,
                          _addressbook(calendar, options), True, api.now(None),
                          _staff_calendars(api))
    data = report.as_json()
    if result.format == "csv":
        with open(_upload_path(folder), "rb") as f:
            data["columns"] = column_mapping(f.read(), options.get("columns", {}))
    _save(folder, "preview.json", data)
    _update(api, import_id, status="preview", options=json.dumps(options), done=0,
            total=len(report.records), error=None)


def _addressbook(calendar: str, options: dict) -> str:
    return sane_path(options.get("addressbook") or "/%s/kontakte/" % calendar.split("/")[0])


def _save(folder: str, name: str, data: dict) -> None:
    temporary = os.path.join(folder, name + ".tmp")
    with open(temporary, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False)
    os.replace(temporary, os.path.join(folder, name))


def report_of(api: Api, import_id: str) -> Optional[dict]:
    """The import's report (after the import), else its preview."""
    folder = _folder(api, import_id)
    for name in ("report.json", "preview.json"):
        try:
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                return json.load(f)
        except FileNotFoundError:
            continue
    return None


def _answer(api: Api, import_id: str) -> ImportAnswer:
    row = _row(api, import_id)
    report = report_of(api, import_id) or {}
    records = report.get("records", [])
    return ImportAnswer(
        id=import_id, file=row["file"], calendar="/%s/" % row["calendar"], status=row["status"],
        format=report.get("format"), done=row["done"], total=row["total"],
        counts=report.get("counts", {}), written=report.get("written", {}),
        notes=report.get("notes", []),
        columns=[ColumnOut(header=h, field=f) for h, f in report.get("columns", [])],
        fields=list(FIELDS),
        records=[RecordOut(line=r["line"], kind=r["kind"], verdict=r["verdict"],
                           reasons=r["reasons_de"], customer=r["customer"],
                           building=r["building"], written=r["written"])
                 for r in records[:SHOWN_RECORDS]],
        skipped=[{"line": str(s["line"]), "reason": s["reason"]}
                 for s in report.get("skipped", [])[:SHOWN_RECORDS]],
        error=row["error"])


def _forget_old(api: Api) -> None:
    """Uploads older than KEEP_DAYS go (they hold customer data)."""
    root = os.path.join(api.storage.storage_folder, FOLDER)
    limit = time.time() - KEEP_DAYS * 86400
    with api.office.state.connection() as db:
        old = [r["id"] for r in db.execute(
            "SELECT id FROM imports WHERE updated < ? AND status != 'running'", (int(limit),))]
        for import_id in old:
            shutil.rmtree(os.path.join(root, import_id), ignore_errors=True)
            db.execute("DELETE FROM imports WHERE id=?", (import_id,))


def post_import(api: Api, request: Request) -> tuple[int, ImportAnswer]:
    body: NewImport = request.body
    try:
        data = base64.b64decode(body.content, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "content: not base64") from None
    if len(data) > MAX_FILE:
        raise ApiError(413, "Die Datei ist größer als %d MiB." % (MAX_FILE // 2**20))
    calendar = sane_path(body.calendar)
    if calendar not in api.index.calendars_on_disk():
        problem = "Den Kalender /%s/ gibt es nicht." % calendar
        raise ApiError(400, problem, problems={"calendar": problem})
    _forget_old(api)
    import_id = uuid.uuid4().hex
    folder = _folder(api, import_id)
    os.makedirs(folder, mode=0o700)
    extension = os.path.splitext(body.file)[1].lower()
    extension = extension if re.fullmatch(r"\.[a-z0-9]{1,8}", extension) else ""
    with open(os.path.join(folder, "upload" + extension), "wb") as f:
        f.write(data)
    now = int(time.time())
    with api.office.state.transaction() as db:
        db.execute("INSERT INTO imports (id, user, file, calendar, options, status, created, "
                   "updated) VALUES (?, ?, ?, ?, '{}', 'preview', ?, ?)",
                   (import_id, request.user, body.file, calendar, now, now))
    options = {"format": body.format, "columns": dict(body.columns)}
    try:
        _preview(api, import_id, _row(api, import_id), options)
    except ApiError:
        shutil.rmtree(folder, ignore_errors=True)
        with api.office.state.connection() as db:
            db.execute("DELETE FROM imports WHERE id=?", (import_id,))
        raise
    return 201, _answer(api, import_id)


def post_preview(api: Api, request: Request) -> tuple[int, ImportAnswer]:
    import_id = request.path.id
    row = _row(api, import_id)
    if row["status"] == "running":
        raise ApiError(409, "Der Import läuft gerade.")
    options = {**json.loads(row["options"]), "columns": dict(request.body.columns)}
    _preview(api, import_id, row, options)
    return 200, _answer(api, import_id)


def post_run(api: Api, request: Request) -> tuple[int, ImportAnswer]:
    import_id = request.path.id
    row = _row(api, import_id)
    with api.office.state.transaction() as db:
        claimed = db.execute("UPDATE imports SET status='running', done=0, error=NULL, "
                             "updated=? WHERE id=? AND status != 'running'",
                             (int(time.time()), import_id)).rowcount
    if not claimed:
        raise ApiError(409, "Der Import läuft schon.")
    options = json.loads(row["options"])
    thread = threading.Thread(target=_run, args=(api, import_id, row, options, request.user),
                              name="kamin-import", daemon=True)
    thread.start()
    return 202, _answer(api, import_id)


def _run(api: Api, import_id: str, row, options: dict, user: str) -> None:
    folder = _folder(api, import_id)
    try:
        result = _read(api, folder, options)
        last = [0.0]

        def progress(done: int, total: int) -> None:
            if time.monotonic() - last[0] > 0.5 or done == total:
                last[0] = time.monotonic()
                _update(api, import_id, done=done, total=total)

        report = importer.run(api.storage, result, row["file"], row["calendar"],
                              _addressbook(row["calendar"], options), False,
                              dt.datetime.now(api.timezone).replace(microsecond=0),
                              _staff_calendars(api), progress)
        data = report.as_json()
        preview = report_of(api, import_id) or {}
        data["columns"] = preview.get("columns", [])
        _save(folder, "report.json", data)
        counts = report.counts()
        with api.office.state.transaction() as db:
            db.execute("UPDATE imports SET status='done', done=total, updated=? WHERE id=?",
                       (int(time.time()), import_id))
            api.office.changed(db, user, "imports", "Import %s in /%s/: grün %d, orange %d, "
                               "rot %d; %d neu, %d geändert" % (
                                   row["file"], row["calendar"], counts["green"],
                                   counts["orange"], counts["red"], report.written["created"],
                                   report.written["updated"]))
    except Exception as e:          # reported on the page; the log keeps the traceback
        logger.error("Import %s failed: %s", import_id, e, exc_info=True)
        message = e.message if isinstance(e, ApiError) else "%s" % type(e).__name__
        _update(api, import_id, status="failed", error=message)


def get_import(api: Api, request: Request) -> tuple[int, ImportAnswer]:
    return 200, _answer(api, request.path.id)


def get_imports(api: Api, request: Request) -> tuple[int, ImportList]:
    """The latest imports (the page's list)."""
    with api.office.state.connection() as db:
        rows = db.execute("SELECT * FROM imports ORDER BY created DESC LIMIT 20").fetchall()
    return 200, ImportList(imports=[ImportSummary(
        id=r["id"], file=r["file"], calendar="/%s/" % r["calendar"], status=r["status"],
        done=r["done"], total=r["total"], user=r["user"],
        created=dt.datetime.fromtimestamp(r["created"], api.timezone).isoformat())
        for r in rows])
