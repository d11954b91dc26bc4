"""``tui-lab serve``: its refusals and messages, the served lab's refresh rates, and the lab
driven end to end in headless Chromium.

Chromium is driven over the DevTools protocol with aiohttp (textual-serve's own
dependency), so the test needs the browser and nothing else. The page's terminal is
xterm.js drawing to a canvas, and textual-serve's script keeps its ``Terminal`` out of
reach; a script injected before the page loads notes the object when the page assigns
it (``this.terminal = new Terminal(...)``), and the test reads the screen from xterm's
own buffer, row by row, as plain text.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import shlex
import signal
import socket
import subprocess
import sys
import time
import types
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from tui_lab import serve as serving
from tui_lab.options import build_parser

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
BROWSER_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1280,800",
    # Offline: names other than the lab's address fail at once (the page asks Google Fonts).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
# Runs before the page's own scripts: keeps the xterm.js Terminal when textual.js stores it.
CAPTURE_TERMINAL = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "terminal", {value, writable: true, configurable: true, enumerable: true});
    if (value && typeof value.open === "function" && typeof value.onData === "function") {
      window.__labTerminal = value;
    }
  },
});
"""
# The visible rows of the terminal as text (null until the terminal exists).
READ_SCREEN = """(() => {
  const term = window.__labTerminal;
  if (!term) return null;
  const buffer = term.buffer.active, rows = [];
  for (let y = 0; y < term.rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    rows.push(line ? line.translateToString(true) : "");
  }
  return rows.join("\\n");
})()"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the command line ---------------------------------------------------------------


def test_serve_refuses_a_bad_port_with_one_sentence():
    for port, shown in (("http", "'http'"), ("70000", "'70000'"), ("0", "'0'")):
        result = run_cli("serve", "--port", port)
        assert result.returncode == 2 and result.stdout == ""
        assert result.stderr == f"tui-lab: --port must be a whole number from 1 to 65535, not {shown}.\n"


def test_serve_refuses_a_port_in_use_with_one_sentence():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--port", str(port))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"tui-lab: Port {port} is already in use on 127.0.0.1; choose another with --port")
    assert result.stderr.count("\n") == 1


def test_serve_refuses_an_address_that_is_not_this_machines():
    result = run_cli("serve", "--host", "192.0.2.1", "--port", "8000")  # a documentation-only address
    assert result.returncode == 2
    assert result.stderr == (
        "tui-lab: --host 192.0.2.1 is not an address of this machine; "
        "use 127.0.0.1 (the default) or one of its own addresses.\n"
    )


def _serve_without_listening(monkeypatch, host: str) -> tuple[int, str, str]:
    """Everything `serve` does up to handing over to textual-serve's server loop."""
    from textual_serve.server import Server

    started = []
    monkeypatch.setattr(Server, "serve", lambda self, debug=False: started.append((self.host, self.port, self.command)))
    monkeypatch.chdir(ROOT)
    out, err = io.StringIO(), io.StringIO()
    port = free_port()
    status = serving.serve(host, port, device="cpu", lessons=["tests/fixtures/lessons"], out=out, err=err)
    assert status == 0 and started and started[0][:2] == (host, port)
    command = started[0][2]
    assert f"{sys.executable} -m tui_lab.served_tab --device cpu --lang en" in command
    assert f"--lessons {ROOT / 'tests' / 'fixtures' / 'lessons'}" in command  # absolute: labs may start elsewhere
    return port, out.getvalue(), err.getvalue()


def test_serve_on_localhost_says_how_to_tunnel_and_warns_of_nothing(monkeypatch):
    port, out, err = _serve_without_listening(monkeypatch, "127.0.0.1")
    assert f"http://127.0.0.1:{port}/" in out
    assert f"ssh -L {port}:localhost:{port} " in out and f"open http://localhost:{port}/" in out
    assert err == ""


def test_serve_on_every_address_warns_that_there_is_no_authentication(monkeypatch):
    port, out, err = _serve_without_listening(monkeypatch, "0.0.0.0")
    assert "ssh -L" not in out
    assert err.startswith("Warning: --host 0.0.0.0 lets other machines connect, and there is no authentication:")
    assert f"anyone who can reach port {port} gets a lab and can run code on this server and its GPU" in err


