"""`pip install hookline` (no extra) in a fresh virtual environment gives publishers
and receivers the client and the verifier with httpx as the only third-party
dependency: the server is not installed there, publishing to a real Hookline and
verifying a real delivery work, and the `hookline` command says what to install.

The wheel is built from this checkout without network (hatchling is a dev
dependency); installing it fetches httpx and its own dependencies from the index.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from support.process import Proc, free_port, hookline_env, wait_ready

ROOT = Path(__file__).resolve().parents[1]
ADMIN = "operator-chosen-admin-key-0123456789"

# Run by the fresh environment's Python: a receiver (standard library) that verifies
# with hookline.verify, and a publisher with hookline.client, against the server.
PUBLISH_AND_VERIFY = r"""
import importlib.metadata as md, importlib.util, json, re, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from hookline.client import AsyncClient, Client
from hookline.verify import Webhook

url, key = sys.argv[1], sys.argv[2]
received = []

class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        received.append((body, dict(self.headers)))
        self.send_response(200); self.send_header("content-length", "0"); self.end_headers()
    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=server.serve_forever, daemon=True).start()
hook = f"http://127.0.0.1:{server.server_address[1]}/hooks"

with Client(url, api_key=key) as hl:
    hl.event_types.create(name="invoice.paid")
    tenant = hl.tenants.create(name="Acme", uid="acme")
    endpoint = hl.endpoints.create(tenant="acme", url=hook, events=["invoice.*"])
    message = hl.messages.publish(tenant="acme", event_type="invoice.paid", payload={"n": 42})

deadline = time.monotonic() + 30
while not received and time.monotonic() < deadline:
    time.sleep(0.05)
body, headers = received[0]
verified = Webhook(endpoint.secret).verify(body, headers)

def closure(name, seen):
    key = re.sub(r"[-_.]+", "-", name).lower()
    if key in seen:
        return seen
    try:
        requires = md.requires(name) or []
    except md.PackageNotFoundError:  # needed on other Pythons only (a marker)
        return seen
    seen.add(key)
    for req in requires:
        if "extra ==" not in req:
            closure(re.split(r"[ ;<>=!~\[(]", req, maxsplit=1)[0], seen)
    return seen

installed = {re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower() for d in md.distributions()}
print(json.dumps({
    "message_id": message.id,
    "deliveries": message.deliveries,
    "verified": verified,
    "webhook_id": headers.get("webhook-id") or headers.get("Webhook-Id"),
    "async_client": AsyncClient.__name__,
    "server_modules": [m for m in ("fastapi", "sqlalchemy", "pydantic", "uvicorn", "typer")
                       if importlib.util.find_spec(m) is not None],
    "requires": md.requires("hookline"),
    "beyond_httpx": sorted(installed - closure("httpx", set()) - {"hookline", "pip", "setuptools"}),
}))
"""


@pytest.fixture(scope="module")
def client_only(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A fresh venv holding `pip install <hookline wheel>`: (its bin folder, the wheel)."""
    where = tmp_path_factory.mktemp("client-only")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "--quiet", "-w", str(where / "dist"), str(ROOT)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = (where / "dist").glob("hookline-*.whl")
    venv.EnvBuilder(with_pip=True).create(where / "venv")
    bin_dir = where / "venv" / "bin"
    installed = subprocess.run(
        [bin_dir / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         str(wheel)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    return bin_dir, wheel


def test_the_wheel_says_its_code_is_typed(client_only):
    """PEP 561: without `py.typed` a publisher's mypy treats the whole client as untyped."""
    _, wheel = client_only
    with zipfile.ZipFile(wheel) as built:
        assert "hookline/py.typed" in built.namelist()


def _clean_env() -> dict[str, str]:
    # Nothing of the test's own environment leaks in (PYTHONPATH would add the checkout).
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


async def test_publish_and_verify_with_only_the_client_installed(client_only, tmp_path):
    bin_dir, _ = client_only
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = hookline_env(f"sqlite:///{tmp_path}/hookline.db", HOOKLINE_ADMIN_KEY=ADMIN)
    server = Proc(["serve", "--dev", "--port", str(port)], env, tmp_path / "serve.log", tmp_path)
    try:
        await wait_ready(base, server)
        done = await asyncio.to_thread(  # the server's process answers meanwhile
            subprocess.run,
            [bin_dir / "python", "-c", PUBLISH_AND_VERIFY, base, ADMIN],
            capture_output=True, text=True, timeout=90, cwd=tmp_path, env=_clean_env(),
        )  # fmt: skip
    finally:
        assert server.terminate() == 0, server.output()
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["server_modules"] == []  # fastapi, sqlalchemy… are not even importable
    assert got["requires"] and [r for r in got["requires"] if "extra ==" not in r] == [
        "httpx>=0.27"
    ]
    assert got["beyond_httpx"] == []  # nothing installed but httpx and what it needs
    assert got["deliveries"] == 1
    assert got["webhook_id"] == got["message_id"]
    assert got["verified"]["data"] == {"n": 42}
    assert got["verified"]["type"] == "invoice.paid"


def test_the_command_says_what_to_install_for_the_server(client_only, tmp_path):
    bin_dir, wheel = client_only
    done = subprocess.run(
        [bin_dir / "hookline", "serve"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path, env=_clean_env(),
    )  # fmt: skip
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 3, done.stderr
    assert "the server is not installed" in lines[0]
    # The same wheel, with the server extra: pip recorded where it came from.
    assert lines[-1].endswith(f"pip install '{wheel}[server]'"), done.stderr
