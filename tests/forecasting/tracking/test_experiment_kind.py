"""MLflow 3 opens an experiment without a kind on its GenAI pages (Overview, Traces); every
experiment the project creates or uses is tagged as classic model development."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow import MlflowClient

from forecasting import tracking
from tests.lifecycle import fresh_store, make_store_template

KIND = "mlflow.experimentKind"


@pytest.fixture
def uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CROSSINGS_ARTIFACT_ROOT", str(tmp_path / "mlartifacts"))
    store = fresh_store(make_store_template(tmp_path / "template"), tmp_path / "store")
    tracking.configure(store)
    return store


def test_a_new_experiment_is_classic_ml(uri: str) -> None:
    experiment_id = tracking.ensure_experiment("kind-new")
    tags = MlflowClient(uri).get_experiment(experiment_id).tags
    assert tags[KIND] == "custom_model_development"


def test_an_existing_experiment_gets_the_kind_when_used(uri: str) -> None:
    client = MlflowClient(uri)
    old = client.create_experiment("kind-old")  # made before the tag existed
    assert KIND not in client.get_experiment(old).tags
    assert tracking.ensure_experiment("kind-old") == old
    assert client.get_experiment(old).tags[KIND] == "custom_model_development"


def test_an_experiment_taken_for_genai_is_set_back(uri: str) -> None:
    client = MlflowClient(uri)
    genai = client.create_experiment("kind-genai", tags={KIND: "genai_development"})
    tracking.ensure_experiment("kind-genai")
    assert client.get_experiment(genai).tags[KIND] == "custom_model_development"
