"""A bundle holding a pickle in any disguise is refused by read_bundle_config (and so by load and register)."""

from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path

import pytest

from meddx.bundle.bundle import load_bundle, read_bundle_config
from meddx.core.errors import BundleError
from meddx.registry.store import register_bundle
from tests.unit.serving.serving_samples import tiny_bundle


def _torch_zip() -> bytes:
    buf = io.BytesIO()
    # a fixed timestamp: the bytes are part of the test's id, and xdist workers collecting them a
    # second apart saw two different tests and stopped the whole run ("Different tests were collected")
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in (("archive/data.pkl", pickle.dumps({"a": 1}, protocol=2)), ("archive/version", b"3")):
            zf.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


@pytest.mark.parametrize("name, data", [
    ("model.pkl", b"anything"),
    ("weights.pt", b"anything"),
    ("extra.ckpt", b""),
    ("pytorch_model.bin", b"\x00\x01"),
    ("notes.json", pickle.dumps([1, 2, 3], protocol=4)),  # a pickle under an innocent name
    ("state", pickle.dumps({"x": 1}, protocol=2)),
    ("data.zip", _torch_zip()),  # torch.save's zip format
])
def test_pickles_are_refused_by_name_or_content(tmp_path: Path, name: str, data: bytes) -> None:
    folder = tiny_bundle(tmp_path / "b")
    read_bundle_config(folder)
    (folder / name).write_bytes(data)
    for fn in (read_bundle_config, load_bundle, register_bundle):
        with pytest.raises(BundleError, match=name.replace(".", r"\.")):
            fn(folder)


def test_harmless_files_and_safetensors_that_start_like_a_pickle_are_accepted(tmp_path: Path) -> None:
    folder = tiny_bundle(tmp_path / "b")
    header = b'{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'
    header += b" " * (0x0280 - len(header))  # header length 640 = bytes 80 02: a pickle's opening bytes
    (folder / "extra.safetensors").write_bytes(len(header).to_bytes(8, "little") + header + b"\x00" * 4)
    (folder / "report.html").write_text("<html></html>")
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as zf:
        zf.writestr("figures/a.txt", "x")
    (folder / "figures.zip").write_bytes(zbuf.getvalue())
    assert read_bundle_config(folder)["name"] == "unit"
    assert load_bundle(folder).label_names == ["neg", "pos"]
