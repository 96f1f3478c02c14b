"""Keyed pseudonyms: the master secret, per-project keys, and keyed hashing of columns.

The master secret never sits in the repository or in ``params.yaml``. It is read,
at the edge (the CLI / a stage's ``run``), in this order:

1. ``ENCLAVE_MASTER_KEY``: the secret as hex;
2. ``ENCLAVE_SECRET_FILE``: the path of a file holding the secret as hex, owned by
   the user and closed to group and others (``chmod 600``), else refused;
3. a local default, ``$XDG_CONFIG_HOME/enclave/master.key`` (``~/.config/enclave/``),
   created on first use with 32 random bytes, the file 0600 and the directory 0700.

Person pseudonyms (``pid``) and agency ids are HMAC-SHA256, hashed once per distinct
value. Record ids (``record_pid``) are one per row, tens of millions of them, so they
use a keyed pseudorandom permutation that runs over a whole column in one call:
AES-256 of the record key zero-padded to one 16-byte block, truncated like the HMAC
(a record key is at most 15 bytes; a longer value falls back to the HMAC).

Every pure function below takes the key as an argument. Keys are derived per
project *and* per purpose (a label), so ``pid`` of one project cannot be joined to
``pid`` of another, nor a person pseudonym to a record pseudonym:

>>> master = bytes(32)
>>> k = project_key(master, "demo", "person")
>>> k == project_key(master, "demo", "person"), k == project_key(master, "other", "person")
(True, False)
>>> pseudonymise(pl.Series(["P000000000001"]), k).str.len_chars().to_list()
[16]
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from enclave.errors import EnclaveError

MASTER_KEY_ENV = "ENCLAVE_MASTER_KEY"
SECRET_FILE_ENV = "ENCLAVE_SECRET_FILE"
#: hex characters kept of each HMAC-SHA256 digest (64 bits: collisions need ~4e9 values)
PSEUDONYM_LENGTH = 16
#: bump to re-key every project at once (old pseudonyms then no longer match)
_DERIVATION_VERSION = "enclave-pseudonym-v1"
_MIN_KEY_BYTES = 16


class SecretError(EnclaveError):
    """The master secret is missing, unreadable or malformed (never echoes the secret)."""


def resolve_master_key(environ: Mapping[str, str] | None = None) -> bytes:
    """The master secret from the environment, a secret file, or the local default."""
    env = os.environ if environ is None else environ
    if env.get(MASTER_KEY_ENV):
        return _parse_hex(env[MASTER_KEY_ENV], MASTER_KEY_ENV)
    if env.get(SECRET_FILE_ENV):
        return read_secret_file(Path(env[SECRET_FILE_ENV]))
    return _local_default(default_key_path(env))


def read_secret_file(path: Path) -> bytes:
    """The secret in ``path``, as hex text, from a file only its owner can open.

    Refused, with the fix in the message and no byte of the file in it: a file owned
    by another user, one that group or others may read or write, one that is not
    ASCII hex.
    """
    try:
        status = path.stat()
        data = path.read_bytes()
    except OSError:
        raise SecretError(f"secret file {path}: cannot be read") from None
    if status.st_uid != os.geteuid():
        raise SecretError(
            f"secret file {path}: owned by another user; the enclave uses only a key "
            f"file of its own user (chown it, then chmod 600 {path})"
        )
    if status.st_mode & 0o077:
        raise SecretError(
            f"secret file {path}: open to group or others (mode "
            f"{stat.S_IMODE(status.st_mode):04o}); run chmod 600 {path}"
        )
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise SecretError(
            f"master secret from {path}: not hex (the file holds a byte that is not ASCII)"
        ) from None
    return _parse_hex(text, str(path))


def default_key_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME/enclave/master.key``, ``~/.config/enclave/master.key`` without it."""
    env = os.environ if environ is None else environ
    base = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else Path.home() / ".config"
    return base / "enclave" / "master.key"


