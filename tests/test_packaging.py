"""The package works outside the checkout: a wheel carries the handbook as package data.

SLOW (tens of seconds, the slowest test here): builds the wheel, makes a clean virtual environment, installs
the pinned dependencies from requirements.lock (from pip's cache when .ci/run has filled it, else from the
package registry) and the wheel, then runs `healthbot` from a directory that is not the checkout.
Skip it with `-m "not slow"`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _run(args: list, *, cwd: Path, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """A copy of what the package is made of, so no build/ or .venv/ in the checkout feeds it (or stays)."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "requirements.lock"):
        shutil.copy2(REPO / name, source / name)
    for name in ("handbook", "bot", "content"):
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    return source


@pytest.fixture(scope="module")
def wheel(source: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    done = _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-deps",
                 "--no-build-isolation", "-w", out, source], cwd=out)
    assert done.returncode == 0, done.stdout + done.stderr
    (found,) = out.glob("healthbot-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory) -> Path:
    """bin/ of a clean venv (no system site-packages, no checkout on its path) holding the wheel."""
    env_dir = tmp_path_factory.mktemp("venv") / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    python = env_dir / "bin" / "python"
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    done = _run([*pip, "--require-hashes", "-r", REPO / "requirements.lock"], cwd=env_dir, timeout=600)
    if done.returncode != 0 and "Could not find a version" in done.stderr + done.stdout:
        pytest.skip(f"the pinned dependencies could not be fetched (no cache, no registry): {done.stderr[-300:]}")
    assert done.returncode == 0, done.stdout + done.stderr
    done = _run([*pip, "--no-deps", wheel], cwd=env_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    return env_dir / "bin"


def _outside_env(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEALTHBOT_", "PYTHON", "TELEGRAM_"))}
    env["HEALTHBOT_DB"] = str(tmp_path / "healthbot.db")
    return env


def test_the_wheel_carries_the_handbook_yaml(wheel: Path):
    names = zipfile.ZipFile(wheel).namelist()
    bundled = {n for n in names if n.startswith("healthbot_content/")}
    expected = {f"healthbot_content/{p.relative_to(REPO / 'content').as_posix()}" for p in (REPO / "content").rglob("*.yaml")}
    assert expected and expected <= bundled


def test_installed_wheel_checks_its_bundled_content_from_another_directory(installed: Path, tmp_path: Path):
    done = _run([installed / "healthbot", "check"], cwd=tmp_path, env=_outside_env(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 error(s)" in done.stderr
    assert "site-packages" not in done.stdout  # no problem lines naming files


def test_installed_wheel_answers_a_search_from_another_directory(installed: Path, tmp_path: Path):
    done = _run([installed / "healthbot", "search", "dau bung", "--jsonl"], cwd=tmp_path, env=_outside_env(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout.splitlines()[0])
    assert result["results"], result
    located = _run([installed / "python", "-c", "from handbook.content.library import DEFAULT_CONTENT as d; print(d)"],
                   cwd=tmp_path, env=_outside_env(tmp_path))
    assert str(REPO) not in located.stdout and "site-packages" in located.stdout, located.stdout + located.stderr


def test_installed_wheel_still_obeys_healthbot_content(installed: Path, tmp_path: Path):
    env = _outside_env(tmp_path) | {"HEALTHBOT_CONTENT": str(tmp_path / "elsewhere")}
    (tmp_path / "elsewhere").mkdir()
    done = _run([installed / "healthbot", "check"], cwd=tmp_path, env=env)
    assert done.returncode == 1 and "elsewhere" in done.stdout + done.stderr, done.stdout + done.stderr


def test_the_readme_quick_start_runs_on_a_fresh_copy(source: Path, tmp_path: Path):
    """The first command of the README's quick start, as written: a venv, the lock, the project, `healthbot`
    (the terminal chat without a token; it ends at the end of its input)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Quick start", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    first, second = block.strip().splitlines()
    assert "python3 -m venv" in first and "--require-hashes -r requirements.lock" in first and second == "bash .ci/run"
    env = {k: v for k, v in _outside_env(tmp_path).items() if k != "VIRTUAL_ENV"}
    done = _run(["bash", "-c", first], cwd=source, env=env, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Xin chào" in done.stdout and "[1] 🇯🇵 Nhật Bản" in done.stdout
