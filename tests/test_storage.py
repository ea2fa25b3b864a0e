from __future__ import annotations

import os
from datetime import datetime

import pytest

from archive.keys import UnsafeKeyError, article_key, manifest_key, safe_key, warc_key
from archive.storage import LocalStorage, StorageError, open_storage


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
    store = open_storage(str(tmp_path / "arch"))
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
    store = open_storage((tmp_path / "a b").as_uri())
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


def test_unknown_scheme():
    with pytest.raises(StorageError, match="ARCHIVE_URI"):
        open_storage("gopher://x/y")
