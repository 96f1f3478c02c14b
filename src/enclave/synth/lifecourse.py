"""Advance the population through the window one year at a time.

Each year, every step works on all people at once: hardship evolves (AR(1) per
living unit), people die, women give birth (sometimes twins), units move, couples
marry (new unit, new surname) or divorce, young adults leave home, immigrants
arrive. Event dates fall in fixed parts of the year (moves Jan-Apr, marriages
May-Aug, leaving home Aug-Oct) so one person's residence rows stay in order.
"""

from __future__ import annotations

import numpy as np

from enclave.synth.population import (
    draw_first,
    draw_middle,
    draw_surname,
    hyphenate,
    juniors,
    match_pairs,
    new_addresses,
)
from enclave.synth.state import NONE, Events, Growable, People, day

RHO = 0.8  # year-to-year persistence of a unit's passing hardship
SD = 0.7  # spread of the lasting (base) and passing (x) parts of hardship


def age_at(people: People, who: np.ndarray, when: int | np.ndarray) -> np.ndarray:
    return (np.asarray(when) - people.dob[who]) / 365.25


def annual_death_prob(age: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Gompertz mortality, raised by hardship; infants carry an extra risk."""
    q = 0.0004 + np.exp(-10.4 + 0.092 * age) + np.where(age < 1, 0.005, 0.0)
    return np.clip(q * np.exp(0.25 * h), 0, 0.6)


def fertility(age: np.ndarray) -> np.ndarray:
    """Relative age-specific fertility, peaking near 28."""
    return np.where((age >= 15) & (age < 45), np.exp(-0.5 * ((age - 28.5) / 6.0) ** 2), 0.0)


class Year:
    """One simulated calendar year; ``run`` applies each step in order."""

    def __init__(self, rng, people: People, units: Growable, addresses: Growable, events: Events):
        self.rng, self.people, self.units, self.addresses = rng, people, units, addresses
        self.events = events

    def present(self, when: int) -> np.ndarray:
        p = self.people
        n = p.count
        return np.flatnonzero((p.entry[:n] <= when) & (p.death[:n] > when))

    def run(self, year: int, n_births: int, n_immigrants: int) -> None:
        self.year, self.t0, self.t1 = year, day(year), day(year + 1)
        self.hardship()
        self.deaths()
        born = self.births(n_births)
        self.moves()
        self.marriages()
        self.divorces()
        self.leave_home()
        # a tiny population may lack mothers: arrivals keep the final size exact
        self.immigrants(n_immigrants + n_births - born)
        self.record()

    # ------------------------------------------------------------------ steps

    def hardship(self) -> None:
        u = self.units
        u.x[:] = RHO * u.x + np.sqrt(1 - RHO**2) * SD * self.rng.normal(0, 1, u.count)
        u.h[:] = u.base + u.x

    def deaths(self) -> None:
        p, rng = self.people, self.rng
        alive = self.present(self.t0)
        q = annual_death_prob(age_at(p, alive, self.t0 + 182), self.units.h[p.unit[alive]])
        dead = alive[rng.random(len(alive)) < q]
        p.death[dead] = self.t0 + rng.integers(0, 365, size=len(dead))
        widowed = p.spouse[dead]
        widowed = widowed[widowed >= 0]
        p.spouse[widowed] = NONE
        p.spouse[dead] = NONE

    def births(self, k: int) -> int:
        """Up to ``k`` babies (twins among them); returns how many were born."""
        p, rng = self.people, self.rng
        if k <= 0:
            return 0
        alive = self.present(self.t0)
        women = alive[(p.sex[alive] == 0) & (p.death[alive] >= self.t1)]
        women = women[p.last_birth[women] < self.t0 - 300]
        w = fertility(age_at(p, women, self.t0 + 182)) * np.where(p.spouse[women] >= 0, 1.6, 1.0)
        w *= np.exp(0.15 * self.units.h[p.unit[women]])
        twins = rng.binomial(k // 2, 0.03)
        events = min(k - twins, int((w > 0).sum()))
        twins = min(twins, events, k - events)
        if events <= 0:
            return 0
        mothers = np.sort(rng.choice(women, size=events, replace=False, p=w / w.sum()))
        rng.shuffle(mothers)
        bday = self.t0 + rng.integers(0, 365, size=events)
        father, named = self._fathers(mothers, alive)
        # the first ``twins`` events are twin births: two children each
        ev = np.concatenate([np.arange(events), np.arange(twins)])
        kids = p.add(len(ev))
        m = mothers[ev]
        p.mother[kids], p.father[kids] = m, father[ev]
        p.dob[kids] = p.entry[kids] = bday[ev]
        p.sex[kids] = (rng.random(len(kids)) < 0.512).astype(np.int8)
        tw_a, tw_b = kids[:twins], kids[events:]
        p.twin[tw_a], p.twin[tw_b] = tw_b, tw_a
        p.last_birth[mothers] = bday
        married = (p.spouse[m] >= 0) & (p.spouse[m] == p.father[kids])
        # an unmarried mother sometimes gives the named father's surname (twins alike)
        by_name = named & (father >= 0) & (rng.random(events) < 0.3)
        takes_father = married | by_name[ev]
        fsur = p.birth_surname[np.maximum(p.father[kids], 0)]
        p.birth_surname[kids] = np.where(takes_father, fsur, p.surname[m])
        p.surname[kids] = p.birth_surname[kids]
        p.first[kids] = draw_first(rng, p.sex[kids])
        p.middle[kids] = draw_middle(rng, p.sex[kids], p.first[kids])
        same = (p.twin[tw_b] >= 0) & (p.first[tw_b] == p.first[tw_a])
        p.first[tw_b[same]] = draw_first(rng, p.sex[tw_b[same]])
        juniors(rng, p, kids[(p.sex[kids] == 1) & married], 0.04)
        p.unit[kids] = p.household[kids] = p.unit[m]
        self.events.residence.append((kids, p.dob[kids], self.units.addr[p.unit[kids]]))
        self.events.surname.append((kids, p.dob[kids], p.birth_surname[kids]))
        plurality = np.where(p.twin[kids] >= 0, 2, 1).astype(np.int8)
        self.events.births.append(
            {
                "child": kids,
                "mother": m,
                "father": p.father[kids],
                "named": named[ev],
                "day": p.dob[kids],
                "addr": self.units.addr[p.unit[kids]],
                "plurality": plurality,
            }
        )
        return len(kids)

    def _fathers(self, mothers: np.ndarray, alive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The husband for married mothers; often another man for the others."""
        p, rng = self.people, self.rng
        husband = p.spouse[mothers]
        men = alive[(p.sex[alive] == 1) & (age_at(p, alive, self.t0) >= 17)]
        men = men[age_at(p, men, self.t0) < 55]
        other = rng.choice(men, size=len(mothers)) if len(men) else np.full(len(mothers), NONE)
        has_other = rng.random(len(mothers)) < 0.7
        father = np.where(husband >= 0, husband, np.where(has_other, other, NONE))
        named = np.where(husband >= 0, True, (father >= 0) & (rng.random(len(mothers)) < 0.7))
        return father, named

    def _members(self, unit_ids: np.ndarray, when: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """People living in the given units (alive on the unit's event day) and that day."""
        p = self.people
        n = p.count
        day_of = np.full(self.units.count, NONE, np.int64)
        day_of[unit_ids] = when
        d = day_of[p.unit[:n]]
        # babies born later in the year move too (their row date is their birth day)
        who = np.flatnonzero((d >= 0) & (p.death[:n] > d))
        return who, d[who]

    def _move_people(self, who: np.ndarray, when: np.ndarray) -> None:
        p = self.people
        self.events.residence.append(
            (who, np.maximum(when, p.entry[who]), self.units.addr[p.unit[who]])
        )

    def moves(self) -> None:
        """Whole units move (Jan-Apr), more often when hard up; most stay in the county."""
        p, rng, u = self.people, self.rng, self.units
        alive = self.present(self.t0)
        active = np.unique(p.unit[alive])
        prob = 0.07 * np.exp(0.35 * u.h[active])
        moving = active[rng.random(len(active)) < prob]
        zips = self.addresses.zip[u.addr[moving]]
        u.addr[moving] = new_addresses(rng, self.addresses, len(moving), near_zip=zips)
        u.since[moving] = self.t0 + rng.integers(0, 120, size=len(moving))
        who, when = self._members(moving, u.since[moving])
        self._move_people(who, when)

    def _new_units(self, base, x, near: np.ndarray, when: np.ndarray) -> np.ndarray:
        """Units with an address near ``near``'s; hardship = lasting base + passing x."""
        zips = self.addresses.zip[self.units.addr[near]]
        addr = new_addresses(self.rng, self.addresses, len(base), near_zip=zips)
        return self.units.append(h=base + x, base=base, x=x, addr=addr, since=when)

    def marriages(self) -> None:
        """Unmarried women marry men of about their age (May-Aug); most take his surname."""
        p, rng = self.people, self.rng
        alive = self.present(self.t0)
        alive = alive[p.death[alive] >= self.t1]
        single = alive[p.spouse[alive] < 0]
        age = age_at(p, single, self.t0)
        women = single[(p.sex[single] == 0) & (age >= 18) & (age < 70)]
        aw = age_at(p, women, self.t0)
        prob = np.where(aw < 40, 0.07, 0.025)
        women = women[rng.random(len(women)) < prob]
        men = single[(p.sex[single] == 1) & (age >= 18) & (age < 80)]
        want = age_at(p, women, self.t0).astype(int) + np.round(rng.normal(2.5, 3, len(women)))
        wives, husbands = match_pairs(
            rng, women, want.astype(int), men, age_at(p, men, self.t0).astype(int)
        )
        if len(wives) == 0:
            return
        when = self.t0 + 120 + rng.integers(0, 120, size=len(wives))
        old_w, old_h = p.unit[wives], p.unit[husbands]
        u = self.units
        base, x = 0.5 * (u.base[old_w] + u.base[old_h]), 0.5 * (u.x[old_w] + u.x[old_h])
        new = self._new_units(base, x, old_w, when)
        p.spouse[wives], p.spouse[husbands] = husbands, wives
        # wife, husband and each one's young children living with them join the new unit
        n = p.count
        moving = np.full(n, NONE, np.int64)
        moving[wives], moving[husbands] = np.arange(len(wives)), np.arange(len(wives))
        kids = np.flatnonzero(age_at(p, np.arange(n), self.t0) < 18)
        for parent in (p.mother, p.father):
            par = parent[kids]
            ok = (par >= 0) & (moving[np.maximum(par, 0)] >= 0)
            ok &= p.unit[kids] == p.unit[np.maximum(par, 0)]
            moving[kids[ok]] = moving[par[ok]]
        who = np.flatnonzero(moving >= 0)
        who = who[p.death[who] > when[moving[who]]]
        p.unit[who] = new[moving[who]]
        self._move_people(who, when[moving[who]])
        u = rng.random(len(wives))
        his = p.birth_surname[husbands]
        name = np.where(u < 0.8, his, hyphenate(p.birth_surname[wives], his))
        change = u < 0.87
        p.surname[wives[change]] = name[change]
        self.events.surname.append((wives[change], when[change], name[change]))

    def divorces(self) -> None:
        """A few couples split: the husband moves out; some wives return to their birth name."""
        p, rng = self.people, self.rng
        alive = self.present(self.t0)
        wives = alive[(p.sex[alive] == 0) & (p.spouse[alive] >= 0)]
        wives = wives[(rng.random(len(wives)) < 0.012) & (p.death[wives] >= self.t1)]
        husbands = p.spouse[wives]
        wives, husbands = (
            wives[p.death[husbands] >= self.t1],
            husbands[p.death[husbands] >= self.t1],
        )
        when = self.t0 + 250 + rng.integers(0, 60, size=len(wives))
        old = p.unit[husbands]
        base = self.units.base[old] + rng.normal(0, 0.3, len(old))
        p.unit[husbands] = self._new_units(base, self.units.x[old], old, when)
        self._move_people(husbands, when)
        p.spouse[wives] = p.spouse[husbands] = NONE
        back = wives[rng.random(len(wives)) < 0.3]
        back = back[p.surname[back] != p.birth_surname[back]]
        p.surname[back] = p.birth_surname[back]
        self.events.surname.append(
            (back, self.t0 + 320 + np.zeros(len(back), np.int64), p.surname[back])
        )

    def leave_home(self) -> None:
        """Unmarried young adults living with a parent set up their own unit (Aug-Oct)."""
        p, rng = self.people, self.rng
        alive = self.present(self.t0)
        alive = alive[p.death[alive] >= self.t1]
        age = age_at(p, alive, self.t0)
        young = alive[(age >= 18) & (age < 30) & (p.spouse[alive] < 0)]
        m, f = p.mother[young], p.father[young]
        home = ((m >= 0) & (p.unit[np.maximum(m, 0)] == p.unit[young])) | (
            (f >= 0) & (p.unit[np.maximum(f, 0)] == p.unit[young])
        )
        go = young[home & (rng.random(len(young)) < 0.22)]
        when = self.t0 + 215 + rng.integers(0, 90, size=len(go))
        # children inherit much of their family's lasting hardship
        old = p.unit[go]
        base = 0.75 * self.units.base[old] + rng.normal(0, SD * 0.66, len(go))
        x = rng.normal(0, SD, len(go))
        p.unit[go] = self._new_units(base, x, old, when)
        self._move_people(go, when)

    def immigrants(self, k: int) -> None:
        """Adults arriving from elsewhere, each in a unit of their own."""
        p, rng = self.people, self.rng
        if k <= 0:
            return
        who = p.add(k)
        p.immigrant[who] = True
        p.sex[who] = (rng.random(k) < 0.5).astype(np.int8)
        p.entry[who] = self.t0 + rng.integers(0, 365, size=k)
        p.dob[who] = p.entry[who] - rng.integers(18 * 365, 50 * 365, size=k)
        p.first[who] = draw_first(rng, p.sex[who])
        p.middle[who] = draw_middle(rng, p.sex[who], p.first[who])
        p.birth_surname[who] = p.surname[who] = draw_surname(rng, k)
        addr = new_addresses(rng, self.addresses, k)
        base, x = rng.normal(0.3, SD, k), rng.normal(0, SD, k)
        p.unit[who] = p.household[who] = self.units.append(
            h=base + x, base=base, x=x, addr=addr, since=p.entry[who]
        )
        self._move_people(who, p.entry[who])
        self.events.surname.append((who, p.dob[who], p.surname[who]))

    def record(self) -> None:
        """Everyone present at some point this year: unit, hardship and address at year end."""
        p = self.people
        n = p.count
        who = np.flatnonzero((p.entry[:n] < self.t1) & (p.death[:n] >= self.t0))
        unit = p.unit[who]
        self.events.years.append(
            {
                "person": who,
                "year": np.full(len(who), self.year, np.int32),
                "unit": unit,
                "h": self.units.h[unit],
                "addr": self.units.addr[unit],
                "spouse": p.spouse[who],
            }
        )
