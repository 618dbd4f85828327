"""The Kubernetes manifests under deploy/k8s render, validate and keep the
deployment contract's promises, offline.

Every overlay is rendered with `kubectl kustomize` and checked by
kubernetes-validate --strict. The production render is then held to what a
cluster operator relies on: locked-down containers with probes and resources,
a Service, PodDisruptionBudget and migration Job per service, default-deny
NetworkPolicies that let only the gateway in from outside, and KEDA
ScaledObjects that match KEDA's CRD schema and the services' real consumers.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml

from reelforge_common.grpc_server import LIVENESS

Resource = dict[str, Any]

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").is_file())
SCALED_OBJECT_SCHEMA = Path(__file__).parent / "schemas" / "keda-scaledobject-v1alpha1.json"
KUBERNETES_VALIDATE = Path(sys.executable).parent / "kubernetes-validate"

SERVICES = ("gateway", "ingest", "transcription", "pose", "render", "notify", "aigen")
WORK_DIR_SERVICES = {"ingest", "transcription", "pose", "render", "aigen"}
INTERNET_SERVICES = {"ingest", "notify", "aigen"}
GPU_SERVICES = {"transcription", "pose"}
# The durable JetStream work-queue consumers each queue worker is scaled on
# (deployment contract; the names are constants in the services' code).
CONSUMERS = {
    "transcription": {"transcription-jobs"},
    "pose": {"pose-jobs"},
    "render": {"render-work", "render-exports", "render-flow"},
    "notify": {"notify-intake"},
}
SECRET_NAME = "reelforge-secrets"
REQUIRED_SECRET_KEYS = {"database-url", "s3-access-key", "s3-secret-key", "operator-token", "smtp-password"}
# AI providers' keys: a provider whose key is absent is off.
OPTIONAL_SECRET_KEYS = {"minimax-api-key", "segmind-api-key", "llm-api-key"}
SECRET_KEYS = REQUIRED_SECRET_KEYS | OPTIONAL_SECRET_KEYS
PRIVATE_RANGES = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "127.0.0.0/8"}
CLUSTER_SCOPED = {"Namespace"}
NAME = "app.kubernetes.io/name"


@functools.cache
def _kubectl() -> str:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail(
            "kubectl is not on PATH: install kubectl >= 1.27 (kustomize v5) to render deploy/k8s", pytrace=False
        )
    return kubectl


@functools.cache
def _rendered_text(overlay: str) -> str:
    result = subprocess.run(
        [_kubectl(), "kustomize", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"kubectl kustomize overlays/{overlay} failed:\n{result.stderr}", pytrace=False)
    return result.stdout


def rendered(overlay: str) -> list[Resource]:
    """The resources of an overlay, as `kubectl kustomize` renders them (a fresh copy)."""
    return [doc for doc in yaml.safe_load_all(_rendered_text(overlay)) if doc]


def of_kind(resources: Iterable[Resource], kind: str) -> dict[str, Resource]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


def pod_spec(workload: Resource) -> Resource:
    spec: Resource = workload["spec"]["template"]["spec"]
    return spec


def server(deployment: Resource) -> Resource:
    containers: list[Resource] = [c for c in pod_spec(deployment)["containers"] if c["name"] == "server"]
    (container,) = containers
    return container


def env(container: Resource) -> dict[str, Resource]:
    return {e["name"]: e for e in container.get("env", [])}


def shared_config(resources: Iterable[Resource]) -> dict[str, str]:
    (config,) = (
        r for r in resources if r["kind"] == "ConfigMap" and r["metadata"]["name"].startswith("reelforge-config")
    )
    data: dict[str, str] = config["data"]
    return data


def selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """Whether a Kubernetes label selector (matchLabels and matchExpressions) selects these labels."""
    if any(labels.get(key) != value for key, value in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        matched = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[operator]
        if not matched:
            return False
    return True


def image_tag(image: str) -> tuple[str, str]:
    repository, _, tag = image.rpartition(":")
    return (repository, tag) if "/" not in tag else (image, "")


def closed(schema: Any) -> Any:
    """The schema with every object that lists its properties closed to others, as
    the API server's strict field validation treats a structural CRD schema."""
    if isinstance(schema, dict):
        schema = {key: closed(value) for key, value in schema.items()}
        if "properties" in schema and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
    elif isinstance(schema, list):
        schema = [closed(item) for item in schema]
    return schema


