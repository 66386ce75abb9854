# healthbot: the Telegram bot. Linted by the test suite (hadolint), not built there: no Docker engine runs in CI.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HEALTHBOT_CONTENT=/app/content \
    HEALTHBOT_DB=/data/healthbot.db

WORKDIR /app

RUN groupadd --system --gid 10001 healthbot \
    && useradd --system --uid 10001 --gid healthbot --home-dir /app --shell /usr/sbin/nologin healthbot \
    && mkdir -p /data \
    && chown healthbot:healthbot /data

COPY pyproject.toml README.md ./
COPY handbook ./handbook
COPY bot ./bot
RUN pip install --no-cache-dir .

# The handbook is baked in; mount a directory over /app/content to serve edited content.
COPY content ./content

USER 10001:10001
VOLUME ["/data"]

HEALTHCHECK --interval=60s --timeout=10s --start-period=30s --retries=3 CMD ["healthbot", "health"]

CMD ["healthbot", "run"]
