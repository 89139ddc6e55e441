"""The stored copy of a survey's snapshot: a row of `stored_snapshot`, and a shared file per machine.

A process that holds no snapshot of a survey starts from its stored copy (if any), so that a new
worker does not re-read every response; the copy is replaced as the snapshot grows, and whenever
responses were dropped from it. The same bytes (npz.py) are written to a file in SNAPSHOT_DIR,
named by their SHA-256, which every process of the machine maps instead of reading the database
(docs/decisions/0022-shared-snapshot-files.md).
"""

from __future__ import annotations

import hashlib
import math
import mmap
import os
import struct
import threading
import zipfile
from pathlib import Path

import numpy as np
from flask import current_app
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import DBAPIError

from ..extensions import db
from ..models import StoredSnapshot
from ..questionnaire.model import Questionnaire
from .npz import assemble, dump, load, npy_header
from .snapshot import Snapshot, capacity_for


def identity(survey) -> tuple:
    """Return what names a survey's snapshot: the survey, its questionnaire and the copy's format."""
    # A deleted survey's id can be given to a new one (SQLite reuses ids): never serve its snapshot.
    # "keyed": stored copies made before record keys were kept are never read.
    return (survey.id, survey.slug, str(survey.created_at), survey.questionnaire.checksum, "keyed")


def identity_text(identity: tuple) -> str:
    """Return a snapshot's identity as the stored copy's row (and the shared results' keys) name it."""
    return "|".join(str(part) for part in identity)[:255]


# --- reading the stored copy ------------------------------------------------------------------


def load_copy(survey_id: int, identity: tuple, questionnaire: Questionnaire) -> Snapshot | None:
    """Return the survey's stored copy, from its shared file or the database (None: there is none)."""
    where = (StoredSnapshot.survey_id == survey_id, StoredSnapshot.identity == identity_text(identity))
    found = db.session.execute(select(StoredSnapshot.batch, StoredSnapshot.digest).where(*where)).first()
    if found is None:
        return None
    shared = _shared(questionnaire, found.batch, found.digest)
    if shared is not None:
        return shared
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        row = _postgresql_stored(connection.connection.driver_connection, survey_id, identity_text(identity))
    elif connection.dialect.name == "sqlite":
        return _sqlite_stored(
            connection.connection.driver_connection, survey_id, identity_text(identity), questionnaire
        )
    else:
        row = connection.execute(select(StoredSnapshot.batch, StoredSnapshot.data).where(*where)).first()
    return load(questionnaire, row[1], row[0]) if row is not None else None


# --- the stored copy shared as a file by this machine's processes -----------------------------


def _folder() -> Path | None:
    folder = current_app.config.get("SNAPSHOT_DIR")
    return Path(folder) if folder else None


def _shared_path(digest: str | None) -> Path | None:
    """Return where the shared file of the copy with this digest lies (None: no folder, or no digest)."""
    folder = _folder()
    return folder / f"{digest}.npz" if folder is not None and digest is not None else None


def _shared(questionnaire: Questionnaire, batch: int, digest: str | None) -> Snapshot | None:
    """Return the stored copy mapped from its shared file, if this machine has it (None: read the database).

    The file is named by the SHA-256 of the copy's bytes, which the stored row names: a file of an
    older copy, or of another database, is never taken for this one. Its columns are read-only
    views of the mapped file, so taking in a release costs a worker a few milliseconds whatever
    its size, and the pages are held once for every process of the machine (in the page cache),
    not once per worker.
    """
    path = _shared_path(digest)
    if path is None:
        return None
    try:
        with open(path, "rb") as file:
            mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        return load(questionnaire, mapped, batch)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):  # missing, empty or damaged: use the database
        return None


def _write_shared(digest: str, data: bytes) -> None:
    """Write a stored copy's bytes to its shared file (readable by this account only), whole or not at all."""
    path = _shared_path(digest)
    if path is None:
        return
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = path.with_name(f".{digest}.{os.getpid()}.{threading.get_ident()}")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.replace(partial, path)
    except OSError:  # a full or read-only disk: the database copy serves
        return


def sweep_shared() -> None:
    """Delete shared files that no stored copy names any more (replaced, or its responses deleted).

    The folder is listed before the stored copies are read: a file is written only after its row
    committed, so no file listed can belong to a row this query misses. A file in use stays
    readable by the processes that mapped it until they let it go.
    """
    folder = _folder()
    if folder is None or not folder.is_dir():
        return
    files = list(folder.glob("*.npz"))
    kept = set(db.session.scalars(select(StoredSnapshot.digest).where(StoredSnapshot.digest.is_not(None))))
    for path in files:
        if path.stem not in kept:
            path.unlink(missing_ok=True)


