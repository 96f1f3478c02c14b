"""County names as reports show them."""

from __future__ import annotations


def test_county_names_are_spelt_as_the_counties_spell_them():
    from enclave.geography import county_fips, county_names

    names = county_names()
    assert set(names) == set(county_fips().values())  # every county, all 102
    assert len(names) == 102
    expected = {
        "17031": "Cook",
        "17043": "DuPage",
        "17163": "St. Clair",
        "17113": "McLean",
        "17111": "McHenry",
        "17099": "LaSalle",
        "17085": "Jo Daviess",
        "17161": "Rock Island",
        "17037": "DeKalb",
    }
    assert {fips: names[fips] for fips in expected} == expected
    assert all(name.isprintable() and name[0].isupper() for name in names.values())