@pytest.fixture(scope="module")
def prod() -> list[Resource]:
    return rendered("prod")


@pytest.fixture(scope="module")
def scaled_object_validator() -> Any:
    schema = json.loads(SCALED_OBJECT_SCHEMA.read_text())
    return jsonschema.Draft202012Validator(closed(schema))


def workloads(resources: Iterable[Resource]) -> Iterator[Resource]:
    yield from (r for r in resources if r["kind"] in ("Deployment", "Job"))


# --- every overlay -----------------------------------------------------------


def test_the_dev_prod_and_gpu_overlays_exist() -> None:
    assert {"dev", "prod", "prod-gpu"} <= set(OVERLAYS)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_and_passes_strict_schema_validation(overlay: str) -> None:
    result = subprocess.run(
        [str(KUBERNETES_VALIDATE), "--strict", "--quiet", "-"],
        input=_rendered_text(overlay),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = (result.stdout + result.stderr).splitlines()
    failures = [line for line in lines if line.startswith(("ERROR", "FATAL")) or "did not validate" in line]
    assert result.returncode == 0, "\n".join(lines)
    assert failures == []
    # The one kind kubernetes-validate has no schema for; it is validated below.
    unknown = [line for line in lines if line.startswith("WARN") and "kind ScaledObject " not in line]
    assert unknown == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_scaled_objects_match_kedas_crd_schema(overlay: str, scaled_object_validator: Any) -> None:
    for scaled_object in of_kind(rendered(overlay), "ScaledObject").values():
        errors = [
            f"{'.'.join(map(str, e.path))}: {e.message}" for e in scaled_object_validator.iter_errors(scaled_object)
        ]
        assert errors == [], scaled_object["metadata"]["name"]


def test_the_closed_keda_schema_rejects_a_misspelt_field(scaled_object_validator: Any) -> None:
    scaled_object: Resource = {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": "x"},
        "spec": {"scaleTargetRef": {"name": "x"}, "minReplicas": 1, "triggers": [{"type": "cpu", "metadata": {}}]},
    }
    assert not scaled_object_validator.is_valid(scaled_object)
    del scaled_object["spec"]["minReplicas"]
    assert scaled_object_validator.is_valid(scaled_object)


def test_kustomizations_use_kustomize_v5_fields_only() -> None:
    deprecated = {"patchesStrategicMerge", "patchesJson6902", "commonLabels", "bases", "vars", "imageTags"}
    for path in K8S.rglob("kustomization.yaml"):
        kustomization = yaml.safe_load(path.read_text())
        assert deprecated.isdisjoint(kustomization), path
        expected_kind = "Component" if path.parent.parent.name == "components" else "Kustomization"
        assert kustomization["kind"] == expected_kind, path


def test_every_component_is_rendered_by_some_overlay() -> None:
    used: set[str] = set()
    for overlay in OVERLAYS:
        kustomization = yaml.safe_load((K8S / "overlays" / overlay / "kustomization.yaml").read_text())
        used.update(Path(component).name for component in kustomization.get("components", []))
    assert {p.name for p in (K8S / "components").iterdir() if p.is_dir()} <= used


# --- production: workloads ---------------------------------------------------


def test_every_container_runs_non_root_on_a_read_only_root_without_capabilities(prod: list[Resource]) -> None:
    for workload in workloads(prod):
        spec = pod_spec(workload)
        pod_security = spec["securityContext"]
        assert pod_security["runAsNonRoot"] is True
        assert pod_security["runAsUser"] == 10001
        assert pod_security["seccompProfile"] == {"type": "RuntimeDefault"}
        assert spec["automountServiceAccountToken"] is False
        for container in spec["containers"]:
            security = container["securityContext"]
            where = f"{workload['kind']}/{workload['metadata']['name']}/{container['name']}"
            assert security["runAsNonRoot"] is True, where
            assert security["runAsUser"] == 10001, where
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"] == {"drop": ["ALL"]}, where
            assert security["seccompProfile"] == {"type": "RuntimeDefault"}, where


def test_every_container_has_cpu_and_memory_requests_and_limits(prod: list[Resource]) -> None:
    for workload in workloads(prod):
        for container in pod_spec(workload)["containers"]:
            resources = container["resources"]
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources[bound]), (workload["metadata"]["name"], bound)


