"""The population at the start of the window: households, couples, children, twins.

Built vectorised: ages from an age pyramid, mothers matched to children by age,
husbands to wives by an age-rank join, and every living unit given an address.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from enclave.synth import reference
from enclave.synth.state import NONE, Growable, People

MAX_AGE = 95


def draw_first(rng: np.random.Generator, sex: np.ndarray) -> np.ndarray:
    """First names by sex from the census frequency lists (sex 0 = F, 1 = M)."""
    out = np.empty(len(sex), dtype=object)
    for code, kind in ((0, "female"), (1, "male")):
        where = np.flatnonzero(sex == code)
        lst = reference.name_list(kind)
        out[where] = lst.names[rng.choice(len(lst.names), size=len(where), p=lst.p)]
    return out


def draw_middle(rng: np.random.Generator, sex: np.ndarray, first: np.ndarray) -> np.ndarray:
    """A middle name for about 70%, never equal to the first name."""
    middle = draw_first(rng, sex)
    middle[(rng.random(len(sex)) > 0.7) | (middle == first)] = None
    return middle


def draw_surname(rng: np.random.Generator, k: int) -> np.ndarray:
    lst = reference.name_list("last")
    return lst.names[rng.choice(len(lst.names), size=k, p=lst.p)]


def new_addresses(
    rng: np.random.Generator, addresses: Growable, k: int, near_zip: np.ndarray | None = None
) -> np.ndarray:
    """Create ``k`` addresses; with ``near_zip``, 75% stay in that ZIP's county."""
    zips = reference.il_zips()
    z = rng.choice(len(zips.zip), size=k, p=zips.p)
    if near_zip is not None:
        same = rng.random(k) < 0.75
        # another ZIP of the same county: shift to a random ZIP sharing the county index
        county = zips.county_idx[near_zip]
        order = np.argsort(zips.county_idx, kind="stable")
        lo = np.searchsorted(zips.county_idx[order], county, side="left")
        hi = np.searchsorted(zips.county_idx[order], county, side="right")
        pick = order[lo + (rng.random(k) * (hi - lo)).astype(np.int64)]
        z = np.where(same, pick, z)
    house = rng.integers(100, 9999, size=k)
    street = rng.integers(0, len(reference.STREETS), size=k)
    apt = np.where(rng.random(k) < 0.25, rng.integers(1, 40, size=k), 0)
    return addresses.append(zip=z, house=house, street=street, apt=apt)


def age_pyramid(rng: np.random.Generator, k: int) -> np.ndarray:
    """Ages 0-95: flat to 55, then thinning out as survival falls."""
    ages = np.arange(MAX_AGE + 1)
    w = np.where(ages < 55, 1.0, np.clip(1.0 - (ages - 55) / 44.0, 0.04, None))
    return rng.choice(ages, size=k, p=w / w.sum())


def _pick_by_age(
    rng: np.random.Generator, cand: np.ndarray, cand_age: np.ndarray, target: np.ndarray
) -> np.ndarray:
    """For each target age, a random candidate of exactly that age (NONE if there is none)."""
    order = np.argsort(cand_age, kind="stable")
    sorted_age = cand_age[order]
    lo = np.searchsorted(sorted_age, target, side="left")
    hi = np.searchsorted(sorted_age, target, side="right")
    has = hi > lo
    pos = lo + (rng.random(len(target)) * (hi - lo)).astype(np.int64)
    out = np.full(len(target), NONE, dtype=np.int64)
    out[has] = cand[order[pos[has]]]
    return out


