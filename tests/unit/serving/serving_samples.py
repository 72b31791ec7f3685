"""Upload bodies for the serving tests: real images in every accepted format, and broken ones.

Nothing here allocates a large image: the 20,000 x 20,000 PNG is a valid header around a tiny
compressed stream.
"""

from __future__ import annotations

import gzip
import io
import struct
import zlib

from pathlib import Path

import numpy as np


def png_bytes(array: np.ndarray) -> bytes:
    """A greyscale or RGB PNG of ``(H, W)`` / ``(H, W, 3)`` uint8."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.asarray(array, dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def jpeg_bytes(array: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.asarray(array, dtype=np.uint8)).save(buf, format="JPEG", quality=95)
    return buf.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def huge_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A PNG whose header says ``width x height`` greyscale, with a few hundred bytes of data:
    decoding it would allocate width*height bytes (a decompression bomb); checking it must not."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * 64  # only the start of the first row: never a full image
    idat = compressor.compress(row * 4) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def dicom_bytes(pixels: np.ndarray, with_pixels: bool = True) -> bytes:
    """A minimal single-frame MR DICOM file (uint16 pixels), with the 128-byte preamble and DICM."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MRImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = MRImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "MR"
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    if with_pixels:
        ds.PixelData = np.asarray(pixels, dtype=np.uint8).tobytes()
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def broken_dicom() -> bytes:
    """128 zero bytes, ``DICM``, then garbage: sniffed as DICOM, undecodable."""
    return b"\x00" * 128 + b"DICM" + bytes(range(256)) * 4


def nifti_bytes(volume: np.ndarray, gz: bool = False) -> bytes:
    """A NIfTI-1 single file (``n+1``) of ``volume`` (x, y[, z]) float32, optionally gzipped."""
    import nibabel as nib

    img = nib.Nifti1Image(np.asarray(volume, dtype=np.float32), np.eye(4))
    img.header.set_data_offset(352)
    raw = img.header.binaryblock + b"\x00" * 4 + np.asarray(volume, dtype=np.float32).tobytes(order="F")
    return gzip.compress(raw) if gz else raw


def huge_nifti_header(shape: tuple[int, ...] = (4000, 4000, 4000)) -> bytes:
    """A NIfTI-1 header promising ``shape`` with no data behind it."""
    import nibabel as nib

    header = nib.Nifti1Header()
    header.set_data_shape(shape)
    header.set_data_dtype(np.float32)
    header.set_data_offset(352)
    return header.binaryblock + b"\x00" * 4


def lesion_image(seed: int = 0, lesion: bool = True, size: int = 28) -> np.ndarray:
    """A (size, size) uint8 image like the synthetic lesion data: noise, plus a bright disc when ``lesion``."""
    rng = np.random.default_rng(seed)
    img = rng.normal(100, 20, (size, size))
    if lesion:
        yy, xx = np.mgrid[:size, :size]
        cy, cx = rng.integers(8, size - 8, 2)
        img[(yy - cy) ** 2 + (xx - cx) ** 2 <= 16] += 120
    return np.clip(img, 0, 255).astype(np.uint8)


def tiny_bundle(path: Path, name: str = "unit") -> Path:
    """A seed-cnn bundle (random weights) with a fitted 28 px preprocessor."""
    import torch

    from meddx.bundle.bundle import save_bundle
    from meddx.models.registry import create_model
    from meddx.transforms.image import ImagePreprocessor

    torch.manual_seed(0)
    images = [np.random.default_rng(i).integers(0, 255, (1, 28, 28), dtype=np.uint8) for i in range(4)]
    pre = ImagePreprocessor((28, 28), 1).fit(images)
    net = create_model("seed-cnn", in_channels=1, num_classes=2, image_size=28).eval()
    config = {"name": name, "task": "binary", "label_names": ["neg", "pos"], "spatial_dims": 2,
              "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 28}, "num_classes": 2},
              "preprocessing": pre.to_dict(), "decision": {"threshold": 0.4, "rule": "youden"}, "tta": []}
    return save_bundle(path, net=net, config=config, metrics={"val": {"auc": 0.8}}, model_card="# card")
