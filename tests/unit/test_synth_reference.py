"""Reference lists: census name frequencies, Illinois counties and ZIP codes."""

from __future__ import annotations

import numpy as np

from enclave.synth import reference


def test_illinois_has_102_counties_with_odd_fips_codes_in_order():
    fips = list(reference.COUNTY_FIPS.values())
    assert len(fips) == 102
    assert fips[0] == "17001" and fips[-1] == "17203"
    assert reference.COUNTY_FIPS["Cook"] == "17031"
    assert reference.COUNTY_FIPS["DuPage"] == "17043"
    assert reference.COUNTY_FIPS["Macon"] == "17115"
    assert all(int(f[2:]) % 2 == 1 for f in fips)


def test_every_zip_is_an_illinois_zip_in_a_known_county():
    zips = reference.il_zips()
    assert len(zips.zip) > 1000
    assert all(z[:2] in {"60", "61", "62"} for z in zips.zip)
    assert set(zips.county_fips) == set(reference.COUNTY_FIPS.values())
    assert np.isclose(zips.p.sum(), 1)


def test_cook_county_holds_the_largest_share_of_people():
    zips = reference.il_zips()
    cook = zips.p[zips.county_fips == "17031"].sum()
    assert 0.3 < cook < 0.5


def test_name_lists_are_frequency_weighted_and_sex_specific():
    female, male, last = (reference.name_list(k) for k in ("female", "male", "last"))
    assert female.names[0] == "Mary" and male.names[0] == "James" and last.names[0] == "Smith"
    for lst in (female, male, last):
        assert np.isclose(lst.p.sum(), 1)
        assert lst.p[0] > lst.p[-1]
    assert reference.name_list("last").names.tolist().count("McDonald") == 1