def match_pairs(
    rng: np.random.Generator, a: np.ndarray, a_target: np.ndarray, b: np.ndarray, b_age: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Match people ``a`` (each wanting a partner of age ``a_target``) to distinct ``b``.

    Within each age, the i-th seeker (random order) gets the i-th candidate, so each
    candidate is used once; seekers beyond the supply stay unmatched.
    """
    ra = rng.permutation(len(a))
    a, a_target = a[ra], a_target[ra]
    rb = rng.permutation(len(b))
    b, b_age = b[rb], b_age[rb]
    oa = np.lexsort((np.arange(len(a)), a_target))
    ob = np.lexsort((np.arange(len(b)), b_age))
    ta, tb = a_target[oa], b_age[ob]
    rank_a = np.arange(len(ta)) - np.searchsorted(ta, ta, side="left")
    lo_b = np.searchsorted(tb, ta, side="left")
    hi_b = np.searchsorted(tb, ta, side="right")
    ok = rank_a < (hi_b - lo_b)
    return a[oa][ok], b[ob][lo_b[ok] + rank_a[ok]]


def initial_population(
    rng: np.random.Generator,
    people: People,
    units: Growable,
    addresses: Growable,
    n0: int,
    start: int,
) -> np.ndarray:
    """Fill the first ``n0`` person slots; returns each person's marriage day (or NONE)."""
    n_twins = int(n0 * 0.006)
    base = n0 - n_twins
    idx = people.add(n0)
    age = np.empty(n0, np.int64)
    age[:base] = age_pyramid(rng, base)
    p_female = np.where(age[:base] >= 75, 0.6, 0.5)
    people.sex[:base] = (rng.random(base) >= p_female).astype(np.int8)
    people.dob[:base] = start - age[:base] * 365 - rng.integers(0, 365, size=base) - age[:base] // 4

    # mothers: a woman of the child's age plus a maternal age; young adults often have left
    b_idx = idx[:base]
    women = b_idx[(people.sex[:base] == 0) & (age[:base] >= 16)]
    kids = b_idx[age[:base] < 30]
    keep_mother = rng.random(len(kids)) < np.where(age[kids] < 18, 0.95, 0.6)
    kids = kids[keep_mother]
    target = age[kids] + np.clip(np.round(rng.normal(27, 5.5, len(kids))), 16, 44).astype(int)
    mom = _pick_by_age(rng, women, age[women], target)
    # no two non-twin children of one mother born the same year
    key = mom * 200 + age[kids]
    _, first_pos = np.unique(key, return_index=True)
    dup = np.ones(len(kids), bool)
    dup[first_pos] = False
    mom[dup] = NONE
    people.mother[kids] = mom

    # couples: women 18-85 marry with an age-dependent chance, husbands by age rank
    wa = age[women]
    p_married = np.where(wa < 22, 0.15, np.where(wa < 70, 0.62, 0.45))
    has_kid = np.zeros(n0, bool)
    has_kid[mom[mom >= 0]] = True
    p_married = np.where(has_kid[women], 0.72, p_married)
    seekers = women[(rng.random(len(women)) < p_married) & (wa >= 18)]
    men = b_idx[(people.sex[:base] == 1) & (age[:base] >= 18)]
    want = age[seekers] + np.round(rng.normal(2.5, 3.0, len(seekers))).astype(int)
    wives, husbands = match_pairs(rng, seekers, want, men, age[men])
    people.spouse[wives], people.spouse[husbands] = husbands, wives
    marriage = np.full(n0, NONE, np.int64)
    years_married = np.minimum(age[wives] - 18, rng.integers(0, 40, size=len(wives)))
    marriage[wives] = start - years_married * 365 - rng.integers(1, 365, size=len(wives))
    marriage[husbands] = marriage[wives]

    # fathers: the mother's husband for most; some other man for unmarried mothers
    kid_w = kids[mom >= 0]
    m = people.mother[kid_w]
    hus = people.spouse[m]
    other = _pick_by_age(
        rng, men, age[men], age[m] + np.round(rng.normal(2.5, 4, len(m))).astype(int)
    )
    use_other = (hus < 0) & (rng.random(len(m)) < 0.45)
    people.father[kid_w] = np.where(
        hus >= 0, np.where(rng.random(len(m)) < 0.94, hus, other), np.where(use_other, other, NONE)
    )

    # twins: copies of some children (same mother, father, birth date)
    if n_twins:
        pool = kid_w[age[kid_w] < 25]
        src = rng.choice(pool, size=min(n_twins, len(pool)), replace=False)
        src = np.sort(src)
        tw = idx[base : base + len(src)]
        age[tw] = age[src]
        for arr in (people.dob, people.mother, people.father):
            arr[tw] = arr[src]
        people.sex[tw] = (rng.random(len(src)) < 0.5).astype(np.int8)
        people.twin[tw], people.twin[src] = src, tw
        # unused twin slots (tiny populations) become extra adults
        extra = idx[base + len(src) :]
        age[extra] = 30
        people.dob[extra] = start - 30 * 365
        people.sex[extra] = 1

    _names(rng, people, idx, marriage)
    _units(rng, people, units, addresses, idx, age, start)
    people.entry[idx] = np.minimum(people.dob[idx], start)
    return marriage


def _names(rng: np.random.Generator, people: People, idx: np.ndarray, marriage: np.ndarray):
    """Birth surnames from fathers or mothers, married names for wives, first and middle."""
    n = len(idx)
    people.first[idx] = draw_first(rng, people.sex[idx])
    people.middle[idx] = draw_middle(rng, people.sex[idx], people.first[idx])
    people.birth_surname[idx] = draw_surname(rng, n)
    # parents before children: order by birth date
    order = idx[np.argsort(people.dob[idx], kind="stable")]
    mothers = people.mother[order]
    # generations are at most ~5 deep, so a few passes settle every child's surname
    for _ in range(6):
        wives = idx[(people.sex[idx] == 0) & (people.spouse[idx] >= 0)]
        people.surname[idx] = people.birth_surname[idx]
        people.surname[wives] = people.birth_surname[people.spouse[wives]]
        f = people.father[order]
        from_father = f >= 0
        from_mother = (~from_father) & (mothers >= 0)
        people.birth_surname[order[from_father]] = people.birth_surname[f[from_father]]
        people.birth_surname[order[from_mother]] = people.surname[mothers[from_mother]]
    wives = idx[(people.sex[idx] == 0) & (people.spouse[idx] >= 0)]
    u = rng.random(len(wives))
    husband_name = people.birth_surname[people.spouse[wives]]
    hyphen = hyphenate(people.birth_surname[wives], husband_name)
    people.surname[idx] = people.birth_surname[idx]
    people.surname[wives] = np.where(u < 0.8, husband_name, np.where(u < 0.87, hyphen, None))
    keep = people.surname[wives] == None  # noqa: E711 (numpy object comparison)
    people.surname[wives[keep]] = people.birth_surname[wives[keep]]
    # twins get their own first names; juniors take their father's
    tw = idx[people.twin[idx] >= 0]
    same = people.first[tw] == people.first[people.twin[tw]]
    people.first[tw[same]] = draw_first(rng, people.sex[tw[same]])
    juniors(rng, people, idx[(people.sex[idx] == 1) & (people.father[idx] >= 0)], 0.04)


def hyphenate(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise ``a-b`` of two string arrays."""
    joined = pl.Series(a.tolist(), dtype=pl.String) + "-" + pl.Series(b.tolist(), dtype=pl.String)
    return joined.to_numpy().astype(object)


def juniors(rng: np.random.Generator, people: People, sons: np.ndarray, share: float) -> None:
    """Some sons get their father's first name and surname: JR (or III), the father SR."""
    sons = sons[(rng.random(len(sons)) < share) & (people.twin[sons] < 0)]
    dad = people.father[sons]
    sons = sons[people.birth_surname[sons] == people.birth_surname[dad]]
    dad = people.father[sons]
    _, first_son = np.unique(dad, return_index=True)  # one junior per father
    sons, dad = sons[first_son], dad[first_son]
    people.first[sons] = people.first[dad]
    people.suffix[sons] = np.where(people.suffix[dad] == "JR", "III", "JR")
    plain = people.suffix[dad] == None  # noqa: E711
    people.suffix[dad[plain]] = "SR"


def _units(rng, people: People, units: Growable, addresses: Growable, idx, age, start) -> None:
    """Living units: couples, mothers with children; other adults alone."""
    unit = idx.copy()
    husbands = idx[(people.sex[idx] == 1) & (people.spouse[idx] >= 0)]
    unit[husbands] = people.spouse[husbands]
    m, f = people.mother[idx], people.father[idx]
    stay = (age < 18) | ((age < 25) & (rng.random(len(idx)) < 0.5))
    stay &= people.spouse[idx] < 0
    with_mom = stay & (m >= 0)
    with_dad = stay & (m < 0) & (f >= 0)
    for _ in range(4):  # a young mother living with her own mother: follow the chain
        unit[with_mom] = unit[m[with_mom]]
        unit[with_dad] = unit[f[with_dad]]
    # children with no parent present live with an older relative (an adult's unit)
    orphan = (age < 16) & (m < 0) & (f < 0)
    adults = idx[age >= 40]
    unit[orphan] = unit[rng.choice(adults, size=int(orphan.sum()))]
    uniq, inv = np.unique(unit, return_inverse=True)
    addr = new_addresses(rng, addresses, len(uniq))
    since = start - rng.integers(0, 3650, size=len(uniq))
    base, x = rng.normal(0, 0.7, len(uniq)), rng.normal(0, 0.7, len(uniq))
    u = units.append(h=base + x, base=base, x=x, addr=addr, since=since)
    people.unit[idx] = u[inv]
    people.household[idx] = u[inv]
