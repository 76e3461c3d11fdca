"""`hookline openapi`: the API's OpenAPI document, written without a database."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

OPENAPI_PATH = Path("docs/openapi.json")
err = Console(stderr=True, highlight=False)


def register(app: typer.Typer) -> None:
    """Add `openapi` to the main `hookline` command."""
    app.command("openapi")(openapi)


def openapi_document() -> dict[str, Any]:
    """The document `/openapi.json` serves, from an app that is built but never started
    (nothing connects to a database)."""
    from hookline.app import Runtime
    from hookline.domain.encryption import new_master_key
    from hookline.settings import Settings

    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(
            database_url=f"sqlite:///{scratch}/unused.db",
            secret_key=new_master_key(),
            data_dir=Path(scratch),
        )
        # The engine is made but never connects, so there is nothing to close.
        runtime = Runtime.build(settings)
        document: dict[str, Any] = runtime.web_app(with_worker=False).openapi()
    return document


def render_openapi() -> str:
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"


def openapi(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write it ('-' for stdout)")
    ] = OPENAPI_PATH,
    check: Annotated[
        bool, typer.Option("--check", help="Only check that the file is up to date")
    ] = False,
) -> None:
    """Write the API's OpenAPI document (docs/openapi.json)."""
    text = render_openapi()
    if str(output) == "-":
        sys.stdout.write(text)
        return
    if check:
        current = output.read_text() if output.exists() else ""
        if current != text:
            err.print(f"{output} is out of date: run `hookline openapi --output {output}`")
            raise typer.Exit(1)
        err.print(f"{output} is up to date.")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    err.print(f"Wrote {output}.")
