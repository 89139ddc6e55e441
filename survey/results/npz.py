"""A snapshot as bytes and back: numpy's .npz of every column, texts as UTF-8 (no pickles).

The stored copy (stored.py) and its shared file hold these bytes. Reading them back makes no
copies: each column is a read-only view of the bytes (or of the mapped shared file).
"""

from __future__ import annotations

import io
import math
import struct
import zipfile
from collections.abc import Mapping

import numpy as np

from ..questionnaire.model import Questionnaire
from .columns import Part
from .layout import layout
from .snapshot import Snapshot, from_part
from .texts import PackedText, id_bytes


def dump(snapshot: Snapshot) -> bytes:
    """Return the snapshot as bytes: numpy's .npz of every column, texts as UTF-8 (no pickles)."""
    arrays: dict[str, np.ndarray] = {"ids": snapshot.ids, "keys": snapshot.keys}
    for kind in ("categorical", "multi", "numbers"):
        for key, values in getattr(snapshot, kind).items():
            arrays[f"{kind}:{key}"] = values
    for key in snapshot.texts:
        rows, ids, values = snapshot.text(key)
        encoded = [value.encode() for value in values]
        arrays[f"texts:{key}:rows"] = rows
        arrays[f"texts:{key}:ids"] = id_bytes(ids)
        arrays[f"texts:{key}:lengths"] = np.array([len(e) for e in encoded], dtype=np.int64)
        arrays[f"texts:{key}:utf8"] = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _views(data: bytes | bytearray) -> dict[str, np.ndarray]:
    """Return the arrays of an .npz made by `dump` as read-only views of its bytes, not copies.

    `np.savez` stores each array uncompressed (a .npy file in a ZIP), so each is read where it
    lies: a worker then holds the stored copy once, not the bytes and every array besides (at a
    million responses, 115 MB instead of 260 MB). Anything else (a compressed member) is copied
    by numpy's own reader. No pickles either way.
    """
    arrays: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(_InPlace(data)) as archive:
        for info in archive.infolist():
            name = info.filename.removesuffix(".npy")
            found = _view(data, info) if info.compress_type == zipfile.ZIP_STORED else None
            if found is None:
                with archive.open(info) as member:
                    found = np.lib.format.read_array(member, allow_pickle=False)
            found.flags.writeable = False  # a stored copy is read, never written to
            arrays[name] = found
    return arrays


class _InPlace(io.RawIOBase):
    """A read-only file over bytes or a bytearray without copying them (io.BytesIO copies a bytearray)."""

    def __init__(self, data: bytes | bytearray) -> None:
        self._data = memoryview(data)
        self._at = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._at, io.SEEK_END: len(self._data)}[whence]
        self._at = max(0, base + offset)
        return self._at

    def tell(self) -> int:
        return self._at

    def readinto(self, buffer) -> int:
        piece = self._data[self._at : self._at + len(buffer)]
        buffer[: len(piece)] = piece
        self._at += len(piece)
        return len(piece)


def npy_header(stream) -> tuple[tuple[int, ...], bool, np.dtype] | None:
    """Read a .npy file's header from a stream: (shape, Fortran order, dtype), or None if its
    version is not one numpy writes. Refuses Python objects (a stored snapshot holds none)."""
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
    else:
        return None
    if dtype.hasobject:
        raise ValueError("a stored snapshot holds no Python objects")
    return shape, fortran, dtype


def _view(data: bytes | bytearray, info: zipfile.ZipInfo) -> np.ndarray | None:
    """Return one uncompressed .npy member as a view of the archive's bytes (None: read it as numpy does)."""
    start = info.header_offset
    if data[start : start + 4] != b"PK\x03\x04":
        return None
    name_length, extra_length = struct.unpack("<HH", data[start + 26 : start + 30])
    offset = start + 30 + name_length + extra_length  # where the member's bytes, a .npy file, begin
    header = io.BytesIO(data[offset : offset + 65_536 + 16])
    found = npy_header(header)
    if found is None:
        return None
    shape, fortran, dtype = found
    if header.tell() + dtype.itemsize * math.prod(shape) != info.file_size:
        return None  # not the .npy file it claims to be: let numpy's reader say what is wrong
    flat = np.frombuffer(data, dtype=dtype, count=math.prod(shape), offset=offset + header.tell())
    return flat.reshape(shape, order="F" if fortran else "C")


def load(questionnaire: Questionnaire, data: bytes | bytearray, batch: int) -> Snapshot:
    """Return a snapshot from `dump`'s bytes (its columns are read-only views of them)."""
    saved = _views(data)
    return assemble(questionnaire, saved, len(saved["ids"]), batch)


def assemble(questionnaire: Questionnaire, saved: Mapping[str, np.ndarray], n: int, batch: int) -> Snapshot:
    """Return a snapshot of n rows from the arrays of a stored copy (columns may hold more rows: room to grow)."""
    plan = layout(questionnaire)
    ids = saved["ids"]
    columns = {
        kind: {key: saved[f"{kind}:{key}"] for key in keys}
        for kind, keys in (("categorical", plan.categorical), ("multi", plan.multi), ("numbers", plan.numbers))
    }
    texts = {
        key: PackedText(
            saved[f"texts:{key}:rows"],
            saved[f"texts:{key}:ids"],
            np.cumsum(saved[f"texts:{key}:lengths"]),
            saved[f"texts:{key}:utf8"],
        )
        for key in plan.texts
    }
    part = Part(n, columns["categorical"], columns["multi"], columns["numbers"], texts, ids, saved["keys"])
    return from_part(questionnaire, part, batch)
