"""The package as users install it: ``pip install radicale_kamin`` without
extras must give a server that starts and answers, and every distribution
the package imports must be declared.

A test extra once hid that a plain install could not start the server
(``caldav`` pulled in ``icalendar`` for the tests); these tests take the
user's path instead: build the wheel, install it into a fresh virtual
environment with no extras, run its ``radicale`` and ``kamin``.
"""

from __future__ import annotations

import configparser
import json
import pathlib
import subprocess
import sys
import uuid

import pytest
import requests

from conftest import ROOT, event, ics
import servers

PYTHON = getattr(sys, "_base_executable", sys.executable)


def _install_requires() -> list[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return [line.strip() for line in config["options"]["install_requires"].splitlines()
            if line.strip() and not line.strip().startswith("#")]


def _deptry(requirements: list[str], tmp_path: pathlib.Path) -> subprocess.CompletedProcess:
    listed = tmp_path / "requirements.txt"
    listed.write_text("\n".join(requirements) + "\n")
    deptry = pathlib.Path(sys.executable).with_name("deptry")
    return subprocess.run([str(deptry), ".", "--requirements-files", str(listed)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_every_imported_distribution_is_declared(tmp_path):
    result = _deptry(_install_requires(), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dependency_check_notices_a_missing_declaration(tmp_path):
    """The check above can fail: without icalendar declared, deptry names it."""
    requirements = [r for r in _install_requires() if not r.startswith("icalendar")]
    result = _deptry(requirements, tmp_path)
    assert result.returncode != 0
    assert "icalendar" in result.stdout + result.stderr


@pytest.fixture(scope="module")
def plain_install(tmp_path_factory) -> pathlib.Path:
    """A fresh virtual environment with the wheel installed, no extras."""
    work = tmp_path_factory.mktemp("plain-install")
    wheels = work / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--wheel-dir", str(wheels), str(ROOT)],
                   check=True, timeout=600, capture_output=True)
    wheel, = wheels.glob("radicale_kamin-*.whl")
    venv = work / "venv"
    subprocess.run([PYTHON, "-m", "venv", str(venv)], check=True, timeout=120)
    result = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                             "--prefer-binary", str(wheel)],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    return venv


@pytest.mark.e2e
def test_plain_install_starts_and_answers(plain_install, tmp_path):
    venv = plain_install
    extras = subprocess.run([str(venv / "bin" / "python"), "-c",
                             "import importlib.util as u; print(u.find_spec('caldav'))"],
                            capture_output=True, text=True, check=True)
    assert extras.stdout.strip() == "None", "the plain install must not have the test extra"
    anna = ("anna", "anna-demo")
    with servers.radicale(tmp_path / "collections", tmp_path / "radicale.log",
                          command=[str(venv / "bin" / "radicale")]) as url:
        assert requests.request("MKCALENDAR", url + "/anna/termine/", auth=anna).status_code == 201
        uid = "plain-" + uuid.uuid4().hex[:8]
        body = ics(event(uid, "X-KAMIN-KIND:internal", "X-KAMIN-PHONE:0911 123456",
                         "LOCATION:Hauptstr. 5\\, 90402 Nürnberg",
                         start="20270112T090000Z", end="20270112T100000Z"))
        put = requests.put(url + "/anna/termine/%s.ics" % uid, data=body.encode(), auth=anna,
                           headers={"Content-Type": "text/calendar"})
        assert put.status_code == 201, put.text
        report = requests.request(
            "REPORT", url + "/anna/termine/", auth=anna, headers={"Depth": "1"},
            data=b'<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:"'
                 b' xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data/>'
                 b'</D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter'
                 b' name="VEVENT"><C:time-range start="20270111T000000Z"'
                 b' end="20270118T000000Z"/></C:comp-filter></C:comp-filter></C:filter>'
                 b'</C:calendar-query>')
        assert report.status_code == 207
        assert "X-KAMIN-STATUS:planned" in report.text, report.text
        due = requests.get(url + "/.web/kamin/api/due-calls?now=2027-01-05T10:00:00%2B01:00",
                           auth=anna)
        assert due.status_code == 200, due.text
        assert [c["uid"] for c in due.json()["calls"]] == [uid]
        assert due.json()["calls"][0]["phone"] == "+49911123456"
        # The backend's templates and stylesheet are in the wheel.
        backend = requests.get(url + "/.web/kamin/", auth=("meister", "meister-demo"))
        assert backend.status_code == 200 and "<h1>Heute" in backend.text
        css = requests.get(url + "/.web/kamin/static/kamin.css", auth=("meister", "meister-demo"))
        assert css.status_code == 200 and ".state-data-missing" in css.text
    address = subprocess.run([str(venv / "bin" / "kamin"), "address", "--jsonl"],
                             input=json.dumps({"address": "Hauptstr.12, 1067 Dresden"}) + "\n",
                             capture_output=True, text=True, timeout=60)
    assert address.returncode == 0, address.stderr
    answer = json.loads(address.stdout)
    assert (answer["street"], answer["number"], answer["postcode"]) == (
        "Hauptstraße", "12", "01067")
