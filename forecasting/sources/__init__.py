"""The published sources, fetched: the Home Office time series from GOV.UK (`govuk`) and KNMI's
daily station data (`knmi`), downloaded with short timeouts and bounded retries (`http`),
checked with the ingest adapters, and written atomically into a writable source folder
(`folders`); `jobs` runs one fetch for `crossings fetch-arrivals` and `fetch-weather
--provider knmi`, and `update` is the scheduled job (fetch, then retrain).

Submodules are imported where used (`update` pulls in training and MLflow).
"""
