# The forecasting service: slim Python base, non-root user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY forecasting ./forecasting
COPY api ./api
COPY experiments ./experiments
RUN pip install . && useradd --create-home --uid 10001 crossings && mkdir -p /app/data && chown -R crossings /app
USER crossings

CMD ["crossings", "--help"]
