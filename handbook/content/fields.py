"""Reading typed fields out of parsed YAML, each problem kept with its file and line: the pieces the
content loader is built from (texts in both languages, lists of strings, markup, unknown and duplicate keys).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from handbook.content import markup, yamlines
from handbook.content.model import LANGS, Text


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


class Report:
    def __init__(self, path: Path, root: Path):
        try:
            self.path = str(path.relative_to(root.parent))
        except ValueError:
            self.path = str(path)
        self.problems: list[Problem] = []

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))

    def warn(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message, "warning"))


def parse(path: Path, report: Report) -> object:
    try:
        data = yamlines.load(path.read_text(encoding="utf-8"))
        duplicate_keys(data, report)
    except yamlines.AliasRefused as exc:
        report.error(exc.problem_mark.line + 1, str(exc.problem))
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else 1
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        report.error(line, f"YAML syntax: {what} (check indentation, colons and quotes)")
        return None
    except (OSError, UnicodeDecodeError) as exc:
        report.error(1, f"cannot read the file: {exc}")
        return None
    except RecursionError:
        report.error(1, "YAML nested far too deeply (runaway brackets or indentation?): a handbook file is only a few levels deep")
        return None
    return data


def duplicate_keys(node: object, report: Report) -> None:
    if isinstance(node, yamlines.LineMap):
        for key, line in node.duplicates:
            report.error(line, f"key {key!r} appears twice in the same mapping; keep one")
        for value in node.values():
            duplicate_keys(value, report)
    elif isinstance(node, list):
        for value in node:
            duplicate_keys(value, report)


def unknown_keys(node: yamlines.LineMap, allowed: set[str], where: str, report: Report) -> None:
    for key in node:
        if key not in allowed:
            report.error(node.line_of(key), f"unknown key {key!r} in {where} (allowed: {', '.join(sorted(allowed))})")


def text_field(node: object, line: int, what: str, report: Report, *, required: bool = True) -> Text | None:
    if not isinstance(node, dict):
        if required:
            report.error(line, f"{what} must be a mapping with vi and en")
        return None
    if isinstance(node, yamlines.LineMap):
        unknown_keys(node, set(LANGS), what, report)
    values = {}
    for lang in LANGS:
        value = node.get(lang)
        if not isinstance(value, str) or not value.strip():
            kind = "missing" if lang not in node else "empty"
            report.error(getattr(node, "line", line), f"{what}: the {lang!r} text is {kind}")
        values[lang] = value.strip() if isinstance(value, str) else ""
    return Text(**values)


def string_lists(node: object, line: int, what: str, report: Report) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    if node is None:
        return out
    if not isinstance(node, dict):
        report.error(line, f"{what} must be a mapping: vi: [...], en: [...]")
        return out
    if isinstance(node, yamlines.LineMap):
        unknown_keys(node, set(LANGS), what, report)
    for lang in LANGS:
        items = node.get(lang) or []
        if not isinstance(items, list):
            report.error(node.line_of(lang) if hasattr(node, "line_of") else line, f"{what}.{lang} must be a list")
            continue
        good = []
        for i, item in enumerate(items):
            if not isinstance(item, str) or not item.strip():
                report.error(items.line_of(i) if hasattr(items, "line_of") else line, f"{what}.{lang} item {i + 1} must be non-empty text")
            else:
                good.append(item.strip())
        out[lang] = tuple(good)
    return out


def markup_field(text: str, line: int, what: str, report: Report) -> None:
    for offset, message in markup.problems(text):
        report.error(line + offset + 1, f"{what}: {message}")
