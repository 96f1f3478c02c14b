"""Magnitude tables (sums and means, e.g. of quarterly earnings) and percentiles, after
disclosure control: :func:`magnitude_table` and :func:`percentiles` return a
:class:`SafeMagnitude`.

A group's *contributions* are its values summed per contributor (``contributor``, e.g.
an employer or a person; each row is its own contributor when it is None). ``persons``
is the number of contributors. The rules, for every group and for the Total row (whose
contributions are summed per contributor over all groups):

- **Counts.** ``persons`` is a count: a count in (0, min_cell), or one that rounding
  would bring into (0, min_cell), is suppressed; so is any count that could then be
  worked out from the Total (secondary suppression by the audit of
  :mod:`enclave.disclosure.audit`, as :func:`~enclave.disclosure.suppression.protect_1d`
  does). Published counts are rounded with the rules' rounding.
- **Group size** (``min_group``). A statistic is published only for a group of at least
  ``min_group`` and at least ``min_cell`` persons, and only beside its published group
  size: a statistic whose ``persons`` is suppressed is suppressed too.
- **Dominance** (``dominance``): the ``dominance_n`` largest contributions may hold at
  most ``dominance_k`` of the group's total. **p% rule** (``p_percent``): the total
  less the two largest contributions must be at least ``p_percent`` of the largest, so
  the second largest contributor cannot estimate the largest to within p%. Both use
  absolute contributions, so negative values cannot hide a dominant one.
- **No exact minimum or maximum** (``uniform``). When every contribution of a group is
  the same, its mean *is* each contributor's exact value (and its minimum and maximum),
  and its sum is that value times ``persons``: suppressed.
- **Secondary suppression** (``secondary``). Sums add up to the Total, and a mean times
  its group size is a sum, so both statistics are protected on the sums. A cell
  suppressed by the rules above must not follow from the published cells and the
  Total, and its largest contribution must stay uncertain to the second largest
  contributor by at least ``p_percent`` of it; the cell's own smaller contributions
  and the other suppressed cells it adds up with (at their absolute values) count
  towards that. When it is the only suppressed cell while the Total is published, or
  is not covered enough, the next smallest published group that covers it is
  suppressed too (failing that, the largest group, then the Total), until every such
  cell is covered.
- **Percentiles** (:func:`percentiles`) refuse q = 0 and q = 1 (the exact minimum and
  maximum), and are suppressed for groups below the group size above; a percentile
  that still equals its group's exact minimum or maximum (``extreme``, through ties) is
  suppressed too. Percentiles do not add up, so they need no secondary suppression.

Suppressed values are None in the certificate and null in frames and CSV files. Why a
value was suppressed is in :attr:`SafeFrame.reasons`, for the analyst only: it is never
shown or written, since "dominated" would itself tell something about a contributor.
The shared machinery of the safe frames (:class:`SafeFrame`, :func:`rules_for`,
:func:`publish_counts`) lives here and is used by :mod:`~enclave.disclosure.rates` and
:mod:`~enclave.disclosure.survival`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import polars as pl

from enclave.disclosure import audit, rules, safe
from enclave.disclosure.rounding import cell_key, round_counts
from enclave.disclosure.rules import DisclosureError
from enclave.disclosure.safe import SafeOutput
from enclave.disclosure.suppression import MARKER, TOTAL

if TYPE_CHECKING:
    from enclave.governance.agreement import DisclosureRules

#: the dimension column of a table with no ``by`` (its one row is the Total)
GROUP = "group"

_MINT = safe.mint()

# --------------------------------------------------------------------------- shared


@dataclass(frozen=True, repr=False, eq=False)
class SafeFrame(SafeOutput):
    """A published table of statistics, built only by the helpers of this package.

    ``frame`` holds exactly what is published: the dimension columns as strings,
    counts (Int64) and statistics (Float64), null where suppressed; its rows are the
    certificate's rows. ``reasons`` says why each row lost what it lost (for the analyst,
    never published).
    """

    frame: pl.DataFrame
    dims: tuple[str, ...]
    min_cell: int
    title: str = ""
    rules: dict = field(default_factory=dict, repr=False, compare=False)
    passed: tuple[str, ...] = ()
    definition: dict = field(default_factory=dict, repr=False, compare=False)
    reasons: pl.DataFrame | None = field(default=None, repr=False, compare=False)
    token: object = field(default=None, repr=False, compare=False)

    #: the certificate's kind
    kind: ClassVar[str] = ""
    #: what the footnote says a suppressed value stands for
    why: ClassVar[str] = "too few persons, or would reveal such a value"

    def __post_init__(self) -> None:
        safe._check_token(self.token, f"a {type(self).__name__}")

    @property
    def certificate(self) -> safe.Certificate:
        return safe.Certificate(
            kind=self.kind,
            title=self.title,
            dims=self.dims,
            columns=tuple(self.frame.columns),
            rows=safe.tuples(self.frame.rows()),
            rules=self.rules,
            passed=self.passed,
            definition=self.definition,
        )

    def value(self, column: str, **where: Any) -> Any:
        """One published value (None if suppressed), e.g. ``t.value("mean", region="north")``."""
        row = self.frame.filter(*[pl.col(d) == v for d, v in where.items()])
        if row.height != 1:
            raise DisclosureError(f"{self.title or 'table'}: no one row matches {sorted(where)}")
        return row.item(0, column)

    @property
    def note(self) -> str:
        """The footnote: what the marker means (no reason per cell, and no new number)."""
        return f"{MARKER}: suppressed ({self.why})"

    def _repr_html_(self) -> str:
        return safe.html_table(self.certificate, self.note, MARKER)

    def write_csv(self, path: Path) -> Path:
        """The published frame as CSV (suppressed values empty), with its certificate
        beside it (``<name>.csv.cert.json``)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.frame.write_csv(path)
        sidecar = path.with_name(path.name + safe.SIDECAR)
        sidecar.write_text(json.dumps(self.certificate.to_json(), indent=1, sort_keys=True))
        return path


