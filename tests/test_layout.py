"""tests/ mirrors src/: every service module has a test module of its own name."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ROOT / "src" / "hookline" / "services"
SERVICE_TESTS = ROOT / "tests" / "services"


def test_every_service_module_has_its_test_module() -> None:
    modules = sorted(p.stem for p in SERVICES.glob("*.py") if p.stem != "__init__")
    assert modules, f"no service modules found in {SERVICES}"
    missing = [
        f"tests/services/test_{name}.py"
        for name in modules
        if not (SERVICE_TESTS / f"test_{name}.py").is_file()
    ]
    assert not missing, "service modules without their test module: " + ", ".join(missing)
