"""content/README.md, the editors' guide, matches the tool: every message `check` can print, the
placeholder syntax with keys that exist, and the real regression files."""

from __future__ import annotations

import ast
import datetime
import re
from pathlib import Path

import pytest

from handbook.content import facts as facts_mod
from handbook.content import yamlines

REPO = Path(__file__).resolve().parent.parent
GUIDE = REPO / "content" / "README.md"
# (module, the calls or function whose string arguments are messages `healthbot check` prints)
MESSAGE_SOURCES = [
    ("handbook/content/loader.py", "calls"),
    ("handbook/content/fields.py", "calls"),
    ("handbook/content/facts.py", "calls"),
    ("handbook/content/placeholders.py", "calls"),
    ("handbook/content/markup.py", "calls"),
    ("handbook/dialogue/texts.py", "calls"),
    ("handbook/search/lexicon.py", "problems_in"),
    ("handbook/search/decision.py", "problems_in"),
]
_CALLS = {"error", "warn", "append", "Problem"}


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).replace("`", "")


def _longest_literal(node: ast.AST) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        parts = [node.value]
    elif isinstance(node, ast.JoinedStr):
        parts = [v.value for v in node.values if isinstance(v, ast.Constant)]
    else:
        return ""
    return max(parts, key=len, default="").strip(" :;,.()")


def messages(module: str, where: str) -> list[tuple[int, str]]:
    """(line, the longest fixed piece) of every message the module can report."""
    tree = ast.parse((REPO / module).read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if where == "calls" and isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in _CALLS:
                args = [a.elts[-1] if isinstance(a, ast.Tuple) else a for a in node.args]
                found += [(node.lineno, _longest_literal(a)) for a in args]
        elif where == "calls" and isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple):
            found += [(node.lineno, _longest_literal(e)) for e in node.value.elts]  # (None, "problem") results
        elif isinstance(node, ast.FunctionDef) and node.name == where:
            for sub in ast.walk(node):
                if isinstance(sub, (ast.Constant, ast.JoinedStr)) and sub is not node.body[0].value:
                    found.append((getattr(sub, "lineno", 0), _longest_literal(sub)))
    return [(line, text) for line, text in found if len(text) >= 12 and " " in text]


@pytest.mark.parametrize(("module", "where"), MESSAGE_SOURCES, ids=[m for m, _ in MESSAGE_SOURCES])
def test_every_message_check_can_print_is_in_the_editors_guide(module, where):
    guide = _squeeze(GUIDE.read_text(encoding="utf-8"))
    found = messages(module, where)
    assert found, f"no messages found in {module}: the test lost track of the code"
    missing = [f"{module}:{line}: {text!r}" for line, text in found if _squeeze(text) not in guide]
    assert not missing, "document these messages in content/README.md:\n" + "\n".join(missing)


def test_the_guide_names_the_real_regression_files_and_how_to_run_them():
    guide = GUIDE.read_text(encoding="utf-8")
    real = {p.name for p in (REPO / "content" / "regression").glob("*.yaml")}
    named = set(re.findall(r"([a-z0-9-]+\.yaml)", guide[guide.index("## The regression set") :]))
    assert real and real <= named, real - named
    for path in re.findall(r"content/regression/([a-z0-9-]+\.yaml)", guide):
        assert path in real, path
    assert "healthbot eval" in guide
    for test in re.findall(r"`(tests/[\w/]+\.py)`", guide):
        assert (REPO / test).is_file(), f"the guide names {test}, which does not exist"


def test_the_placeholder_examples_of_the_guide_resolve_to_the_numbers_it_shows():
    facts, _ = facts_mod.parse(yamlines.load((REPO / "content" / "facts.yaml").read_text(encoding="utf-8")), datetime.date.today())
    guide = GUIDE.read_text(encoding="utf-8")
    table = guide[guide.index("## Phone numbers") : guide.index("So when a number changes")]
    rows = re.findall(r"\| `[^`]*\{\{([a-z0-9-]+)\}\}[^`]*` \| [^|]*?\**(#?[\d][\d-]*\d)\**", table)
    assert len(rows) >= 2, table
    for key, number in rows:
        assert facts.resolve(key, "vi") == (number, None), key
    for key in re.findall(r"`([a-z]{2}-[a-z0-9-]+)` \(", guide):  # "jp-ambulance (119)" in the list of keys
        assert key in facts.by_key, key
