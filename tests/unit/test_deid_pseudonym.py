"""Master secret resolution, key file permissions and keyed pseudonyms."""

from __future__ import annotations

import os
import stat

import polars as pl
import pytest

from enclave.deid import pseudonym
from enclave.deid.pseudonym import SecretError, project_key, pseudonymise, resolve_master_key

HEX = "ab" * 32


def test_env_key_wins_over_secret_file(tmp_path):
    secret = tmp_path / "s.key"
    secret.write_text("cd" * 32)
    secret.chmod(0o600)
    env = {"ENCLAVE_MASTER_KEY": HEX, "ENCLAVE_SECRET_FILE": str(secret)}
    assert resolve_master_key(env) == bytes.fromhex(HEX)


def test_secret_file_is_read(tmp_path):
    secret = tmp_path / "s.key"
    secret.write_text("cd" * 32 + "\n")
    secret.chmod(0o600)
    assert resolve_master_key({"ENCLAVE_SECRET_FILE": str(secret)}) == bytes.fromhex("cd" * 32)


def test_local_default_is_created_owner_only(tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    first = resolve_master_key(env)
    path = tmp_path / "cfg" / "enclave" / "master.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert len(first) == 32
    assert resolve_master_key(env) == first  # created once, then reused


def test_default_path_falls_back_to_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert pseudonym.default_key_path({}) == tmp_path / ".config" / "enclave" / "master.key"


@pytest.mark.parametrize("bad", ["not-hex-at-all", "abcd"])
def test_bad_secret_is_refused_without_echoing_it(bad):
    with pytest.raises(SecretError) as exc:
        resolve_master_key({"ENCLAVE_MASTER_KEY": bad})
    assert bad not in str(exc.value)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o606])
def test_a_key_file_open_to_group_or_others_is_refused(tmp_path, mode):
    secret = tmp_path / "s.key"
    secret.write_text("cd" * 32)
    secret.chmod(mode)
    with pytest.raises(SecretError) as exc:
        resolve_master_key({"ENCLAVE_SECRET_FILE": str(secret)})
    assert f"chmod 600 {secret}" in str(exc.value) and str(secret) in str(exc.value)
    assert "cd" * 4 not in str(exc.value)


def test_the_local_default_key_is_refused_once_opened_up(tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    resolve_master_key(env)
    (tmp_path / "cfg" / "enclave" / "master.key").chmod(0o644)
    with pytest.raises(SecretError, match="chmod 600"):
        resolve_master_key(env)


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_key_file_of_another_user_is_refused(tmp_path):
    secret = tmp_path / "s.key"
    secret.write_text("cd" * 32)
    secret.chmod(0o600)
    os.chown(secret, 4242, -1)
    with pytest.raises(SecretError, match="owned by another user"):
        resolve_master_key({"ENCLAVE_SECRET_FILE": str(secret)})


@pytest.mark.parametrize(
    "content",
    [
        "cd" * 16 + "\u00e9" + "cd" * 15,  # one non-ASCII character among hex
        "zz" * 32,  # ASCII, not hex
    ],
)
def test_a_malformed_key_file_shows_no_byte_of_it(tmp_path, content):
    secret = tmp_path / "s.key"
    secret.write_bytes(content.encode("utf-8"))
    secret.chmod(0o600)
    with pytest.raises(SecretError) as exc:
        resolve_master_key({"ENCLAVE_SECRET_FILE": str(secret)})
    message = str(exc.value)
    assert "not hex" in message and str(secret) in message
    assert "\u00e9" not in message and "0xc3" not in message and "cd" * 2 not in message
    assert exc.value.__cause__ is None and exc.value.__suppress_context__  # no chained traceback


def test_missing_secret_file_is_an_error(tmp_path):
    with pytest.raises(SecretError):
        resolve_master_key({"ENCLAVE_SECRET_FILE": str(tmp_path / "nope")})


def test_labels_and_projects_give_different_keys():
    master = bytes(range(32))
    keys = {project_key(master, p, label) for p in ("a", "b") for label in ("person", "record")}
    assert len(keys) == 4


def test_pseudonyms_are_fixed_length_hex_and_keep_nulls():
    key = project_key(bytes(32), "demo", "person")
    out = pseudonymise(pl.Series(["P1", None, "P2", "P1"]), key)
    assert out[1] is None
    assert out[0] == out[3] != out[2]
    assert out.drop_nulls().str.contains(r"^[0-9a-f]{16}$").all()


def test_pseudonym_is_the_truncated_hmac():
    import hashlib
    import hmac

    key = b"k" * 32
    expected = hmac.new(key, b"P000000000001", hashlib.sha256).hexdigest()[:16]
    assert pseudonymise(pl.Series(["P000000000001"]), key).item() == expected


def test_record_ids_are_truncated_aes_of_the_padded_key():
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = project_key(bytes(32), "demo", "record")
    block = b"idhs-000000042".ljust(16, b"\0")
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    expected = (encryptor.update(block) + encryptor.finalize()).hex()[:16]
    assert pseudonym.keyed_record_ids(pl.Series(["idhs-000000042"]), key).item() == expected


def test_record_ids_keep_nulls_order_and_slices():
    key = project_key(bytes(32), "demo", "record")
    values = pl.Series(
        ["hfs-000000001", None, "x" * 40, "isbe-000000007", "hfs-000000001", "é" * 8]
    )
    out = pseudonym.keyed_record_ids(values, key)
    assert out[1] is None and out[0] == out[4]
    assert out[2] == pseudonymise(pl.Series(["x" * 40]), key).item()  # long: HMAC fallback
    assert out[5] == pseudonymise(pl.Series(["é" * 8]), key).item()  # not ASCII: HMAC
    assert pseudonym.keyed_record_ids(values[3:], key).to_list() == out[3:].to_list()
    assert pseudonym.keyed_record_ids(pl.Series([], dtype=pl.String), key).is_empty()
