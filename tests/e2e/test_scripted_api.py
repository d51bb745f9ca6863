"""The scripted Messages API itself, spoken to directly over HTTP (no CLI): what the end-to-end
cases rely on when they read what Claude Code sent."""

from __future__ import annotations

import http.client
import json

import pytest

from scripted_api import SCRIPT_EXHAUSTED, SIDE_ANSWER, ScriptedAPI, text, tool

TOOLS = [{"name": "Bash", "input_schema": {"type": "object"}}]


def post(api: ScriptedAPI, body: dict, path: str = "/v1/messages?beta=true") -> tuple[int, str, bytes]:
    conn = http.client.HTTPConnection(api.base_url.removeprefix("http://"), timeout=10)
    try:
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    finally:
        conn.close()


def sse_events(raw: bytes) -> list[tuple[str, dict]]:
    events = []
    for chunk in raw.decode().strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in chunk.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def rebuild(events: list[tuple[str, dict]]) -> list[dict]:
    """Content blocks as a streaming client assembles them from the deltas."""
    blocks: list[dict] = []
    for name, data in events:
        if name == "content_block_start":
            blocks.append(dict(data["content_block"], _json=""))
        elif name == "content_block_delta":
            delta = data["delta"]
            if delta["type"] == "text_delta":
                blocks[data["index"]]["text"] += delta["text"]
            else:
                blocks[data["index"]]["_json"] += delta["partial_json"]
    for block in blocks:
        raw = block.pop("_json")
        if block["type"] == "tool_use":
            block["input"] = json.loads(raw)
    return blocks


def test_turns_play_in_order_as_plain_json():
    call = tool("Bash", command="mlmon drift 'a b.csv' c.csv")
    with ScriptedAPI([[call], [text("done")]]) as api:
        first = json.loads(post(api, {"messages": [], "tools": TOOLS})[2])
        second = json.loads(post(api, {"messages": [], "tools": TOOLS})[2])
    assert first["content"] == [call] and first["stop_reason"] == "tool_use"
    assert second["content"] == [text("done")] and second["stop_reason"] == "end_turn"
    assert [r.turn for r in api.main_requests] == [0, 1]


def test_streaming_answer_has_event_lines_and_rebuilds_to_the_turn():
    call = tool("Write", file_path="/x/monitoring.yaml", content="a: 1\n")
    with ScriptedAPI([[text("Writing it."), call]]) as api:
        status, content_type, raw = post(api, {"messages": [], "tools": TOOLS, "stream": True})
    events = sse_events(raw)
    assert status == 200 and content_type == "text/event-stream"
    assert events[0][0] == "message_start" and events[-1][0] == "message_stop"
    assert ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                              "usage": {"output_tokens": 10}}) in events
    assert rebuild(events) == [text("Writing it."), call]


def test_side_queries_and_token_counts_do_not_consume_a_turn():
    with ScriptedAPI([[text("scripted")]]) as api:
        side = json.loads(post(api, {"messages": [{"role": "user", "content": "title?"}]})[2])
        count = json.loads(post(api, {"messages": []}, "/v1/messages/count_tokens?beta=true")[2])
        main = json.loads(post(api, {"messages": [], "tools": TOOLS})[2])
    assert side["content"] == [text(SIDE_ANSWER)]
    assert count == {"input_tokens": 100}
    assert main["content"] == [text("scripted")]
    assert len(api.requests) == 3 and api.turns_played == 1


def test_token_counting_can_be_refused():
    with ScriptedAPI([], count_tokens=False) as api:
        status = post(api, {"messages": []}, "/v1/messages/count_tokens?beta=true")[0]
    assert status == 404


def test_subagent_requests_take_their_own_script():
    subagent = {"messages": [], "tools": TOOLS, "system": [{"type": "text", "text": "cc_is_subagent=true;"}]}
    with ScriptedAPI([[text("main")]], subagent_turns=[[text("sub")]]) as api:
        sub = json.loads(post(api, subagent)[2])
        main = json.loads(post(api, {"messages": [], "tools": TOOLS})[2])
    assert (sub["content"], main["content"]) == ([text("sub")], [text("main")])
    assert len(api.subagent_requests) == 1 and len(api.main_requests) == 1


def test_a_turn_can_read_the_request_it_answers():
    def echo(request):
        return [text(request.messages[-1]["content"])]

    with ScriptedAPI([echo]) as api:
        answer = json.loads(post(api, {"messages": [{"role": "user", "content": "hi"}], "tools": TOOLS})[2])
    assert answer["content"] == [text("hi")]


def test_a_turn_that_raises_is_reported_and_ends_the_run():
    def broken(request):
        raise AssertionError("no invocation shown")

    with ScriptedAPI([broken]) as api:
        answer = json.loads(post(api, {"messages": [], "tools": TOOLS})[2])
    assert answer["stop_reason"] == "end_turn"
    assert api.errors == ["main turn 0: AssertionError: no invocation shown"]


def test_after_the_script_the_model_ends_its_turn():
    with ScriptedAPI([]) as api:
        answer = json.loads(post(api, {"messages": [], "tools": TOOLS})[2])
    assert answer["content"] == [text(SCRIPT_EXHAUSTED)] and answer["stop_reason"] == "end_turn"


def test_tool_results_are_found_by_the_call_they_answer():
    call = tool("Bash", command="ls")
    result = {"type": "tool_result", "tool_use_id": call["id"], "content": [{"type": "text", "text": "a.csv"}]}
    with ScriptedAPI([[call], [text("ok")]]) as api:
        post(api, {"messages": [{"role": "user", "content": "list"}], "tools": TOOLS})
        post(api, {"messages": [{"role": "user", "content": "list"}, {"role": "assistant", "content": [call]},
                                {"role": "user", "content": [result]}], "tools": TOOLS})
    assert api.result_of(call) == "a.csv"
    assert api.sent_texts() == ["list"]


def test_proxy_attempts_to_leave_loopback_are_recorded_and_refused():
    with ScriptedAPI([]) as api:
        conn = http.client.HTTPConnection(api.base_url.removeprefix("http://"), timeout=10)
        conn.request("CONNECT", "api.example.com:443")
        status = conn.getresponse().status
        conn.close()
    assert status == 403
    assert [r.path for r in api.off_loopback] == ["api.example.com:443"]


def test_server_is_gone_after_the_with_block():
    with ScriptedAPI([]) as api:
        address = api.base_url.removeprefix("http://")
    with pytest.raises(OSError):
        conn = http.client.HTTPConnection(address, timeout=2)
        conn.request("POST", "/v1/messages", "{}")
        conn.getresponse()


def test_a_subagent_of_the_real_cli_plays_its_own_script(claude):
    # How an agent case reads the subagent's system prompt and tools: the CLI's built-in agent
    # stands in here, so the harness is known to work before the plugin ships an agent of its own.
    launch = tool("Agent", subagent_type="general-purpose", description="Count rows",
                  prompt="How many rows has reference.csv?", run_in_background=False)
    count = tool("Bash", command="printf 'a\\n1\\n2\\n' | wc -l")
    run = claude("Count the rows.", [[launch], [text("Main done.")]],
                 subagent_turns=[[count], [text("3 lines.")]])

    assert run.returncode == 0, run.explain()
    sub = run.api.subagent_requests
    assert len(sub) == 2 and "How many rows has reference.csv?" in json.dumps(sub[0].messages)
    assert "Bash" in sub[0].tool_names and sub[0].system_text != run.api.main_requests[0].system_text
    assert run.api.result_of(count).strip() == "3"
    assert "3 lines." in run.api.result_of(launch)
    assert run.result.get("result") == "Main done."
