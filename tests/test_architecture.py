"""Structure rules: the handbook core knows nothing of Telegram; the code base is ruff-clean."""

from __future__ import annotations

import ast
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parent.parent / "handbook"


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in a file, including import_module("...") and __import__("...")."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


def test_core_modules_exist():
    assert (CORE / "__init__.py").exists()
    assert len(list(CORE.rglob("*.py"))) > 5


def test_no_handbook_module_imports_telegram():
    offenders = [
        f"{path.relative_to(CORE.parent)}:{line}: imports {module}"
        for path in sorted(CORE.rglob("*.py"))
        for line, module in _imported_modules(path)
        if module == "telegram" or module.startswith("telegram.")
    ]
    assert offenders == []


def test_importing_the_whole_core_does_not_load_telegram(repo_root):
    modules = sorted(".".join(p.relative_to(CORE.parent).with_suffix("").parts) for p in CORE.rglob("*.py"))
    code = "import importlib, sys\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules)
    code += "bad = sorted(m for m in sys.modules if m == 'telegram' or m.startswith('telegram.'))\n"
    code += "assert not bad, bad\n"
    done = subprocess.run([sys.executable, "-c", code], cwd=repo_root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]


def _ruff() -> list[str] | None:
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    exe = shutil.which("ruff")
    return [exe] if exe else None


def test_ruff_check_passes(repo_root):
    ruff = _ruff()
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]' installs it)")
    done = subprocess.run([*ruff, "check", "."], cwd=repo_root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_code_and_its_output_name_no_tracker_numbers():
    """Code says what a thing does, not which ticket asked for it (the benchmark tables included)."""
    import re

    root = CORE.parent
    ticket = re.compile(r"\b(?:issue|ticket)s?\s*#?\d+", re.IGNORECASE)
    offenders = []
    for folder in ("handbook", "bot", "benchmarks", "tests"):
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in (".py", ".md") and "__pycache__" not in path.parts:
                for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                    if ticket.search(line):
                        offenders.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert offenders == []
