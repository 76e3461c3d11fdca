"""Other libraries' private names are used in the fence (`hookline.store.fast`) and
nowhere else in `src/hookline`: an attribute `x._name`, a `getattr(x, "_name")`, or an
import from a private module or of a private name, where `_name` is not one Hookline
defines itself, fails here with the file and line. (Only `aiosqlite` itself is also
held by an import-linter contract: only the fence imports it.)

The check reads the source (`ast`): a private name Hookline also defines for its own
objects passes wherever it is used, and a name reached by computed strings is not seen.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "hookline"
FENCE = SRC / "store" / "fast"
ACCESSORS = {"getattr", "setattr", "hasattr", "delattr"}

# Names that start with an underscore and are their library's documented public API.
PUBLIC_DESPITE_THE_UNDERSCORE = {
    # SQLAlchemy's Row: underscored so as not to collide with column names.
    "_mapping",
    "_asdict",
    "_fields",
    "_tuple",
    "_t",
    # collections.namedtuple's methods, for the same reason.
    "_replace",
    "_make",
    # The standard library's documented exceptions to its own rule.
    "_exit",  # os._exit
    "_getframe",  # sys._getframe
}
# (file under src/hookline, module, name): a private name allowed, and why.
ALLOWED_IMPORTS = {
    # Type annotations only (under TYPE_CHECKING): referencing exports no public name
    # for the type of its resolvers; nothing of it runs.
    ("domain/payload_schema.py", "referencing._core", "Resolver"),
}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _outside_the_fence() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if FENCE not in p.parents)


def _own_private_names(files: list[Path]) -> set[str]:
    """Every private name Hookline's own code (outside the fence) defines: functions,
    classes, variables, arguments, attributes it sets on `self` or `cls`, import aliases."""
    own: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                own.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                own.add(node.id)
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id in ("self", "cls")
            ):
                own.add(node.attr)
            elif isinstance(node, ast.arg):
                own.add(node.arg)
            elif isinstance(node, ast.alias) and node.asname:
                own.add(node.asname)
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__slots__" for t in node.targets
            ):
                own.update(
                    c.value
                    for c in ast.walk(node.value)
                    if isinstance(c, ast.Constant) and isinstance(c.value, str)
                )
    return {name for name in own if _private(name)}


def _attribute_named(node: ast.AST) -> str:
    """The attribute `node` reaches: `x.name`, or `getattr(x, "name")` and its kin."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ACCESSORS
        and len(node.args) >= 2
        and isinstance(node.args[1], ast.Constant)
        and isinstance(node.args[1].value, str)
    ):
        return node.args[1].value
    return ""


def _foreign_private_uses(path: Path, own: set[str], *, root: Path = SRC) -> list[str]:
    where = path.relative_to(root).as_posix()
    found: list[str] = []

    def foreign(name: str) -> bool:
        return _private(name) and name not in own and name not in PUBLIC_DESPITE_THE_UNDERSCORE

    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if foreign(_attribute_named(node)):
            found.append(f"{where}:{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] == "hookline":
                continue
            for alias in node.names:
                private_module = any(_private(part) for part in node.module.split("."))
                if (private_module or _private(alias.name)) and (
                    where,
                    node.module,
                    alias.name,
                ) not in ALLOWED_IMPORTS:
                    found.append(f"{where}:{node.lineno}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if any(_private(part) for part in alias.name.split(".")):
                    found.append(f"{where}:{node.lineno}: import {alias.name}")
    return found


@pytest.fixture(scope="module")
def own() -> set[str]:
    return _own_private_names(_outside_the_fence())


def test_no_private_name_of_another_library_is_used_outside_the_fence(own):
    found = [use for path in _outside_the_fence() for use in _foreign_private_uses(path, own)]
    assert found == [], (
        "another library's private names, outside the fence (move them into "
        "hookline/store/fast/ with a stock path beside them):\n" + "\n".join(found)
    )


@pytest.mark.parametrize(
    "line",
    [
        "conn._execute(fn)",
        "getattr(server, '_captured_signals', None)",
        "from sqlalchemy.util._concurrency import await_",
        "from uvicorn.server import _private_helper",
        "import aiosqlite._core",
    ],
)
def test_the_check_sees_each_kind_of_private_use(tmp_path, own, line):
    """The check would fail the suite on each form (it is not vacuous)."""
    module = tmp_path / "example.py"
    module.write_text(line + "\n")
    uses = _foreign_private_uses(module, own, root=tmp_path)
    assert len(uses) == 1, uses


def test_the_fence_is_where_the_private_names_are():
    """The fence does use private names (were it clean, it would not need to be a fence)."""
    fenced = sorted(FENCE.rglob("*.py"))
    assert fenced
    assert any(_foreign_private_uses(path, set()) for path in fenced)
