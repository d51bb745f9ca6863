"""Local receivers for notifier tests: an HTTP endpoint that answers from a script, and an SMTP
server. Both listen on 127.0.0.1 on a free port and record everything they receive."""

from __future__ import annotations

import base64
import json
import socketserver
import ssl
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List, Optional, Tuple

HANG = "hang"


@dataclass
class Reply:
    status: int = 200
    headers: Dict[str, str] = field(default_factory=dict)
    body: str = "ok"


class HttpReceiver:
    """Answers each POST or GET with the next reply of ``script`` (the last one repeats); ``HANG``
    never answers. ``requests`` holds (path, headers, parsed JSON body, None for a GET) of every
    request received."""

    def __init__(self, *script):
        self.script: List = list(script) or [Reply()]
        self.requests: List[Tuple[str, Dict[str, str], object]] = []
        self._release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append((self.path, dict(self.headers), json.loads(raw)))
                self.answer()

            def do_GET(self):  # what a client that follows a redirect with GET sends: no body
                receiver.requests.append((self.path, dict(self.headers), None))
                self.answer()

            def answer(self):
                i = min(len(receiver.requests), len(receiver.script)) - 1
                reply = receiver.script[i]
                if reply == HANG:
                    receiver._release.wait(30)
                    return
                body = reply.body.encode()
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def bodies(self) -> List[object]:
        return [b for _, _, b in self.requests]

    def __enter__(self) -> "HttpReceiver":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()


class SmtpReceiver:
    """A minimal SMTP server (RFC 5321 commands EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT).
    ``fail_with`` answers MAIL FROM with that reply (e.g. ``421 busy``) for the first
    ``fail_times`` transactions. ``messages`` holds (envelope from, envelope to, parsed message).
    With ``tls=(certfile, keyfile)`` it offers STARTTLS (RFC 3207) and AUTH PLAIN (RFC 4954),
    recording in ``logins`` the (user, password, over TLS) of each AUTH."""

    def __init__(self, fail_with: Optional[str] = None, fail_times: int = 0, tls: Optional[Tuple[str, str]] = None):
        self.messages: List = []
        self.logins: List[Tuple[str, str, bool]] = []
        self.fail_with, self.fail_times = fail_with, fail_times
        self.transactions = 0
        context = None
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
        receiver = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write((line + "\r\n").encode())

            def handle(self):
                self.reply("220 localhost test SMTP")
                sender, rcpts, secure = None, [], False
                while True:
                    raw = self.rfile.readline()
                    if not raw:
                        return
                    cmd = raw.decode().strip()
                    verb = cmd.split(" ", 1)[0].upper()
                    if verb == "EHLO":
                        self.reply("250-localhost")
                        if context is not None and not secure:
                            self.reply("250-STARTTLS")
                        if context is not None:
                            self.reply("250-AUTH PLAIN")
                        self.reply("250 8BITMIME")
                    elif verb == "STARTTLS" and context is not None:
                        self.reply("220 go ahead")
                        self.connection = context.wrap_socket(self.connection, server_side=True)
                        self.rfile = self.connection.makefile("rb")
                        self.wfile = self.connection.makefile("wb", buffering=0)
                        secure = True
                    elif verb == "AUTH":
                        _, user, password = base64.b64decode(cmd.split()[2]).decode().split("\0")
                        receiver.logins.append((user, password, secure))
                        self.reply("235 accepted")
                    elif verb == "HELO":
                        self.reply("250 localhost")
                    elif verb == "MAIL":
                        receiver.transactions += 1
                        if receiver.fail_with and receiver.transactions <= receiver.fail_times:
                            self.reply(receiver.fail_with)
                            continue
                        sender, rcpts = cmd.split(":", 1)[1].strip().strip("<>").split(">")[0], []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        rcpts.append(cmd.split(":", 1)[1].strip().strip("<>"))
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 end with .")
                        lines = []
                        while True:
                            line = self.rfile.readline()
                            if line in (b".\r\n", b".\n", b""):
                                break
                            lines.append(line[1:] if line.startswith(b"..") else line)
                        receiver.messages.append((sender, rcpts, message_from_bytes(b"".join(lines), policy=policy.default)))
                        self.reply("250 queued")
                    elif verb in ("RSET", "NOOP"):
                        self.reply("250 OK")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("502 not implemented")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> "SmtpReceiver":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
