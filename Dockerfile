FROM python:3.11-slim
WORKDIR /app
COPY requirements.lock pyproject.toml README.md ./
RUN pip install --no-cache-dir -r requirements.lock
COPY monitor ./monitor
COPY config ./config
COPY seeds ./seeds
RUN pip install --no-cache-dir --no-deps .
ENV MONITOR_CONFIG=/app/config/monitor.yaml \
    MONITOR_DB=/data/monitor.db \
    PYTHONUNBUFFERED=1
VOLUME ["/data"]
USER 1000:1000
ENTRYPOINT ["monitor"]
CMD ["run"]
