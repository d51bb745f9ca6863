"""A scripted stand-in for the Anthropic Messages API, for driving the real Claude Code CLI offline.

The server listens on 127.0.0.1 and answers ``POST /v1/messages`` (streaming SSE and plain JSON)
by playing a script of assistant turns, in order. A turn is a list of content blocks: text, or
tool calls (``Bash``, ``Write``, ``Edit``, ``Read``, ``Agent``, ``Skill``, ...). Every request is
recorded, so a test can assert on exactly what the CLI sent: the expanded slash-command text, each
``tool_result``, hook messages, a subagent's system prompt and tool list.

A turn is either a fixed list of blocks or a function of the request it answers, for a model
that must read what the CLI sent (an expanded command, a tool result) before it acts.

Only requests that offer tools belong to the scripted conversation. The CLI also sends side
queries without tools (session titles, topic detection, ...) and token counts; those get a
harmless answer and do not consume a turn. A subagent's requests (the CLI marks them
``cc_is_subagent=true`` in the system prompt) take their turns from ``subagent_turns`` when that
script is given, so a subagent running beside the main loop cannot take the main loop's turns.
When a script runs out, the model says so in plain text and ends its turn, so a run never loops.

The server is also the CLI's HTTP(S) proxy in the tests: a request that tries to leave loopback
arrives as ``CONNECT`` or with an absolute URL, is recorded (``off_loopback``) and refused.

Example::

    api = ScriptedAPI([
        [tool("Bash", command="mlmon drift a.csv b.csv")],
        [text("done")],
    ])
    with api:
        ...  # run claude with ANTHROPIC_BASE_URL=api.base_url
    api.tool_results()  # what the Bash call returned
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Union

MODEL = "claude-sonnet-4-5"
Turn = Union[list[dict], Callable[["Request"], list[dict]]]
SCRIPT_EXHAUSTED = "(end of script)"
SIDE_ANSWER = "ok"


def text(body: str) -> dict:
    """An assistant text block."""
    return {"type": "text", "text": body}


_tool_ids = itertools.count(1)


def tool(name: str, **tool_input: Any) -> dict:
    """An assistant tool call, e.g. ``tool("Bash", command="ls")``."""
    return {"type": "tool_use", "id": f"toolu_scripted_{next(_tool_ids):04d}", "name": name, "input": tool_input}


@dataclass
class Request:
    """One HTTP request the CLI made, with the turn it consumed (None for side queries)."""

    method: str
    path: str
    headers: dict
    body: Any
    turn: int | None = None
    script: str | None = None

    @property
    def is_subagent(self) -> bool:
        return "cc_is_subagent=true" in self.system_text

    @property
    def is_messages(self) -> bool:
        return self.method == "POST" and self.path.split("?")[0] == "/v1/messages"

    @property
    def tool_names(self) -> list[str]:
        return [t.get("name") for t in (self.body or {}).get("tools") or []]

    @property
    def system_text(self) -> str:
        system = (self.body or {}).get("system") or ""
        if isinstance(system, str):
            return system
        return "\n".join(b.get("text", "") for b in system if isinstance(b, dict))

    @property
    def messages(self) -> list[dict]:
        return (self.body or {}).get("messages") or []


@dataclass
class ScriptedAPI:
    """Plays ``turns`` to the CLI; see the module docstring."""

    turns: list[Turn]
    subagent_turns: list[Turn] | None = None
    requests: list[Request] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # turns that raised (a failed check inside one)
    # Answer POST /v1/messages/count_tokens (with a made-up count)? When it is refused the CLI
    # falls back to its own offline estimate, which is what a token-cost measurement wants.
    count_tokens: bool = True

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._next_turn = {"main": 0, "subagent": 0}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> "ScriptedAPI":
        api = self

        class Handler(_Handler):
            scripted = api

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "ScriptedAPI":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "server not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- what the CLI sent -----------------------------------------------------------------

    @property
    def scripted_requests(self) -> list[Request]:
        """The requests that consumed a turn (main loop and subagents), in arrival order."""
        return [r for r in self.requests if r.turn is not None]

    @property
    def main_requests(self) -> list[Request]:
        """The main loop's requests: main_requests[i] was answered with turns[i]."""
        return [r for r in self.scripted_requests if r.script == "main"]

    @property
    def subagent_requests(self) -> list[Request]:
        return [r for r in self.scripted_requests if r.is_subagent]

    @property
    def turns_played(self) -> int:
        return sum(self._next_turn.values())

    @property
    def off_loopback(self) -> list[Request]:
        """Requests that tried to leave the machine through us as a proxy (CONNECT, absolute URLs)."""
        return [r for r in self.requests if r.method == "CONNECT" or not r.path.startswith("/")]

    def sent_texts(self) -> list[str]:
        """Every text block the CLI put in the main conversation on the user's side (the prompt,
        expanded commands, skill bodies, hook and system notes), in order, from its last request."""
        main = self.main_requests
        return _sent_texts(main[-1].messages) if main else []

    def tool_results(self, request: Request | None = None) -> dict[str, str]:
        """tool_use id -> the tool_result content as text, from all scripted requests."""
        found: dict[str, str] = {}
        for r in [request] if request else self.scripted_requests:
            for msg in r.messages:
                for block in _blocks(msg):
                    if block.get("type") == "tool_result":
                        found[block["tool_use_id"]] = _content_text(block.get("content"))
        return found

    def result_of(self, call: dict) -> str:
        """The tool_result the CLI sent back for a scripted ``tool(...)`` block."""
        results = self.tool_results()
        assert call["id"] in results, (
            f"no tool_result for {call['name']} call {call['id']}; the CLI sent:\n{self.transcript()}"
        )
        return results[call["id"]]

    def transcript(self) -> str:
        """A readable dump of the scripted requests, for assertion messages."""
        out = []
        for r in self.scripted_requests:
            out.append(f"--- request for turn {r.turn} (tools: {len(r.tool_names)})")
            last = r.messages[-1] if r.messages else {}
            for block in _blocks(last):
                if block.get("type") == "text":
                    out.append(f"[{last.get('role')}] {block['text'][:2000]}")
                elif block.get("type") == "tool_result":
                    out.append(f"[tool_result {block['tool_use_id']}] {_content_text(block.get('content'))[:2000]}")
        return "\n".join(out)

    # -- answering -------------------------------------------------------------------------

    def _answer(self, req: Request) -> dict:
        """The assistant message for a /v1/messages request (recording which turn it took)."""
        with self._lock:
            self.requests.append(req)
            if not req.body or not req.body.get("tools"):
                return _message([text(SIDE_ANSWER)])
            script, key = self.turns, "main"
            if self.subagent_turns is not None and req.is_subagent:
                script, key = self.subagent_turns, "subagent"
            req.script, req.turn = key, self._next_turn[key]
            self._next_turn[key] += 1
        if req.turn >= len(script):
            return _message([text(SCRIPT_EXHAUSTED)])
        turn = script[req.turn]
        if not callable(turn):
            return _message(turn)
        try:
            return _message(turn(req))
        except Exception as exc:  # runs in the server thread: hand it to the test, end the run
            self.errors.append(f"{key} turn {req.turn}: {type(exc).__name__}: {exc}")
            return _message([text(SCRIPT_EXHAUSTED)])

    def _record(self, req: Request) -> None:
        with self._lock:
            self.requests.append(req)


