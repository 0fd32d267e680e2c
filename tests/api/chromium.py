"""A minimal headless-Chromium driver for the page tests, over the DevTools protocol on a pipe.

Chromium is started with ``--remote-debugging-pipe`` (it reads commands on fd 3 and writes on
fd 4, NUL-separated JSON), so no port and no extra package are needed. Outside hosts can be
blocked (``offline=True``): every name but 127.0.0.1 fails to resolve, and the requests the
page made are recorded.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
]
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"


def chromium() -> str:
    """The Chromium executable; skips the test without one (fails under CI)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (apt-get install -y chromium)")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    return exe


class Browser:
    """One headless Chromium with one page; use as a context manager."""

    def __init__(self, profile: Path, offline: bool = False) -> None:
        self.profile, self.offline = profile, offline
        self.requests: list[str] = []
        self._id = 0
        self._buf = b""

    def __enter__(self) -> Browser:
        r_cmd, w_cmd = os.pipe()  # we write commands, chromium reads fd 3
        r_out, w_out = os.pipe()  # chromium writes fd 4, we read
        args = [chromium(), *FLAGS, f"--user-data-dir={self.profile}"]
        if self.offline:
            args.append(OFFLINE)
        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),
            preexec_fn=lambda: (os.dup2(r_cmd, 3), os.dup2(w_out, 4)),
        )
        os.close(r_cmd)
        os.close(w_out)
        self._w, self._r = w_cmd, r_out
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        self.send("Network.enable", session=True)
        self.send("Page.enable", session=True)
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            self.send("Browser.close")
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self._w)
        os.close(self._r)

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            if time.monotonic() > deadline:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self._r, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        msg: dict[str, Any] = json.loads(raw)
        if msg.get("method") == "Network.requestWillBeSent":
            self.requests.append(msg["params"]["request"]["url"])
        return msg

    def send(self, method: str, session: bool = False, **params: Any) -> dict[str, Any]:
        """Send one command and wait for its result (events seen meanwhile are recorded)."""
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + 60
        while True:
            got = self._read(deadline)
            if got.get("id") == self._id:
                if "error" in got:
                    raise RuntimeError(f"{method}: {got['error']}")
                result: dict[str, Any] = got.get("result", {})
                return result

    def open(self, url: str, width: int, height: int, ready: str, timeout: float = 30) -> None:
        """Load `url` in a window of width × height (a phone below 500 px) and wait until the
        JavaScript expression `ready` is true."""
        self.send(
            "Emulation.setDeviceMetricsOverride",
            session=True,
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=width < 500,
        )
        self.send("Page.navigate", session=True, url=url)
        deadline = time.monotonic() + timeout
        while not self.eval(ready):
            assert time.monotonic() < deadline, f"page not ready: {ready}"
            time.sleep(0.1)

    def eval(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-serialisable)."""
        got = self.send("Runtime.evaluate", session=True, expression=expression, returnByValue=True)
        return got.get("result", {}).get("value")

    def screenshot(self, path: Path) -> Path:
        """A PNG of the viewport."""
        data = self.send("Page.captureScreenshot", session=True, format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        return path
