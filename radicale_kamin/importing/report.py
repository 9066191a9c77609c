"""An import's report for the office as CSV (Excel opens it: semicolons,
UTF-8 with BOM): every record's verdict and reasons, what was written,
taken over and kept. ``kamin import --report FILE.csv`` and the backend's
download write the same."""

from __future__ import annotations

import csv
import io

# What happened to a record, as the office reads it (report, page, summary).
WRITTEN_DE = {"created": "neu", "updated": "geändert", "unchanged": "unverändert",
              "deleted": "auf dem Server gelöscht – nicht wieder angelegt", None: ""}


def conflict_text(conflict: dict) -> str:
    where = " (Termin %s)" % conflict["occurrence"] if conflict.get("occurrence") else ""
    server, source = ("'%s'" % value if value is not None else "(leer)"
                      for value in (conflict["server"], conflict["source"]))
    return "%s %s%s: Server %s behalten, Quelle %s" % (conflict["item"], conflict["label"], where,
                                                      server, source)


def report_csv(report: dict) -> str:
    """``ImportReport.as_json()`` as the office's CSV text (with BOM)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["Quelle", "Stelle", "Art", "Ampel", "Gründe", "Kunde", "Liegenschaft", "UID",
                     "Geschrieben", "Übernommen", "Konflikte"])
    for data in report["records"]:
        writer.writerow([data["source_id"], data["line"], data["kind"], data["verdict"],
                         " | ".join(data["reasons_de"]), data["customer"] or "",
                         data["building"] or "", data["uid"], WRITTEN_DE[data["written"]],
                         " | ".join(data["changed"]),
                         " | ".join(conflict_text(c) for c in data["conflicts"])])
    for skipped in report["skipped"]:
        writer.writerow(["", skipped["line"], "übersprungen", "", skipped["reason"], "", "", "",
                         "", "", ""])
    return "\ufeff" + buffer.getvalue()
