"""A bad setting or an unusable database ends `hookline serve` (`api`, `worker`) with a
short message that names what is wrong and what would do: the real command in a
subprocess, its stderr read as a person would."""

from __future__ import annotations

import asyncio
import struct
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from support.databases import ADMIN_URL
from support.process import free_port, hookline_env, run

MAX_LINES = 3


def _failed(result: subprocess.CompletedProcess[str]) -> str:
    """The stderr of a command that had to stop: short, no traceback, exit ≠ 0."""
    err = result.stderr.strip()
    assert result.returncode not in (0, None), result
    assert "Traceback" not in err and "╭" not in err, err
    assert 1 <= len(err.splitlines()) <= MAX_LINES, err
    return err


def _hookline(args: list[str], cwd: Path, db: str | None = None, **env: str):
    return run(args, hookline_env(db or f"sqlite:///{cwd / 'hookline.db'}", **env), cwd)


@pytest.mark.parametrize(
    ("command", "variable", "value", "expected"),
    [
        ("serve", "HOOKLINE_PORT", "notaport", "expected a whole number"),
        ("api", "HOOKLINE_PORT", "70000", "expected at most 65535"),
        ("serve", "HOOKLINE_RETRY_SCHEDULE", "5x", "use e.g. 5s, 5m, 2h"),
        ("worker", "HOOKLINE_LOG_FORMAT", "xml", "expected one of 'text' or 'json'"),
        ("serve", "HOOKLINE_LOG_LEVEL", "loud", "expected one of DEBUG, INFO"),
        ("api", "HOOKLINE_ALLOW_HTTP", "maybe", "expected true or false"),
        ("serve", "HOOKLINE_API_RATE_LIMIT", "-5", "expected at least 0"),
        ("worker", "HOOKLINE_WORKER_CONCURRENCY", "lots", "expected a whole number"),
        ("serve", "HOOKLINE_DISABLE_AFTER", "forever", "use e.g. 30s, 5m, 12h, 5d"),
        ("worker", "HOOKLINE_METRICS_PORT", "9x", "expected a whole number"),
    ],
)
def test_a_bad_setting_names_the_variable_value_and_what_would_do(
    tmp_path, command, variable, value, expected
):
    err = _failed(_hookline([command], tmp_path, **{variable: value}))
    assert f"{variable}={value!r}" in err, err
    assert expected in err, err
    assert not (tmp_path / "hookline.db").exists()  # stopped before touching anything


def test_a_bad_flag_is_named_as_the_flag(tmp_path):
    result = _hookline(["serve", "--port", "eighty", "--log-format", "yaml"], tmp_path)
    err = _failed(result)
    assert result.returncode == 2
    assert "--port 'eighty': expected a whole number" in err
    assert "--log-format 'yaml': expected one of 'text' or 'json'" in err
    assert len(err.splitlines()) == 2  # one line per bad setting


def test_secrets_are_never_echoed(tmp_path):
    err = _failed(_hookline(["serve"], tmp_path, HOOKLINE_ADMIN_KEY="hunter2-is-my-key"))
    assert "HOOKLINE_ADMIN_KEY=(hidden): expected at least 24 characters" in err
    assert "hunter2" not in err


def test_an_unknown_database_scheme(tmp_path):
    err = _failed(_hookline(["serve"], tmp_path, "mysql://app:s3cret@db.internal/hookline"))
    assert "HOOKLINE_DATABASE_URL='mysql://app:***@db.internal/hookline'" in err
    assert "SQLite or PostgreSQL" in err
    assert "postgresql://user:password@host:5432/database" in err
    assert "s3cret" not in err


def _pg(**parts: str | int) -> str:
    """The test PostgreSQL's URL with some of its parts replaced."""
    url = urlsplit(ADMIN_URL)
    user = parts.get("user", url.username or "postgres")
    password = parts.get("password")
    auth = f"{user}:{password}" if password else f"{user}"
    host = parts.get("host", url.hostname or "127.0.0.1")
    port = parts.get("port", url.port or 5432)
    database = parts.get("database", url.path.lstrip("/"))
    return f"postgresql://{auth}@{host}:{port}/{database}"


def test_no_such_postgresql_database(tmp_path):
    url = _pg(database="hookline_nobody_made_this")
    for command in ("serve", "worker"):
        err = _failed(_hookline([command], tmp_path, url))
        assert "no database 'hookline_nobody_made_this'" in err, err
        assert "createdb -h" in err and "hookline_nobody_made_this" in err


def test_nothing_listening_on_the_port(tmp_path):
    port = free_port()
    err = _failed(_hookline(["api"], tmp_path, _pg(port=port)))
    assert f"127.0.0.1:{port} (connection refused)" in err
    assert "start PostgreSQL there" in err


def test_an_unknown_role(tmp_path):
    err = _failed(_hookline(["serve"], tmp_path, _pg(user="hookline_no_such_role")))
    assert "refused user 'hookline_no_such_role'" in err, err
    assert 'role "hookline_no_such_role" does not exist' in err


def test_a_sqlite_file_that_cannot_be_made(tmp_path):
    (tmp_path / "not-a-folder").write_text("")
    err = _failed(_hookline(["serve"], tmp_path, f"sqlite:///{tmp_path}/not-a-folder/h.db"))
    assert "Cannot open the SQLite database" in err
    assert "not-a-folder/h.db" in err


# -- a bad password ------------------------------------------------------------------
# The machine's PostgreSQL trusts every local connection (pg_hba.conf: trust), so it
# never asks for a password and cannot refuse one. This stand-in speaks the first
# messages of PostgreSQL's protocol and refuses the password as a server configured
# for password authentication does (SQLSTATE 28P01).


def _message(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!I", len(body) + 4) + body


REFUSAL = _message(
    b"E",
    b'SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user "hookline"\0\0',
)


async def _refuse_passwords(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        for _ in range(3):  # an SSL request (answered "no"), then the startup message
            (length,) = struct.unpack("!I", await reader.readexactly(4))
            body = await reader.readexactly(length - 4)
            if body[:4] == struct.pack("!I", 80877103):  # SSLRequest
                writer.write(b"N")
                continue
            writer.write(_message(b"R", struct.pack("!I", 3)))  # send me the password
            await writer.drain()
            await reader.readexactly(1)  # 'p'
            (length,) = struct.unpack("!I", await reader.readexactly(4))
            await reader.readexactly(length - 4)
            writer.write(REFUSAL)
            await writer.drain()
            break
    except asyncio.IncompleteReadError:
        pass
    finally:
        writer.close()


@pytest.fixture
async def password_refusing_postgres() -> AsyncIterator[int]:
    server = await asyncio.start_server(_refuse_passwords, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


async def test_a_wrong_password(tmp_path, password_refusing_postgres):
    url = _pg(user="hookline", password="wrong-password", port=password_refusing_postgres)
    result = await asyncio.to_thread(_hookline, ["serve"], tmp_path, url)
    err = _failed(result)
    assert "refused the password of user 'hookline'" in err, err
    assert "correct it in HOOKLINE_DATABASE_URL" in err
    assert "wrong-password" not in err
