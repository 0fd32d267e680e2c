"""Model info, history, health, metrics, admin reload, alias polling and staleness."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.schemas import HistoryResponse, ModelResponse, Readiness
from tests.api.conftest import ADMIN_TOKEN, FakeRegistry, build_app, make_champion, wait_for

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def test_model_endpoint(client: TestClient) -> None:
    body = client.get("/v1/model").json()
    ModelResponse.model_validate(body)
    people = {c["target"]: c for c in body["champions"]}["people"]
    assert people["name"] == "hurdle" and people["version"] == "1"
    assert people["registered_model"] == "channel-crossings-people"
    assert people["trained_at"] == "2023-06-21T06:00:00+00:00"
    assert people["data_vintage"] == "2023-06-23"
    assert people["backtest_metrics"] == {"crps": 12.5, "coverage_80": 0.81}
    assert people["training_data_end"] == "2023-06-19"
    assert people["status"] == "ok" and people["registry_error"] is None
    only = client.get("/v1/model", params={"target": "boats"}).json()["champions"]
    assert [c["target"] for c in only] == ["boats"]
    assert client.get("/v1/model", params={"target": "x"}).status_code == 422


def test_history(client: TestClient, synthetic: Any) -> None:
    arrivals, _ = synthetic
    r = client.get("/v1/history", params={"from": "2023-06-01", "to": "2023-06-10"})
    assert r.status_code == 200
    body = r.json()
    HistoryResponse.model_validate(body)
    assert body["from"] == "2023-06-01" and body["to"] == "2023-06-10"
    assert len(body["days"]) == 10
    want = arrivals.set_index("date").loc["2023-06-01":"2023-06-10", "people"].tolist()
    assert [d["people"] for d in body["days"]] == want
    default = client.get("/v1/history").json()
    assert len(default["days"]) == 90 and default["to"] == "2023-06-19"
    backwards = client.get("/v1/history", params={"from": "2023-06-10", "to": "2023-06-01"})
    assert backwards.status_code == 422  # was an empty range (issue 12); now names `from`
    assert backwards.json()["detail"][0]["loc"] == ["query", "from"]
    bad = client.get("/v1/history", params={"to": "June"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "to"]


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200
    body = Readiness.model_validate(r.json())
    assert body.status == "ready" and body.registry == "ok"
    assert body.targets["people"].version == "1" and not body.targets["people"].stale


def test_not_ready_without_a_champion(settings: Any, fitted: Any) -> None:
    reg = FakeRegistry()
    reg.add(make_champion(fitted["people"], "1"))  # no boats model registered
    with TestClient(build_app(settings, reg)) as c:
        r = c.get("/readyz")
        assert r.status_code == 503
        assert r.json()["targets"]["boats"]["loaded"] is False
        assert "not found" in r.json()["targets"]["boats"]["registry_error"]
        assert c.get("/v1/forecast", params={"target": "boats"}).status_code == 503
        assert c.get("/v1/forecast").status_code == 200
        models = {m["target"]: m for m in c.get("/v1/model").json()["champions"]}
        assert models["boats"]["status"] == "unavailable"


def test_metrics(client: TestClient) -> None:
    client.get("/v1/forecast")
    client.get("/v1/forecast", params={"horizon": 99})
    text = client.get("/metrics").text
    assert (
        'crossings_http_requests_total{method="GET",route="/v1/forecast",status="200"} 1.0' in text
    )
    assert (
        'crossings_http_requests_total{method="GET",route="/v1/forecast",status="422"} 1.0' in text
    )
    assert (
        'crossings_http_request_duration_seconds_bucket{le="0.1",method="GET",route="/v1/forecast"}'
        in text
    )
    assert (
        'crossings_model_version{registered_model="channel-crossings-people",target="people"} 1.0'
        in text
    )
    assert 'crossings_forecast_age_seconds{target="people"}' in text
    assert "crossings_data_age_days" in text
    assert 'crossings_model_stale{target="people"} 0.0' in text


def test_admin_reload_needs_the_token(
    client: TestClient, registry: FakeRegistry, fitted: Any
) -> None:
    r = client.post("/v1/admin/reload")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert (
        client.post("/v1/admin/reload", headers={"Authorization": "Bearer nope"}).status_code == 403
    )
    assert (
        client.post("/v1/admin/reload", headers={"Authorization": "Basic eDp5"}).status_code == 401
    )
    registry.add(make_champion(fitted["people"], "2", trained_at="2023-06-22T06:00:00+00:00"))
    r = client.post("/v1/admin/reload", headers=AUTH)
    assert r.status_code == 200
    assert r.json()["targets"]["people"] == {
        "previous": "1",
        "current": "2",
        "changed": True,
        "error": None,
    }
    assert client.get("/v1/forecast").json()["model"]["version"] == "2"


def test_admin_disabled_without_a_configured_token(settings: Any, registry: FakeRegistry) -> None:
    app = build_app(settings.model_copy(update={"admin_token": ""}), registry)
    with TestClient(app) as c:
        assert c.post("/v1/admin/reload", headers={"Authorization": "Bearer "}).status_code in (
            401,
            403,
        )
        assert c.post("/v1/admin/reload", headers=AUTH).status_code == 403


def test_polling_notices_a_moved_alias(settings: Any, registry: FakeRegistry, fitted: Any) -> None:
    app = build_app(settings.model_copy(update={"poll_seconds": 0.05}), registry)
    with TestClient(app) as c:
        assert c.get("/v1/forecast").json()["model"]["version"] == "1"
        registry.add(make_champion(fitted["people"], "7"))
        assert wait_for(
            lambda: (
                c.get("/v1/model", params={"target": "people"}).json()["champions"][0]["version"]
                == "7"
            )
        )
        assert c.get("/v1/forecast").json()["model"]["version"] == "7"


def test_registry_down_keeps_serving_and_says_stale(
    settings: Any, registry: FakeRegistry, fitted: Any
) -> None:
    app = build_app(settings.model_copy(update={"poll_seconds": 0.05}), registry)
    with TestClient(app) as c:
        registry.fail = True
        assert wait_for(lambda: c.get("/readyz").json()["registry"] == "unreachable")
        r = c.get("/readyz")
        assert r.status_code == 200  # still serving the last good model
        assert r.json()["targets"]["people"]["stale"] is True
        assert "unreachable" in r.json()["targets"]["people"]["registry_error"]
        m = c.get("/v1/model").json()["champions"][0]
        assert (
            m["status"] == "stale" and m["version"] == "1" and "unreachable" in m["registry_error"]
        )
        assert c.get("/v1/forecast").status_code == 200
        assert 'crossings_model_stale{target="people"} 1.0' in c.get("/metrics").text
        r = c.post("/v1/admin/reload", headers=AUTH)
        assert r.status_code == 503 and r.json()["targets"]["people"]["current"] == "1"
        registry.fail = False
        assert wait_for(lambda: c.get("/readyz").json()["registry"] == "ok")
        assert c.get("/v1/model").json()["champions"][0]["status"] == "ok"


def test_stale_when_not_checked_for_too_long(settings: Any, registry: FakeRegistry) -> None:
    app = build_app(
        settings.model_copy(update={"poll_seconds": 1000, "stale_after_seconds": 0.01}), registry
    )
    with TestClient(app) as c:
        assert wait_for(lambda: c.get("/readyz").json()["registry"] == "stale", timeout=2)


class _Gate:
    """Wraps a fitted model; predict() waits until released (a request in flight)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.entered = threading.Event()
        self.release = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def predict(self, *args: Any, **kwargs: Any) -> Any:
        self.entered.set()
        assert self.release.wait(10)
        return self.inner.predict(*args, **kwargs)


