"""The pinned locks agree with pyproject.toml: every declared range is met by a pin, and every pin is hashed."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^ ;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def _pins(lock: Path) -> dict[str, list[tuple[str, str | None]]]:
    """name -> [(version, marker)] for every `name==version [; marker]` line of a uv/pip-tools lock."""
    pins: dict[str, list[tuple[str, str | None]]] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        if found := PIN.match(line):
            name, version, marker = found.groups()
            pins.setdefault(canonicalize_name(name), []).append((version, marker))
    return pins


def _declared(extras: tuple[str, ...]) -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found = [Requirement(r) for r in project["dependencies"]]
    for extra in extras:
        found += [Requirement(r) for r in project["optional-dependencies"][extra] if not r.startswith(project["name"] + "[")]
    return found


@pytest.mark.parametrize(("lock", "extras"), [("requirements.lock", ("build",)), ("requirements-test.lock", ("build", "test"))])
def test_every_declared_dependency_is_pinned_within_its_range(lock, extras):
    pins = _pins(REPO / lock)
    problems = []
    for requirement in _declared(extras):
        versions = [v for v, _ in pins.get(canonicalize_name(requirement.name), [])]
        if not versions:
            problems.append(f"{requirement.name} is not in {lock}: run .ci/lock")
        problems += [f"{requirement.name}=={v} is outside {requirement.specifier}: run .ci/lock" for v in versions if v not in requirement.specifier]
    assert problems == []


def test_the_bot_lock_pins_the_same_versions_as_the_test_lock():
    bot, test = _pins(REPO / "requirements.lock"), _pins(REPO / "requirements-test.lock")
    assert {name: pins for name, pins in bot.items() if test.get(name) != pins} == {}


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-test.lock"])
def test_every_pin_carries_a_hash(lock):
    text = (REPO / lock).read_text(encoding="utf-8")
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    assert blocks and all("--hash=sha256:" in block for block in blocks if PIN.match(block.splitlines()[0]))
