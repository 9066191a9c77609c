"""What was acknowledged survives: an import killed midway (kill -9)
leaves every file whole — old or new, never half-written — and running it
again completes it without duplicates. (Power loss itself cannot be tested
here; docs/production.md states the guarantee and how the batch is
flushed.)"""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest
import vobject

from conftest import ROOT
from radicale_kamin.server import durable

KAMIN = str(pathlib.Path(sys.executable).with_name("kamin"))


def test_a_batch_leaves_no_temporary_files_and_replaces_atomically(tmp_path):
    (tmp_path / "a.ics").write_bytes(b"old")
    durable.write_batch(str(tmp_path), [(str(tmp_path / "a.ics"), b"new"),
                                        (str(tmp_path / "b.ics"), b"b")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.ics", "b.ics"]
    assert (tmp_path / "a.ics").read_bytes() == b"new"


def test_leftovers_of_a_dead_writer_are_removed_but_not_a_live_ones(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    for pid in (dead.pid, os.getppid()):
        (tmp_path / (".Radicale.tmp-kamin-%d-1-x.ics" % pid)).write_bytes(b"half")
    assert durable.remove_stale_temporaries(str(tmp_path)) == 1
    assert [p.name for p in tmp_path.iterdir()] == [".Radicale.tmp-kamin-%d-1-x.ics"
                                                    % os.getppid()]


def test_this_machine_flushes_a_batch_with_one_syncfs():
    assert sys.platform != "linux" or durable._syncfs() is not None


def _district_csv(path: pathlib.Path, rows: int) -> None:
    lines = ["Kd-Nr;Name;Straße;PLZ;Ort;Telefon;Datum;Uhrzeit"]
    for number in range(rows):
        lines.append("K%05d;Kunde %d;Hauptstraße %d;84028;Landshut;0871 %06d;%02d.01.2027;09:00"
                     % (number, number, number % 200 + 1, 100000 + number, number % 28 + 1))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.e2e
def test_an_import_killed_midway_leaves_whole_files_and_completes_when_run_again(tmp_path):
    source = tmp_path / "kunden.csv"
    _district_csv(source, 1500)
    folder = tmp_path / "collections"
    config = tmp_path / "radicale.conf"
    config.write_text((ROOT / "config" / "radicale.conf").read_text().replace(
        "filesystem_folder = var/collections", "filesystem_folder = %s" % folder))
    setup = subprocess.run([KAMIN, "setup", "--config", str(config)], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert setup.returncode == 0, setup.stderr
    command = [KAMIN, "import", "--config", str(config), "--calendar", "/anna/termine/",
               "--quiet", str(source)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    calendar = folder / "collection-root" / "anna" / "termine"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if calendar.is_dir() and sum(1 for _ in calendar.glob("[!.]*.ics")) >= 300:
            break
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    files = [p for p in calendar.glob("*.ics") if not p.name.startswith(".")]
    assert 0 < len(files) < 1500, "the kill came too late or too early to tell anything"
    for path in files:                         # every file whole: parseable, one event
        text = path.read_bytes().decode("utf-8")
        assert text.endswith("END:VCALENDAR\r\n"), (path.name, len(text))
        assert len(vobject.readOne(text).vevent_list) == 1
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    files = list(calendar.glob("*.ics"))
    assert not [p for p in files if p.name.startswith(".")], "a killed writer's leftovers stay"
    uids = {vobject.readOne(p.read_text(encoding="utf-8")).vevent.uid.value for p in files}
    assert len(uids) == len(files) == 1500
