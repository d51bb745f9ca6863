"""Shared fixtures."""

import pytest


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path, monkeypatch):
    """Every test runs in its own directory, so the default history file lands there."""
    monkeypatch.chdir(tmp_path)
