"""A real browser for the backend's tests: Debian's headless Chromium driven
by selenium through ``/usr/bin/chromedriver``. Nothing is downloaded: the
browser and its driver come from the ``chromium`` and ``chromium-driver``
packages, which ``scripts/browser-deps`` installs (``scripts/test`` runs it).
A missing browser fails the tests that need it — never a silent skip."""

from __future__ import annotations

import base64
import os
import shutil
import tempfile

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync",
         "--disable-dev-shm-usage", "--lang=de-DE", "--window-size=1400,1000")


def missing() -> str | None:
    """Why the browser cannot run here, or None."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            return ("%s is missing: install Debian's %s (scripts/browser-deps does, as root)"
                    % (path, package))
    return None


def start():
    """A headless Chromium with a fresh profile; ``quit`` it when done."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")          # never fetch a driver
    profile = tempfile.mkdtemp(prefix="kamin-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument("--user-data-dir=" + profile)
    options.add_experimental_option("prefs", {"intl.accept_languages": "de-DE,de"})
    # Chromium takes its locale (the format of time and date fields) from
    # LANGUAGE, with the German pack of chromium-l10n; --lang alone is not enough.
    service = Service(CHROMEDRIVER, env=dict(os.environ, LANGUAGE="de"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.execute_cdp_cmd("Network.enable", {})
    quit_driver = driver.quit

    def quit_and_clean() -> None:
        quit_driver()
        shutil.rmtree(profile, ignore_errors=True)
    driver.quit = quit_and_clean
    return driver


def log_in(driver, user: str, password: str) -> None:
    """Send Basic credentials with every request, as a browser does once the
    user typed them into its login prompt."""
    token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    driver.execute_cdp_cmd("Network.setExtraHTTPHeaders",
                           {"headers": {"Authorization": "Basic " + token}})