# Bytes of a stored snapshot read at a time on SQLite, and on PostgreSQL: each piece is a
# temporary on top of the whole copy, so it adds to a worker's peak memory (a few more reads of a
# smaller piece cost nothing that can be measured).
BLOB_PIECE = 2**20
BYTEA_PIECE = 4 * 2**20


def _postgresql_stored(raw, survey_id: int, identity: str) -> tuple[int, bytearray] | None:
    """Read a stored copy from PostgreSQL a piece at a time into one buffer.

    Fetched whole, the bytea would sit in libpq's input buffer and its result, and then in a bytes
    object: three times its size at once. One statement (so one view of the row, whatever a worker
    stores meanwhile) returns it in pieces through a server-side cursor, in binary. The value is
    detoasted once (`data || ''`, kept by the materialised CTE); cutting each piece from the
    compressed column instead would decompress everything before it, again for every piece.
    """
    query = """
        WITH stored AS MATERIALIZED (
            SELECT batch, data || ''::bytea AS data FROM stored_snapshot
            WHERE survey_id = %(survey)s AND identity = %(identity)s
        )
        SELECT batch, octet_length(data), start, substring(data FROM start FOR %(piece)s)
        FROM stored, generate_series(1, octet_length(data), %(piece)s) AS start
    """  # no ORDER BY: each piece says where it goes, and sorting them would spill to disk
    data = None
    batch = None
    with raw.cursor(name="stored_snapshot", binary=True) as cursor:
        cursor.execute(query, {"survey": survey_id, "identity": identity, "piece": BYTEA_PIECE})
        while (found := cursor.fetchone()) is not None:
            batch, size, start, piece = found
            if data is None:
                data = bytearray(size)
            data[start - 1 : start - 1 + len(piece)] = piece
    return None if data is None else (batch, data)


def _sqlite_stored(raw, survey_id: int, identity: str, questionnaire: Questionnaire) -> Snapshot | None:
    """Read a stored copy from SQLite a piece at a time, each column into its own array (`_read_stored`).

    Fetched whole, the blob would be copied into SQLite's memory and then into a bytes object:
    twice its size at once. The row and its blob are read in one read transaction (begun here
    unless the session has one open), so a worker replacing the copy meanwhile is not seen half-way.
    A copy not as `dump` writes it is read whole into one buffer, for numpy's own reader.
    """
    began = not raw.in_transaction
    if began:
        raw.execute("BEGIN")
    try:
        found = raw.execute(
            "SELECT rowid, batch, length(data) FROM stored_snapshot WHERE survey_id = ? AND identity = ?",
            (survey_id, identity),
        ).fetchone()
        if found is None:
            return None
        rowid, batch, size = found
        with raw.blobopen("stored_snapshot", "data", rowid, readonly=True) as blob:
            snapshot = _read_stored(questionnaire, blob, batch)
            if snapshot is not None:
                return snapshot
            blob.seek(0)
            data = bytearray(size)
            for start in range(0, size, BLOB_PIECE):
                data[start : start + BLOB_PIECE] = blob.read(BLOB_PIECE)
        return load(questionnaire, data, batch)
    finally:
        if began:
            raw.rollback()  # it only read


