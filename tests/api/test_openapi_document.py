"""docs/openapi.json is the API's document as served, and `hookline openapi` writes it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hookline.cli_openapi import render_openapi
from support.process import hookline_env, run

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
REGENERATE = "hookline openapi --output docs/openapi.json"


def test_docs_openapi_json_is_up_to_date():
    if not DOCUMENT.exists():
        pytest.fail(f"docs/openapi.json is missing; generate it with `{REGENERATE}`")
    if DOCUMENT.read_text() != render_openapi():
        pytest.fail(
            f"docs/openapi.json is out of date with the API; regenerate it with `{REGENERATE}` "
            "and commit the result"
        )


async def test_it_is_the_document_the_server_serves(hookline):
    served = await hookline.call("GET", "/openapi.json", 200)
    assert served == json.loads(render_openapi())
    assert "/v1/tenants/{tenant}/messages" in served["paths"]


def test_the_command_writes_and_checks_it(tmp_path):
    env = hookline_env("sqlite:///unused.db")
    out = tmp_path / "api" / "openapi.json"
    written = run(["openapi", "--output", str(out)], env, tmp_path)
    assert written.returncode == 0, written.stderr
    assert out.read_text() == render_openapi()
    assert not (tmp_path / "hookline-data").exists()  # built without a database

    out.write_text(out.read_text().replace("Hookline", "Hooklime"))
    stale = run(["openapi", "--output", str(out), "--check"], env, tmp_path)
    assert stale.returncode == 1
    assert "hookline openapi" in stale.stderr
