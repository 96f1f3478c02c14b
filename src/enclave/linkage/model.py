"""The Splink model: comparisons, blocking, EM training and prediction.

The input is one frame of distinct identity records (``unique_id`` + the
standardised columns of :mod:`enclave.linkage.standardise`), linked with
``dedupe_only`` over the union of all sources. Output: scored pairs of identity ids.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

import polars as pl
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on
from splink.internals.exceptions import EMTrainingException

from enclave import failpoints, log
from enclave.config import LinkageParams
from enclave.linkage import backend
from enclave.linkage.backend import make_db_api
from enclave.linkage.priors import apply_priors, model_values, set_values

LOG = log.get("enclave.linkage")


@contextmanager
def _timed(step: str) -> Iterator[None]:
    """Log how long ``step`` took (debug: where a link's training and scoring time goes)."""
    start = time.perf_counter()
    yield
    LOG.debug("%s in %.1f s", step, time.perf_counter() - start)


for _name in ("splink", "duckdb", "py4j"):
    logging.getLogger(_name).setLevel(logging.ERROR)


#: chance that identity records of two different people carry the same valid SSN
SSN_CHANCE_AGREEMENT = 1e-6

#: column counting the identity records that share a surname and first initial, and
#: the most records such a block may hold for the surname + initial blocking rule
INITIAL_BLOCK = "initial_block_n"
RARE_INITIAL_BLOCK = 40
#: the same for a full name (first and last), for the name rule between two records
#: that both carry an SSN (docs/linkage.md, "Blocking on names where both carry an SSN")
NAME_BLOCK = "name_block_n"
RARE_NAME_BLOCK = 40


class PortableLevel(cll.CustomLevel):
    """A custom level written in DuckDB's SQL, as every engine needs it: DuckDB gets the
    text as written, Spark a translation (:func:`enclave.linkage.backend.dialect_sql`)."""

    def create_sql(self, sql_dialect) -> str:
        return backend.dialect_sql(self.sql_condition, sql_dialect)


def _custom(sql: str, label: str) -> PortableLevel:
    return PortableLevel(sql, label)


def _null(col: str) -> cll.NullLevel:
    return cll.NullLevel(col)


def _rare(level, m: float):
    """A level whose m probability is fixed from domain knowledge, not trained.

    Used for the disagreement levels that keep apart people who share a household
    (twins, Jr/Sr): EM on distinct identity records learns these from few pairs and
    overstates them, and the model's independence assumption does not hold inside
    a household (surname, ZIP and, for twins, DOB agree together).
    """
    return level.configure(m_probability=m, fix_m_probability=True)


#: first and last name delivered the wrong way round, both agreeing crosswise (one of
#: them may carry a typo: SLEDGE NNACY for NANCY SLEDGE)
SWAPPED = (
    "((first_name_l = last_name_r"
    " and jaro_winkler_similarity(last_name_l, first_name_r) >= 0.92)"
    " or (last_name_l = first_name_r"
    " and jaro_winkler_similarity(first_name_l, last_name_r) >= 0.92))"
)


def first_name_comparison() -> cl.CustomComparison:
    """Exact (tf), close spelling, nickname, initial only, first/last swapped, else."""
    return cl.CustomComparison(
        output_column_name="first_name",
        comparison_levels=[
            _null("first_name"),
            cll.ExactMatchLevel("first_name", term_frequency_adjustments=True),
            cll.JaroWinklerLevel("first_name", 0.92),
            _custom("list_has_any(first_equiv_l, first_equiv_r)", "nickname"),
            cll.JaroWinklerLevel("first_name", 0.8),
            cll.DamerauLevenshteinLevel("first_name", 1),
            _custom(
                "(length(first_name_l) = 1 or length(first_name_r) = 1)"
                " and first_initial_l = first_initial_r",
                "initial",
            ),
            _custom(
                "first_name_l = last_name_r or last_name_l = first_name_r"
                " or first_name_l = alias_first_name_r or alias_first_name_l = first_name_r",
                "swapped or alias",
            ),
            # conditional on a shared SSN (u is P(first names differ | non-match, same
            # SSN) ~ 1), so the SSN's own weight is not counted twice
            _custom("ssn_l = ssn_r", "differs, same SSN").configure(
                m_probability=0.01, u_probability=0.98, fix_u_probability=True
            ),
            # twins share surname, DOB and address: a wholly different first name must
            # outweigh all three
            _rare(cll.ElseLevel(), 2e-5),
        ],
    )


def last_name_comparison() -> cl.CustomComparison:
    """Exact (tf), close spelling, one edit, a shared part (hyphenated, married, alias),
    swapped, different with the same SSN, different between two women, else."""
    return cl.CustomComparison(
        output_column_name="last_name",
        comparison_levels=[
            _null("last_name"),
            cll.ExactMatchLevel("last_name", term_frequency_adjustments=True),
            cll.JaroWinklerLevel("last_name", 0.92),
            # one keystroke (a substitution, a transposition, a dropped letter) early in
            # a short surname falls below the Jaro-Winkler cut: EHNIS/ENNIS, CILNARD/CLINARD
            cll.DamerauLevenshteinLevel("last_name", 1),
            _custom("list_has_any(last_parts_l, last_parts_r)", "shared part"),
            # the first name comparison has already credited one name found crosswise;
            # the surname adds a swap only when the other name is crosswise too, or a
            # single coincidence (EFRAIN LLOYD and LLOYD SCOTT, born the same day) would
            # count twice, and such coincidences grow with the population
            # (random sampling finds no full swap among random pairs, so u is fixed:
            # about the chance of two crosswise coincidences at once)
            _custom(SWAPPED, "swapped").configure(u_probability=1e-6, fix_u_probability=True),
            # surnames change over a life (marriage, divorce), and a wage record carries
            # the current one while older records keep the old; among non-matches that
            # share an SSN (a family's shared number) the surname mostly agrees, so a
            # different surname says little once the SSN is shared
            _custom("ssn_l = ssn_r", "differs, same SSN").configure(
                m_probability=0.05, u_probability=0.3, fix_u_probability=True
            ),
            # women change surname at marriage far more often than men, so a different
            # surname between two women's records is weaker evidence against a match
            _custom("sex_l = 'F' and sex_r = 'F'", "differs, both female"),
            cll.ElseLevel(),
        ],
    )


def dob_comparison() -> cl.CustomComparison:
    """Exact, day and month transposed, one digit or one unit off, else (Jr/Sr, twins' parents)."""
    return cl.CustomComparison(
        output_column_name="dob",
        comparison_levels=[
            _null("dob"),
            cll.ExactMatchLevel("dob"),
            _custom(
                "year(dob_l) = year(dob_r) and month(dob_l) = day(dob_r)"
                " and day(dob_l) = month(dob_r)",
                "day/month swapped",
            ),
            # a keying slip: one digit, or one of day, month and year off by one (which
            # changes two digits across a carry: the 19th keyed as the 20th)
            _custom(
                "damerau_levenshtein(strftime(dob_l, '%Y%m%d'), strftime(dob_r, '%Y%m%d')) <= 1"
                " or abs(date_diff('day', dob_l, dob_r)) = 1"
                " or (day(dob_l) = day(dob_r)"
                " and abs(date_diff('month', dob_l, dob_r)) in (1, 12))",
                "one digit or one unit",
            ).configure(m_probability=0.01),
            _rare(cll.ElseLevel(), 0.005),
        ],
    )


def ssn_comparison() -> cl.CustomComparison:
    """Exact, one edit, last four only agree, else; null unless both have a last four."""
    return cl.CustomComparison(
        output_column_name="ssn",
        comparison_levels=[
            _null("ssn4"),
            # u fixed: random sampling counts the true matches among random pairs as
            # non-matches, and for a number unique to a person they are a large share
            # of the pairs that agree (prior ~6e-6 against a sampled u ~1e-5), so the
            # sampled u overstates chance agreement several fold. Different people share
            # a number only through a family's shared SSN or a typo landing on another.
            cll.ExactMatchLevel("ssn").configure(
                u_probability=SSN_CHANCE_AGREEMENT, fix_u_probability=True
            ),
            _custom("damerau_levenshtein(ssn_l, ssn_r) <= 1", "typo").configure(
                m_probability=0.02, u_probability=1e-6
            ),
            _custom("(ssn_l is null or ssn_r is null) and ssn4_l = ssn4_r", "last4"),
            # one person's records carry numbers differing by more than a typo only when
            # a record was filed under a relative's number (a fraction of a percent)
            _rare(cll.ElseLevel(), 0.005),
        ],
    )


def _exact(col: str, tf: bool = False, else_m: float | None = None) -> cl.CustomComparison:
    other = cll.ElseLevel() if else_m is None else _rare(cll.ElseLevel(), else_m)
    return cl.CustomComparison(
        output_column_name=col,
        comparison_levels=[
            _null(col),
            cll.ExactMatchLevel(col, term_frequency_adjustments=tf),
            other,
        ],
    )


def zip_comparison() -> cl.CustomComparison:
    """ZIP agreement, with fixed modest weights: household members share a ZIP, so
    the random-pair u overstates what agreement says about candidates that already
    share a surname."""
    return cl.CustomComparison(
        output_column_name="zip",
        comparison_levels=[
            _null("zip"),
            cll.ExactMatchLevel("zip").configure(
                m_probability=0.7,
                u_probability=0.05,
                fix_m_probability=True,
                fix_u_probability=True,
            ),
            cll.ElseLevel().configure(
                m_probability=0.3,
                u_probability=0.95,
                fix_m_probability=True,
                fix_u_probability=True,
            ),
        ],
    )


def blocking_rules() -> list:
    """Rules that keep recall for records missing SSN, DOB or both."""
    return [
        block_on("ssn"),
        block_on("dob", "last_sdx"),
        block_on("first_name", "last_name", "birth_year"),
        block_on("first_name", "dob"),
        # a typo or nickname in the first name and a typo in the surname, no SSN
        block_on("dob", "first_initial", "substr(last_name, 1, 1)"),
        block_on("ssn4", "dob"),
        block_on("ssn4", "last_sdx"),
        # a typo in the SSN's last four, where the other rules need the DOB a wage
        # record lacks
        block_on("substr(ssn, 1, 5)", "last_sdx"),
        # a typo in the year of birth, where no SSN is at hand
        block_on("first_name", "last_name", "month(dob)", "day(dob)"),
        block_on("last_name", "first_initial", "zip"),
        # first and last name delivered the wrong way round
        "l.dob = r.dob and l.first_name = r.last_name",
        # wage records carry no DOB: their name pairs are enumerated by the join but
        # kept only when a side lacks the DOB, so common names stay cheap. Where both
        # sides carry an SSN (and the SSN rules did not pair them: the numbers differ
        # beyond a typo), a shared name says something only where few records share
        # it: every JOHN SMITH wage record against every JOHN SMITH was 28M of the 52M
        # pairs blocked at 1M, and those only this rule found that scored above the
        # edge floor all had names held by at most 26 records (docs/linkage.md)
        "l.first_name = r.first_name and l.last_name = r.last_name"
        " and (l.dob is null or r.dob is null)"
        f" and (l.ssn is null or r.ssn is null"
        f" or (l.{NAME_BLOCK} <= {RARE_NAME_BLOCK} and r.{NAME_BLOCK} <= {RARE_NAME_BLOCK}))",
        # a wage record with the first initial only and no DOB has nothing but surname
        # and initial; that says something only where few records share them, and
        # blocking every J SMITH against every J SMITH grows with the square of the
        # population, so the rule covers rare surname + initial blocks only
        f"l.last_name = r.last_name and l.first_initial = r.first_initial"
        f" and l.{INITIAL_BLOCK} <= {RARE_INITIAL_BLOCK}"
        f" and r.{INITIAL_BLOCK} <= {RARE_INITIAL_BLOCK}"
        " and (l.dob is null or r.dob is null)"
        " and (length(l.first_name) = 1 or length(r.first_name) = 1)",
    ]


def settings(params: LinkageParams) -> SettingsCreator:
    """The Splink settings of the enclave model."""
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            first_name_comparison(),
            last_name_comparison(),
            dob_comparison(),
            ssn_comparison(),
            _exact("sex", else_m=0.01),
            zip_comparison(),
            _exact("middle_initial", else_m=0.03),
            _exact("suffix", else_m=0.01),
        ],
        blocking_rules_to_generate_predictions=blocking_rules(),
        max_iterations=params.em_max_iterations,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


