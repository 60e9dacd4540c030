# One image for the three services; the command picks the service.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_COMPILE_BYTECODE=1
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY shared shared
COPY ingest_service ingest_service
COPY routing_service routing_service
COPY notify_service notify_service
COPY console_service console_service
COPY migrations migrations
# config/ stays out: its api_keys.yaml holds the development keys. Production mounts its
# own key file (INGEST_API_KEYS_FILE) and imports its directory with `timpora directory`.
RUN uv sync --frozen --no-dev
ENV PATH="/app/.venv/bin:$PATH"
USER nobody
CMD ["python", "-m", "ingest_service"]
