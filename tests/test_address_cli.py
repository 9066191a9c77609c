"""The real ``kamin address`` console command."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

KAMIN = shutil.which("kamin") or str(Path(sys.executable).parent / "kamin")


def kamin(*args, stdin=""):
    return subprocess.run([KAMIN, "address", *args], input=stdin, capture_output=True,
                          text=True, timeout=60, check=True).stdout


def test_jsonl_answers_one_line_per_record_in_order():
    records = [{"address": "Hauptstr.12, 1067 Dresden", "phone": "0351 1234567"},
               {"address": "siehe Rechnung"},
               {"street": "Hauptstr.", "housenumber": "3", "zip": "80331", "city": "Berlin"}]
    out = kamin("--jsonl", stdin="".join(json.dumps(r) + "\n" for r in records))
    answers = [json.loads(line) for line in out.splitlines()]
    assert [a["verdict"] for a in answers] == ["green", "red", "orange"]
    assert answers[0]["postcode"] == "01067"
    assert "postcode-city-mismatch" in answers[2]["reasons"]


def test_jsonl_bad_lines_get_an_error_and_the_run_goes_on():
    out = kamin("--jsonl", stdin='not json\n[1, 2]\n{"address": "Hauptstr. 1, 01067 Dresden"}\n')
    answers = [json.loads(line) for line in out.splitlines()]
    assert "error" in answers[0] and "error" in answers[1]
    assert answers[2]["verdict"] == "orange"


def test_one_shot_prints_german_labels_and_verdict():
    out = kamin("Hauptstr.12, 1067 Dresden", "--phone", "0351 1234567")
    assert "Straße:" in out and "Hauptstraße" in out
    assert "GRÜN" in out
    assert "Führende Null" in out


def test_one_shot_json_form():
    data = json.loads(kamin("--json", "Hauptstr.12, 1067 Dresden"))
    assert (data["postcode"], data["verdict"], data["reasons"]) == ("01067", "orange", ["phone-missing"])
