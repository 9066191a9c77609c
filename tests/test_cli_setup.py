"""``kamin setup`` gives every staff user a calendar, once."""

import json
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

KAMIN = str(Path(sys.executable).with_name("kamin"))


def _config(tmp_path) -> Path:
    text = (ROOT / "config" / "radicale.conf").read_text()
    text = text.replace("filesystem_folder = var/collections",
                        "filesystem_folder = %s" % (tmp_path / "collections"))
    path = tmp_path / "radicale.conf"
    path.write_text(text)
    return path


def test_setup_creates_each_staff_calendar_once(tmp_path):
    config = _config(tmp_path)
    first = subprocess.run([KAMIN, "setup", "--config", str(config)], cwd=ROOT,
                           capture_output=True, text=True, check=True)
    assert sorted(first.stdout.split("\n")[:-1]) == [
        "created calendar /anna/termine/", "created calendar /ben/termine/",
        "created calendar /meister/termine/", "published working hours on 3 calendars"]
    root = tmp_path / "collections" / "collection-root"
    assert not (root / "assistant").exists()
    props = json.loads((root / "anna" / "termine" / ".Radicale.props").read_text())
    assert props["tag"] == "VCALENDAR"
    availability = props["C:calendar-availability"]
    assert "BEGIN:VAVAILABILITY" in availability and "BEGIN:AVAILABLE" in availability
    again = subprocess.run([KAMIN, "setup", "--config", str(config)], cwd=ROOT,
                           capture_output=True, text=True, check=True)
    assert again.stdout.strip() == "every staff user has a calendar"


def test_setup_names_a_missing_config(tmp_path):
    result = subprocess.run([KAMIN, "setup", "--config", str(tmp_path / "nope.conf")],
                            capture_output=True, text=True)
    assert result.returncode != 0 and "config file not found" in result.stderr