def test_serve_class_serves_the_class_view_and_warns_that_it_shows_progress(monkeypatch, tmp_path):
    from textual_serve.server import Server

    started = []
    monkeypatch.setattr(Server, "serve", lambda self, debug=False: started.append(self.command))
    out, err = io.StringIO(), io.StringIO()
    port = free_port()
    monkeypatch.chdir(ROOT)
    assert serving.serve("0.0.0.0", port, device="cpu", lessons=["tests/fixtures/lessons"], class_dir=str(tmp_path),
                         out=out, err=err) == 0
    assert started[0].endswith(f"--lessons {ROOT / 'tests' / 'fixtures' / 'lessons'} class {tmp_path.resolve()}")
    tab = build_parser().parse_args(shlex.split(started[0])[3:])  # what follows python -m tui_lab.served_tab
    assert (tab.command, tab.folder, tab.device) == ("class", str(tmp_path.resolve()), "cpu")
    assert "The class view is served at" in out.getvalue()
    assert f"anyone who can reach port {port} sees every student's progress in the class folder" in err.getvalue()
    assert "run code" not in err.getvalue()


def test_serve_class_refuses_a_missing_folder_with_one_sentence(tmp_path):
    result = run_cli("serve", "--class", str(tmp_path / "nowhere"), "--port", str(free_port()))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"tui-lab: --class {tmp_path / 'nowhere'} is not a folder; give the class's shared progress folder.\n"


def _open_lab(monkeypatch, entry, argv: list[str]) -> tuple[dict, str | None]:
    """What ``entry(argv)`` opens the lab with: run_app's options, and the TEXTUAL_FPS
    Textual will read when the lab imports it (a stand-in for the app module records both)."""
    opened = []

    def run_app(**options):
        opened.append((options, os.environ.get("TEXTUAL_FPS")))
        return 0

    monkeypatch.setitem(sys.modules, "tui_lab.app", types.SimpleNamespace(run_app=run_app))
    monkeypatch.setenv("TEXTUAL_FPS", "")  # restored afterwards, whatever entry sets
    monkeypatch.delenv("TEXTUAL_FPS")
    assert entry(argv) == 0 and len(opened) == 1
    return opened[0]


def test_a_lab_in_a_browser_tab_refreshes_and_repaints_less(monkeypatch):
    from tui_lab import cli, served_tab
    from tui_lab.refresh import SERVED, TERMINAL, WEB_DRIVER

    monkeypatch.delenv("TEXTUAL_DRIVER", raising=False)
    options, fps = _open_lab(monkeypatch, cli.main, ["--device", "cpu"])
    assert options["refresh"] == TERMINAL and fps is None

    monkeypatch.setenv("TEXTUAL_DRIVER", WEB_DRIVER)  # what textual-serve gives its apps
    options, fps = _open_lab(monkeypatch, served_tab.main, ["--device", "cpu", "--lang", "zh"])
    assert options["refresh"] == SERVED
    assert (options["device"], options["lang"]) == ("cpu", "zh")
    assert fps == str(served_tab.SERVED_FPS)  # textual-serve asks for 60
    assert SERVED.drain_hz < TERMINAL.drain_hz and SERVED.plot_fps < TERMINAL.plot_fps


def test_the_tab_command_sets_its_rates_before_anything_loads_textual():
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, tui_lab.served_tab, tui_lab.cli\nprint('textual' in sys.modules)"],
        capture_output=True, text=True, cwd=ROOT, check=True,
    ).stdout
    assert loaded.strip() == "False"


# -- end to end in Chromium ---------------------------------------------------------


def _browser() -> str:
    found = next((path for path in map(shutil.which, BROWSERS) if path), None)
    if found is None:
        message = "Chromium is not installed (Debian: apt-get install -y chromium)"
        if os.environ.get("TUI_LAB_REQUIRE_BROWSER") == "1":
            pytest.fail(message + "; TUI_LAB_REQUIRE_BROWSER=1 requires this test to run")
        pytest.skip(message)
    return found


