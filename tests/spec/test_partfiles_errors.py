"""A linkage zone whose ``parts.json`` is damaged is refused in one line naming it,
never read as a zone missing rows (``enclave.partfiles.rows``)."""

from __future__ import annotations

import polars as pl
import pytest

from enclave import io, partfiles
from enclave.errors import InputError


@pytest.fixture
def zone(tmp_path):
    """A zone with one month as a part of its crosswalk."""
    before, after = tmp_path / "before", tmp_path / "zone"
    whole = pl.DataFrame({"record_key": ["a-1", "c-1"], "person_key": ["P1", "P2"]})
    io.write_parquet(whole, before / "crosswalk.parquet")
    month = pl.DataFrame({"record_key": ["b-1"], "person_key": ["P3"]})
    layout = partfiles.add_part(partfiles.rows(before, "crosswalk"), month, after, 1)
    io.write_json({"crosswalk": layout}, after / partfiles.PARTS)
    return after


def test_a_sound_zone_reads_in_key_order(zone):
    keys = partfiles.rows(zone, "crosswalk").scan().collect().get_column("record_key")
    assert keys.to_list() == ["a-1", "b-1", "c-1"]


def test_a_missing_part_is_named(zone):
    (zone / "parts" / "crosswalk.001.parquet").unlink()
    with pytest.raises(InputError) as caught:
        partfiles.rows(zone, "crosswalk")
    message = str(caught.value)
    assert str(zone / partfiles.PARTS) in message and "parts/crosswalk.001.parquet" in message
    assert "\n" not in message and "run link again" in message


@pytest.mark.parametrize(
    "text",
    ["{not json", '["crosswalk"]', '{"crosswalk": [["crosswalk.parquet", -1, 2]]}',
     '{"crosswalk": [["crosswalk.parquet", 0]]}', '{"crosswalk": [[1, 0, 2]]}'],
)  # fmt: skip
def test_a_damaged_layout_is_refused(zone, text):
    (zone / partfiles.PARTS).write_text(text)
    with pytest.raises(InputError, match="not a parts layout"):
        partfiles.rows(zone, "crosswalk")


def test_parts_without_their_layout_are_refused(zone):
    """A zone with months' parts but no ``parts.json`` would read without the months."""
    (zone / partfiles.PARTS).unlink()
    with pytest.raises(InputError, match="missing beside parts/"):
        partfiles.rows(zone, "crosswalk")