#: deterministic rules for the prior: pairs almost surely the same person
PRIOR_RULES: tuple[tuple[str, ...], ...] = (("ssn", "dob"), ("first_name", "last_name", "dob"))
#: when the inputs carry no dates of birth: the SSN and both names
PRIOR_RULES_WITHOUT_DOB: tuple[tuple[str, ...], ...] = (("ssn", "first_name", "last_name"),)
#: the EM passes, each a blocking rule; a pass trains every comparison but its rule's.
#: The SSN's last four, not the full SSN: the first-name comparison reads ``ssn`` and
#: would otherwise be left out of the first pass
EM_RULES: tuple[tuple[str, ...], ...] = (
    ("ssn4",),
    ("dob", "last_sdx"),
    ("first_name", "last_name", "birth_year"),
)
#: chunks of Splink's u sampling, per engine: DuckDB keeps Splink's default (ten, and a
#: stop once every level has been seen 100 times); on Spark each chunk is a few jobs whose
#: fixed cost outweighs their work at ``u_max_pairs`` pairs, so one pass over them all
#: (half the time on the small world; rare levels read every chunk either way)
U_CHUNKS = {"duckdb": 10, "spark": 1}
#: fewest blocked pairs an EM pass trains on (Splink's guide: "at least a few hundred,
#: preferably a few thousand"); with fewer, the pass is skipped and the comparisons it
#: would have trained keep their priors (``priors.json``)
MIN_EM_PAIRS = 1000


