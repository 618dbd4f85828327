"""The parts of the local stack. Each can tell whether it is healthy, start
(idempotently) and stop."""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Protocol

from minio import Minio

from reelforge_devstack.layout import BUCKET, DATABASE, DB_USER, HOST, StackLayout
from reelforge_devstack.processes import Daemon, wait_until


class MissingPrerequisiteError(RuntimeError):
    """A binary the stack needs is not installed; the message says what to install."""


class Component(Protocol):
    name: str

    def healthy(self) -> bool: ...
    def start(self) -> None: ...
    def stop(self) -> bool: ...
    def address(self) -> str: ...


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def _bin(name: str) -> str:
    """A binary installed next to this interpreter (the venv), or on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise MissingPrerequisiteError(f"{name} not found: run `make setup`")
    return found


def _require_started(daemon: Daemon, ok: bool, what: str) -> None:
    if not ok:
        raise RuntimeError(f"{what} did not become healthy; last log lines:\n{daemon.log_tail()}")


class NatsServer:
    """nats-server with JetStream on a file store, fsync on every write."""

    name = "nats"

    def __init__(
        self,
        layout: StackLayout,
        *,
        port: int | None = None,
        monitor_port: int | None = None,
        data_dir: Path | None = None,
        name: str = "nats",
    ) -> None:
        self.name = name
        self.port = port or layout.ports["nats"]
        self.monitor_port = monitor_port or layout.ports["nats_monitor"]
        self.data_dir = data_dir or layout.dir / name
        self.daemon = Daemon(name, layout.dir / "pids", layout.logs)

    def address(self) -> str:
        return f"nats://{HOST}:{self.port}"

    def healthy(self) -> bool:
        if self.daemon.pid() is None:
            return False  # whatever answers on the port is not this stack's server
        try:
            url = f"http://{HOST}:{self.monitor_port}/healthz?js-enabled-only=true"
            with urllib.request.urlopen(url, timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def start(self) -> None:
        if self.healthy():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "nats.conf"
        config.write_text(
            f'server_name: "reelforge-{self.name}"\n'
            f"listen: {HOST}:{self.port}\n"
            f"http: {HOST}:{self.monitor_port}\n"
            "jetstream {\n"
            f'  store_dir: "{self.data_dir / "jetstream"}"\n'
            # Jepsen (2025) lost acknowledged writes with the default lazy fsync.
            "  sync_interval: always\n"
            "}\n"
        )
        self.daemon.start([_bin("nats-server"), "-c", str(config)])
        _require_started(self.daemon, wait_until(self.healthy, 30), "nats-server")

    def stop(self) -> bool:
        return self.daemon.stop()

    def kill(self) -> None:
        self.daemon.kill()


def _postgres_bindir() -> Path:
    candidates = sorted(
        (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin") if (Path(p) / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if candidates and int(candidates[-1].parent.name) >= 15:
        return candidates[-1]
    initdb = shutil.which("initdb")
    if initdb:
        return Path(os.path.realpath(initdb)).parent
    raise MissingPrerequisiteError("PostgreSQL 15+ server binaries not found: apt-get install postgresql")


class PostgresCluster:
    """A private cluster under .stack/postgres; run as the postgres user when we are root."""

    name = "postgres"

    def __init__(self, layout: StackLayout) -> None:
        self.layout = layout
        self.port = layout.ports["postgres"]
        self.link = layout.dir / "postgres"

    @property
    def home(self) -> Path:
        """The cluster's folder: .stack/postgres, or where that link points."""
        return self.link.resolve()

    @property
    def data(self) -> Path:
        return self.home / "data"

    def address(self) -> str:
        return f"postgresql://{DB_USER}@{HOST}:{self.port}/{DATABASE}"

    def _as_owner(self, argv: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        result = subprocess.run(argv, check=False, text=True, capture_output=True)
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{Path(argv[argv.index('--') + 1] if '--' in argv else argv[0]).name} failed: "
                f"{(result.stderr or result.stdout).strip()}"
            )
        return result

    def _make_home(self) -> None:
        """Create the cluster's folder. As root the cluster runs as `postgres`,
        which may not be able to reach a checkout under a private home: then
        the folder lives in /var/tmp and .stack/postgres links to it."""
        self.layout.dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0 and not self.link.exists():
            probe = subprocess.run(["runuser", "-u", "postgres", "--", "test", "-x", str(self.layout.dir)], check=False)
            if probe.returncode != 0:
                self.link.symlink_to(tempfile.mkdtemp(prefix="reelforge-postgres-", dir="/var/tmp"))
        (self.home / "run").mkdir(parents=True, exist_ok=True)
        log = self.home / "postgres.log"
        log.touch()
        self.layout.logs.mkdir(parents=True, exist_ok=True)
        if not (self.layout.logs / "postgres.log").is_symlink():
            (self.layout.logs / "postgres.log").symlink_to(log)
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            for path in (self.home, self.home / "run", log):
                os.chown(path, owner.pw_uid, owner.pw_gid)

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self._as_owner([str(_postgres_bindir() / "pg_ctl"), "-D", str(self.data), *args], check=check)

    def healthy(self) -> bool:
        return self.data.exists() and _port_open(self.port) and self._status_ok()

    def _status_ok(self) -> bool:
        return self._pg_ctl("status", check=False).returncode == 0

    def start(self) -> None:
        bindir = _postgres_bindir()
        if not (self.data / "PG_VERSION").exists():
            self._make_home()
            self._initdb(bindir)
        if self.healthy():
            return
        self._pg_ctl(
            "-l",
            str(self.home / "postgres.log"),
            "-w",
            "-t",
            "60",
            "-o",
            f"-p {self.port} -c listen_addresses={HOST} -k {self.home / 'run'}",
            "start",
        )
        self._ensure_database(bindir)

    def _initdb(self, bindir: Path) -> None:
        password_file = self.home / "pwfile"
        password_file.write_text(self.layout.secrets()["db_password"] + "\n")
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(password_file, owner.pw_uid, owner.pw_gid)
        try:
            self._as_owner(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    DB_USER,
                    "--pwfile",
                    str(password_file),
                    "--auth-local=scram-sha-256",
                    "--auth-host=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ]
            )
        finally:
            password_file.unlink(missing_ok=True)

    def _ensure_database(self, bindir: Path) -> None:
        env = {**os.environ, "PGPASSWORD": self.layout.secrets()["db_password"]}
        common = ["-h", HOST, "-p", str(self.port), "-U", DB_USER]
        exists = subprocess.run(
            [
                str(bindir / "psql"),
                *common,
                "-d",
                "postgres",
                "-tAc",
                f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'",
            ],
            check=True,
            text=True,
            capture_output=True,
            env=env,
        ).stdout.strip()
        if exists != "1":
            subprocess.run([str(bindir / "createdb"), *common, DATABASE], check=True, env=env, capture_output=True)

    def stop(self) -> bool:
        if not self._status_ok():
            return False
        self._pg_ctl("-m", "fast", "-w", "stop")
        return True