def test_reload_never_drops_a_request_in_flight(
    settings: Any, registry: FakeRegistry, fitted: Any, origin: date
) -> None:
    gate = _Gate(fitted["people"])
    registry.add(make_champion(gate, "1"))  # type: ignore[arg-type]
    with TestClient(build_app(settings, registry)) as c:
        result: dict[str, Any] = {}
        t = threading.Thread(target=lambda: result.update(r=c.get("/v1/forecast")))
        t.start()
        assert gate.entered.wait(10)
        registry.add(make_champion(fitted["people"], "2"))
        assert c.post("/v1/admin/reload", headers=AUTH).status_code == 200
        assert c.get("/v1/forecast", params={"horizon": 3}).json()["model"]["version"] == "2"
        gate.release.set()
        t.join(10)
        r = result["r"]
        assert r.status_code == 200
        assert r.json()["model"]["version"] == "1"  # finished on the model it started with
        assert r.json()["start"] == origin.isoformat()


def test_new_data_is_picked_up(
    tmp_path: Any, synthetic: Any, settings: Any, registry: FakeRegistry
) -> None:
    from tests.api.conftest import extend, write_processed

    d = write_processed(tmp_path / "data", *synthetic)
    with TestClient(build_app(settings.model_copy(update={"data_dir": d}), registry)) as c:
        assert c.get("/v1/history").json()["to"] == "2023-06-19"
        write_processed(d, *extend(*synthetic, days=2))
        assert c.post("/v1/admin/reload", headers=AUTH).status_code == 200
        assert c.get("/v1/history").json()["to"] == "2023-06-21"


