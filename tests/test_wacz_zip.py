"""The WACZ's ZIP structure as a range-reading replayer sees it.

ReplayWeb.page (wabac.js) never reads a WACZ whole: it reads the central directory, then fetches each
entry's bytes by HTTP range. When the central directory gives an entry no extra field, it takes the
entry's data to start at ``header_offset + 30 + len(filename)`` without reading the local file header;
an entry whose local header carries an extra field (a ZIP64 one, say) that the central directory does
not then starts with that extra field's bytes (``SyntaxError ... is not valid JSON`` on
``pages/pages.jsonl``). So for every entry the local header and the central directory must agree on
the extra fields, and the data offset computed from the local header must give exactly the entry's
bytes.

Checked on the WACZ of a real crawl of the demo site, and on one built by :func:`build_wacz` with
zipfile's ZIP64 threshold lowered to a few KB, so that the paths for entries past 2 GiB and entries
over 2 GiB run without writing gigabytes.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from archive.packaging import build_wacz
from tests.conftest import CrawlResult

LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # signature, versions, flags, method, time, date, crc, sizes, name/extra lengths
LOCAL_SIGNATURE = b"PK\x03\x04"


def extra_ids(extra: bytes) -> list[int]:
    """The header IDs of a ZIP extra field, in order."""
    ids, pos = [], 0
    while pos + 4 <= len(extra):
        header_id, size = struct.unpack_from("<HH", extra, pos)
        ids.append(header_id)
        pos += 4 + size
    assert pos == len(extra), f"malformed extra field {extra!r}"
    return ids


def check_entries(path: Path) -> list[str]:
    """Every entry's local header against the central directory; return the entry names."""
    names = []
    with zipfile.ZipFile(path) as zf, open(path, "rb") as fh:
        for info in zf.infolist():
            fh.seek(info.header_offset)
            fields = LOCAL_HEADER.unpack(fh.read(LOCAL_HEADER.size))
            assert fields[0] == LOCAL_SIGNATURE, info.filename
            name_len, extra_len = fields[9], fields[10]
            local_name = fh.read(name_len)
            local_extra = fh.read(extra_len)
            assert local_name == info.filename.encode("utf-8"), info.filename
            assert info.compress_type == zipfile.ZIP_STORED, info.filename
            # the same extra fields, by ID, in the local header and the central directory
            assert extra_ids(local_extra) == extra_ids(info.extra), (
                f"{info.filename}: local header extra {local_extra!r}, central directory extra {info.extra!r}"
            )
            data_offset = info.header_offset + LOCAL_HEADER.size + name_len + extra_len
            if not info.extra:  # wabac.js's shortcut: no extra field in the central directory, none read locally
                assert data_offset == info.header_offset + LOCAL_HEADER.size + len(info.filename.encode("utf-8"))
            fh.seek(data_offset)
            data = fh.read(info.compress_size)
            assert len(data) == info.file_size, info.filename
            assert zlib.crc32(data) == info.CRC, info.filename
            assert data == zf.read(info), info.filename
            names.append(info.filename)
    return names


def test_crawl_wacz_local_headers_match_central_directory(demo_crawl: CrawlResult) -> None:
    wacz = demo_crawl.archive / "warc" / demo_crawl.crawl_id / f"{demo_crawl.crawl_id}.wacz"
    names = check_entries(wacz)
    assert "pages/pages.jsonl" in names and "indexes/index.cdx" in names and "datapackage.json" in names
    assert sum(name.startswith("archive/") for name in names) == len(demo_crawl.warc_paths())
    with zipfile.ZipFile(wacz) as zf:  # what a replayer parses first: the page list, as JSON lines
        lines = zf.read("pages/pages.jsonl").decode("utf-8").splitlines()
    assert lines[0].startswith('{"format": "json-pages-1.0"')


def test_zip64_entries_agree_too(demo_crawl: CrawlResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the ZIP64 threshold at 4 KB, WARCs are 'over 2 GiB' and later entries 'past 2 GiB'."""
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 4096)
    warcs = demo_crawl.warc_paths()
    cdxj = demo_crawl.archive / "warc" / demo_crawl.crawl_id / "index.cdxj"
    small = tmp_path / "small.cdxj"  # an entry under the threshold, written past it
    small.write_text(cdxj.read_text("utf-8").splitlines()[0] + "\n", "utf-8")
    pages = [{"url": f"https://example.org/{i}", "ts": "2024-01-01T00:00:00.000Z", "title": "t" * 50}
             for i in range(100)]  # pages.jsonl over the threshold
    out = tmp_path / "big.wacz"
    build_wacz(out, warcs, small, pages, title="zip64", software="test")
    with zipfile.ZipFile(out) as zf:
        infos = {info.filename: info for info in zf.infolist()}
    assert infos["datapackage.json"].header_offset > 4096 and infos["indexes/index.cdx"].file_size < 4096
    assert infos["pages/pages.jsonl"].file_size > 4096
    assert any(info.file_size > 4096 for name, info in infos.items() if name.startswith("archive/"))
    assert all(1 in extra_ids(info.extra) for info in infos.values() if info.header_offset > 4096)
    check_entries(out)


def test_pack_survives_the_uploader_sending_a_spooled_warc(demo_crawl: CrawlResult, tmp_path: Path) -> None:
    """A remote store's WARC waits in the local spool until the uploader sends and deletes it, which can
    happen while the crawl is packed: the pack must read the file it found (or the store's copy), never
    fail because the spool's file went away."""
    import shutil

    from archive.local import LocalStorage
    from crawler.packager import pack_crawl

    warc = demo_crawl.warc_paths()[0]
    remote = LocalStorage(tmp_path / "remote")
    pending = tmp_path / "pending"

    class Spool(LocalStorage):
        """A spool whose uploader sends the WARC while the pack reads its per-file index."""

        def __init__(self) -> None:
            super().__init__(tmp_path / "spool")
            self.remote = remote

        def local_path(self, key: str) -> Path | None:
            return pending / key if key.endswith(".warc.gz") else super().local_path(key)

        def get_bytes(self, key: str) -> bytes | None:
            if key.startswith("crawls/") and key.endswith(".cdxj"):  # the WARC's index: the upload happens now
                warc_path = pending / f"warc/packtest/{warc.name}"
                if warc_path.exists():
                    remote.put_bytes(f"warc/packtest/{warc.name}", warc_path.read_bytes())
                    warc_path.unlink()
            return super().get_bytes(key)

        def fetch_to(self, key: str, dest: Path) -> bool:
            return super().fetch_to(key, dest) or remote.fetch_to(key, dest)

    key = f"warc/packtest/{warc.name}"
    (pending / key).parent.mkdir(parents=True)
    shutil.copyfile(warc, pending / key)
    spool = Spool()
    keys = pack_crawl(spool, "packtest", [warc.name], [], "demo")
    assert spool.exists(keys["cdxj"]) and spool.exists(keys["wacz"])
    assert not (pending / key).exists()  # it was sent meanwhile
    names = check_entries(tmp_path / "spool" / keys["wacz"])
    assert f"archive/{warc.name}" in names
