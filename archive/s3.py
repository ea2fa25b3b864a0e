"""S3-compatible storage backend (AWS S3, MinIO, Ceph RGW, SeaweedFS, Cloudflare R2 …).

``ARCHIVE_URI=s3://bucket/prefix`` (``ARCHIVE_STORAGES_BASE["s3"]``).  Credentials
and endpoint come from Scrapy's own ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_SESSION_TOKEN``, ``AWS_ENDPOINT_URL``, ``AWS_REGION_NAME`` and ``AWS_VERIFY``
settings, else boto3's standard chain (environment, ``~/.aws``, instance roles).
The store is remote: :func:`archive.storage.open_storage` puts it behind the
local spool (:mod:`archive.spool`), which calls :meth:`S3Storage.put_file`.

* Small objects (JSON, manifests, indexes): one PutObject with Content-MD5.
* Files (WARCs, WACZ): a multipart upload streamed from disk in
  ``ARCHIVE_S3_PART_SIZE`` parts, each with Content-MD5 (never whole in
  memory); files smaller than one part: a single PutObject streamed from disk.
* After every upload the object's size and ETag (MD5, or the multipart
  MD5-of-MD5s) are checked against the local bytes; a mismatch is an error and
  the local copy is kept.
* ``ARCHIVE_S3_CHECKSUM`` sets botocore's request_checksum_calculation and
  response_checksum_validation: ``when_required`` (default) works on AWS,
  SeaweedFS and Ceph; boto3 ≥ 1.36's ``when_supported`` sends flexible
  checksums some S3-compatible stores reject (boto3 #4398).
* ``ARCHIVE_S3_OBJECT_LOCK_MODE`` / ``_DAYS`` put a retention on WARCs and
  article JSON; a bucket without object lock is reported with what to do.

Secrets never appear in messages: errors name the bucket, key and cause only.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

import boto3  # about 0.3 s to import: this module is loaded only for an s3:// ARCHIVE_URI
from botocore.config import Config
from botocore.exceptions import ClientError

from archive.keys import safe_key
from archive.storage import RemoteStorage, StorageConfigError, StorageError

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

MIN_PART = 5 * 1024 * 1024


@dataclass
class S3Config:
    """Where and how to reach the bucket; built from the settings by :meth:`from_settings`."""

    bucket: str
    prefix: str
    access_key: str | None
    secret_key: str | None
    session_token: str | None
    endpoint_url: str | None
    region: str | None
    verify: bool | str | None
    addressing_style: str
    checksum: str
    part_size: int
    lock_mode: str
    lock_days: int
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    max_attempts: int = 3

    @classmethod
    def from_settings(cls, uri: str, settings: BaseSettings) -> Self:
        """Read ``AWS_*`` (Scrapy's) and ``ARCHIVE_S3_*`` (crawler/settings.py); unset ``AWS_*`` leave it to boto3."""
        bucket, prefix = parse_s3_uri(uri)
        return cls(
            bucket=bucket,
            prefix=prefix,
            access_key=settings.get("AWS_ACCESS_KEY_ID") or None,
            secret_key=settings.get("AWS_SECRET_ACCESS_KEY") or None,
            session_token=settings.get("AWS_SESSION_TOKEN") or None,
            endpoint_url=settings.get("AWS_ENDPOINT_URL") or None,
            region=settings.get("AWS_REGION_NAME") or None,
            verify=tls_verify(settings.get("AWS_VERIFY")),
            addressing_style=settings.get("ARCHIVE_S3_ADDRESSING_STYLE"),
            checksum=settings.get("ARCHIVE_S3_CHECKSUM"),
            part_size=settings.getint("ARCHIVE_S3_PART_SIZE"),
            lock_mode=str(settings.get("ARCHIVE_S3_OBJECT_LOCK_MODE") or "").upper(),
            lock_days=settings.getint("ARCHIVE_S3_OBJECT_LOCK_DAYS"),
        )


def tls_verify(value: Any) -> bool | str | None:
    """``AWS_VERIFY``: unset (boto3 decides), a boolean (also "False" from ``-s``) or a CA bundle path."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "false", "1", "0", "yes", "no"):
        return str(value).lower() in ("true", "1", "yes")
    return str(value)


def parse_s3_uri(uri: str) -> tuple[str, str]:
    parts = urlsplit(uri)
    if parts.scheme != "s3" or not parts.netloc:
        raise StorageError(f"ARCHIVE_URI={uri!r}: expected s3://bucket/prefix")
    prefix = parts.path.strip("/")
    if prefix:
        safe_key(prefix)
    return parts.netloc, prefix


def content_type_for(key: str) -> str:
    if key.endswith(".json"):
        return "application/json; charset=utf-8"
    if key.endswith((".warc.gz", ".warc")):
        return "application/warc"
    if key.endswith(".wacz"):
        return "application/wacz"
    if key.endswith(".cdxj"):
        return "text/plain; charset=utf-8"
    if key.endswith(".gz"):
        return "application/gzip"
    return "application/octet-stream"


def _md5_b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


class S3Storage(RemoteStorage):
    """Direct S3 access (see module docstring); open_storage puts it behind the spool."""

    def __init__(self, config: S3Config) -> None:
        self.config = config
        self.bucket = config.bucket
        self.prefix = config.prefix
        self.uri = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        if config.part_size < MIN_PART:
            raise StorageConfigError(f"ARCHIVE_S3_PART_SIZE={config.part_size}: S3 needs at least {MIN_PART} bytes per part")
        if config.lock_mode and config.lock_mode not in ("GOVERNANCE", "COMPLIANCE"):
            raise StorageConfigError(f"ARCHIVE_S3_OBJECT_LOCK_MODE={config.lock_mode!r}: use GOVERNANCE or COMPLIANCE")
        if config.lock_mode and config.lock_days <= 0:
            raise StorageConfigError("ARCHIVE_S3_OBJECT_LOCK_MODE is set: set ARCHIVE_S3_OBJECT_LOCK_DAYS to a number of days > 0")
        session = boto3.session.Session(
            aws_access_key_id=config.access_key,
            aws_secret_access_key=config.secret_key,
            aws_session_token=config.session_token,
            region_name=config.region,
        )
        self.client = session.client(
            "s3",
            endpoint_url=config.endpoint_url,
            verify=config.verify,
            config=Config(
                s3={"addressing_style": config.addressing_style},
                request_checksum_calculation=config.checksum,
                response_checksum_validation=config.checksum,
                connect_timeout=config.connect_timeout,
                read_timeout=config.read_timeout,
                retries={"total_max_attempts": config.max_attempts, "mode": "standard"},
            ),
        )
        self._lock_checked = False

    @classmethod
    def from_settings(cls, uri: str, settings: BaseSettings) -> Self:
        return cls(S3Config.from_settings(uri, settings))

    def describe(self) -> str:
        endpoint = f" at {self.config.endpoint_url}" if self.config.endpoint_url else ""
        return f"{self.uri}{endpoint}"

    def _key(self, key: str) -> str:
        key = safe_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _error(self, action: str, key: str, exc: Exception) -> StorageError:
        detail = getattr(exc, "response", {}).get("Error", {}) if hasattr(exc, "response") else {}
        code = detail.get("Code") or exc.__class__.__name__
        message = detail.get("Message") or str(exc)
        return StorageError(f"S3 {action} s3://{self.bucket}/{self._key(key)} failed: {code}: {message}")

    def _lock_args(self, key: str) -> dict[str, Any]:
        if not self.config.lock_mode or not key.endswith((".warc.gz", ".warc", ".json")) or not key.startswith(("warc/", "articles/")):
            return {}
        self.check_object_lock()
        until = datetime.now(UTC) + timedelta(days=self.config.lock_days)
        return {"ObjectLockMode": self.config.lock_mode, "ObjectLockRetainUntilDate": until}

    def check(self) -> None:
        self.check_object_lock()

    def check_object_lock(self) -> None:
        """Raise a clear error if object lock is configured but the bucket does not support it."""
        if self._lock_checked or not self.config.lock_mode:
            return
        try:
            conf = self.client.get_object_lock_configuration(Bucket=self.bucket)
            enabled = conf.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code not in ("ObjectLockConfigurationNotFoundError", "ObjectLockConfigurationNotFound"):
                raise self._error("GetObjectLockConfiguration", "", exc) from exc
            enabled = False
        except Exception as exc:  # unreachable store: checked again before the first locked upload
            raise self._error("GetObjectLockConfiguration", "", exc) from exc
        if not enabled:
            raise StorageConfigError(
                f"ARCHIVE_S3_OBJECT_LOCK_MODE={self.config.lock_mode} but bucket {self.bucket!r} has no object lock: "
                "create the bucket with object lock enabled (it cannot be turned on later on most stores) "
                "or unset ARCHIVE_S3_OBJECT_LOCK_MODE"
            )
        self._lock_checked = True

    # -- writes ---------------------------------------------------------------
    def put_bytes(self, key: str, data: bytes, content_type: str = "", metadata: dict[str, str] | None = None) -> None:
        md5 = hashlib.md5(data)
        try:
            resp = self.client.put_object(
                Bucket=self.bucket,
                Key=self._key(key),
                Body=data,
                ContentMD5=_md5_b64(md5.digest()),
                ContentType=content_type or content_type_for(key),
                Metadata=metadata or {},
                **self._lock_args(key),
            )
        except StorageError:
            raise
        except Exception as exc:
            raise self._error("PutObject", key, exc) from exc
        self._verify(key, len(data), md5.hexdigest(), resp.get("ETag"))

    def put_file(self, key: str, path: Path, metadata: dict[str, str] | None = None) -> None:
        """Upload ``path`` (streamed, verified); the local file is left in place."""
        size = Path(path).stat().st_size
        if size <= self.config.part_size:
            md5 = hashlib.md5()
            with open(path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    md5.update(chunk)
            try:
                with open(path, "rb") as fh:
                    resp = self.client.put_object(
                        Bucket=self.bucket,
                        Key=self._key(key),
                        Body=fh,
                        ContentLength=size,
                        ContentMD5=_md5_b64(md5.digest()),
                        ContentType=content_type_for(key),
                        Metadata=metadata or {},
                        **self._lock_args(key),
                    )
            except StorageError:
                raise
            except Exception as exc:
                raise self._error("PutObject", key, exc) from exc
            self._verify(key, size, md5.hexdigest(), resp.get("ETag"))
            return
        self._multipart(key, Path(path), size, metadata)

    def _multipart(self, key: str, path: Path, size: int, metadata: dict[str, str] | None) -> None:
        full_key = self._key(key)
        try:
            upload = self.client.create_multipart_upload(
                Bucket=self.bucket,
                Key=full_key,
                ContentType=content_type_for(key),
                Metadata=metadata or {},
                **self._lock_args(key),
            )
        except StorageError:
            raise
        except Exception as exc:
            raise self._error("CreateMultipartUpload", key, exc) from exc
        upload_id = upload["UploadId"]
        parts: list[dict[str, Any]] = []
        digests: list[bytes] = []
        try:
            with open(path, "rb") as fh:
                number = 1
                while chunk := fh.read(self.config.part_size):
                    digest = hashlib.md5(chunk).digest()
                    resp = self.client.upload_part(
                        Bucket=self.bucket,
                        Key=full_key,
                        UploadId=upload_id,
                        PartNumber=number,
                        Body=chunk,
                        ContentMD5=_md5_b64(digest),
                    )
                    parts.append({"PartNumber": number, "ETag": resp["ETag"]})
                    digests.append(digest)
                    number += 1
                    del chunk
            resp = self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=full_key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except Exception as exc:
            try:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=full_key, UploadId=upload_id)
            except Exception:  # the store is down: it will expire the upload
                pass
            raise self._error("multipart upload", key, exc) from exc
        expected = hashlib.md5(b"".join(digests)).hexdigest() + f"-{len(digests)}"
        self._verify(key, size, expected, resp.get("ETag"))

    def _verify(self, key: str, size: int, expected_etag: str, returned_etag: str | None) -> None:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as exc:
            raise self._error("HeadObject (verification)", key, exc) from exc
        etag = (head.get("ETag") or returned_etag or "").strip('"')
        if head.get("ContentLength") != size:
            raise StorageError(f"s3://{self.bucket}/{self._key(key)}: stored size {head.get('ContentLength')} != local {size}")
        # Stores that encrypt with KMS return other ETags; only an MD5-shaped ETag is compared.
        if etag and len(etag.split("-")[0]) == 32 and etag != expected_etag:
            raise StorageError(f"s3://{self.bucket}/{self._key(key)}: ETag {etag} != local MD5 {expected_etag}")

    # -- reads ----------------------------------------------------------------
    def get_bytes(self, key: str) -> bytes | None:
        try:
            resp = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
            return bytes(resp["Body"].read())
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise self._error("GetObject", key, exc) from exc
        except Exception as exc:
            raise self._error("GetObject", key, exc) from exc

    def fetch_to(self, key: str, dest: Path) -> bool:
        try:
            self.client.download_file(self.bucket, self._key(key), str(dest))
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return False
            raise self._error("download", key, exc) from exc
        except Exception as exc:
            raise self._error("download", key, exc) from exc

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return False
            raise self._error("HeadObject", key, exc) from exc
        except Exception as exc:
            raise self._error("HeadObject", key, exc) from exc

    def keys(self, prefix: str = "") -> Iterator[str]:
        full = self._key(prefix.rstrip("/")) + ("/" if prefix.endswith("/") else "") if prefix else (self.prefix + "/" if self.prefix else "")
        strip = len(self.prefix) + 1 if self.prefix else 0
        try:
            paginator = self.client.get_paginator("list_objects_v2")
            keys = [obj["Key"][strip:] for page in paginator.paginate(Bucket=self.bucket, Prefix=full) for obj in page.get("Contents", [])]
        except Exception as exc:
            raise self._error("ListObjectsV2", prefix or "", exc) from exc
        yield from sorted(keys)
