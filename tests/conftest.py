"""Shared fixtures: the real content, the handbook loaded from it, and a scratch copy to break."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from bot_process import TOKEN
from support.fake_telegram import FakeTelegram

from handbook.content import library

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = REPO_ROOT / "content"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root (where pyproject.toml lives): the working directory for CLI runs."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def content_dir() -> Path:
    """The real content directory shipped with the repository."""
    assert CONTENT_DIR.is_dir(), f"no content directory at {CONTENT_DIR}"
    return CONTENT_DIR


@pytest.fixture(scope="session")
def loaded(content_dir: Path) -> library.Loaded:
    """The real handbook, validated and indexed once for the whole session."""
    return library.load(content_dir)


@pytest.fixture
def content_copy(tmp_path: Path, content_dir: Path) -> Path:
    """A private copy of content/ (at tmp_path/content) where a test may plant mistakes."""
    target = tmp_path / "content"
    shutil.copytree(content_dir, target)
    return target


@pytest.fixture
def tg():
    """A strict fake Bot API server on loopback (files that need other options define their own)."""
    with FakeTelegram(token=TOKEN, bot_username="healthbot_test_bot") as server:
        yield server
