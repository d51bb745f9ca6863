"""Installing from the repository's own marketplace, as a user would, in a private HOME:
`claude plugin marketplace add <checkout>`, `claude plugin install ml-monitoring@<marketplace>`,
then `claude plugin details` lists every command, agent and hook and keeps the always-on cost
(what every session pays for the plugin's descriptions) small."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from harness import REPO, claude_bin, private_env
from plugin_parts import agent_names, command_names, hook_events, skill_names
from scripted_api import ScriptedAPI

TIMEOUT = 120
ALWAYS_ON_BUDGET = 300  # tokens; the README quotes the measured figure


def marketplace_name() -> str:
    return json.loads((REPO / ".claude-plugin" / "marketplace.json").read_text())["name"]


def plugin_name() -> str:
    return json.loads((REPO / ".claude-plugin" / "plugin.json").read_text())["name"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> str:
    """`claude plugin details` output after a marketplace install into a fresh HOME."""
    home = tmp_path_factory.mktemp("home")
    plugin = f"{plugin_name()}@{marketplace_name()}"
    # Nothing may leave loopback: the API and proxy are ours. Token counting is refused so that
    # `details` reports the CLI's own estimate rather than a number this server made up.
    with ScriptedAPI([], count_tokens=False) as api:
        env = private_env(home, api.base_url)

        def claude(*args: str) -> subprocess.CompletedProcess:
            proc = subprocess.run([claude_bin(), "plugin", *args], cwd=home, env=env, stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True, timeout=TIMEOUT)
            assert proc.returncode == 0, f"claude plugin {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
            return proc

        claude("marketplace", "add", str(REPO))
        claude("install", plugin)
        listed = json.loads(claude("list", "--json").stdout)
        details = claude("details", plugin).stdout
    assert not api.off_loopback, [r.path for r in api.off_loopback]
    assert any(p.get("id") == plugin and p.get("enabled", True) for p in listed), listed
    return details


def inventory(details: str, kind: str) -> list[str]:
    """Names after `Skills (2)  a, b` in the Component inventory (hooks: event names)."""
    found = re.search(rf"^\s*{kind} \((\d+)\)(.*)$", details, re.M)
    assert found, f"no {kind} line in:\n{details}"
    listed = found.group(2).split("(")[0]
    return [name.strip() for name in re.split(r"[,\s]+", listed) if name.strip()]


def always_on_tokens(details: str) -> int:
    found = re.search(r"Always-on:\s*(?:~|<\s*)(\d+)\s*tok", details)
    assert found, f"no always-on cost in:\n{details}"
    return int(found.group(1))


@pytest.mark.plugin_component("marketplace")
def test_details_list_every_command_and_skill(installed):
    # Claude Code lists commands among the skills
    assert sorted(inventory(installed, "Skills")) == sorted(command_names() + skill_names()), installed


@pytest.mark.plugin_component("marketplace")
def test_details_list_every_agent(installed):
    assert sorted(inventory(installed, "Agents")) == sorted(agent_names()), installed


@pytest.mark.plugin_component("marketplace")
def test_details_list_every_hook_event(installed):
    assert sorted(set(inventory(installed, "Hooks"))) == sorted(hook_events()), installed


@pytest.mark.plugin_component("marketplace")
def test_always_on_token_cost_stays_under_budget(installed, record_property):
    tokens = always_on_tokens(installed)
    record_property("always_on_tokens", tokens)
    print(f"projected always-on cost: ~{tokens} tokens")
    assert tokens < ALWAYS_ON_BUDGET, installed


def test_the_cli_under_test_is_the_pinned_version(tmp_path):
    pinned = (REPO / "scripts" / "claude-code-version").read_text().strip()
    proc = subprocess.run([claude_bin(), "--version"], capture_output=True, text=True, timeout=TIMEOUT,
                          env=private_env(tmp_path), stdin=subprocess.DEVNULL)
    assert proc.stdout.split()[0] == pinned, f"testing Claude Code {proc.stdout.strip()}, pinned {pinned}"