@pytest.mark.parametrize("path", ["/nope", "/v1/forecast/nope"])
def test_unknown_paths_are_404(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_openapi_has_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for p in (
        "/v1/forecast",
        "/v1/forecast/exceedance",
        "/v1/model",
        "/v1/history",
        "/v1/forecasts/issued",
        "/healthz",
        "/readyz",
        "/metrics",
        "/v1/admin/reload",
    ):
        assert p in paths
    schemas = spec["components"]["schemas"]
    for name in ("ForecastResponse", "ScenarioRequest", "ExceedanceResponse", "ModelResponse"):
        assert schemas[name].get("examples"), name
    params = {p["name"]: p for p in paths["/v1/forecast"]["get"]["parameters"]}
    assert set(params) == {
        "target",
        "horizon",
        "levels",
        "start",
        "as_of",
        "weather_mode",
        "format",
    }
    assert params["weather_mode"]["schema"]["enum"] == ["forecast", "observed", "climatology"]
    for name in ("issue_date", "hindcast", "bridged_days", "weather_mode"):
        assert name in schemas["ForecastResponse"]["required"], name
        assert name in schemas["ExceedanceResponse"]["required"], name
    assert params["levels"]["schema"]["examples"] == ["50,80,95"]


def test_response_cache_serves_repeats_and_follows_reloads(
    client: TestClient, registry: FakeRegistry, fitted: Any
) -> None:
    first = client.get("/v1/forecast?horizon=3")
    again = client.get("/v1/forecast?horizon=3")
    assert first.content == again.content
    assert again.headers["content-type"] == "application/json"
    text = client.get("/metrics").text
    assert (
        'crossings_http_requests_total{method="GET",route="/v1/forecast",status="200"} 2.0' in text
    )
    assert client.app.state.service.computed == 1  # type: ignore[attr-defined]
    # errors are never cached
    assert client.get("/v1/forecast?horizon=30").status_code == 422
    assert client.get("/v1/forecast?horizon=30").status_code == 422
    registry.add(make_champion(fitted["people"], "3"))
    assert client.post("/v1/admin/reload", headers=AUTH).status_code == 200
    assert client.get("/v1/forecast?horizon=3").json()["model"]["version"] == "3"


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from api.settings import ApiSettings

    monkeypatch.setenv("CROSSINGS_DATA_DIR", "/srv/processed")
    monkeypatch.setenv("CROSSINGS_ADMIN_TOKEN", "t0k")
    monkeypatch.setenv("CROSSINGS_ARCHIVE_URL", "postgresql://u@db/forecasts")
    monkeypatch.setenv("CROSSINGS_TARGETS", '["people"]')
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow:5000")
    s = ApiSettings()
    assert str(s.data_dir) == "/srv/processed" and s.admin_token == "t0k"
    assert s.archive_url.startswith("postgresql://") and s.targets == ("people",)
    assert s.mlflow_tracking_uri == "http://mlflow:5000"
    assert s.registered_name("people") == "channel-crossings-people"
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    monkeypatch.delenv("CROSSINGS_DATA_DIR")
    d = ApiSettings()
    assert d.mlflow_tracking_uri == "sqlite:///mlruns.db" and str(d.data_dir) == "data/processed"


def test_api_settings_extend_the_library_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """One declaration per CROSSINGS_* variable: the API's settings extend the library's."""
    from api.settings import ApiSettings
    from forecasting.settings import Settings

    assert issubclass(ApiSettings, Settings)
    assert "data_dir" not in ApiSettings.__annotations__  # inherited, not declared again
    monkeypatch.setenv("CROSSINGS_DATA_DIR", "/srv/processed")
    assert ApiSettings().data_dir == Settings().data_dir
