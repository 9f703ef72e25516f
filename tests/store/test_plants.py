"""Uploads become versions only within the limits; files are stored once; a version's hash is its content's."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from zonewarden.store import plants
from zonewarden.store.database import open_database
from zonewarden.store.plants import UploadError, read_upload
from zonewarden.store.tables import Blob
from zonewarden.store.users import add_user

EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "zonewarden" / "examples" / "fill-finish"


def zipped(entries: dict[str, bytes], **kw) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in entries.items():
            z.writestr(name, body, **kw)
    return buf.getvalue()


def example_zip() -> bytes:
    return zipped({f"fill-finish/{p.relative_to(EXAMPLE)}": p.read_bytes() for p in EXAMPLE.rglob("*") if p.is_file()})


def test_zipped_example_folder_unpacks_without_its_capture():
    up = read_upload("fill-finish.zip", example_zip())
    assert up.entry == "plant.yaml"
    assert "assets/cell-1.yaml" in up.files and "tracking.yaml" in up.files
    assert "assets/sbom/printer-label.cdx.json" in up.files
    assert up.skipped == ["traffic.pcap"]


@pytest.mark.parametrize(("entries", "message"), [
    ({"../evil.yaml": b"x", "plant.yaml": b"x"}, "'..'"),
    ({"/etc/plant.yaml": b"x"}, "absolute"),
    ({"notes.yaml": b"x"}, "no plant.yaml"),
])
def test_bad_zips_are_refused_with_the_entry_named(entries, message):
    with pytest.raises(UploadError, match=message):
        read_upload("p.zip", zipped(entries))


def test_zip_bomb_and_entry_count_limits(monkeypatch):
    with pytest.raises(UploadError, match="zip bomb"):
        read_upload("p.zip", zipped({"plant.yaml": b"a" * 5_000_000}))
    monkeypatch.setattr(plants, "MAX_FILES", 3)
    with pytest.raises(UploadError, match="4 entries; at most 3"):
        read_upload("p.zip", zipped({f"{i}.yaml": b"x" for i in range(3)} | {"plant.yaml": b"x"}))


def test_symlink_entry_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo("plant.yaml")
        info.external_attr = (0o120777 << 16)
        z.writestr(info, "/etc/passwd")
    with pytest.raises(UploadError, match="symbolic links"):
        read_upload("p.zip", buf.getvalue())


def test_single_yaml_and_wrong_kinds():
    assert read_upload("site.yaml", b"zonewarden: 1\n").entry == "site.yaml"
    with pytest.raises(UploadError, match="empty"):
        read_upload("site.yaml", b"")
    with pytest.raises(UploadError, match="expected a plant YAML"):
        read_upload("site.txt", b"zonewarden: 1\n")


def test_versions_share_unchanged_files_and_hash_by_content(db_url, tmp_path):
    db = open_database(db_url)
    up = read_upload("fill-finish.zip", example_zip())
    with db.session() as s:
        alice = add_user(s, "alice", "asset_owner", "correct horse battery")
        p = plants.create_plant(s, "fill-finish", "Fill-finish")
        v1 = plants.add_version(s, p, up, alice, "first upload")
        blobs = s.query(Blob).count()
        changed = plants.Upload(dict(up.files, **{"tracking.yaml": up.files["tracking.yaml"] + b"\n"}), up.entry)
        v2 = plants.add_version(s, p, changed, alice, "status edited")
        assert s.query(Blob).count() == blobs + 1
        assert (v1.number, v2.number) == (1, 2) and v1.hash != v2.hash
        assert plants.version_hash(plants.files_of(s, v1)) == v1.hash
        assert plants.latest(s, p).id == v2.id
        folder = plants.materialize(tmp_path / "plants", v1.hash, plants.files_of(s, v1))
    from zonewarden import load_plant

    assert load_plant(folder / "plant.yaml").plant.name == load_plant(EXAMPLE / "plant.yaml").plant.name
    db.engine.dispose()


def test_plant_ids_are_checked_and_unique(db_url):
    db = open_database(db_url)
    with db.session() as s:
        plants.create_plant(s, "a-1", "A")
        with pytest.raises(UploadError, match="exists already"):
            plants.create_plant(s, "a-1", "A")
        with pytest.raises(UploadError, match="lower-case"):
            plants.create_plant(s, "A B", "A")
    db.engine.dispose()
