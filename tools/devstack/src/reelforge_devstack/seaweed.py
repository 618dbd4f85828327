"""The local stack's S3: SeaweedFS with one access key pair and the bucket."""

from __future__ import annotations

import json

from minio import Minio

from reelforge_devstack.components import bin_path, port_open, require_started, running_and_healthy
from reelforge_devstack.layout import BUCKET, HOST, StackLayout
from reelforge_devstack.processes import Daemon, wait_until


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
        if not port_open(self.ports["s3"]):
            return False
        try:
            return self._client().bucket_exists(BUCKET)
        except Exception:
            return False

    def start(self) -> None:
        if running_and_healthy(self.daemon, self.healthy):
            return
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
                bin_path("weed"),
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
                # The default of 8 volumes leaves one for our bucket once the
                # filer has taken its own: allow 64 (they grow as data arrives).
                "-volume.max=64",
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

        require_started(self.daemon, wait_until(bucket_ready, 90, interval_s=0.5), "SeaweedFS S3")

    def stop(self) -> bool:
        return self.daemon.stop()
