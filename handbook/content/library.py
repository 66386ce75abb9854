"""The live handbook: content plus its search index, replaced only by content that validates."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from handbook.content.loader import Content, Problem, load_content
from handbook.content.model import Handbook
from handbook.dialogue.texts import Texts
from handbook.search.engine import SearchIndex
from handbook.search.lexicon import Lexicon


def bundled_content() -> Path:
    """The handbook installed with the package (package data `healthbot_content`, the checkout's content/
    in an editable install); from a bare checkout that was never installed, its content/ folder."""
    try:
        found = resources.files("healthbot_content")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "content"
    return Path(str(found))


DEFAULT_CONTENT = bundled_content()  # HEALTHBOT_CONTENT overrides it (bot/config.py, bot/cli.py)


@dataclass(frozen=True)
class Loaded:
    handbook: Handbook
    lexicon: Lexicon
    texts: Texts
    index: SearchIndex
    warnings: tuple[Problem, ...] = ()


class ContentError(Exception):
    """The content did not validate; `problems` says where and why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        first = "\n".join(str(p) for p in problems[:20])
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"the content has {len(problems)} error(s):\n{first}{more}")


def load(directory: str | Path) -> Loaded:
    """Load, validate and index; raises ContentError listing every error."""
    content: Content = load_content(directory)
    if not content.ok:
        raise ContentError(content.errors)
    assert content.handbook and content.lexicon and content.texts
    index = SearchIndex(content.handbook, content.lexicon, decision=content.decision)
    warnings = tuple(p for p in content.problems if p.severity != "error")
    return Loaded(content.handbook, content.lexicon, content.texts, index, warnings)


class Library:
    """Holds the last good content; `reload` swaps it only when the new content validates."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._current = load(self.directory)

    @property
    def current(self) -> Loaded:
        return self._current

    def reload(self) -> Loaded:
        """Load again; on ContentError the last good content stays live and the error is raised."""
        fresh = load(self.directory)
        with self._lock:
            self._current = fresh
        return fresh

    def fingerprint(self) -> tuple:
        """Names, sizes and times of the content files: it changes when an editor saves a file."""
        files = sorted(self.directory.rglob("*.yaml"))
        out = []
        for f in files:
            try:
                st = f.stat()
            except OSError:
                continue
            out.append((str(f), st.st_size, st.st_mtime_ns))
        return tuple(out)
