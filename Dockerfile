# The forecasting service image: runs the forecast API by default; the same image runs the
# retrain job and the MLflow server (deploy/compose.yaml, deploy/k8s-*.yaml). Build it with
# the commit it is built from, which the image labels and every training run records:
#
#   docker build --build-arg GIT_COMMIT=$(git rev-parse HEAD) -t channel-crossings:latest .
#
# Stage 1 installs the runtime dependencies (plus the postgres extra, no dev or bench tools)
# at the versions in requirements-lock.txt into /opt/venv, then the project itself. Stage 2
# copies only that venv onto the same pinned base: no pip cache, no build tools, non-root.

FROM python:3.11.14-slim-bookworm AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_NO_CACHE=1 UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never \
    UV_SYSTEM_CERTS=1 \
    VIRTUAL_ENV=/opt/venv
WORKDIR /src
COPY requirements-lock.txt pyproject.toml ./
# uv at the lock's version installs the dependencies alone (a cached layer until the lock or
# pyproject changes), then the project without them; bytecode is compiled for a quick start.
RUN pip install --no-compile -c requirements-lock.txt uv \
    && python -m venv --without-pip /opt/venv \
    && uv pip install -r pyproject.toml --extra postgres -c requirements-lock.txt
COPY README.md ./
COPY forecasting ./forecasting
COPY api ./api
COPY crossings ./crossings
RUN uv pip install --no-deps . \
    && /opt/venv/bin/crossings --help >/dev/null

FROM python:3.11.14-slim-bookworm
# MALLOC_ARENA_MAX=2: the thread pool's numpy work in two glibc arenas, not one per thread
# (each keeps what it freed); benchmarks/API.md, "Memory under a 50,000-request soak".
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 MALLOC_ARENA_MAX=2 \
    MPLCONFIGDIR=/tmp/matplotlib \
    CROSSINGS_DATA_DIR=/app/data/processed \
    CROSSINGS_ARCHIVE_URL=sqlite:////app/state/forecast_archive.db \
    CROSSINGS_ARCHIVE_OUTBOX=/app/state/forecast_outbox.db \
    MLFLOW_TRACKING_URI=sqlite:////app/state/mlruns.db \
    CROSSINGS_ARTIFACT_ROOT=/app/state/mlartifacts
RUN useradd --create-home --uid 10001 --user-group crossings \
    && mkdir -p /app/data /app/state \
    && chown 10001:10001 /app /app/data /app/state
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY experiments ./experiments

# Last, so a new commit rebuilds only these layers. Empty (no build arg): runs say "unknown".
ARG GIT_COMMIT=""
LABEL org.opencontainers.image.title="channel-crossings" \
      org.opencontainers.image.description="Forecasts of daily small-boat crossings of the English Channel" \
      org.opencontainers.image.revision="${GIT_COMMIT}"
ENV CROSSINGS_GIT_COMMIT=${GIT_COMMIT}
USER 10001:10001

EXPOSE 8000
# Liveness only: readiness (a model is loaded) is /readyz, for load balancers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]

CMD ["crossings", "serve", "--host", "0.0.0.0", "--port", "8000"]