class SeaweedS3:
    """SeaweedFS (master, volume, filer, S3 gateway in one process) with an access key pair."""

    name = "s3"

    def __init__(self, layout: StackLayout) -> None:
        self.layout = layout
        self.ports = layout.ports
        self.base = layout.dir / "s3"
        self.daemon = Daemon("s3", layout.dir / "pids", layout.logs)

    def address(self) -> str:
        return f"http://{HOST}:{self.ports['s3']}/{BUCKET}"

    def _client(self) -> Minio:
        s = self.layout.secrets()
        return Minio(
            f"{HOST}:{self.ports['s3']}", access_key=s["s3_access_key"], secret_key=s["s3_secret_key"], secure=False
        )

    def healthy(self) -> bool:
        if not _port_open(self.ports["s3"]):
            return False
        try:
            return self._client().bucket_exists(BUCKET)
        except Exception:
            return False

    def start(self) -> None:
        if self.daemon.pid() is not None and self.healthy():
            return
        self.daemon.stop()
        (self.base / "data").mkdir(parents=True, exist_ok=True)
        s = self.layout.secrets()
        identities = {
            "identities": [
                {
                    "name": "reelforge",
                    "credentials": [{"accessKey": s["s3_access_key"], "secretKey": s["s3_secret_key"]}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        config = self.base / "s3.json"
        config.write_text(json.dumps(identities))
        config.chmod(0o600)
        p = self.ports
        self.daemon.start(
            [
                _bin("weed"),
                "server",
                f"-dir={self.base / 'data'}",
                f"-ip={HOST}",
                f"-ip.bind={HOST}",
                f"-master.port={p['weed_master']}",
                f"-master.port.grpc={p['weed_master_grpc']}",
                f"-volume.port={p['weed_volume']}",
                f"-volume.port.grpc={p['weed_volume_grpc']}",
                "-filer",
                f"-filer.port={p['weed_filer']}",
                f"-filer.port.grpc={p['weed_filer_grpc']}",
                "-s3",
                f"-s3.port={p['s3']}",
                f"-s3.port.grpc={p['s3_grpc']}",
                f"-s3.config={config}",
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                "-master.volumeSizeLimitMB=1024",
            ]
        )

        def bucket_ready() -> bool:
            try:
                client = self._client()
                if not client.bucket_exists(BUCKET):
                    client.make_bucket(BUCKET)
                return True
            except Exception:
                return False

        _require_started(self.daemon, wait_until(bucket_ready, 90, interval_s=0.5), "SeaweedFS S3")

    def stop(self) -> bool:
        return self.daemon.stop()


class ServiceProcess:
    """One Reelforge service run from its console script."""

    def __init__(self, layout: StackLayout, name: str, grpc_port: int, http_port: int) -> None:
        self.name = name
        self.layout = layout
        self.grpc_port = grpc_port
        self.http_port = http_port
        self.daemon = Daemon(name, layout.dir / "pids", layout.logs)

    def address(self) -> str:
        return f"grpc {HOST}:{self.grpc_port}, http://{HOST}:{self.http_port}/metrics"

    def installed(self) -> bool:
        return (Path(sys.executable).parent / f"reelforge-{self.name}").exists()

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{self.http_port}/readyz", timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def start(self) -> None:
        if self.daemon.pid() is not None and self.healthy():
            return
        env = {
            **os.environ,
            **read_env_file(self.layout.env_file),
            "REELFORGE_GRPC_PORT": str(self.grpc_port),
            "REELFORGE_HTTP_PORT": str(self.http_port),
        }
        self.daemon.start([_bin(f"reelforge-{self.name}")], env=env, cwd=self.layout.root)
        _require_started(self.daemon, wait_until(self.healthy, 60), f"service {self.name}")

    def stop(self) -> bool:
        return self.daemon.stop()


def read_env_file(path: Path) -> dict[str, str]:
    """Parse the ``export KEY=value`` lines that `up` writes."""
    env: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            key, sep, value = line.removeprefix("export ").partition("=")
            if sep and not line.startswith("#"):
                env[key.strip()] = value.strip().strip("'")
    return env
