# The forecasting service: slim Python base, non-root user, runs the forecast API.
# The same image runs the retrain job and the MLflow server (see deploy/compose.yaml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    CROSSINGS_DATA_DIR=/app/data/processed \
    CROSSINGS_ARCHIVE_URL=sqlite:////app/state/forecast_archive.db \
    MLFLOW_TRACKING_URI=sqlite:////app/state/mlruns.db
WORKDIR /app
COPY pyproject.toml README.md ./
COPY forecasting ./forecasting
COPY api ./api
COPY experiments ./experiments
RUN pip install . \
    && useradd --create-home --uid 10001 crossings \
    && mkdir -p /app/data /app/state \
    && chown -R crossings /app
USER crossings

EXPOSE 8000
# Liveness only: readiness (a model is loaded) is /readyz, for load balancers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]

CMD ["crossings", "serve", "--host", "0.0.0.0", "--port", "8000"]
