"""The `hookline` command's entry point: it runs the server's command line
(`hookline.cli`) when the server is installed, and otherwise says what to install.

`pip install hookline` installs this command too (a distribution's commands cannot
depend on an extra), but only the client and the verifier, with httpx alone; the
server's command line needs `hookline[server]`. Without it, a person typing `hookline`
gets three lines on what is missing and the command that installs it (from wherever
this copy of Hookline came, as pip recorded it), not an ImportError traceback.
"""

from __future__ import annotations

import json
import sys
from importlib import metadata
from urllib.parse import unquote, urlparse

SERVER_EXTRA = "server"


def main() -> None:
    try:
        from hookline.cli import main as run
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").split(".")[0]
        if not missing or missing == "hookline":  # Hookline itself is broken: show it all
            raise
        sys.stderr.write(
            f"hookline: the server is not installed here ({missing} is missing).\n"
            "This installation has the client and the verifier only "
            "(hookline.client, hookline.verify).\n"
            f"To run Hookline, install it with its server extra: {install_command()}\n"
        )
        raise SystemExit(1) from None
    run()


def install_command() -> str:
    """`pip install` of this same Hookline with the server extra."""
    plain = f"pip install 'hookline[{SERVER_EXTRA}]'"
    try:
        recorded = metadata.distribution("hookline").read_text("direct_url.json")
        origin = json.loads(recorded) if recorded else None
    except (metadata.PackageNotFoundError, ValueError, OSError):
        return plain
    if not isinstance(origin, dict) or not isinstance(origin.get("url"), str):
        return plain  # installed from an index: the name finds it again
    url: str = origin["url"]
    vcs = origin.get("vcs_info")
    if isinstance(vcs, dict):
        ref = f"@{vcs['commit_id']}" if "commit_id" in vcs else ""
        return f"pip install 'hookline[{SERVER_EXTRA}] @ {vcs.get('vcs', 'git')}+{url}{ref}'"
    if url.startswith("file://"):
        path = unquote(urlparse(url).path)
        editable = bool(origin.get("dir_info", {}).get("editable"))
        return f"pip install {'-e ' if editable else ''}'{path}[{SERVER_EXTRA}]'"
    return f"pip install 'hookline[{SERVER_EXTRA}] @ {url}'"
