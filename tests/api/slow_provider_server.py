"""Run the API in a real uvicorn process for the slow-provider tests (not a test module).

`python -m tests.api.slow_provider_server PORT OPEN_METEO_URL WORKDIR` fits a people champion
on seeded synthetic data (learned on Open-Meteo weather at OPEN_METEO_POINT, so the live
provider is asked), injects it through a fake registry and serves on 127.0.0.1:PORT.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pandas as pd
import uvicorn

from api.deps import get_registry
from api.main import create_app
from api.settings import ApiSettings, get_settings
from forecasting import models
from tests.api.conftest import OPEN_METEO_META, FakeRegistry, make_champion, write_processed
from tests.synthetic import generate_series


def main(port: int, open_meteo_url: str, workdir: Path) -> None:
    """Fit, wire and serve until SIGTERM."""
    arrivals, weather = generate_series(900, "2021-01-01", seed=3)
    model = models.create("hurdle", target="people", history_days=365).fit(arrivals, weather)
    registry = FakeRegistry()
    registry.add(make_champion(model, "1", **OPEN_METEO_META))
    today = pd.Timestamp(model.last_date_).date() + timedelta(days=1)
    settings = ApiSettings(
        data_dir=write_processed(workdir / "data", arrivals, weather),
        archive_url=f"sqlite:///{workdir / 'archive.db'}",
        open_meteo_url=open_meteo_url,
        targets=("people",),
        poll_seconds=0,
        n_samples=200,
        today=today,
        weather_timeout=2.0,
    )
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: settings
    app.dependency_overrides[get_registry] = lambda *_: registry
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], Path(sys.argv[3]))
