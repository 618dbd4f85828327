"""The local stack's Postgres: a private cluster from the machine's binaries."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from reelforge_devstack.components import MissingPrerequisiteError, port_open
from reelforge_devstack.layout import DATABASE, DB_USER, HOST, StackLayout


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
        return self.data.exists() and port_open(self.port) and self._status_ok()

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