def test_the_model_services_get_more_cpu_than_the_light_ones(prod: list[Resource]) -> None:
    def millicores(quantity: str) -> int:
        return int(quantity[:-1]) if quantity.endswith("m") else int(float(quantity) * 1000)

    deployments = of_kind(prod, "Deployment")
    requested = {name: millicores(server(d)["resources"]["requests"]["cpu"]) for name, d in deployments.items()}
    heavy, light = ("transcription", "pose", "render"), ("gateway", "notify")
    assert min(requested[s] for s in heavy) > max(requested[s] for s in light)


def test_every_service_has_grpc_probes_and_room_to_start(prod: list[Resource]) -> None:
    deployments = of_kind(prod, "Deployment")
    assert set(deployments) == set(SERVICES)
    for name, deployment in deployments.items():
        container = server(deployment)
        # Readiness (and start-up) ask for "": it follows the service's /readyz.
        # Liveness asks for "liveness", SERVING while the process runs, so
        # losing NATS or Postgres takes a pod out of rotation without a restart.
        for probe in ("startupProbe", "readinessProbe"):
            assert container[probe]["grpc"] == {"port": 50051}, (name, probe)
        assert container["livenessProbe"]["grpc"] == {"port": 50051, "service": LIVENESS}, name
        startup = container["startupProbe"]
        budget_s = startup["periodSeconds"] * startup["failureThreshold"]
        assert budget_s >= (300 if name in ("transcription", "pose", "render") else 60), name


def test_ports_agree_with_the_configured_ones(prod: list[Resource]) -> None:
    config = shared_config(prod)
    assert (config["REELFORGE_GRPC_PORT"], config["REELFORGE_HTTP_PORT"]) == ("50051", "8081")
    assert config["REELFORGE_BIND_HOST"] == "0.0.0.0"  # noqa: S104 (in a pod, every interface is the pod's)
    for name, deployment in of_kind(prod, "Deployment").items():
        container = server(deployment)
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        expected = {"grpc": 50051, "http-ops": 8081} | ({"api": 8080} if name == "gateway" else {})
        assert ports == expected, name
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/port"] == "8081"
    assert env(server(of_kind(prod, "Deployment")["gateway"]))["REELFORGE_API_PORT"]["value"] == "8080"


def test_pods_outlive_the_shutdown_grace(prod: list[Resource]) -> None:
    grace_s = float(shared_config(prod)["REELFORGE_SHUTDOWN_GRACE_S"])
    for deployment in of_kind(prod, "Deployment").values():
        assert pod_spec(deployment)["terminationGracePeriodSeconds"] > grace_s


def test_scratch_space_is_on_writable_volumes(prod: list[Resource]) -> None:
    for workload in workloads(prod):
        spec = pod_spec(workload)
        empty_dirs = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
        for container in spec["containers"]:
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert mounts.get("/tmp") in empty_dirs, workload["metadata"]["name"]  # noqa: S108 (a per-pod emptyDir)
            work_dir = env(container).get("REELFORGE_WORK_DIR")
            if work_dir is not None:
                assert mounts.get(work_dir["value"]) in empty_dirs, workload["metadata"]["name"]
    deployments = of_kind(prod, "Deployment")
    assert {name for name, d in deployments.items() if "REELFORGE_WORK_DIR" in env(server(d))} == WORK_DIR_SERVICES


def test_secrets_come_only_from_the_operators_secret(prod: list[Resource]) -> None:
    assert of_kind(prod, "Secret") == {}
    for workload in workloads(prod):
        for container in pod_spec(workload)["containers"]:
            assert "REELFORGE_DATABASE_URL" in env(container)
            for variable in env(container).values():
                if "valueFrom" in variable:
                    reference = variable["valueFrom"]["secretKeyRef"]
                    assert reference["name"] == SECRET_NAME
                    assert reference["key"] in SECRET_KEYS
                    if reference["key"] in OPTIONAL_SECRET_KEYS:
                        assert reference["optional"] is True
                else:
                    assert not any(word in variable["name"] for word in ("PASSWORD", "SECRET", "TOKEN", "DATABASE_URL"))
    gateway = env(server(of_kind(prod, "Deployment")["gateway"]))
    assert gateway["REELFORGE_OPERATOR_TOKEN"]["valueFrom"]["secretKeyRef"]["key"] == "operator-token"


