from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from scrapy.settings import Settings

from archive.keys import UnsafeKeyError, article_key, manifest_key, safe_key, warc_key
from archive.local import LocalStorage
from archive.s3 import S3Config, S3Storage
from archive.spool import SpoolingStorage
from archive.storage import RemoteStorage, Storage, StorageError, open_storage, storage_classes, uri_scheme
from tests.conftest import PROJECT_ROOT


def project_settings(**cmdline: object) -> Settings:
    """The project's settings with ``-s`` style overrides, as a command sees them."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict(cmdline, priority="cmdline")
    return settings


def test_key_layout():
    assert warc_key("c1", "news-1.warc.gz") == "warc/c1/news-1.warc.gz"
    assert article_key("enabbaladi", datetime(2020, 3, 25), "abc") == "articles/enabbaladi/2020/03/25/abc.json"
    assert manifest_key("c1") == "crawls/c1/manifest.json"
    # a site name from input is reduced to a safe segment
    assert article_key("../../etc", datetime(2020, 1, 2), "x") == "articles/etc/2020/01/02/x.json"


@pytest.mark.parametrize(
    "key",
    ["", "/abs/path", "a/../b", "a//b", "a/./b", "a\\b", "a/b\x00c", "a/b\nc", "x" * 2000, "a/b c"],
)
def test_unsafe_keys_rejected(key):
    with pytest.raises(UnsafeKeyError):
        safe_key(key)


def test_local_put_get_list(tmp_path):
    store = open_storage(str(tmp_path / "arch"), project_settings())
    assert isinstance(store, LocalStorage)
    store.put_bytes("articles/s/2020/01/01/a.json", b'{"a": 1}')
    store.put_bytes("articles/s/2020/01/01/a.json", b'{"a": 2}')  # overwrite atomically
    assert store.get_bytes("articles/s/2020/01/01/a.json") == b'{"a": 2}'
    assert store.get_bytes("articles/missing.json") is None
    assert list(store.keys("articles/")) == ["articles/s/2020/01/01/a.json"]
    # no temporary files left behind
    assert not [p for p in (tmp_path / "arch").rglob(".tmp-*")]
    with pytest.raises(UnsafeKeyError):
        store.put_bytes("../escape.json", b"x")
    assert not (tmp_path / "escape.json").exists()


def test_file_uri_and_put_file(tmp_path):
    store = open_storage((tmp_path / "a b").as_uri(), project_settings())
    assert isinstance(store, LocalStorage)
    assert store.root == (tmp_path / "a b").resolve()
    src = tmp_path / "w.warc.gz"
    src.write_bytes(b"warc-bytes")
    store.put_file("warc/c/w.warc.gz", src)
    assert not src.exists()
    assert store.get_bytes("warc/c/w.warc.gz") == b"warc-bytes"


def test_failed_write_leaves_old_object(tmp_path, monkeypatch):
    store = LocalStorage(tmp_path)
    store.put_bytes("crawls/c/manifest.json", b"old")

    def boom(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(StorageError, match="No space left"):
        store.put_bytes("crawls/c/manifest.json", b"new")
    assert store.get_bytes("crawls/c/manifest.json") == b"old"
    assert [p.name for p in (tmp_path / "crawls" / "c").iterdir()] == ["manifest.json"]


@pytest.mark.parametrize(
    ("uri", "scheme"),
    [("./archive", ""), ("/data/archive", ""), ("archive", ""), ("C:\\data\\archive", ""), ("d:/archive", ""),
     ("file:///data/archive", "file"), ("s3://bucket/prefix", "s3"), ("GS://b/p", "gs")],
)
def test_uri_scheme(uri, scheme):
    assert uri_scheme(uri) == scheme


def test_unknown_scheme_names_the_fix():
    with pytest.raises(StorageError) as err:
        open_storage("gopher://x/y", project_settings())
    message = str(err.value)
    assert "ARCHIVE_URI='gopher://x/y'" in message and "'gopher'" in message
    assert "'', 'file', 's3'" in message  # the known schemes
    assert "ARCHIVE_STORAGES" in message


class MemoryStorage(Storage):
    """A backend for a custom scheme: objects in a dict, one dict per URI."""

    stores: dict[str, dict[str, bytes]] = {}

    def __init__(self, uri: str, label: str) -> None:
        self.uri = uri
        self.label = label
        self.objects = self.stores.setdefault(uri, {})

    @classmethod
    def from_settings(cls, uri, settings):
        return cls(uri, settings.get("MEMORY_LABEL"))

    def put_bytes(self, key, data, content_type="application/octet-stream"):
        self.objects[safe_key(key)] = data

    def put_file(self, key, path):
        self.objects[safe_key(key)] = Path(path).read_bytes()

    def get_bytes(self, key):
        return self.objects.get(key)

    def exists(self, key):
        return key in self.objects

    def keys(self, prefix=""):
        yield from sorted(k for k in self.objects if k.startswith(prefix))


class MemoryRemote(MemoryStorage, RemoteStorage):
    """The same, as a remote store: open_storage puts it behind the spool."""

    def put_file(self, key, path, metadata=None):
        self.objects[safe_key(key)] = Path(path).read_bytes()  # the spool's file is left in place


def test_custom_scheme_from_archive_storages(tmp_path):
    settings = project_settings(ARCHIVE_STORAGES='{"mem": "tests.test_storage.MemoryStorage"}', MEMORY_LABEL="mine")
    # a scheme added with -s keeps the built-in ones
    assert storage_classes(settings) == {"": "archive.local.LocalStorage", "file": "archive.local.LocalStorage",
                                         "s3": "archive.s3.S3Storage", "mem": "tests.test_storage.MemoryStorage"}
    store = open_storage("mem://here/p", settings)
    assert type(store) is MemoryStorage and store.uri == "mem://here/p" and store.label == "mine"
    store.put_bytes("a/b.json", b"{}")
    assert MemoryStorage.stores["mem://here/p"] == {"a/b.json": b"{}"}
    assert isinstance(open_storage(str(tmp_path / "local"), settings), LocalStorage)
    # None removes a scheme; an override replaces the built-in class
    settings = project_settings(ARCHIVE_STORAGES={"s3": None, "": "tests.test_storage.MemoryStorage"})
    with pytest.raises(StorageError, match="no storage backend for scheme 's3'"):
        open_storage("s3://b/p", settings)
    assert type(open_storage("plain-path", settings)) is MemoryStorage


def test_custom_remote_scheme_is_spooled(tmp_path):
    settings = project_settings(ARCHIVE_STORAGES={"memr": "tests.test_storage.MemoryRemote"},
                                ARCHIVE_SPOOL_DIR=str(tmp_path / "spool"), ARCHIVE_S3_KEEP_LOCAL="True")
    events: list[tuple[str, int]] = []
    store = open_storage("memr://bucket/x", settings, on_event=lambda name, n: events.append((name, n)),
                         start_uploader=False)
    assert isinstance(store, SpoolingStorage) and isinstance(store.remote, MemoryRemote)
    assert store.root == (tmp_path / "spool" / "memr" / "bucket" / "x").resolve()
    assert store.keep_local is True and store.max_delay == 60.0  # the default from crawler/settings.py
    store.put_bytes("articles/s/2020/01/01/a.json", b'{"id": "a"}')
    assert store.get_bytes("articles/s/2020/01/01/a.json") == b'{"id": "a"}'  # read from the spool
    assert MemoryStorage.stores["memr://bucket/x"] == {}  # nothing sent yet
    assert store.close(5) == []
    assert MemoryStorage.stores["memr://bucket/x"] == {"articles/s/2020/01/01/a.json": b'{"id": "a"}'}
    assert events == [("uploaded", 1)]
    assert (store.uploaded / "articles/s/2020/01/01/a.json").exists()  # ARCHIVE_S3_KEEP_LOCAL


@pytest.mark.parametrize(
    ("path", "error"),
    [("tests.test_storage.NoSuchClass", "cannot be loaded"), ("no_such_module.Storage", "cannot be loaded"),
     ("tests.test_storage.project_settings", "is not a Storage subclass")],
)
def test_bad_backend_path(path, error):
    with pytest.raises(StorageError, match=error) as err:
        open_storage("odd://x", project_settings(ARCHIVE_STORAGES={"odd": path}))
    assert "ARCHIVE_STORAGES['odd']" in str(err.value)


def test_s3_settings_come_from_the_settings():
    settings = project_settings(AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_ACCESS_KEY_ID="k", AWS_SECRET_ACCESS_KEY="s",
                                ARCHIVE_S3_ADDRESSING_STYLE="path", ARCHIVE_S3_PART_SIZE="6000000", AWS_VERIFY="False")
    config = S3Config.from_settings("s3://bucket/some/prefix", settings)
    assert (config.bucket, config.prefix, config.endpoint_url, config.access_key, config.secret_key) == (
        "bucket", "some/prefix", "http://127.0.0.1:9", "k", "s")
    assert (config.addressing_style, config.part_size, config.verify) == ("path", 6000000, False)
    assert config.checksum == "when_required" and config.lock_mode == "" and config.region is None  # project defaults
    store = S3Storage.from_settings("s3://bucket/some/prefix", settings)
    assert store.describe() == "s3://bucket/some/prefix at http://127.0.0.1:9"
    with pytest.raises(StorageError, match="ARCHIVE_S3_PART_SIZE=1024"):
        S3Storage.from_settings("s3://bucket", project_settings(ARCHIVE_S3_PART_SIZE=1024))


def test_storage_module_imports_no_backend():
    """storage.py knows backends by name only; a local archive never imports boto3 (0.3 s)."""
    code = ("import sys, tempfile; from scrapy.utils.project import get_project_settings; "
            "from archive.storage import open_storage; "
            "assert not {'archive.s3', 'archive.spool', 'archive.local'} & set(sys.modules), sys.modules.keys(); "
            "open_storage(tempfile.mkdtemp(), get_project_settings()); "
            "assert 'archive.local' in sys.modules and 'boto3' not in sys.modules and 'archive.s3' not in sys.modules")
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings")
    proc = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def _python_files(*folders: str) -> Iterator[Path]:
    for folder in folders:
        yield from (PROJECT_ROOT / folder).glob("*.py")


def test_no_setting_defaults_in_archive():
    """Defaults live in crawler/settings.py only: archive/ reads settings without fallbacks."""
    for path in _python_files("archive"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr.startswith("get")
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "settings"):
                assert len(node.args) == 1 and not node.keywords, f"{path.name}:{node.lineno}: a default for a setting"
