"""``tui-lab serve``: the lab in a web browser, one lab process per browser tab.

textual-serve runs the lab's command (``python -m tui_lab.served_tab``) once per tab and
streams that process's screen over a websocket. It has no authentication: whoever
reaches the port gets a lab and can run code on this machine and its GPU. So the default
address is localhost, and the way in from another machine is an SSH tunnel.

``serve --class DIR`` serves the teacher's class view of DIR instead (``tui-lab class``):
no lab, no code runs, but whoever reaches the port sees every student's progress in it.

Every frame crosses the network, so a lab that knows it is served (``tui_lab.refresh.served``)
paints and polls less. textual-serve (aiohttp) is imported only by ``serve`` itself.
"""

from __future__ import annotations

import errno
import getpass
import ipaddress
import os
import shlex
import socket
import subprocess
import sys
from pathlib import Path
from typing import IO, Iterable

from tui_lab.contract import EXIT_OK, EXIT_USAGE
from lab_i18n import _

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


class ServeError(Exception):
    """A host or port that cannot be served on; the message is one sentence."""


def parse_port(text: str | int) -> int:
    try:
        port = int(str(text).strip())
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise ServeError(_("--port must be a whole number from 1 to 65535, not {given}.").format(given=repr(str(text))))
    return port


def is_loopback(host: str) -> bool:
    """Only this machine can connect (a hostname other than localhost may be public)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bindable(host: str, port: int) -> None:
    """Bind (and release) every address the server will bind, as asyncio will, so a
    taken port or a foreign address is one sentence instead of a traceback later."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        raise ServeError(_("--host {host} is not a known address or host name.").format(host=repr(host))) from None
    for family, kind, proto, _name, address in dict.fromkeys(infos):
        with socket.socket(family, kind, proto) as sock:
            if os.name == "posix":  # as asyncio does: a port in TIME_WAIT is free to use
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
            except OSError as error:
                raise ServeError(_bind_problem(host, port, error)) from None


def _bind_problem(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return _("Port {port} is already in use on {host}; choose another with --port (for example --port {other}).")\
            .format(port=port, host=host, other=port + 1 if port < 65535 else 8000)
    if error.errno == errno.EADDRNOTAVAIL:
        return _("--host {host} is not an address of this machine; use 127.0.0.1 (the default) or one of its own "
                 "addresses.").format(host=host)
    if error.errno in (errno.EACCES, errno.EPERM):
        return _("Port {port} needs administrator rights here; choose one above 1023 with --port.").format(port=port)
    return _("Cannot listen on {host} port {port}: {reason}.").format(host=host, port=port,
                                                                      reason=error.strerror or error)


def child_command(
    device: str = "auto", data_dir: str | None = None, lessons: Iterable[str] = (), lang: str = "en",
    class_dir: str | None = None,
) -> str:
    """The shell command textual-serve runs for each tab: this interpreter, the lab (or the
    class view of ``class_dir``), the options."""
    argv = [sys.executable, "-m", "tui_lab.served_tab", "--device", device, "--lang", lang]
    if data_dir:
        argv += ["--data-dir", str(Path(data_dir).resolve())]
    for folder in lessons:
        argv += ["--lessons", str(Path(folder).resolve())]
    if class_dir:  # the subcommand after the lab's options, which it leaves alone
        argv += ["class", str(Path(class_dir).expanduser().resolve())]
    return shlex.join(argv) if os.name == "posix" else subprocess.list2cmdline(argv)


def access_text(host: str, port: int, class_view: bool = False) -> str:
    """Where the lab (or the class view) is, and how to reach it from another machine through SSH."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "USER"
    server = _host_name()
    shown = server if host in ("0.0.0.0", "::", "") else f"[{host}]" if ":" in host else host
    served = (_("The class view is served at {url} (each browser tab gets its own class view; Ctrl+C stops the "
                "server).") if class_view else
              _("TUI Lab is served at {url} (each browser tab gets its own lab; Ctrl+C stops the server)."))
    lines = [served.format(url=f"http://{shown}:{port}/")]
    if is_loopback(host):
        lines += [
            _("It accepts connections from this machine only. From another machine, tunnel it through SSH:"),
            f"    ssh -L {port}:localhost:{port} {user}@{server}",
            _("and open {url} in a browser there.").format(url=f"http://localhost:{port}/"),
        ]
    return "\n".join(lines)


def _host_name() -> str:
    """This machine's name as others know it (getfqdn says "localhost" where /etc/hosts maps it so)."""
    fqdn = socket.getfqdn()
    if fqdn and not fqdn.startswith("localhost"):
        return fqdn
    return socket.gethostname() or "SERVER"


def no_auth_warning(host: str, port: int, class_view: bool = False) -> str:
    warning = (_("Warning: --host {host} lets other machines connect, and there is no authentication: anyone who can "
                 "reach port {port} sees every student's progress in the class folder. Prefer the default --host "
                 "{default} with an SSH tunnel (ssh -L).") if class_view else
               _("Warning: --host {host} lets other machines connect, and there is no authentication: anyone who can "
                 "reach port {port} gets a lab and can run code on this server and its GPU. Prefer the default --host "
                 "{default} with an SSH tunnel (ssh -L)."))
    return warning.format(host=host, port=port, default=DEFAULT_HOST)


def serve(
    host: str = DEFAULT_HOST,
    port: str | int = DEFAULT_PORT,
    *,
    device: str = "auto",
    data_dir: str | None = None,
    lessons: Iterable[str] = (),
    lang: str = "en",
    class_dir: str | None = None,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
) -> int:
    """Serve the lab (the class view of ``class_dir`` if given) until Ctrl+C (or SIGTERM); 2 with
    a sentence when it cannot start."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        if class_dir and not Path(class_dir).expanduser().is_dir():
            raise ServeError(_("--class {folder} is not a folder; give the class's shared progress folder.").format(
                folder=class_dir))
        number = parse_port(port)
        check_bindable(host, number)
        from textual_serve.server import Server
    except ServeError as error:
        print(f"tui-lab: {error}", file=err)
        return EXIT_USAGE
    except ImportError:
        print("tui-lab: " + _("serving needs textual-serve; install it with: pip install textual-serve"), file=err)
        return EXIT_USAGE

    class LabServer(Server):
        async def on_startup(self, app) -> None:
            pass  # our own banner is printed before the server starts

        async def handle_index(self, request):
            # The page links to its websocket by absolute URL; build it from the address the
            # browser used (a tunnel's localhost:PORT, a host name), not from the bind address.
            self.public_url = f"{request.scheme}://{request.host}"
            return await super().handle_index(request)

    class_view = bool(class_dir)
    print(access_text(host, number, class_view), file=out, flush=True)
    if not is_loopback(host):
        print(no_auth_warning(host, number, class_view), file=err, flush=True)
    command = child_command(device, data_dir, lessons, lang, class_dir)
    try:
        LabServer(command, host=host, port=number, title="TUI Lab · class" if class_view else "TUI Lab").serve()
    except OSError as error:  # taken between the check and the bind
        print(f"tui-lab: {_bind_problem(host, number, error)}", file=err)
        return EXIT_USAGE
    return EXIT_OK