def _marked_processes(mark: str) -> list[tuple[int, str]]:
    """(pid, command line) of every process started with ``mark`` in its environment."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if mark.encode() in (entry / "environ").read_bytes().split(b"\0"):
                found.append((int(entry.name), (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()))
        except OSError:  # gone meanwhile, or not ours
            continue
    return found


@contextmanager
def _stopped_afterwards(processes: list[subprocess.Popen], mark: str):
    """Stop the processes we started (SIGTERM: the server then stops as on Ctrl+C), then
    make sure nothing they started is left: the server stops its labs, the labs their engines."""
    try:
        yield
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        leftovers: list[tuple[int, str]] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for process in processes:
                process.poll()
            leftovers = _marked_processes(mark)
            if not leftovers:
                break
            time.sleep(0.2)  # polling for the processes to exit
        for pid, _ in leftovers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for process in processes:
            process.wait(timeout=10)
        assert not leftovers, f"processes left running after the server stopped: {leftovers}"


def _wait_for(predicate, timeout: float, what: str, process: subprocess.Popen, log: Path):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if process.poll() is not None:
            raise AssertionError(f"{what}: the process ended ({process.returncode}): {log.read_text()[-2000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


class DevTools:
    """The few Chrome DevTools Protocol calls the test needs, over one page's websocket."""

    def __init__(self, websocket) -> None:
        self.websocket = websocket
        self.last_id = 0

    async def call(self, method: str, **params):
        self.last_id += 1
        await self.websocket.send_json({"id": self.last_id, "method": method, "params": params})
        while True:
            message = await asyncio.wait_for(self.websocket.receive_json(), timeout=30)
            if message.get("id") == self.last_id:  # events in between are not ours to read
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message["result"]

    async def screen(self) -> str:
        result = await self.call("Runtime.evaluate", expression=READ_SCREEN, returnByValue=True)
        return result["result"].get("value") or ""

    async def wait_for_screen(self, predicate, timeout: float, what: str) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = await self.screen()
            if predicate(text):
                return text
            await asyncio.sleep(0.1)  # polling the page's terminal
        raise AssertionError(f"timed out waiting for {what}; the screen shows:\n{text}")

    async def press(self, key: str, code: int) -> None:
        for kind in ("keyDown", "keyUp"):
            await self.call("Input.dispatchKeyEvent", type=kind, key=key, code=key,
                            windowsVirtualKeyCode=code, nativeVirtualKeyCode=code)


async def test_the_lab_opens_in_headless_chromium_and_answers_a_key(tmp_path):
    import aiohttp

    chromium = _browser()
    mark = f"TUI_LAB_TEST_PROCESS={uuid.uuid4().hex}"
    env = {**os.environ, mark.split("=")[0]: mark.split("=")[1]}
    port = free_port()
    server_log, browser_log, profile = tmp_path / "server.log", tmp_path / "browser.log", tmp_path / "profile"
    with open(server_log, "w") as server_out, open(browser_log, "w") as browser_out:
        server = subprocess.Popen(
            [sys.executable, "-m", "tui_lab", "serve", "--port", str(port), "--device", "cpu"],
            cwd=ROOT, env=env, stdout=server_out, stderr=subprocess.STDOUT, start_new_session=True,
        )
        processes = [server]
        with _stopped_afterwards(processes, mark):
            url = f"http://127.0.0.1:{port}/"
            _wait_for(lambda: _http_ok(url), 60, "the server to answer", server, server_log)
            browser = subprocess.Popen(
                [chromium, *BROWSER_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
                env=env, stdout=browser_out, stderr=subprocess.STDOUT, start_new_session=True,
            )
            processes.append(browser)
            active_port = profile / "DevToolsActivePort"  # Chromium writes its port here once listening
            devtools_port = _wait_for(
                lambda: active_port.is_file() and active_port.read_text().split()[:1],
                60, "Chromium's DevTools port", browser, browser_log,
            )[0]
            with urllib.request.urlopen(f"http://127.0.0.1:{devtools_port}/json/list", timeout=10) as response:
                page = next(t for t in json.load(response) if t["type"] == "page")
            async with aiohttp.ClientSession() as session, \
                    session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as websocket:
                tab = DevTools(websocket)
                await tab.call("Page.enable")
                await tab.call("Page.addScriptToEvaluateOnNewDocument", source=CAPTURE_TERMINAL)
                await tab.call("Emulation.setFocusEmulationEnabled", enabled=True)
                await tab.call("Page.navigate", url=url)

                first = await tab.wait_for_screen(
                    lambda text: "EXPLORER" in text and "Step 1/" in text, 120, "the lab's first screen")
                assert "The problem" in first and "Step 2/" not in first  # gradient descent, step 1

                await tab.call("Runtime.evaluate", expression="window.__labTerminal.focus()")
                await tab.press("F8", 119)
                second = await tab.wait_for_screen(lambda text: "Step 2/" in text, 60, "step 2 after F8")
                assert "The gradient at θ₀" in second