def _read_stored(questionnaire: Questionnaire, file, batch: int) -> Snapshot | None:
    """Return a snapshot read from a file holding `dump`'s bytes (SQLite's blob), member by member.

    Each column is read straight into an array of its own with room to grow (a quarter more rows,
    as a snapshot's backing arrays grow; memory never written to is never resident), a piece at a
    time: the whole copy is never held besides. A worker that loaded the stored copy then adds new batches in
    place; with the copy's bytes as the columns (`load`), the first new batch copied every column
    while the bytes were still held (at a million responses, 143 MB more at that moment).
    None when the file is not as `dump` writes it (compressed members): read it whole instead.
    """
    saved: dict[str, np.ndarray] = {}
    n = None
    with zipfile.ZipFile(file) as archive:
        members = archive.infolist()
    for info in members:
        if info.compress_type != zipfile.ZIP_STORED:
            return None
        file.seek(info.header_offset)
        local = file.read(30)
        if local[:4] != b"PK\x03\x04":
            return None
        name_length, extra_length = struct.unpack("<HH", local[26:30])
        start = info.header_offset + 30 + name_length + extra_length
        file.seek(start)
        found = npy_header(file)
        if found is None:
            return None
        shape, fortran, dtype = found
        size = dtype.itemsize * math.prod(shape)
        if (fortran and len(shape) > 1) or not shape or file.tell() - start + size != info.file_size:
            return None
        name = info.filename.removesuffix(".npy")
        rows = shape[0]
        array = np.empty((rows if name.startswith("texts:") else capacity_for(rows), *shape[1:]), dtype=dtype)
        target = array[:rows].reshape(-1).view(np.uint8)
        for at in range(0, size, BLOB_PIECE):
            piece = file.read(min(BLOB_PIECE, size - at))
            target[at : at + len(piece)] = np.frombuffer(piece, dtype=np.uint8)
        saved[name] = array
        if name == "ids":
            n = rows
    return None if n is None else assemble(questionnaire, saved, n, batch)


# --- storing it ------------------------------------------------------------------------------


STORE_FROM = 5_000  # responses: below this a snapshot is built faster than it is stored and read
STORE_GROWTH = 0.02  # rewrite once it has grown by this share (at least STORE_FROM responses)


_saved: dict[int, int] = {}  # survey id -> responses in its stored copy, as this process last knew


def store_if_due(survey_id: int, identity: tuple, snapshot: Snapshot, stored_n: int | None, dropped: bool) -> None:
    """Replace the stored copy when the snapshot has grown enough since it, or lost rows.

    `stored_n` is the size of the stored copy when this process read it (None: this process has
    stored or checked it before, and `_saved` remembers the size).
    """
    if stored_n is not None:
        _saved[survey_id] = stored_n
    grown = snapshot.n - _saved.get(survey_id, 0)
    if not dropped and (snapshot.n < STORE_FROM or grown < max(STORE_FROM, STORE_GROWTH * snapshot.n)):
        return
    save(survey_id, identity, snapshot)


def is_current(survey_id: int, identity: tuple, snapshot: Snapshot) -> bool:
    """Return whether the stored copy is this snapshot, with its shared file when files are kept.

    Ends the session's transaction, so that nothing of ours is open while `save` writes on its
    own connection.
    """
    stored = db.session.execute(
        select(StoredSnapshot.identity, StoredSnapshot.batch, StoredSnapshot.n, StoredSnapshot.digest).where(
            StoredSnapshot.survey_id == survey_id
        )
    ).first()
    db.session.commit()  # nothing of ours open while save writes on its own connection
    if stored is None or tuple(stored[:3]) != (identity_text(identity), snapshot.batch, snapshot.n):
        return False
    path = _shared_path(stored.digest)
    return _folder() is None or (path is not None and path.is_file())  # no files kept, or it has its file


def save(survey_id: int, identity: tuple, snapshot: Snapshot) -> bool:
    """Store the snapshot in its own short transaction; give up at once if anything holds a lock.

    It is a copy: when it cannot be written now, the next read tries again. Once stored, its
    shared file is written and this process remembers its size (`store_if_due`).
    """
    table = StoredSnapshot.__table__
    data = dump(snapshot)
    digest = hashlib.sha256(data).hexdigest()
    try:
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("SET LOCAL lock_timeout = '200ms'")
            elif connection.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA busy_timeout = 200")
            try:
                connection.execute(delete(table).where(table.c.survey_id == survey_id))
                connection.execute(
                    insert(table).values(
                        survey_id=survey_id,
                        identity=identity_text(identity),
                        batch=snapshot.batch,
                        n=snapshot.n,
                        data=data,
                        digest=digest,
                    )
                )
            finally:
                if connection.dialect.name == "sqlite":
                    connection.exec_driver_sql("PRAGMA busy_timeout = 5000")
    except DBAPIError:  # locked, or another worker stored it first
        return False
    _write_shared(digest, data)
    sweep_shared()
    _saved[survey_id] = snapshot.n
    return True


def delete_stored(survey_id: int) -> None:
    """Delete a survey's stored snapshot in the current transaction (responses were deleted)."""
    db.session.execute(delete(StoredSnapshot).where(StoredSnapshot.survey_id == survey_id))
    _saved.pop(survey_id, None)
    sweep_shared()  # its file too (if this transaction is rolled back, the database copy serves)