def rule_pairs(identities: pl.DataFrame, columns: tuple[str, ...]) -> int:
    """Pairs of identity records that agree on every one of ``columns`` (none null): what
    ``block_on(*columns)`` generates, counted without generating them."""
    present = [c for c in columns if c in identities.columns]
    if len(present) < len(columns):
        return 0
    sizes = identities.select(columns).drop_nulls().group_by(columns).len().get_column("len")
    return int((sizes * (sizes - 1) // 2).sum())


def train(
    linker: Linker, params: LinkageParams, identities: pl.DataFrame, use_priors: bool = True
) -> dict:
    """Prior from near-certain rules, u from seeded random pairs, m by EM in three passes.

    Training adapts to the columns that carry information, with no per-input setting:
    a rule that yields no pair for the prior falls back (:func:`_prior`), an EM pass
    whose rule blocks fewer than :data:`MIN_EM_PAIRS` pairs is skipped, and any level
    left untrained takes its documented prior (:func:`apply_priors`). Returns what was
    done, for the log and the linkage report.
    """
    t = linker.training
    with _timed("prior"):
        done: dict = {"prior": _prior(linker, identities), "em_passes": []}
    with _timed("u by random sampling"):
        t.estimate_u_using_random_sampling(
            max_pairs=params.u_max_pairs, seed=params.seed, num_chunks=U_CHUNKS[params.backend]
        )
    for columns in EM_RULES:
        rule = " & ".join(columns)
        pairs = rule_pairs(identities, columns)
        entry = {"rule": rule, "pairs": pairs}
        if pairs < MIN_EM_PAIRS:
            entry["status"] = f"skipped: fewer than {MIN_EM_PAIRS} pairs"
        else:
            try:
                with _timed(f"EM pass on {rule}"):
                    t.estimate_parameters_using_expectation_maximisation(
                        block_on(*columns),
                        estimate_without_term_frequencies=True,
                        max_pairs=params.em_max_pairs,
                    )
                entry["status"] = "trained"
            except EMTrainingException:
                entry["status"] = "skipped: Splink found no pairs to train on"
        done["em_passes"].append(entry)
        if entry["status"] != "trained":
            LOG.warning("EM pass on %s %s (%d pairs)", rule, entry["status"], pairs)
    done["levels_from_priors"] = apply_priors(linker) if use_priors else []
    if any(e["status"] != "trained" for e in done["em_passes"]):
        LOG.warning(
            "%d comparison levels kept their priors (enclave.linkage.priors)",
            len(done["levels_from_priors"]),
        )
    return done


def _prior(linker: Linker, identities: pl.DataFrame) -> dict:
    """The probability that two random identity records are one person: estimated from
    the deterministic rules at 80% recall, from the no-DOB rules where the first yield
    no pair, else a documented fallback of one match per record (``1 / n``)."""
    for rules in (PRIOR_RULES, PRIOR_RULES_WITHOUT_DOB):
        if sum(rule_pairs(identities, r) for r in rules):
            linker.training.estimate_probability_two_random_records_match(
                [block_on(*r) for r in rules], recall=0.8
            )
            value = linker._settings_obj._probability_two_random_records_match
            if 0 < value < 1:
                return {"source": " | ".join(" & ".join(r) for r in rules), "value": value}
    value = 1.0 / max(identities.height, 2)
    linker._settings_obj._probability_two_random_records_match = value
    LOG.warning("no pair for the prior's rules: prior set to one match per record (1/n)")
    return {"source": "fallback: one match per record (1/n)", "value": value}


def with_block_sizes(identities: pl.DataFrame) -> pl.DataFrame:
    """``identities`` with :data:`INITIAL_BLOCK` and :data:`NAME_BLOCK`, for the
    rare-block blocking rules."""
    return identities.with_columns(
        pl.len().over("last_name", "first_initial").cast(pl.Int64).alias(INITIAL_BLOCK),
        pl.len().over("first_name", "last_name").cast(pl.Int64).alias(NAME_BLOCK),
    )


def predict(
    identities: pl.DataFrame,
    params: LinkageParams,
    notes: dict | None = None,
    values: dict | None = None,
) -> pl.DataFrame:
    """Scored pairs ``unique_id_l < unique_id_r`` with ``match_probability`` at or above
    ``params.edge_floor``, sorted; probabilities rounded so reruns give the same bytes.

    The model is trained here on ``params.backend``, or, given ``values`` (a trained
    model as parameters, :func:`fit`), taken from them: a model trained on one engine
    scores on the other. ``notes``, if given, receives ``training``: what :func:`train`
    did."""
    db_api = make_db_api(params.backend, params.threads, backend.engine_memory_gb(params.memory_gb))
    counted = with_block_sizes(identities)
    try:
        table = backend.register(db_api, counted, "identities")
        linker = Linker(table, settings(params), log_level=None)
        if values is None:
            training = train(linker, params, counted)
            if notes is not None:
                notes["training"] = training
        else:
            set_values(linker, values)
        if notes is not None:  # what a monthly delivery is scored with (linkage.incremental)
            notes["model"] = model_values(linker)
        failpoints.reached("link.trained")
        with _timed("blocked and scored"):
            scored = linker.inference.predict(threshold_match_probability=params.edge_floor)
            edges = backend.fetch(scored, ["unique_id_l", "unique_id_r", "match_probability"])
    finally:
        backend.close(db_api)
    return _tidy_edges(edges)


def predict_new(
    new: pl.DataFrame, known: pl.DataFrame, params: LinkageParams, values: dict
) -> pl.DataFrame:
    """Scored pairs between the identity records ``new`` and every record of ``known``
    and of ``new`` itself (``unique_id`` distinct across the two), with the trained model
    ``values``, as :func:`predict` returns them: only the pairs with a new record are
    compared, so the cost follows the new records, not everyone.

    Splink links ``new`` to ``known`` + ``new`` (``link_only``): each pair of two new
    records comes twice and each new record meets itself; both are tidied away. The
    blocking counts (:func:`with_block_sizes`) are over everyone, as a full run's."""
    db_api = make_db_api(params.backend, params.threads, backend.engine_memory_gb(params.memory_gb))
    everyone = with_block_sizes(pl.concat([known.select(new.columns), new]))
    fresh = new.get_column("unique_id").implode()
    try:
        left = backend.register(db_api, everyone.filter(pl.col("unique_id").is_in(fresh)), "new")
        right = backend.register(db_api, everyone, "everyone")
        linker = Linker(
            [left, right], dataclasses.replace(settings(params), link_type="link_only"),
            log_level=None,
        )  # fmt: skip
        set_values(linker, values)
        scored = linker.inference.predict(threshold_match_probability=params.edge_floor)
        edges = backend.fetch(scored, ["unique_id_l", "unique_id_r", "match_probability"])
    finally:
        backend.close(db_api)
    return _tidy_edges(edges).filter(pl.col("id_l") != pl.col("id_r"))


def fit(identities: pl.DataFrame, params: LinkageParams, use_priors: bool = True) -> dict:
    """The model trained on ``identities`` (on ``params.backend``) as parameters: the
    prior (lambda) and every level's m and u with its label
    (:func:`enclave.linkage.priors.model_values`), for :func:`predict` on any engine."""
    db_api = make_db_api(params.backend, params.threads, backend.engine_memory_gb(params.memory_gb))
    counted = with_block_sizes(identities)
    try:
        table = backend.register(db_api, counted, "identities")
        linker = Linker(table, settings(params), log_level=None)
        train(linker, params, counted, use_priors=use_priors)
        return model_values(linker)
    finally:
        backend.close(db_api)


def _tidy_edges(edges: pl.DataFrame) -> pl.DataFrame:
    lo = pl.min_horizontal("unique_id_l", "unique_id_r")
    hi = pl.max_horizontal("unique_id_l", "unique_id_r")
    return (
        edges.select(
            lo.cast(pl.Int64).alias("id_l"),
            hi.cast(pl.Int64).alias("id_r"),
            pl.col("match_probability").cast(pl.Float64).round(9),
        )
        .group_by("id_l", "id_r")
        .agg(pl.col("match_probability").max())
        .sort("id_l", "id_r")
    )