def test_every_deployment_has_a_service_and_a_disruption_budget(prod: list[Resource]) -> None:
    services, budgets = of_kind(prod, "Service"), of_kind(prod, "PodDisruptionBudget")
    for name, deployment in of_kind(prod, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert labels[NAME] == name
        assert labels["app.kubernetes.io/part-of"] == "reelforge"
        assert labels["app.kubernetes.io/component"]
        service = services[name]
        assert service["spec"]["type"] == "ClusterIP"
        assert selects({"matchLabels": service["spec"]["selector"]}, labels)
        assert {p["name"]: p["port"] for p in service["spec"]["ports"]}.items() >= {"grpc": 50051, "http": 8081}.items()
        assert selects(budgets[name]["spec"]["selector"], labels)


def test_migration_jobs_run_the_services_migrate_command(prod: list[Resource]) -> None:
    jobs, deployments = of_kind(prod, "Job"), of_kind(prod, "Deployment")
    assert set(jobs) == {f"{name}-migrate" for name in SERVICES}
    for name in SERVICES:
        job = jobs[f"{name}-migrate"]
        (container,) = pod_spec(job)["containers"]
        assert container["command"] == [f"reelforge-{name}", "migrate"]
        # The CPU image at the Deployment's release.
        assert image_tag(container["image"])[1] == image_tag(server(deployments[name])["image"])[1]
        assert job["spec"]["ttlSecondsAfterFinished"] > 0
        assert pod_spec(job)["restartPolicy"] == "Never"
        # A Job's pods never count as the service's replicas.
        labels = job["spec"]["template"]["metadata"]["labels"]
        assert not selects(of_kind(prod, "PodDisruptionBudget")[name]["spec"]["selector"], labels)


def test_production_settings_and_pinned_images(prod: list[Resource]) -> None:
    config = shared_config(prod)
    assert config["REELFORGE_ENVIRONMENT"] == "production"
    assert config["REELFORGE_STREAM_REPLICAS"] == "3"
    assert config["REELFORGE_OTEL_EXPORTER"] == "otlp"
    assert config["REELFORGE_OTLP_ENDPOINT"]
    for resource in prod:
        if resource["kind"] not in CLUSTER_SCOPED:
            assert resource["metadata"]["namespace"] == "reelforge", resource["metadata"]["name"]
    for workload in workloads(prod):
        for container in pod_spec(workload)["containers"]:
            repository, tag = image_tag(container["image"])
            assert repository.startswith("ghcr.io/reelforge/")
            assert tag not in ("", "latest"), container["image"]


def test_the_gateway_is_replicated_and_scaled_on_cpu(prod: list[Resource]) -> None:
    (hpa,) = of_kind(prod, "HorizontalPodAutoscaler").values()
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "gateway"}
    assert hpa["spec"]["minReplicas"] >= 2
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]


def test_both_public_apis_are_behind_tls_ingresses(prod: list[Resource]) -> None:
    backends = {
        name: {
            (path["backend"]["service"]["name"], path["backend"]["service"]["port"]["name"])
            for rule in ingress["spec"]["rules"]
            for path in rule["http"]["paths"]
        }
        for name, ingress in of_kind(prod, "Ingress").items()
    }
    assert backends == {"gateway": {("gateway", "api")}, "gateway-grpc": {("gateway", "grpc")}}
    for ingress in of_kind(prod, "Ingress").values():
        hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
        assert hosts <= {host for tls in ingress["spec"]["tls"] for host in tls["hosts"]}
    grpc = of_kind(prod, "Ingress")["gateway-grpc"]
    assert grpc["metadata"]["annotations"]["nginx.ingress.kubernetes.io/backend-protocol"] == "GRPC"


def test_observability_configmaps_carry_the_loaders_labels(prod: list[Resource]) -> None:
    config_maps = of_kind(prod, "ConfigMap")
    rules, dashboard = config_maps["reelforge-alerts"], config_maps["reelforge-grafana-dashboard"]
    assert "groups" in yaml.safe_load(rules["data"]["alerts.yaml"])
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert "reelforge-dashboard.json" in dashboard["data"]


