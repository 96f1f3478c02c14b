"""Clustering the match graph: its connected components under the guards (implausible
pairs, ambiguous bridges, identities known to be apart).

Components come from SciPy's graph search (``scipy.sparse.csgraph``); each node is
labelled with the smallest node id of its component, so the labels are deterministic
whatever order the edges come in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import sparse
from scipy.sparse import csgraph

from enclave.linkage.activity import implausible


def connected_components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Component label (smallest member id) of each node ``0..n-1``.

    >>> connected_components(5, np.array([0, 3]), np.array([1, 4])).tolist()
    [0, 0, 2, 3, 3]
    """
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    if left.size == 0:
        return np.arange(n, dtype=np.int64)
    # weak components of the edges as given are the undirected graph's
    count, component = csgraph.connected_components(
        _adjacency(n, left, right), directed=True, connection="weak"
    )
    return _first_members(component, count)[component]


def _adjacency(n: int, left: np.ndarray, right: np.ndarray) -> sparse.csr_array:
    """The edges as the CSR matrix SciPy's graph search works on (float64 weights,
    int32 indices where they fit), built straight from the edges by counting, not
    through a COO matrix: SciPy converts any other form first, and at 1M persons
    (15M edges on 5.3M identities) the conversions took half of each search's 3.5 s.
    An edge given twice stays twice, which joins nothing more."""
    if not np.all(left[1:] >= left[:-1]):  # the pairs come sorted on id_l; others sort
        order = np.argsort(left, kind="stable")
        left, right = left[order], right[order]
    index = np.int32 if max(n, left.size) < np.iinfo(np.int32).max else np.int64
    indptr = np.zeros(n + 1, dtype=index)
    np.cumsum(np.bincount(left, minlength=n), out=indptr[1:])
    weights = np.ones(left.size, dtype=np.float64)
    return sparse.csr_array((weights, right.astype(index), indptr), shape=(n, n))


def _first_members(component: np.ndarray, count: int) -> np.ndarray:
    """The smallest node of each of ``count`` components (by label), from each node's
    label.

    SciPy numbers components as its search meets them, scanning nodes in order: then a
    component's first node is where its label first exceeds every label before it, found
    in one pass. Where that does not give ``count`` nodes, the order is another and the
    first occurrences are found by sorting.
    """
    new = np.empty(component.size, dtype=bool)
    new[:1] = True
    new[1:] = component[1:] > np.maximum.accumulate(component)[:-1]
    first = np.flatnonzero(new)
    if first.size != count:  # labels not in order of first meeting
        _, first = np.unique(component, return_index=True)
    return first.astype(np.int64)


def bridge_frame(
    edges: pl.DataFrame, attrs: pl.DataFrame, part: tuple[int, int] = (0, 1)
) -> pl.DataFrame:
    """Each edge seen from both ends (``v`` the record, ``w`` the other), with ``w``'s
    attributes, whether ``v`` lacks each guarded attribute, and the link's weight;
    sorted on ``v``, strongest link first, then ``w``.

    Every column is of one edge alone, so the frame of a subset of edges (those above a
    threshold) is this frame filtered, in the same order: :func:`prepare` builds it once
    for a curve of thresholds. ``part`` (``i``, ``k``): the rows of the records ``v``
    with ``v % k == i`` only (the guards work record by record, so parts are
    independent).
    """
    i, k = part
    fixed = [c for c in ("birth_year", "ssn_head", "sex_code") if c in attrs.columns]
    own = attrs.select(
        pl.col("identity_id").alias("v"),
        pl.col("birth_year").alias("v_birth_year"),
        *[pl.col(c).is_null().alias(f"v_no_{c}") for c in fixed],
    )
    return (
        pl.concat(
            [
                edges.select(
                    pl.col("id_l").alias("v"), pl.col("id_r").alias("w"), "match_probability"
                ),
                edges.select(
                    pl.col("id_r").alias("v"), pl.col("id_l").alias("w"), "match_probability"
                ),
            ]
        )
        .filter(pl.col("v") % k == i if k > 1 else pl.lit(True))
        .join(attrs.rename({"identity_id": "w"}), on="w", how="left")
        .join(own, on="v", how="left")
        .with_columns(weight=_weight(pl.col("match_probability")))
        .sort(["v", "match_probability", "w"], descending=[False, True, False])
    )


