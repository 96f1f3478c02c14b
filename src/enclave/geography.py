"""Generalised geography for the research zone: ZIP -> county FIPS -> region.

Built offline from the ``zipcodes`` package (real Illinois ZIP codes and county
names). Illinois county FIPS codes are assigned alphabetically (Adams 17001 ...
Woodford 17203, odd numbers), with the Census ordering: ``Mc`` before ``Ma`` and
``St. Clair`` as ``Saint Clair``.

Regions (the coarser level used by ``deid.geography: region`` and by the
k-anonymity fallback) follow a stated rule, not an agency's map:

* ``R-COOK``: Cook County;
* ``R-COLLAR``: DuPage, Kane, Lake, McHenry, Will;
* every other county by the mean latitude of its ZIP codes: ``R-NORTH`` (>= 41.0),
  ``R-CENTRAL`` (>= 39.0), ``R-SOUTH`` (below).

>>> zip_county()["60601"], region_of("17031"), region_of("17043")
('17031', 'R-COOK', 'R-COLLAR')
"""

from __future__ import annotations

from functools import cache

import polars as pl

STATE_FIPS = "17"
COOK = "17031"
COLLAR = frozenset({"17043", "17089", "17097", "17111", "17197"})
NORTH_LATITUDE = 41.0
SOUTH_LATITUDE = 39.0
REGIONS = ("R-COOK", "R-COLLAR", "R-NORTH", "R-CENTRAL", "R-SOUTH")


def _census_order(county: str) -> str:
    """Sort key reproducing the Census alphabetical order of Illinois county names."""
    name = county.lower().removesuffix(" county").replace("st. ", "saint ")
    name = name.replace(" ", "").replace(".", "")
    return "m\x01" + name[2:] if name.startswith("mc") else name


@cache
def _zip_rows() -> tuple[tuple[str, str, float], ...]:
    import zipcodes  # local: only this module needs the ZIP database

    rows = zipcodes.filter_by(state="IL")
    return tuple(
        (r["zip_code"], _census_order(r["county"]), float(r["lat"])) for r in rows if r["county"]
    )


@cache
def county_fips() -> dict[str, str]:
    """Normalised county name -> 5-digit FIPS."""
    names = sorted({name for _, name, _ in _zip_rows()})
    return {name: f"{STATE_FIPS}{2 * i + 1:03d}" for i, name in enumerate(names)}


@cache
def zip_county() -> dict[str, str]:
    """ZIP code -> county FIPS for every Illinois ZIP."""
    fips = county_fips()
    return {zip_code: fips[name] for zip_code, name, _ in _zip_rows()}


@cache
def county_region() -> dict[str, str]:
    """County FIPS -> region code (see the module docstring for the rule)."""
    fips = county_fips()
    latitudes: dict[str, list[float]] = {}
    for _, name, lat in _zip_rows():
        latitudes.setdefault(fips[name], []).append(lat)
    return {county: _region(county, sum(lats) / len(lats)) for county, lats in latitudes.items()}


def _region(county: str, latitude: float) -> str:
    if county == COOK:
        return "R-COOK"
    if county in COLLAR:
        return "R-COLLAR"
    if latitude >= NORTH_LATITUDE:
        return "R-NORTH"
    return "R-CENTRAL" if latitude >= SOUTH_LATITUDE else "R-SOUTH"


def region_of(county: str) -> str | None:
    return county_region().get(county)


def zip_to_county_expr(column: str = "zip") -> pl.Expr:
    """ZIP -> county FIPS (null for a ZIP outside Illinois or unknown)."""
    table = zip_county()
    return pl.col(column).replace_strict(
        list(table), list(table.values()), default=None, return_dtype=pl.String
    )


def county_to_region_expr(column: str = "county_fips") -> pl.Expr:
    """County FIPS -> region code; a value that is already a region is kept."""
    table = county_region()
    keys = list(table) + list(REGIONS)
    values = list(table.values()) + list(REGIONS)
    return pl.col(column).replace_strict(keys, values, default=None, return_dtype=pl.String)


#: the ZIP database's spellings that differ from the county's own
SPELLING = {"Dupage": "DuPage", "Mclean": "McLean"}


def _spelt(name: str) -> str:
    return SPELLING.get(name, name)


@cache
def county_names() -> dict[str, str]:
    """5-digit FIPS -> the county's name as the ZIP database writes it, without
    "County" (``"17031"`` -> ``"Cook"``, ``"17043"`` -> ``"DuPage"``)."""
    import zipcodes

    fips = county_fips()
    return {
        fips[_census_order(r["county"])]: _spelt(r["county"].removesuffix(" County"))
        for r in zipcodes.filter_by(state="IL")
        if r["county"]
    }