# --- production: autoscaling -------------------------------------------------


def test_scaled_objects_scale_real_deployments_on_the_contracts_consumers(prod: list[Resource]) -> None:
    deployments, scaled_objects = of_kind(prod, "Deployment"), of_kind(prod, "ScaledObject")
    nats_host = urlsplit(shared_config(prod)["REELFORGE_NATS_URL"]).hostname
    consumers: dict[str, set[str]] = {}
    for scaled_object in scaled_objects.values():
        target = scaled_object["spec"]["scaleTargetRef"]
        assert target.get("kind", "Deployment") == "Deployment"
        assert target["name"] in deployments
        for trigger in scaled_object["spec"]["triggers"]:
            assert trigger["type"] == "nats-jetstream"
            metadata = trigger["metadata"]
            # The NATS the services use, on its monitoring port.
            assert metadata["natsServerMonitoringEndpoint"] == f"{nats_host}:8222"
            assert metadata["account"] == "$G"
            assert metadata["stream"] == "RF_EVENTS"
            assert int(metadata["lagThreshold"]) > 0
            consumers.setdefault(target["name"], set()).add(metadata["consumer"])
    assert consumers == CONSUMERS
    for service, names in consumers.items():
        source = "".join(p.read_text() for p in (ROOT / "services" / service / "src").rglob("*.py"))
        assert all(f'"{name}"' in source for name in names), service


def test_no_deployment_has_both_an_hpa_and_a_scaled_object(prod: list[Resource]) -> None:
    hpa_targets = {h["spec"]["scaleTargetRef"]["name"] for h in of_kind(prod, "HorizontalPodAutoscaler").values()}
    keda_targets = {s["spec"]["scaleTargetRef"]["name"] for s in of_kind(prod, "ScaledObject").values()}
    assert hpa_targets.isdisjoint(keda_targets)
    # The autoscaler owns the replica count: a re-apply must not reset it.
    for name in hpa_targets | keda_targets:
        assert "replicas" not in of_kind(prod, "Deployment")[name]["spec"], name


# --- production: network policies --------------------------------------------


def _policies_selecting(policies: Iterable[Resource], labels: Mapping[str, str]) -> list[Resource]:
    return [p for p in policies if selects(p["spec"]["podSelector"], labels)]


def test_every_pod_is_denied_by_default(prod: list[Resource]) -> None:
    policies = of_kind(prod, "NetworkPolicy").values()
    denies = [
        p
        for p in policies
        if set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    ]
    assert len(denies) == 1
    for workload in workloads(prod):
        assert selects(denies[0]["spec"]["podSelector"], workload["spec"]["template"]["metadata"]["labels"])


def test_only_the_gateway_is_reachable_from_outside_the_namespace(prod: list[Resource]) -> None:
    policies = of_kind(prod, "NetworkPolicy").values()
    pod_labels = {n: d["spec"]["template"]["metadata"]["labels"] for n, d in of_kind(prod, "Deployment").items()}
    reachable_from_outside: dict[str, set[int]] = {}
    for policy in policies:
        selected = {name for name, labels in pod_labels.items() if selects(policy["spec"]["podSelector"], labels)}
        for rule in policy["spec"].get("ingress", []):
            peers = rule.get("from", [])
            assert peers, f"{policy['metadata']['name']}: an ingress rule without peers admits everybody"
            if any("namespaceSelector" in peer or "ipBlock" in peer for peer in peers):
                ports = {p["port"] for p in rule["ports"]}
                for name in selected:
                    reachable_from_outside.setdefault(name, set()).update(ports)
    # Prometheus scrapes every pod's ops port; beyond it only the gateway's
    # public APIs, REST (8080) and gRPC (50051).
    assert reachable_from_outside.pop("gateway") == {8080, 50051, 8081}
    assert all(ports == {8081} for ports in reachable_from_outside.values()), reachable_from_outside


