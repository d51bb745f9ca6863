"""The plugin catalog's own check, `claude plugin validate --strict --profile directory .`,
passes on the checkout with no error and no warning."""

from __future__ import annotations

import json
import struct
import subprocess
from pathlib import Path

from harness import REPO, claude_bin, private_env

TIMEOUT = 120


def validate(home: Path, *args: str) -> subprocess.CompletedProcess:
    home.mkdir(exist_ok=True)
    return subprocess.run(
        [claude_bin(), "plugin", "validate", "--strict", "--profile", "directory", *args, "."],
        cwd=REPO, env=private_env(home), stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=TIMEOUT,
    )


def complaints(report: object, where: str = "") -> list[str]:
    """Every non-empty errors/warnings/findings/undecided list anywhere in the JSON report."""
    found = []
    if isinstance(report, dict):
        for key, value in report.items():
            if key in ("errors", "warnings", "findings", "undecided") and value:
                found += [f"{where}{key}: {json.dumps(item)}" for item in value]
            else:
                found += complaints(value, f"{where}{key}.")
    elif isinstance(report, list):
        for i, item in enumerate(report):
            found += complaints(item, f"{where}{i}.")
    return found


def test_catalog_validation_passes_strictly(tmp_path):
    proc = validate(tmp_path / "home")
    assert proc.returncode == 0, f"claude plugin validate failed:\n{proc.stdout}\n{proc.stderr}"
    assert "Validation passed" in proc.stdout


def test_catalog_validation_reports_no_error_or_warning_anywhere(tmp_path):
    proc = validate(tmp_path / "home", "--json")
    report = json.loads(proc.stdout)
    assert report["success"] is True
    assert complaints(report) == []
    assert report["directory"]["failure"] is None


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def test_icon_is_a_square_png_the_catalog_accepts():
    manifest = json.loads((REPO / ".claude-plugin" / "plugin.json").read_text())
    icon = REPO / manifest["icon"]
    assert icon.is_file(), f"plugin.json names a missing icon: {manifest['icon']}"
    width, height = png_size(icon)
    assert width == height and 512 <= width <= 2048, f"icon is {width}x{height}"
    assert icon.stat().st_size < 2 * 1024 * 1024

