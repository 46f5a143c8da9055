"""WebKit, driven from Debian's packages: WebKitGTK's MiniBrowser through ``WebKitWebDriver``
(``webkit2gtk-driver``) and Selenium, on an Xvfb display of its own.

Used by the build (``scripts/snapshot.py`` makes WebKit's memory snapshot in it) and by the
engine tests (``tests/engines.py``). Naming the browser binary requires ``--automation`` too,
or the session is never created. WebKit's driver has no log endpoint: read errors from the
page.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import time
from pathlib import Path

DRIVER = os.environ.get("WEBKIT_DRIVER", "/usr/bin/WebKitWebDriver")
MINIBROWSER_GLOB = "/usr/lib/*/webkit2gtk-4.*/MiniBrowser"


def minibrowser() -> str | None:
    found = sorted(glob.glob(MINIBROWSER_GLOB))
    return found[-1] if found else None


def missing() -> str | None:
    """What WebKit needs and this machine lacks (None when it has everything)."""
    lacks = [what for what, ok in (
        (DRIVER, Path(DRIVER).exists()), ("WebKitGTK's MiniBrowser", minibrowser() is not None),
        ("Xvfb", shutil.which("Xvfb") is not None), ("the selenium package", importable("selenium")))
        if not ok]
    return ", ".join(lacks) if lacks else None


def importable(module: str) -> bool:
    """Whether ``module`` can be imported here (without importing it)."""
    import importlib.util
    return importlib.util.find_spec(module) is not None


def stop(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """End a child process: terminate, then kill if it has not ended within ``timeout``."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()


class Xvfb:
    """A virtual X display of its own, ``:N`` with the first free N from 90."""

    def __init__(self, timeout: float = 20.0) -> None:
        n = 90
        while Path(f"/tmp/.X{n}-lock").exists() or Path(f"/tmp/.X11-unix/X{n}").exists():
            n += 1
        self.display = f":{n}"
        self.proc = subprocess.Popen(["Xvfb", self.display, "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.monotonic() + timeout
        while not Path(f"/tmp/.X11-unix/X{n}").exists():
            if self.proc.poll() is not None or time.monotonic() > end:
                self.close()
                raise RuntimeError(f"Xvfb {self.display} did not start")
            time.sleep(0.05)

    def close(self) -> None:
        stop(self.proc)


class WebKit:
    """One MiniBrowser session: ``.driver`` is Selenium's, ``.version`` WebKitGTK's."""

    def __init__(self) -> None:
        from selenium import webdriver
        from selenium.webdriver.webkitgtk.service import Service

        self.xvfb = Xvfb()
        options = webdriver.WebKitGTKOptions()
        options.binary_location = minibrowser()
        options.add_argument("--automation")
        service = Service(executable_path=DRIVER, env={**os.environ, "DISPLAY": self.xvfb.display})
        try:
            self.driver = webdriver.WebKitGTK(options=options, service=service)
        except BaseException:
            self.xvfb.close()
            raise
        self.driver.set_script_timeout(300)
        self.driver.set_page_load_timeout(120)
        self.version = self.driver.capabilities.get("browserVersion", "")

    def close(self) -> None:
        try:
            self.driver.quit()
        finally:
            self.xvfb.close()
