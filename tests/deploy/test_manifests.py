"""The Kubernetes manifests build with kustomize and validate against the API schemas, and
keep the properties the deployment relies on."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
KUBECTL = (
    str(Path(sys.executable).parent / "kubectl")
    if (Path(sys.executable).parent / "kubectl").exists()
    else shutil.which("kubectl")
)
SERVICES = {"indicators": 50051, "submissions": 50052, "scoring": 50053}


def build(target: str) -> list[dict]:
    out = subprocess.run(
        [KUBECTL, "kustomize", str(K8S / target)], capture_output=True, text=True, check=True
    )
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


@pytest.mark.parametrize("target", ["base", "overlays/trial", "overlays/city"])
def test_manifests_build_and_validate_strictly(target):
    docs = build(target)
    assert docs
    for doc in docs:
        kubernetes_validate.validate(doc, "1.37.0", strict=True)


def test_every_service_has_native_grpc_probes_and_hardened_pods():
    docs = {(d["kind"], d["metadata"]["name"]): d for d in build("base")}
    for name, port in SERVICES.items():
        pod = docs[("Deployment", name)]["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert container["readinessProbe"]["grpc"]["port"] == port
        assert container["livenessProbe"]["grpc"]["port"] == port
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert docs[("Service", name)]["spec"]["ports"][0]["port"] == port


def test_peer_addresses_come_from_the_environment():
    docs = {(d["kind"], d["metadata"]["name"]): d for d in build("base")}
    config = docs[("ConfigMap", "oneassess-config")]["data"]
    for name, port in SERVICES.items():
        assert config[f"{name.upper()}_ADDRESS"] == f"{name}:{port}"
    assert config["TEMPORAL_NAMESPACE"] != "default"


def test_trial_overlay_adds_a_dev_temporal_that_the_config_points_at():
    docs = {(d["kind"], d["metadata"]["name"]): d for d in build("overlays/trial")}
    config = docs[("ConfigMap", "oneassess-config")]["data"]
    host = config["TEMPORAL_ADDRESS"].split(":")[0]
    assert ("Service", host) in docs
    args = docs[("Deployment", host)]["spec"]["template"]["spec"]["containers"][0]["command"]
    assert "--namespace=oneassess" in args


def test_city_overlay_turns_tracing_on_and_scales_out():
    docs = {(d["kind"], d["metadata"]["name"]): d for d in build("overlays/city")}
    assert docs[("ConfigMap", "oneassess-config")]["data"]["OTEL_TRACES_EXPORTER"] == "otlp"
    assert docs[("Deployment", "submissions")]["spec"]["replicas"] >= 4
    assert ("HorizontalPodAutoscaler", "submissions") in docs


def test_compose_file_runs_every_process_from_one_image():
    compose = yaml.safe_load((REPO / "deploy" / "compose.yaml").read_text())
    commands = {name: svc.get("command", "") for name, svc in compose["services"].items()}
    for name in SERVICES:
        assert commands[name] == f"python -m services.{name}"
    assert commands["worker"] == "python -m workflows.worker"


def _pods(docs: dict) -> dict[str, dict]:
    return {
        name: doc["spec"]["template"]["spec"]
        for (kind, name), doc in docs.items()
        if kind in ("Deployment", "StatefulSet")
    }


def _secret_names(pod: dict) -> set[str]:
    """Every Secret a pod can read: volumes, env and envFrom."""
    names = {v["secret"]["secretName"] for v in pod.get("volumes", []) if "secret" in v}
    for container in pod["containers"]:
        for env in container.get("env", []):
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                names.add(ref["name"])
        for source in container.get("envFrom", []):
            if "secretRef" in source:
                names.add(source["secretRef"]["name"])
    return names


@pytest.mark.parametrize("target", ["base", "overlays/trial", "overlays/city"])
def test_only_the_issuer_holds_a_signing_key(target):
    docs = {(d["kind"], d["metadata"]["name"]): d for d in build(target)}
    pods = _pods(docs)
    assert "oneassess-issuer-key" in _secret_names(pods["issuer"])
    for name, pod in pods.items():
        env_names = {e["name"] for c in pod["containers"] for e in c.get("env", [])}
        assert not any("TOKEN_SECRET" in n for n in env_names), name
        if name != "issuer":
            assert not {"oneassess-issuer-key", "oneassess-issuer-directory"} & _secret_names(pod)
    # Each service and the worker has a client secret of its own, and nobody else's.
    for name in (*SERVICES, "worker"):
        assert _secret_names(pods[name]) - {"oneassess-database"} == {f"oneassess-client-{name}"}


def test_services_find_the_issuer_through_the_config():
    docs = {(d["kind"], d["metadata"]["name"]): d for d in build("base")}
    config = docs[("ConfigMap", "oneassess-config")]["data"]
    host, port = config["ONEASSESS_ISSUER_URL"].removeprefix("http://").split(":")
    assert ("Service", host) in docs
    assert docs[("Service", host)]["spec"]["ports"][0]["port"] == int(port)
    assert config["ONEASSESS_AUDIENCE"]
    issuer = docs[("Deployment", "issuer")]["spec"]
    assert issuer["replicas"] == 1  # authorization codes live in its memory
    assert issuer["template"]["spec"]["containers"][0]["command"][-1] == "services.issuer"