def _local_default(path: Path) -> bytes:
    """Read the local key, creating it (0600 in a 0700 directory) on first use."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    try:
        # O_EXCL: two stages starting together must not overwrite each other's key
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_secret_file(path)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    os.chmod(path, 0o600)
    return read_secret_file(path)


def _parse_hex(text: str, source: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:  # its message quotes the position only; still, show nothing
        raise SecretError(f"master secret from {source}: not hex") from None
    if len(key) < _MIN_KEY_BYTES:
        raise SecretError(f"master secret from {source}: shorter than {_MIN_KEY_BYTES} bytes")
    return key


def project_key(master: bytes, project: str, label: str) -> bytes:
    """The key of one project for one purpose (``person``, ``record``, ``case_id``...).

    An HMAC of the master secret over a versioned, unambiguous context string: the
    HKDF-expand step with a single output block.
    """
    context = f"{_DERIVATION_VERSION}\x00{project}\x00{label}".encode()
    return hmac.digest(master, context, hashlib.sha256)


def pseudonymise(values: pl.Series, key: bytes, length: int = PSEUDONYM_LENGTH) -> pl.Series:
    """HMAC-SHA256 of each value under ``key``, as ``length`` hex characters; null stays null.

    Each distinct value is hashed once (columns repeat ids a lot), then mapped back.
    """
    values = values.cast(pl.String)
    distinct = values.drop_nulls().unique().sort()
    digests = [
        hmac.digest(key, value.encode(), hashlib.sha256).hex()[:length]
        for value in distinct.to_list()
    ]
    mapping = pl.DataFrame(
        {"value": distinct, "pseudonym": pl.Series(digests, dtype=pl.String)},
    )
    return (
        values.to_frame("value")
        .join(mapping, on="value", how="left", maintain_order="left")
        .get_column("pseudonym")
        .alias(values.name)
    )


def pseudonym_expr(column: str, key: bytes, length: int = PSEUDONYM_LENGTH) -> pl.Expr:
    """:func:`pseudonymise` as an expression, for use inside ``with_columns``."""
    return pl.col(column).map_batches(
        lambda s: pseudonymise(s, key, length), return_dtype=pl.String
    )


_BLOCK = 16


def keyed_record_ids(values: pl.Series, key: bytes, length: int = PSEUDONYM_LENGTH) -> pl.Series:
    """A keyed pseudonym per value, vectorised: AES-256 over one zero-padded block.

    Values longer than a block (never a record key) go through :func:`pseudonymise`.
    """
    values = values.cast(pl.String)
    uniform = _uniform_size(values)
    if uniform is not None:
        # record keys: every value one ASCII block of one size, no null, nothing to
        # scatter back; the blocks come straight from the column's bytes
        return _encrypt(_uniform_blocks(values, uniform), key, length).alias(values.name)
    # one byte per character (ASCII) so that padding to 16 characters gives 16 bytes
    size = values.str.len_bytes()
    fits = (size <= _BLOCK) & (size == values.str.len_chars())
    padded = values.str.pad_end(_BLOCK, "\x00").filter(fits.fill_null(False))
    blocks = np.frombuffer(_column_bytes(padded), dtype=np.uint8).reshape(-1, _BLOCK)
    short = _encrypt(blocks, key, length)
    result = pl.Series(values.name, [None] * values.len(), dtype=pl.String)
    result = result.scatter(fits.fill_null(False).arg_true(), short)
    long = ~fits.fill_null(True)
    if long.any():
        result = result.scatter(long.arg_true(), pseudonymise(values.filter(long), key, length))
    return result


def _uniform_size(values: pl.Series) -> int | None:
    """The byte size every value has, if all are ASCII, non-null, of one size and fit
    in a block (as record keys do); else None."""
    size = values.str.len_bytes()
    if values.is_empty() or values.null_count() or size.min() != size.max():
        return None
    if size[0] > _BLOCK or not (size == values.str.len_chars()).all():
        return None
    return int(size[0])


def _column_bytes(values: pl.Series) -> memoryview:
    """The bytes of a text column's values, end to end."""
    array = values.to_arrow()
    if array.type not in (pa.large_string(), pa.large_binary()):
        array = array.cast(pa.large_binary())
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)
    first, last = offsets[array.offset], offsets[array.offset + len(array)]
    return memoryview(array.buffers()[2])[first:last]


def _uniform_blocks(values: pl.Series, size: int) -> np.ndarray:
    """Values of ``size`` bytes each, zero-padded to one block each: ``(n, 16)`` bytes."""
    data = np.frombuffer(_column_bytes(values), dtype=np.uint8).reshape(-1, size)
    blocks = np.zeros((values.len(), _BLOCK), dtype=np.uint8)
    blocks[:, :size] = data
    return blocks


def _encrypt(blocks: np.ndarray, key: bytes, length: int) -> pl.Series:
    """AES-256 of each ``(n, 16)`` block, the first ``length`` hex digits of each, as text."""
    width = (length + 1) // 2
    digits = _hex(_cipher(blocks, key)[:, :width])
    return digits if 2 * width == length else digits.str.head(length)


def _cipher(blocks: np.ndarray, key: bytes) -> np.ndarray:
    """AES-256 (ECB, so each block on its own) of ``(n, 16)`` bytes, as ``(n, 16)`` bytes."""
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    cipher = np.frombuffer(encryptor.update(np.ascontiguousarray(blocks)), dtype=np.uint8)
    encryptor.finalize()  # ECB over whole blocks: nothing held back
    return cipher.reshape(-1, _BLOCK)


def _hex(rows: np.ndarray) -> pl.Series:
    """Each row of ``(n, width)`` bytes as ``2 * width`` lowercase hex digits."""
    kept = np.ascontiguousarray(rows)
    width = kept.shape[1]
    array = pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(width), len(kept), [None, pa.py_buffer(kept)]
    )
    return pl.Series(array).cast(pl.Binary).bin.encode("hex")


#: hex digits a record number stands for: the 8 bytes of an unsigned 64-bit integer
_NUMBER_DIGITS = 16


def keyed_record_numbers(
    values: pl.Series, key: bytes, length: int = PSEUDONYM_LENGTH
) -> pl.Series | None:
    """:func:`keyed_record_ids` as unsigned 64-bit numbers, where that is exact.

    Each number's 8 bytes, big-endian, are the pseudonym's bytes, so numbers sort as
    the pseudonyms do and :func:`record_ids_of_numbers` gives the pseudonyms back. A
    number is 8 bytes against a text's 16 and more, and sorts without parsing:
    ``deidentify`` carries these through its spill files. None unless ``length`` is 16
    and every value is a record key of the uniform shape (as record keys are).
    """
    values = values.cast(pl.String)
    uniform = _uniform_size(values)
    if length != _NUMBER_DIGITS or uniform is None:
        return None
    cipher = _cipher(_uniform_blocks(values, uniform), key)
    numbers = np.ascontiguousarray(cipher[:, :8]).view(">u8").ravel().astype(np.uint64)
    return pl.Series(values.name, numbers, dtype=pl.UInt64)


def record_ids_of_numbers(numbers: pl.Series) -> pl.Series:
    """The 16-hex-digit pseudonyms that :func:`keyed_record_numbers` numbered."""
    big_endian = numbers.to_numpy().astype(">u8").view(np.uint8).reshape(-1, 8)
    return _hex(big_endian).alias(numbers.name)