def drop_ambiguous_bridges(
    edges: pl.DataFrame, attrs: pl.DataFrame, both: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Drop the weaker links of a record that links to clearly different people.

    A record without DOB (a wage record: name and SSN only) can match a father by
    SSN and his Jr by name alone, and would chain the two into one person; a record
    without SSN can match two wage records of namesakes. So for each record, its
    strongest dated link fixes a birth year and its strongest link with an SSN fixes
    an SSN; its links to records born two or more years apart from that year, or with
    an SSN differing in both the first five and the last four digits (more than a
    typo), are dropped.

    Sex works the same way when ``attrs`` has ``sex_code``: a record without sex can
    match a brother and his twin sister by initial and surname alone.

    ``edges``: ``id_l``, ``id_r``, ``match_probability``; ``attrs``: ``identity_id``,
    ``birth_year``, ``ssn_head``, ``ssn_tail`` (opaque codes of the SSN's parts) and
    optionally ``sex_code``. ``both``: :func:`bridge_frame` of ``edges``, if built
    already.
    """
    if both is None:
        # in parts of about BRIDGE_ROWS rows each: a record's guards read its own links
        # only, and the whole frame of 15M links (at 1M persons) held 4.6 GiB more
        k = max(1, -(-2 * edges.height // BRIDGE_ROWS))
        parts = [_bridge_drops(bridge_frame(edges, attrs, (i, k)), attrs) for i in range(k)]
        drop = pl.concat(parts).unique()
    else:
        drop = _bridge_drops(both, attrs).unique()
    return edges.join(drop, on=["id_l", "id_r"], how="anti")


#: rows of the bridge frame (two per link) built at a time by drop_ambiguous_bridges
BRIDGE_ROWS = 8_000_000


def _bridge_drops(both: pl.DataFrame, attrs: pl.DataFrame) -> pl.DataFrame:
    """The links (``id_l``, ``id_r``; repeats possible) the guards of
    :func:`drop_ambiguous_bridges` drop, from a :func:`bridge_frame`."""
    year_clash = (pl.col("birth_year") - pl.col("best_birth_year")).abs() >= 2
    # two dated records born the same year, that the model links near-certainly though
    # their SSNs differ, agree on everything else: a record filed under a relative's
    # number, not a second person (twins differ in first name, and never score so high)
    filed_under_relative = (
        (pl.col("birth_year") == pl.col("v_birth_year"))
        & (pl.col("match_probability") >= SURE_DESPITE_SSN)
    ).fill_null(False)
    ssn_clash = (
        (pl.col("ssn_head") != pl.col("best_ssn_head"))
        & (pl.col("ssn_tail") != pl.col("best_ssn_tail"))
        & ~filed_under_relative
    )
    # twins of opposite sex share surname, DOB and address, and often an initial
    sex_clash = pl.col("sex_code") != pl.col("best_sex_code")
    return pl.concat(
        [
            _clashing(both, "birth_year", ["birth_year"], year_clash, anchor="ssn_head"),
            _clashing(both, "ssn_head", ["ssn_head", "ssn_tail"], ssn_clash, anchor="birth_year"),
            *(
                [_clashing(both, "sex_code", ["sex_code"], sex_clash, anchor="birth_year")]
                if "sex_code" in attrs.columns
                else []
            ),
        ]
    )


#: a link this strong between two records born the same year survives an SSN clash
SURE_DESPITE_SSN = 0.99

#: a record lacking a birth year (or an SSN) whose links to two clashing people are
#: within this many bits of match weight cannot tell them apart: all such links go
AMBIGUITY_BITS = 3.0


def _weight(p: pl.Expr) -> pl.Expr:
    """Match weight in bits (log2 odds); probabilities are rounded, so clip off 0 and 1."""
    q = p.clip(1e-9, 1 - 1e-9)
    return (q / (1 - q)).log(2)


def _clashing(
    both: pl.DataFrame, present: str, cols: list[str], clash: pl.Expr, anchor: str
) -> pl.DataFrame:
    """Links (sorted id pairs) clashing with the strongest link that carries ``present``.

    When the record itself lacks ``present`` and its strongest clashing link is nearly
    as strong as its strongest link (:data:`AMBIGUITY_BITS`), the record fits two
    people equally (a DOB-less wage record for a Sr and his Jr, a school record for
    either of two namesakes' wage records): then all its links carrying ``present``
    go, and the record is left to its other links or alone.

    A rival counts only if it was compared on as much as the strongest link: when both
    ends of the strongest link carry ``anchor`` (a school record's DOB checked against
    a Medicaid record's) and a rival lacks it (a namesake's wage record, name only),
    the two are not equally good fits, whatever their weights (a married surname costs
    the right link bits the name-only rival never risked).
    """
    carrying = both.filter(pl.col(present).is_not_null())  # in bridge_frame's order
    anchored = pl.col(anchor).is_not_null() & ~pl.col(f"v_no_{anchor}").fill_null(True)
    best = (
        carrying.group_by("v", maintain_order=True)
        .first()
        .select(
            "v",
            pl.col("weight").alias("best_weight"),
            anchored.alias("best_anchored"),
            *[pl.col(c).alias(f"best_{c}") for c in cols],
        )
    )
    flagged = carrying.join(best, on="v").with_columns(clash=clash.fill_null(False))
    lacking = pl.col(f"v_no_{present}").fill_null(False)
    ambiguous = (
        flagged.filter(pl.col("clash") & lacking & (anchored | ~pl.col("best_anchored")))
        .group_by("v")
        .agg(pl.col("weight").max().alias("rival"), pl.col("best_weight").first())
        .filter(pl.col("rival") >= pl.col("best_weight") - AMBIGUITY_BITS)
        .select("v", pl.lit(True).alias("ambiguous"))
    )
    return (
        flagged.join(ambiguous, on="v", how="left")
        .filter(pl.col("clash") | pl.col("ambiguous").fill_null(False))
        .select(
            pl.min_horizontal("v", "w").alias("id_l"), pl.max_horizontal("v", "w").alias("id_r")
        )
    )


@dataclass(frozen=True)
class Prepared:
    """What :func:`cluster_at` builds from the pairs whatever the threshold: the pairs
    less the implausible ones, and their :func:`bridge_frame`."""

    plausible: pl.DataFrame
    both: pl.DataFrame


def prepare(pairs: pl.DataFrame, attrs: pl.DataFrame) -> Prepared:
    """Build once what clustering at many thresholds shares (each guard is of one edge,
    so the edges above a threshold give the same answer from the shared frames)."""
    plausible = _plausible(pairs, attrs)
    return Prepared(plausible, bridge_frame(plausible, attrs))


def _plausible(pairs: pl.DataFrame, attrs: pl.DataFrame) -> pl.DataFrame:
    if "born_by" not in attrs.columns:
        return pairs
    return pairs.join(implausible(pairs, attrs), on=["id_l", "id_r"], how="anti")


def cluster_at(
    n: int,
    pairs: pl.DataFrame,
    attrs: pl.DataFrame,
    threshold: float,
    prepared: Prepared | None = None,
    apart: pl.DataFrame | None = None,
) -> tuple[np.ndarray, pl.DataFrame]:
    """(component label of each identity ``0..n-1``, the edges kept) at ``threshold``.

    ``prepared``: :func:`prepare` of the same pairs and attributes (a curve of
    thresholds builds it once). ``apart``: ``id_l``, ``id_r``, identities known to be
    different people (:func:`keep_apart`)."""
    above = pl.col("match_probability") >= threshold
    if prepared is None:
        kept = _plausible(pairs.filter(above), attrs)
        kept = drop_ambiguous_bridges(kept, attrs)
    else:
        kept = drop_ambiguous_bridges(
            prepared.plausible.filter(above), attrs, prepared.both.filter(above)
        )
    labels = connected_components(
        n, kept.get_column("id_l").to_numpy(), kept.get_column("id_r").to_numpy()
    )
    if apart is not None:
        return keep_apart(n, labels, kept, apart)
    return labels, kept


def keep_apart(
    n: int, labels: np.ndarray, kept: pl.DataFrame, apart: pl.DataFrame
) -> tuple[np.ndarray, pl.DataFrame]:
    """Split the components that join two identities known to be different people.

    ``apart`` (``id_l``, ``id_r``) are cannot-links: two members of one household
    listed on one application are two people, however alike their identifiers (twins
    share surname, birth date and address; children often have no SSN). Only the
    components holding such a pair are re-formed: their links are taken strongest
    first (then by ids) and each joins two groups unless that would put a pair of
    ``apart`` in one, as single-linkage clustering under cannot-link constraints does.
    A refused link is dropped, so every other identity keeps its weaker links to the
    group it joined, and the components of the kept links are the groups.

    >>> kept = pl.DataFrame({"id_l": [0, 1], "id_r": [1, 2], "match_probability": [0.9, 0.6]})
    >>> labels = connected_components(3, np.array([0, 1]), np.array([1, 2]))
    >>> out, links = keep_apart(3, labels, kept, pl.DataFrame({"id_l": [0], "id_r": [2]}))
    >>> out.tolist(), links.height
    ([0, 0, 2], 1)
    """
    a = apart.get_column("id_l").to_numpy()
    b = apart.get_column("id_r").to_numpy()
    inside = labels[a] == labels[b]
    if not inside.any():
        return labels, kept
    broken = np.zeros(n, dtype=bool)
    broken[np.unique(labels[a[inside]])] = True
    ends = kept.select("id_l", "id_r").to_numpy()
    contested = kept.filter(pl.Series(broken[labels[ends[:, 0]]])).sort(
        ["match_probability", "id_l", "id_r"], descending=[True, False, False]
    )
    # only the pairs one component holds can be joined (a link never leaves its
    # component): the union-find bars those alone
    refused = _refused(contested, a[inside], b[inside])
    kept = kept.join(refused, on=["id_l", "id_r"], how="anti")
    # every other component keeps its links and label: only the broken ones' identities
    # (ascending, so a compact id's order is the identity's) are grouped again
    nodes = np.flatnonzero(broken[labels])
    inner = contested.join(refused, on=["id_l", "id_r"], how="anti")
    ends = [np.searchsorted(nodes, inner.get_column(c).to_numpy()) for c in ("id_l", "id_r")]
    labels = labels.copy()
    labels[nodes] = nodes[connected_components(nodes.size, *ends)]
    return labels, kept


def _refused(links: pl.DataFrame, a: np.ndarray, b: np.ndarray) -> pl.DataFrame:
    """The links (strongest first) that would join two groups holding a pair (``a``,
    ``b``): union-find over the components that need it (few, and small)."""
    parent: dict[int, int] = {}
    members: dict[int, set[int]] = {}
    barred: dict[int, set[int]] = {}  # group -> identities it must not hold
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        barred.setdefault(x, set()).add(y)
        barred.setdefault(y, set()).add(x)

    def root(x: int) -> int:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    refused = []
    for left, right in links.select("id_l", "id_r").iter_rows():
        u, v = root(left), root(right)
        if u == v:
            continue
        mu, mv = members.get(u, {u}), members.get(v, {v})
        bu, bv = barred.get(u, set()), barred.get(v, set())
        if bu & mv or bv & mu:
            refused.append((left, right))
            continue
        if len(mu) < len(mv):
            u, v, mu, mv, bu, bv = v, u, mv, mu, bv, bu
        parent[v] = u
        members[u] = mu | mv
        barred[u] = bu | bv
        members.pop(v, None)
        barred.pop(v, None)
    return pl.DataFrame(refused, schema={"id_l": pl.Int64, "id_r": pl.Int64}, orient="row")