def rules_for(min_cell: int | None) -> DisclosureRules:
    """The rules a helper applies: the agreement's for the data read, with ``min_cell``
    (the agreement's when None; refused when lower)."""
    if min_cell is None:
        in_force = rules.in_force()
        if in_force is None:
            raise DisclosureError(
                "no disclosure rules are in force (no data has been read): pass min_cell"
            )
        min_cell = in_force.min_cell
    rules.check_min_cell(min_cell)
    return rules.current(min_cell)


def min_persons(applied: DisclosureRules) -> int:
    """The fewest persons behind a published statistic: min_group, and at least min_cell."""
    return max(applied.min_group, applied.min_cell)


def publish_counts(
    values: np.ndarray,
    keys: Sequence[str],
    applied: DisclosureRules,
    forced: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(rounded counts, suppressed) for a one-way table of counts whose last cell is its
    total: primary suppression of counts in (0, min_cell) before or after rounding, and
    of ``forced`` cells; then secondary suppression by the audit."""
    values = np.asarray(values, dtype=np.int64)
    shown = round_counts(values, applied.rounding, keys)
    primary = (shown > 0) & (shown < applied.min_cell)
    if forced is not None:
        primary |= forced
    if values.size == 1:  # the Total alone: nothing adds up to it
        return shown, primary | ((values > 0) & (values < applied.min_cell))
    hidden = audit.protect(audit.one_way(values.size - 1), values, applied.min_cell, primary)
    return shown, hidden


def passed_checks(applied: DisclosureRules, *checks: str) -> tuple[str, ...]:
    rounding = (f"rounding:{applied.rounding}",) if applied.rounding != "none" else ()
    return (*checks, *rounding)


def read_columns(
    frame: pl.DataFrame | pl.LazyFrame, by: str | None, columns: Sequence[str]
) -> tuple[pl.DataFrame, str]:
    """The columns a helper reads, with the group labels (strings) in the dimension
    column; nulls, an empty frame and a group named like the Total are refused."""
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    wanted = [c for c in (by, *columns) if c is not None]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise DisclosureError(f"the frame lacks columns {missing}")
    dim = by if by is not None else GROUP
    label = pl.col(by).cast(pl.String) if by is not None else pl.lit(TOTAL)
    out = frame.select(label.alias(dim), *[pl.col(c) for c in columns if c != by])
    if out.height == 0:
        raise DisclosureError("the frame has no rows: there is nothing to publish")
    nulls = [c for c in out.columns if out.get_column(c).null_count()]
    if nulls:
        raise DisclosureError(f"columns {nulls} have missing values: drop or fill them first")
    if by is not None and (out.get_column(dim) == TOTAL).any():
        raise DisclosureError(f"column {by}: a group may not be called {TOTAL!r}")
    return out, dim


def count_keys(population: str, dim: str, labels: Sequence[str], **extra: str) -> list[str]:
    """Random-rounding seeds: the same cell as in a count table of the same population."""
    return [cell_key(population, {dim: label, **extra}, TOTAL) for label in labels]


def reason_frame(dim: str, labels: Sequence[str], reasons: Sequence[list[str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {dim: list(labels), "reason": [",".join(r) for r in reasons]},
        schema={dim: pl.String, "reason": pl.String},
    )


# --------------------------------------------------------------------------- magnitudes


@dataclass(frozen=True, repr=False, eq=False)
class SafeMagnitude(SafeFrame):
    """Sums, means or percentiles per group and Total, after disclosure control.

    ``frame``: the dimension, ``persons`` and the statistic (``sum`` or ``mean``, or one
    column per percentile: ``p25``, ``p50``, ...)."""

    #: "sum", "mean" or "percentiles"
    stat: str = ""

    kind: ClassVar[str] = "magnitude"
    why: ClassVar[str] = "too few persons, a dominant contributor, or would reveal such a value"


_VALUE = "_value"
_WHO = "_contributor"


def _contributions(
    frame: pl.DataFrame | pl.LazyFrame, by: str | None, value: str, contributor: str | None
) -> tuple[pl.DataFrame, str]:
    """One row per (group, contributor) with its summed value, the Total's after the
    groups' (contributions summed per contributor over all groups)."""
    columns = [value] if contributor is None else [value, contributor]
    data, dim = read_columns(frame, by, columns)
    if not data.schema[value].is_numeric():
        raise DisclosureError(f"column {value}: values must be numeric")
    who = pl.int_range(pl.len()) if contributor is None else pl.col(contributor)
    data = data.select(dim, pl.col(value).cast(pl.Float64).alias(_VALUE), who.alias(_WHO))
    if not data.get_column(_VALUE).is_finite().all():
        raise DisclosureError(f"column {value}: values must be finite")
    parts = []
    if by is not None:
        parts.append(data.group_by(dim, _WHO, maintain_order=True).agg(pl.col(_VALUE).sum()))
    total = data.group_by(_WHO, maintain_order=True).agg(pl.col(_VALUE).sum())
    parts.append(total.select(pl.lit(TOTAL).alias(dim), _WHO, _VALUE))
    return pl.concat(parts), dim


def _group_stats(contrib: pl.DataFrame, dim: str, exprs: Sequence[pl.Expr]) -> pl.DataFrame:
    size = pl.col(_VALUE).abs()
    base = [
        pl.len().alias("persons"),
        pl.col(_VALUE).min().alias("lo"),
        pl.col(_VALUE).max().alias("hi"),
        size.max().alias("x1"),
    ]
    return contrib.group_by(dim, maintain_order=True).agg(*base, *exprs)


def _secondary(values: np.ndarray, need: np.ndarray, primary: np.ndarray) -> np.ndarray:
    """Complementary suppressions of additive cells (the last one their total) until
    every primary cell is uncertain by at least its ``need`` (see the module docstring)."""
    hidden = primary.copy()
    if values.size == 1:
        return hidden
    size = np.abs(values)
    order = np.flatnonzero(primary)
    for i in order[np.argsort(-need[order], kind="stable")]:
        while True:
            others = hidden.copy()
            others[i] = False
            cover = float(size[others].sum())
            if others.any() and cover >= need[i]:
                break
            extra = _complement(size, hidden, need[i] - cover)
            if extra is None:
                break
            hidden[extra] = True
    return hidden


def _complement(size: np.ndarray, hidden: np.ndarray, short: float) -> int | None:
    """The smallest published group covering ``short`` (else the largest, else the Total)."""
    cells = [j for j in range(size.size - 1) if not hidden[j]]
    if cells:
        fits = [j for j in cells if size[j] >= short and size[j] > 0]
        if fits:
            return min(fits, key=lambda j: (size[j], j))
        return max(cells, key=lambda j: (size[j], -j))
    return None if hidden[-1] else size.size - 1


def magnitude_table(
    frame: pl.DataFrame | pl.LazyFrame,
    by: str | None,
    value: str,
    *,
    contributor: str | None = None,
    stat: str = "sum",
    min_cell: int | None = None,
    title: str = "",
    population: str = "",
    period: str = "",
    measure: str = "",
) -> SafeMagnitude:
    """The sum or mean of ``value`` per group of ``by`` (None: one overall row) and in
    total, with the number of contributors, after the rules of the module docstring.

    ``contributor`` names who contributes (a person or an employer): contributions are
    summed per contributor, and a mean is per contributor (the sum over ``persons``).
    ``min_cell`` defaults to the agreement's for the data read; ``title``,
    ``population``, ``period`` and ``measure`` say what is published, for the
    certificate and the release ledger.

    One employer pays most of group "a" (dominance); "b" then hides it from the Total:

    >>> pay = [10.0] * 11 + [900.0] + [float(v) for v in range(1, 13)]
    >>> frame = pl.DataFrame({"k": ["a"] * 12 + ["b"] * 12, "pay": pay})
    >>> t = magnitude_table(frame, "k", "pay", min_cell=10)
    >>> t.frame.get_column("sum").to_list()
    [None, None, 1088.0]
    >>> t.reasons.get_column("reason").to_list()
    ['dominance', 'secondary', '']
    """
    if stat not in ("sum", "mean"):
        raise DisclosureError(f"stat must be 'sum' or 'mean', got {stat!r}")
    applied = rules_for(min_cell)
    contrib, dim = _contributions(frame, by, value, contributor)
    size = pl.col(_VALUE).abs()
    stats = _group_stats(
        contrib,
        dim,
        [
            # summed in value order: a float sum in row order can differ in its last
            # bit from run to run (rows reach a group in any order), and a published
            # figure must be the same bytes for the same data
            pl.col(_VALUE).sort().sum().alias("sum"),
            size.sort().sum().alias("abs_total"),
            size.top_k(2).sum().alias("top2"),
            size.top_k(applied.dominance_n).sum().alias("topn"),
        ],
    )
    labels = stats.get_column(dim).to_list()
    persons = stats.get_column("persons").to_numpy().astype(np.int64)
    shown, hidden_n = publish_counts(persons, count_keys(population, dim, labels), applied)
    col = {c: stats.get_column(c).to_numpy() for c in ("sum", "abs_total", "top2", "topn", "x1")}
    checks = {
        "min_group": (persons < min_persons(applied)) | (shown < min_persons(applied)),
        "persons_hidden": hidden_n,
        "dominance": col["topn"] > applied.dominance_k * col["abs_total"],
        "p_percent": col["abs_total"] - col["top2"] < applied.p_percent * col["x1"],
        "uniform": stats.get_column("lo").to_numpy() == stats.get_column("hi").to_numpy(),
    }
    primary = np.logical_or.reduce(list(checks.values()))
    need = np.maximum(applied.p_percent * col["x1"] - (col["abs_total"] - col["top2"]), 0.0)
    hidden = _secondary(col["sum"], need, primary)
    checks["secondary"] = hidden & ~primary
    shown_stat = col["sum"] if stat == "sum" else col["sum"] / persons
    published = pl.DataFrame(
        {
            dim: labels,
            "persons": [None if h else int(v) for v, h in zip(shown, hidden_n, strict=True)],
            stat: [None if h else float(v) for v, h in zip(shown_stat, hidden, strict=True)],
        },
        schema={dim: pl.String, "persons": pl.Int64, stat: pl.Float64},
    )
    return SafeMagnitude(
        frame=published,
        dims=(dim,),
        min_cell=applied.min_cell,
        title=title,
        rules=_magnitude_rules(applied),
        passed=passed_checks(
            applied,
            "min_cell",
            "min_group",
            "dominance",
            "p_percent",
            "uniform_values",
            "secondary_suppression",
        ),
        definition=safe.definition(measure or f"{stat} of {value}", population or title, period),
        reasons=reason_frame(dim, labels, _reasons(checks, len(labels))),
        token=_MINT,
        stat=stat,
    )


def _magnitude_rules(applied: DisclosureRules) -> dict[str, Any]:
    return safe.rules_record(
        applied,
        rules.parties_read(),
        rounding=applied.rounding,
        dominance_n=applied.dominance_n,
        dominance_k=applied.dominance_k,
        p_percent=applied.p_percent,
    )


def _reasons(checks: dict[str, np.ndarray], n: int) -> list[list[str]]:
    return [[name for name, failed in checks.items() if failed[i]] for i in range(n)]


def quantile_column(q: float) -> str:
    """The column of the q-th quantile: 0.25 -> "p25", 0.975 -> "p97.5"."""
    return f"p{round(100 * q, 6):g}"


def percentiles(
    frame: pl.DataFrame | pl.LazyFrame,
    by: str | None,
    value: str,
    qs: Sequence[float] = (0.25, 0.5, 0.75),
    *,
    contributor: str | None = None,
    min_cell: int | None = None,
    title: str = "",
    population: str = "",
    period: str = "",
    measure: str = "",
) -> SafeMagnitude:
    """Percentiles (linear interpolation) of ``value`` per group of ``by`` and in total,
    with the number of contributors, after the rules of the module docstring.

    ``qs`` must lie strictly between 0 and 1: 0 and 1 are the exact minimum and maximum,
    which always belong to one person. With ``contributor``, percentiles are of the
    contributors' summed values. Other arguments as in :func:`magnitude_table`.
    """
    qs = tuple(float(q) for q in qs)
    if not qs or any(not 0 < q < 1 for q in qs):
        raise DisclosureError(
            "percentiles need 0 < q < 1: q = 0 and q = 1 are the exact minimum and maximum"
        )
    names = [quantile_column(q) for q in qs]
    if len(set(names)) != len(names):
        raise DisclosureError("percentiles: each q once")
    applied = rules_for(min_cell)
    contrib, dim = _contributions(frame, by, value, contributor)
    quantiles = [
        pl.col(_VALUE).quantile(q, interpolation="linear").alias(c)
        for q, c in zip(qs, names, strict=True)
    ]
    stats = _group_stats(contrib, dim, quantiles)
    labels = stats.get_column(dim).to_list()
    persons = stats.get_column("persons").to_numpy().astype(np.int64)
    shown, hidden_n = publish_counts(persons, count_keys(population, dim, labels), applied)
    checks = {
        "min_group": (persons < min_persons(applied)) | (shown < min_persons(applied)),
        "persons_hidden": hidden_n,
    }
    small = checks["min_group"] | hidden_n
    lo, hi = stats.get_column("lo").to_numpy(), stats.get_column("hi").to_numpy()
    columns: dict[str, list[float | None]] = {}
    extreme = np.zeros(len(labels), dtype=bool)
    for name in names:
        values = stats.get_column(name).to_numpy()
        at_edge = (values == lo) | (values == hi)
        extreme |= at_edge & ~small
        columns[name] = [
            None if s or e else float(v) for v, s, e in zip(values, small, at_edge, strict=True)
        ]
    checks["extreme"] = extreme
    published = pl.DataFrame(
        {
            dim: labels,
            "persons": [None if h else int(v) for v, h in zip(shown, hidden_n, strict=True)],
            **columns,
        },
        schema={dim: pl.String, "persons": pl.Int64, **dict.fromkeys(names, pl.Float64)},
    )
    return SafeMagnitude(
        frame=published,
        dims=(dim,),
        min_cell=applied.min_cell,
        title=title,
        rules=safe.rules_record(applied, rules.parties_read(), rounding=applied.rounding),
        passed=passed_checks(
            applied, "min_cell", "min_group", "no_extremes", "secondary_suppression"
        ),
        definition=safe.definition(
            measure or f"percentiles of {value}", population or title, period
        ),
        reasons=reason_frame(dim, labels, _reasons(checks, len(labels))),
        token=_MINT,
        stat="percentiles",
    )


def mean_table(
    frame: pl.DataFrame | pl.LazyFrame,
    by: str | None,
    value: str,
    *,
    confidence: float = 0.95,
    total: bool = True,
    min_cell: int | None = None,
    title: str = "",
    population: str = "",
    period: str = "",
    measure: str = "",
) -> SafeMagnitude:
    """The mean of ``value`` per group of ``by`` (None: one overall row) and in total,
    with a ``confidence`` interval (``lower``, ``upper``: the mean plus or minus
    Student's t quantile times the standard error, rows taken as independent draws).

    Each row is its own contributor, so ``persons`` is the number of rows. Means, group
    sizes and suppressions are exactly those of :func:`magnitude_table` with
    ``stat="mean"`` (minimum cell and group, dominance, p%, uniform values, secondary
    suppression); an interval is published only beside a published mean. With
    ``total=False`` the Total row is left out (for groups that overlap, where a pooled
    Total means nothing; leaving a row out publishes less). Other arguments as in
    :func:`magnitude_table`.

    >>> frame = pl.DataFrame({"v": [0.0, 1.0] * 10})
    >>> t = mean_table(frame, None, "v", min_cell=10)
    >>> [round(x, 3) for x in t.frame.row(0)[2:]]
    [0.5, 0.26, 0.74]
    """
    from scipy import stats as sstats

    if not 0 < confidence < 1:
        raise DisclosureError(f"confidence must lie between 0 and 1, got {confidence!r}")
    base = magnitude_table(
        frame,
        by,
        value,
        stat="mean",
        min_cell=min_cell,
        title=title,
        population=population,
        period=period,
        measure=measure or f"mean of {value}",
    )
    data, dim = read_columns(frame, by, [value])
    x = pl.col(value).cast(pl.Float64)
    spread = [pl.len().alias("_n"), x.sort().std(ddof=1).alias("_sd")]  # value order
    parts = [data.group_by(dim).agg(*spread)] if by is not None else []
    parts.append(data.select(pl.lit(TOTAL).alias(dim), *spread))
    sd = pl.concat(parts)
    n = sd.get_column("_n").to_numpy().astype(float)
    quantile = sstats.t.ppf((1 + confidence) / 2, np.maximum(n - 1, 1))
    sd = sd.with_columns(
        pl.Series("_half", quantile * sd.get_column("_sd").to_numpy() / np.sqrt(n))
    )
    published = (
        base.frame.join(sd.select(dim, "_half"), on=dim, how="left", maintain_order="left")
        .with_columns(
            (pl.col("mean") - pl.col("_half")).alias("lower"),
            (pl.col("mean") + pl.col("_half")).alias("upper"),
        )
        .drop("_half")
    )
    reasons = base.reasons
    if not total:
        published = published.filter(pl.col(dim) != TOTAL)
        reasons = reasons.filter(pl.col(dim) != TOTAL) if reasons is not None else None
    return SafeMagnitude(
        frame=published,
        dims=base.dims,
        min_cell=base.min_cell,
        title=title,
        rules={**base.rules, "confidence": confidence},
        passed=(*base.passed, "interval_beside_published_mean"),
        definition=base.definition,
        reasons=reasons,
        token=_MINT,
        stat="mean",
    )


def mean_difference(
    frame: pl.DataFrame | pl.LazyFrame,
    by: str,
    value: str,
    *,
    group: str,
    reference: str,
    confidence: float = 0.95,
    min_cell: int | None = None,
    title: str = "",
    population: str = "",
    period: str = "",
    measure: str = "",
) -> SafeMagnitude:
    """:func:`mean_table` of ``value`` by ``by``, with one more row
    (:func:`~enclave.disclosure.rates.difference_label`): the mean in ``group`` minus
    that in ``reference``, its interval half-width the root of the sum of the squared
    half-widths of the two published intervals (Welch's interval for large groups), so
    from published figures only, as :func:`~enclave.disclosure.share_difference` is.
    The row's ``persons`` is the two groups' together; it is suppressed (empty) unless
    both means are published.

    >>> frame = pl.DataFrame({"g": ["a"] * 50 + ["b"] * 50, "v": [1.0, 0.0] * 50})
    >>> t = mean_difference(frame, "g", "v", group="a", reference="b", min_cell=10)
    >>> t.frame.filter(pl.col("g") == "a minus b").select("persons", "mean").row(0)
    (100, 0.0)
    """
    from enclave.disclosure.rates import difference_label

    means = mean_table(
        frame,
        by,
        value,
        confidence=confidence,
        min_cell=min_cell,
        title=title,
        population=population,
        period=period,
        measure=measure,
    )
    published = {row[by]: row for row in means.frame.iter_rows(named=True)}
    missing = [g for g in (group, reference) if g not in published]
    if missing:
        raise DisclosureError(f"mean_difference: no group {missing[0]!r} in column {by}")
    a, b = published[group], published[reference]
    label = difference_label(group, reference)
    row: dict = {by: label, "persons": None, "mean": None, "lower": None, "upper": None}
    reason: list[str] = []
    if a["mean"] is None or b["mean"] is None or a["persons"] is None or b["persons"] is None:
        reason = ["group_suppressed"]
    else:
        d = a["mean"] - b["mean"]
        half = float(np.hypot(a["upper"] - a["mean"], b["upper"] - b["mean"]))
        row |= {"persons": a["persons"] + b["persons"], "mean": d}
        row |= {"lower": d - half, "upper": d + half}
    published_frame = pl.concat([means.frame, pl.DataFrame([row], schema=means.frame.schema)])
    reasons = means.reasons
    if reasons is not None:
        extra = reason_frame(by, [label], [reason])
        reasons = pl.concat([reasons, extra.cast(reasons.schema)])
    return SafeMagnitude(
        frame=published_frame,
        dims=means.dims,
        min_cell=means.min_cell,
        title=title,
        rules=means.rules,
        passed=(*means.passed, "difference_from_published_means"),
        definition=means.definition,
        reasons=reasons,
        token=_MINT,
        stat="mean",
    )