def _blocks(message: dict) -> list[dict]:
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content or [] if isinstance(b, dict)]


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(b.get("text", "") for b in content or [] if isinstance(b, dict))


def _sent_texts(messages: list[dict]) -> list[str]:
    return [b["text"] for m in messages if m.get("role") != "assistant" for b in _blocks(m) if b.get("type") == "text"]


_message_ids = itertools.count(1)


def _message(content: list[dict]) -> dict:
    stop = "tool_use" if any(b["type"] == "tool_use" for b in content) else "end_turn"
    return {
        "id": f"msg_scripted_{next(_message_ids):04d}",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 10, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
    }


def _sse(message: dict) -> bytes:
    """The message as the Messages API streams it: every event has its ``event:`` line, text
    arrives as ``text_delta`` and tool input as ``input_json_delta.partial_json``."""
    events: list[tuple[str, dict]] = []
    head = dict(message, content=[], stop_reason=None)
    events.append(("message_start", {"type": "message_start", "message": head}))
    for i, block in enumerate(message["content"]):
        if block["type"] == "text":
            start, delta = dict(block, text=""), {"type": "text_delta", "text": block["text"]}
        else:
            start = dict(block, input={})
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        events.append(("content_block_start", {"type": "content_block_start", "index": i, "content_block": start}))
        events.append(("content_block_delta", {"type": "content_block_delta", "index": i, "delta": delta}))
        events.append(("content_block_stop", {"type": "content_block_stop", "index": i}))
    events.append((
        "message_delta",
        {"type": "message_delta", "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
         "usage": {"output_tokens": message["usage"]["output_tokens"]}},
    ))
    events.append(("message_stop", {"type": "message_stop"}))
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events).encode()


class _Handler(BaseHTTPRequestHandler):
    scripted: ScriptedAPI
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def _request(self) -> Request:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        return Request(self.command, self.path, dict(self.headers.items()), body)

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("request-id", "req_scripted")
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:
        req = self._request()
        path = req.path.split("?")[0]
        if path == "/v1/messages":
            message = self.scripted._answer(req)
            if isinstance(req.body, dict) and req.body.get("stream"):
                self._send(200, _sse(message), "text/event-stream")
            else:
                self._send(200, json.dumps(message).encode(), "application/json")
            return
        self.scripted._record(req)
        if path == "/v1/messages/count_tokens" and self.scripted.count_tokens:
            self._send(200, json.dumps({"input_tokens": 100}).encode(), "application/json")
        else:
            self._send(404, b'{"type":"error","error":{"type":"not_found_error","message":"not scripted"}}',
                       "application/json")

    def do_CONNECT(self) -> None:
        # We are also the HTTP(S) proxy of the CLI under test: anything that tries to reach
        # past loopback arrives here, is recorded, and is refused.
        self.scripted._record(Request(self.command, self.path, dict(self.headers.items()), None))
        self._send(403, b"", "text/plain")

    def do_GET(self) -> None:
        self.scripted._record(self._request())
        self._send(404, b'{"type":"error","error":{"type":"not_found_error","message":"not scripted"}}',
                   "application/json")

    do_HEAD = do_GET