def test_internal_grpc_follows_the_contracts_call_graph(prod: list[Resource]) -> None:
    policies = list(of_kind(prod, "NetworkPolicy").values())
    pod_labels = {n: d["spec"]["template"]["metadata"]["labels"] for n, d in of_kind(prod, "Deployment").items()}
    callers: dict[str, set[str]] = {name: set() for name in SERVICES}
    for callee, labels in pod_labels.items():
        for policy in _policies_selecting(policies, labels):
            for rule in policy["spec"].get("ingress", []):
                if {p["port"] for p in rule["ports"]} != {50051}:
                    continue
                for peer in rule["from"]:
                    callers[callee] |= {n for n, caller in pod_labels.items() if selects(peer["podSelector"], caller)}
    assert callers == {
        "gateway": set(),
        "ingest": {"gateway", "aigen", "render"},
        "transcription": {"gateway", "render"},
        "pose": {"gateway", "render"},
        "render": {"gateway"},
        "notify": {"gateway"},
        "aigen": {"gateway", "render"},
    }


def test_only_ingest_notify_and_aigen_reach_the_internet_and_never_private_ranges(prod: list[Resource]) -> None:
    policies = list(of_kind(prod, "NetworkPolicy").values())
    pod_labels = {n: d["spec"]["template"]["metadata"]["labels"] for n, d in of_kind(prod, "Deployment").items()}
    online = set()
    for name, labels in pod_labels.items():
        for policy in _policies_selecting(policies, labels):
            for rule in policy["spec"].get("egress", []):
                for peer in rule.get("to", []):
                    if "ipBlock" not in peer:
                        continue
                    online.add(name)
                    if peer["ipBlock"]["cidr"] == "0.0.0.0/0":
                        assert set(peer["ipBlock"]["except"]) >= PRIVATE_RANGES
    assert online == INTERNET_SERVICES


# --- development and GPU overlays ---------------------------------------------


def test_dev_runs_one_replica_in_development_with_a_generated_secret() -> None:
    dev = rendered("dev")
    assert shared_config(dev)["REELFORGE_ENVIRONMENT"] == "development"
    (secret,) = of_kind(dev, "Secret").values()
    assert secret["metadata"]["name"].startswith(SECRET_NAME)
    assert set(secret["data"]) == REQUIRED_SECRET_KEYS
    for deployment in of_kind(dev, "Deployment").values():
        assert deployment["spec"].get("replicas", 1) == 1
        for variable in env(server(deployment)).values():
            if "valueFrom" in variable:
                assert variable["valueFrom"]["secretKeyRef"]["name"] == secret["metadata"]["name"]
    assert of_kind(dev, "HorizontalPodAutoscaler")["gateway"]["spec"]["maxReplicas"] == 1


def _gpus(deployment: Resource) -> int:
    return int(server(deployment)["resources"].get("limits", {}).get("nvidia.com/gpu", 0))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_gpu_overlay_asks_for_gpus_and_only_for_transcription_and_pose(overlay: str) -> None:
    resources = rendered(overlay)
    deployments = of_kind(resources, "Deployment")
    on_gpu = {name for name, d in deployments.items() if _gpus(d) > 0}
    assert on_gpu == (GPU_SERVICES if overlay == "prod-gpu" else set())
    for job in of_kind(resources, "Job").values():
        assert all("nvidia.com/gpu" not in c["resources"].get("limits", {}) for c in pod_spec(job)["containers"])


def test_the_gpu_overlay_runs_the_cuda_images_of_the_same_release() -> None:
    gpu, cpu = of_kind(rendered("prod-gpu"), "Deployment"), of_kind(rendered("prod"), "Deployment")
    for name in GPU_SERVICES:
        container, spec = server(gpu[name]), pod_spec(gpu[name])
        assert _gpus(gpu[name]) == 1
        repository, tag = image_tag(container["image"])
        assert repository == f"ghcr.io/reelforge/{name}-cuda"
        assert tag == image_tag(server(cpu[name])["image"])[1]
        assert spec["nodeSelector"]
        assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in spec["tolerations"]
    transcription, pose = env(server(gpu["transcription"])), env(server(gpu["pose"]))
    assert (transcription["REELFORGE_DEVICE"]["value"], transcription["REELFORGE_COMPUTE_TYPE"]["value"]) == (
        "cuda",
        "float16",
    )
    assert pose["REELFORGE_ALIGNMENT_DEVICE"]["value"] == "cuda"
    for name in set(SERVICES) - GPU_SERVICES:
        assert gpu[name] == cpu[name], name
