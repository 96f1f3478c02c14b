"""Reference lists the synthetic world draws from: census name frequencies,
Illinois ZIP codes with their counties, and street names.

Names come from the ``names`` package (the 1990 census first-name lists by sex and
the surname list, each with its frequency), so common names collide as they do in
real administrative data. ZIP codes come from ``zipcodes``; the package gives county
names only, so the Illinois FIPS codes are kept here (they are assigned in
alphabetical order, odd numbers 001-203).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

# Illinois' 102 counties in FIPS order (17001, 17003, ... 17203).
IL_COUNTIES: tuple[str, ...] = (
    "Adams", "Alexander", "Bond", "Boone", "Brown", "Bureau", "Calhoun", "Carroll",
    "Cass", "Champaign", "Christian", "Clark", "Clay", "Clinton", "Coles", "Cook",
    "Crawford", "Cumberland", "DeKalb", "De Witt", "Douglas", "DuPage", "Edgar",
    "Edwards", "Effingham", "Fayette", "Ford", "Franklin", "Fulton", "Gallatin",
    "Greene", "Grundy", "Hamilton", "Hancock", "Hardin", "Henderson", "Henry",
    "Iroquois", "Jackson", "Jasper", "Jefferson", "Jersey", "Jo Daviess", "Johnson",
    "Kane", "Kankakee", "Kendall", "Knox", "Lake", "LaSalle", "Lawrence", "Lee",
    "Livingston", "Logan", "McDonough", "McHenry", "McLean", "Macon", "Macoupin",
    "Madison", "Marion", "Marshall", "Mason", "Massac", "Menard", "Mercer", "Monroe",
    "Montgomery", "Morgan", "Moultrie", "Ogle", "Peoria", "Perry", "Piatt", "Pike",
    "Pope", "Pulaski", "Putnam", "Randolph", "Richland", "Rock Island", "St. Clair",
    "Saline", "Sangamon", "Schuyler", "Scott", "Shelby", "Stark", "Stephenson",
    "Tazewell", "Union", "Vermilion", "Wabash", "Warren", "Washington", "Wayne",
    "White", "Whiteside", "Will", "Williamson", "Winnebago", "Woodford",
)  # fmt: skip

COUNTY_FIPS: dict[str, str] = {n: f"17{2 * i + 1:03d}" for i, n in enumerate(IL_COUNTIES)}

# Approximate populations (thousands) of the larger counties; the rest get 25k.
# Only relative weights matter: where people live, so Cook dominates.
_COUNTY_POP_K = {
    "Cook": 5200, "DuPage": 930, "Lake": 710, "Will": 690, "Kane": 520, "McHenry": 310,
    "Winnebago": 285, "Madison": 265, "St. Clair": 257, "Champaign": 205,
    "Sangamon": 196, "Peoria": 181, "McLean": 170, "Rock Island": 144, "Kendall": 131,
    "Tazewell": 131, "LaSalle": 110, "Kankakee": 107, "Macon": 103, "DeKalb": 100,
    "Vermilion": 74, "Williamson": 67, "Adams": 65, "Jackson": 52,
}  # fmt: skip

STREETS: tuple[str, ...] = (
    "MAIN ST", "OAK ST", "MAPLE AVE", "ELM ST", "WASHINGTON ST", "LINCOLN AVE",
    "PARK AVE", "CHURCH ST", "2ND ST", "3RD ST", "4TH ST", "PINE ST", "CEDAR ST",
    "WALNUT ST", "JACKSON ST", "STATE ST", "MADISON AVE", "FRANKLIN ST", "HILL ST",
    "CENTER ST", "HICKORY LN", "LAKE ST", "GRANT ST", "JEFFERSON ST", "MILL RD",
    "SPRING ST", "RIDGE RD", "CHESTNUT ST", "PROSPECT AVE", "WESTERN AVE",
    "HALSTED ST", "ASHLAND AVE", "CICERO AVE", "PULASKI RD", "KEDZIE AVE",
    "DIVISION ST", "ADAMS ST", "MONROE ST", "ROOSEVELT RD", "GRAND AVE",
)  # fmt: skip


@dataclass(frozen=True)
class NameList:
    names: np.ndarray  # str, title case
    p: np.ndarray  # probabilities summing to 1


@dataclass(frozen=True)
class Zips:
    zip: np.ndarray  # str
    city: np.ndarray  # str
    county_fips: np.ndarray  # str
    county_idx: np.ndarray  # int: position in IL_COUNTIES
    p: np.ndarray  # sampling weight (county population spread over its ZIPs)


def _title(name: str) -> str:
    """Census names are upper case; 'MCDONALD' -> 'McDonald'."""
    t = name.capitalize()
    if t.startswith("Mc") and len(t) > 2:
        t = "Mc" + t[2:].capitalize()
    return t


@cache
def name_list(kind: str) -> NameList:
    """``kind`` is 'female', 'male' (first names) or 'last' (surnames)."""
    import names as names_pkg

    fname = {"female": "dist.female.first", "male": "dist.male.first", "last": "dist.all.last"}
    path = Path(names_pkg.__file__).parent / fname[kind]
    rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
    freq = np.array([float(r[1]) for r in rows])
    keep = freq > 0
    arr = np.array([_title(r[0]) for r in rows], dtype=object)[keep]
    return NameList(arr, freq[keep] / freq[keep].sum())


@cache
def il_zips() -> Zips:
    """Active standard Illinois ZIP codes, weighted so county populations are realistic."""
    import zipcodes

    rows = [
        z
        for z in zipcodes.filter_by(state="IL")
        if z["active"] and z["zip_code_type"] == "STANDARD"
    ]
    rows.sort(key=lambda z: z["zip_code"])
    lookup = {n.lower().replace(" ", ""): n for n in IL_COUNTIES}
    county = [lookup[z["county"].removesuffix(" County").lower().replace(" ", "")] for z in rows]
    per_county: dict[str, int] = {}
    for c in county:
        per_county[c] = per_county.get(c, 0) + 1
    w = np.array([_COUNTY_POP_K.get(c, 25) / per_county[c] for c in county])
    return Zips(
        zip=np.array([z["zip_code"] for z in rows], dtype=object),
        city=np.array([z["city"].upper() for z in rows], dtype=object),
        county_fips=np.array([COUNTY_FIPS[c] for c in county], dtype=object),
        county_idx=np.array([IL_COUNTIES.index(c) for c in county]),
        p=w / w.sum(),
    )
