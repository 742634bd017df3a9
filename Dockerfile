# The monitor's runtime image: runtime dependencies only (requirements.lock), no
# test, lint or training tools.  Base pinned by version and digest so a rebuild
# gets the same Python and Debian; bump both together.
FROM python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The runtime user (UID/GID 1000) owns /data before the volume is declared: Docker
# seeds a new named volume with the image's directory, ownership included, so the
# database can be created on first start.
RUN groupadd --gid 1000 monitor \
 && useradd --uid 1000 --gid 1000 --no-create-home --home-dir /data \
        --shell /usr/sbin/nologin monitor \
 && install -d -o 1000 -g 1000 -m 0750 /data

WORKDIR /app
COPY requirements.lock ./
RUN pip install -r requirements.lock
COPY pyproject.toml README.md ./
COPY monitor ./monitor
# --no-deps: everything it needs came from the lock above.
RUN pip install --no-deps . && rm -rf build monitor ./*.egg-info
COPY config ./config

ENV MONITOR_CONFIG=/app/config/monitor.yaml \
    MONITOR_DB=/data/monitor.db \
    LOG_FORMAT=json
VOLUME ["/data"]
USER 1000:1000

# `monitor health` judges the database (polls on schedule, delivery moving,
# database writable) and exits 0/1; the start period covers the first poll round.
HEALTHCHECK --interval=60s --timeout=15s --start-period=120s --retries=3 \
    CMD ["monitor", "health"]

ENTRYPOINT ["monitor"]
CMD ["run"]
