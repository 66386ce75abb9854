# healthbot: the Telegram bot. Linted by the test suite (hadolint), not built there: no Docker engine runs in CI.
# The base image is pinned to an exact release; move it on purpose, with the locks (.ci/lock).
FROM python:3.11.7-slim-bookworm

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

# Exactly the pinned, hashed versions of requirements.lock; then the package itself, resolving nothing.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY handbook ./handbook
COPY bot ./bot
# The handbook is baked in (also as the package's own data); mount a directory over /app/content to serve
# edited content (HEALTHBOT_CONTENT points there).
COPY content ./content
RUN pip install --no-cache-dir --no-deps --no-build-isolation .

USER 10001:10001
# /data holds the SQLite file and, made on first run, its key file /data/healthbot.db.key (0600): the
# secret that keys user settings and the distinct-user count, never stored in the database. To keep
# it off the data volume, mount a secret and set HEALTHBOT_KEY_FILE=/run/secrets/healthbot.key (or
# pass HEALTHBOT_SECRET). Back it up with the database: without it stored settings cannot be found.
VOLUME ["/data"]
# Webhook mode (`healthbot run --webhook-url URL`) listens on this port by default (--port); long polling needs none.
EXPOSE 8443

HEALTHCHECK --interval=60s --timeout=10s --start-period=30s --retries=3 CMD ["healthbot", "health"]

CMD ["healthbot", "run"]
