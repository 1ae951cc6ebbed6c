"""Polycentricity measures: how many centres take part, and how balanced they are.

The paper (Liu, *Innovation of Social Governance System Based on Multi-center
Governance Theory*) argues that governance capacity rises when government,
market and society all take part and are kept in balance.  This module turns
that claim into numbers:

* :func:`effective_number` and :func:`shannon_entropy` - concentration of
  actors' shares (of spending, provision or decision rights) in each row;
* :func:`centre_scores` - society, market and state-dominance sub-indices
  from the bundled Human Freedom Index (indicator table :data:`CENTRE_INDICATORS`),
  with the effective number of centres and a balance score;
* :func:`fiscal_measures` and :func:`flypaper` - multi-level government
  measures from the Swedish municipalities panel (Dahlberg & Johansson 2000).

All functions are pure and return new DataFrames.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .errors import check_columns, check_dataframe, check_in, check_numeric
from .keys import key_like_columns, normalise_keys, resolve_key

__all__ = [
    "CENTRE_INDICATORS",
    "KEY_COLUMNS",
    "centre_scores",
    "effective_number",
    "fiscal_measures",
    "flypaper",
    "shannon_entropy",
]


# ---------------------------------------------------------------------------------------------
# concentration of shares
# ---------------------------------------------------------------------------------------------
#: Key (identifier) columns that :func:`effective_number` and :func:`shannon_entropy`
#: never treat as actors when ``columns`` is not given: a numeric ``year`` counted as an
#: actor's amount silently gave N_eff close to 1.
KEY_COLUMNS = ("iso3", "year", "country", "region", "municipality", "entity", "time",
               "period", "wave")


def _normalise_frame_keys(data: pd.DataFrame, name: str, *, entity: str | None = None,
                          time: str | None = None, unique: bool = True) -> pd.DataFrame:
    """polygov's one key check (:func:`polygov.keys.normalise_keys`) on the keys ``data`` has.

    ``entity``/``time`` default to the first of ``municipality``/``iso3`` and to ``year``
    present (case-insensitively); a frame without key columns is returned as it is.
    """
    if entity is None:
        entity = next((k for k in ("municipality", "iso3")
                       if resolve_key(data, k, required=False) is not None), None)
    if time is None and resolve_key(data, "year", required=False) is not None:
        time = "year"
    if entity is None:
        return data
    return normalise_keys(data, entity=entity, time=time, require_time=False, unique=unique,
                          name=name)


def _shares(data, columns: Sequence[str] | None, missing: str, name: str,
            keys: Sequence[str] = ()) -> pd.DataFrame:
    """Validate a table of non-negative amounts and return row shares (rows sum to 1)."""
    if isinstance(data, np.ndarray):
        if data.ndim != 2:
            raise ValueError(f"{name}: an array of shares must be 2-D (rows = units, columns = "
                             f"actors), got {data.ndim}-D")
        data = pd.DataFrame(data, columns=[f"actor_{j}" for j in range(data.shape[1])])
    check_dataframe(data, name=name)
    check_in(missing, ("raise", "zero"), name="missing rule")
    if isinstance(keys, str) or not all(isinstance(k, str) for k in keys):
        raise TypeError(f"{name}: keys= must be a list of key column names, got {keys!r}")
    data = _normalise_frame_keys(data, name, unique=False)
    if columns is None:
        # key columns are recognised whatever their case (``Year``, ``ISO3``), plus any the
        # user declares with keys=[...]; they are never actors
        keys = key_like_columns(data, extra=(*KEY_COLUMNS, *keys))
        cols = [c for c in data.columns if c not in keys]
    else:
        if isinstance(columns, str):
            raise TypeError(f"{name}: columns= must be a list of actor columns, got the string "
                            f"{columns!r}; e.g. columns=['state', 'market', 'society']")
        keys = []
        cols = check_columns(data, columns, name=name)
    if len(cols) < 2:
        excl = f" (key columns {keys} are never actors)" if keys else ""
        raise ValueError(f"{name}: need at least two actor columns, got {cols}{excl}; "
                         "pass columns=[...] naming the actors")
    check_numeric(data, cols, name=name)
    x = data[cols].astype(float)
    na = x.isna()
    empty = na.all(axis=1)
    if empty.any():
        raise ValueError(f"{name}: {int(empty.sum())} row(s) have no observed share "
                         f"(index {list(x.index[empty][:5])}); drop them first")
    if na.any().any():
        if missing == "raise":
            bad = [(i, c) for i, c in zip(*np.nonzero(na.to_numpy()), strict=False)][:5]
            where = [(x.index[i], cols[c]) for i, c in bad]
            raise ValueError(
                f"{name}: {int(na.to_numpy().sum())} missing share(s), e.g. (row, column) "
                f"{where}; impute them or pass missing='zero' to treat them as zero shares")
        x = x.fillna(0.0)
    neg = x < 0
    if neg.any().any():
        i, c = next(zip(*np.nonzero(neg.to_numpy()), strict=False))
        raise ValueError(
            f"{name}: shares must be non-negative; {int(neg.to_numpy().sum())} negative value(s), "
            f"e.g. row {x.index[i]!r}, column {cols[c]!r} = {x.iat[i, c]:g}. Shares of spending or "
            "decision rights cannot be negative: check the sign or shift the scale")
    tot = x.sum(axis=1)
    zero = tot <= 0
    if zero.any():
        raise ValueError(f"{name}: {int(zero.sum())} row(s) sum to 0 (index "
                         f"{list(x.index[zero][:5])}); shares are undefined there")
    return x.div(tot, axis=0)


def effective_number(shares: pd.DataFrame | np.ndarray, *, columns: Sequence[str] | None = None,
                     missing: str = "raise", keys: Sequence[str] = ()) -> pd.Series:
    """Effective number of actors (Laakso & Taagepera 1979): the inverse Herfindahl index.

    Parameters
    ----------
    shares : pandas.DataFrame or 2-D array
        One row per unit (country-year, municipality...), one column per actor;
        non-negative amounts or shares.  Each row is rescaled to sum to 1.
    columns : list of str, optional
        Actor columns.  Default: every column except the key columns in
        :data:`KEY_COLUMNS` (``iso3``, ``year``, ``country``, ``region``,
        ``municipality``, ``entity``, ``time``, ``period``, ``wave``) and in
        :data:`polygov.keys.KEY_NAMES`, compared case-insensitively (``Year`` is a
        key), and those declared in ``keys``, so a tidy frame with its keys can be
        passed as it is; any other non-numeric column raises.  Name the actors
        explicitly when in doubt.
    keys : list of str, optional
        Further key columns of ``shares`` (never counted as actors).
    missing : {"raise", "zero"}
        What to do with a missing share: raise (default) or count it as zero.

    Returns
    -------
    pandas.Series
        ``effective_number`` per row, between 1 (one actor holds everything)
        and the number of actors (equal shares).

    Raises
    ------
    ValueError
        Negative shares, rows with no observed share, rows summing to 0.

    Notes
    -----
    ``N_eff = 1 / sum_i p_i^2`` with ``p_i = x_i / sum_j x_j``.

    Validated against hand-computed cases and an independent NumPy
    Herfindahl computation on random amounts (``tests/test_polycentricity.py``).
    """
    p = _shares(shares, columns, missing, "shares", keys)
    return (1.0 / (p**2).sum(axis=1)).rename("effective_number")


def shannon_entropy(shares: pd.DataFrame | np.ndarray, *, columns: Sequence[str] | None = None,
                    normalise: bool = True, missing: str = "raise",
                    keys: Sequence[str] = ()) -> pd.Series:
    """Shannon entropy of actors' shares, by default normalised to [0, 1].

    Parameters
    ----------
    shares, columns, missing, keys
        As in :func:`effective_number`.
    normalise : bool, default True
        Divide by ``log(n_actors)`` so 1 means equal shares and 0 one actor.

    Returns
    -------
    pandas.Series
        ``entropy`` per row (natural log; normalised if ``normalise``).

    Notes
    -----
    ``H = -sum_i p_i log p_i`` with ``0 log 0 = 0``; normalised ``H / log n``
    where ``n`` is the number of actor columns (Pielou's evenness).

    Validated against ``scipy.stats.entropy`` in the tests.
    """
    p = _shares(shares, columns, missing, "shares", keys)
    arr = p.to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(arr > 0, arr * np.log(arr), 0.0)
    h = -terms.sum(axis=1) + 0.0  # + 0.0: one actor gives 0, not -0
    if normalise:
        h = h / np.log(arr.shape[1])
    return pd.Series(h, index=p.index, name="entropy")


# ---------------------------------------------------------------------------------------------
# centre sub-indices from the Human Freedom Index
# ---------------------------------------------------------------------------------------------
_ROWS = [
    # code, centre, group, direction, label, rationale
    ("pf_association_association", "society", "association", 1, "Freedom of association",
     "citizens can form and join associations: the basic condition for a social centre"),
    ("pf_association_assembly", "society", "association", 1, "Freedom of assembly",
     "citizens can gather and voice demands collectively"),
    ("pf_association_political", "society", "association", 1,
     "Freedom to establish and operate political parties",
     "organised political participation outside the state apparatus"),
    ("pf_association_prof", "society", "association", 1,
     "Freedom to establish and operate professional organisations",
     "professional self-organisation, a classic non-state governance centre"),
    ("pf_association_sport", "society", "association", 1,
     "Freedom to establish and operate educational, sporting and cultural organisations",
     "civil-society organisations that provide public services"),
    ("pf_expression", "society", "expression", 1, "Freedom of expression and information",
     "citizens' voice and information: the channel through which society checks power"),
    ("ef_regulation_credit", "market", "credit", 1, "Credit market regulation",
     "private, competitive credit allocation (not state-directed)"),
    ("ef_regulation_labor", "market", "labour", 1, "Labour market regulation",
     "wages and hiring set by contracts rather than by decree"),
    ("ef_regulation_business", "market", "business", 1, "Business regulation",
     "firms can enter and operate without administrative discretion"),
    ("ef_trade", "market", "trade", 1, "Freedom to trade internationally",
     "market exchange across borders without state gatekeeping"),
    ("ef_government_consumption", "state", "consumption", -1, "Government consumption",
     "HFI scores 10 for SMALL government consumption; reversed (10 - x) so higher = larger "
     "state role"),
    ("ef_government_transfers", "state", "transfers", -1, "Transfers and subsidies",
     "HFI scores 10 for SMALL transfers; reversed so higher = more redistribution by the state"),
    ("ef_government_enterprises", "state", "enterprises", -1,
     "Government enterprises and investment",
     "HFI scores 10 for FEW state enterprises; reversed so higher = more state ownership"),
]

#: Indicator table of :func:`centre_scores`: ``code`` (HFI column), ``centre``
#: (society / market / state), ``group`` (sub-pillar averaged first),
#: ``direction`` (+1 as published, -1 reversed as ``10 - x``), ``label``, ``rationale``.
CENTRE_INDICATORS = pd.DataFrame(
    _ROWS, columns=["code", "centre", "group", "direction", "label", "rationale"])

CENTRES = ("society", "market", "state")


def centre_scores(
    hfi: pd.DataFrame,
    *,
    indicators: pd.DataFrame | None = None,
    entity: str = "iso3",
    time: str = "year",
    min_share: float = 1.0,
) -> pd.DataFrame:
    """Society, market and state-dominance scores and the polycentricity of each country-year.

    Parameters
    ----------
    hfi : pandas.DataFrame
        The bundled Human Freedom Index (``polygov.data.load("hfi")``), or any
        frame holding the indicator columns on HFI's 0-10 scale.
    indicators : pandas.DataFrame, optional
        Indicator table with the columns of :data:`CENTRE_INDICATORS`
        (default: that table).  Must cover the three centres.
    entity, time : str
        Key columns carried over (default ``iso3``, ``year``).
    min_share : float, default 1.0
        Share of a centre's groups that must be observed for the centre score
        to be computed; below it the score is NaN.  The default (all groups)
        keeps each score's composition fixed over time.

    Returns
    -------
    pandas.DataFrame
        ``entity``, ``time``, ``society``, ``market``, ``state`` (0-10; higher =
        stronger centre), ``effective_centres`` (1-3), ``entropy`` (normalised
        Shannon entropy, 0-1), ``balance`` (0-1; ``1 - (max - min) / 10``, on
        HFI mostly the society-state gap reversed, see Notes),
        ``polycentricity`` (``effective_centres`` rescaled to 0-1:
        ``(N_eff - 1) / 2``).  None of the summaries measures "more non-state
        centres": ``effective_centres``, ``entropy`` and ``polycentricity``
        track the state score (r = 0.89 with ``state`` in 2016) and
        ``balance`` the society-state gap (r = -0.84): see the warning in Notes.

    Notes
    -----
    Direction: HFI codes every indicator so that 10 = more freedom; for the
    size-of-government indicators that means 10 = *smaller* government, so the
    state-dominance indicators are reversed (``10 - x``) to read "higher =
    larger state role".  Aggregation: mean of the indicators in each group,
    then mean of the groups in the centre (equal weights).  The three centre
    scores are then treated as the "shares" of the centres:
    ``effective_centres = 1 / sum_c p_c^2`` with ``p_c = score_c / sum scores``
    and ``balance = 1 - (max - min) / 10`` (``max``/``min`` over the three
    centre scores).  Equal but weak centres are balanced, so read
    ``balance``/``effective_centres`` together with the scores themselves.

    .. warning::
       **The effective number of centres mostly measures the size of the
       state.**  The (reversed) state score is the lowest of the three in
       91% of the 127 country-years of 2016 with all three scores (93% over
       2008-2016), so ``effective_centres`` - and ``polycentricity``, its
       linear rescaling, and ``entropy`` - rise and fall with it: in 2016 the
       Pearson correlation with ``state`` is r = 0.89 for
       ``effective_centres`` (0.84 for ``entropy``), while its correlation
       with ``society`` is r = -0.15 and with ``market`` r = -0.09 (and the
       state score itself is uncorrelated with both, |r| < 0.05).  A higher "effective number of centres"
       therefore usually means a *larger* state, not more or stronger non-state
       centres.

       **``balance`` mostly measures the society-state gap, reversed.**  It is
       ``1 - (strongest - weakest) / 10``, and on HFI the weakest centre is
       the state (91% of 2016 country-years, as above) while the strongest is
       society in 69% of them (market in the other 29%), so ``balance`` is
       usually ``1 - (society - state) / 10`` - exactly so in 68% of the 2016
       country-years.  In 2016 its Pearson correlation is r = -0.84 with
       ``society - state``, r = -0.57 with ``society``, r = -0.43 with
       ``market`` and r = 0.68 with ``state``.  What it captures: how far
       apart the strongest and the weakest centre are, on the common 0-10
       scale.  What it does not capture: the strength of any centre (equal
       but weak centres score 1), the middle centre, or which centre leads;
       and because the gap is mostly "society above state", a country whose
       civil society grows (with an unchanged state) becomes *less* balanced.
       It is no better a measure of polycentricity than the others; analyse
       ``society``, ``market`` and ``state`` themselves (the summaries can
       serve as descriptive controls, read as above).  The columns are kept
       unchanged for reproducibility; every number in this warning is
       recomputed from the bundled data in ``tests/test_polycentricity.py``.

    Missing data: a centre is NaN unless ``min_share`` of its groups are
    observed; the polycentricity measures are NaN unless all three centres
    are.  Rows with a centre score of exactly 0 in every centre get NaN
    measures (shares undefined).

    Examples
    --------
    >>> import polygov as pg
    >>> scores = pg.polycentricity.centre_scores(pg.data.load("hfi"))  # doctest: +SKIP
    """
    check_dataframe(hfi, name="hfi")
    hfi = _normalise_frame_keys(hfi, "hfi", entity=entity, time=time)
    table = CENTRE_INDICATORS if indicators is None else indicators
    check_dataframe(table, name="indicators")
    check_columns(table, ["code", "centre", "group", "direction"], name="indicators")
    bad_c = sorted(set(table["centre"]) - set(CENTRES))
    if bad_c or set(table["centre"]) != set(CENTRES):
        raise ValueError(f"indicator table must cover exactly the centres {CENTRES}; "
                         f"found {sorted(set(table['centre']))}")
    bad_d = sorted(set(table["direction"]) - {1, -1})
    if bad_d:
        raise ValueError(f"direction must be +1 or -1, found {bad_d}")
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share must be in (0, 1], got {min_share}")
    codes = list(table["code"])
    check_columns(hfi, [entity, time, *codes], name="hfi")
    check_numeric(hfi, codes, name="hfi")
    vals = hfi[codes].astype(float)
    out_of_range = (vals < 0) | (vals > 10)
    if out_of_range.any().any():
        col = vals.columns[out_of_range.any()].tolist()
        raise ValueError(f"HFI indicators are on a 0-10 scale; {col} have values outside it")
    out = hfi[[entity, time]].copy()
    for centre in CENTRES:
        rows = table[table["centre"] == centre]
        groups = []
        for _g, grp in rows.groupby("group", sort=False):
            v = vals[list(grp["code"])].copy()
            for code, d in zip(grp["code"], grp["direction"], strict=False):
                if d == -1:
                    v[code] = 10.0 - v[code]
            groups.append(v.mean(axis=1, skipna=True))
        g = pd.concat(groups, axis=1)
        share_obs = g.notna().mean(axis=1)
        out[centre] = g.mean(axis=1, skipna=True).where(share_obs >= min_share - 1e-12)
    s = out[list(CENTRES)]
    ok = s.notna().all(axis=1) & (s.sum(axis=1) > 0)
    out["effective_centres"] = np.nan
    out["entropy"] = np.nan
    if ok.any():
        out.loc[ok, "effective_centres"] = effective_number(s.loc[ok]).to_numpy()
        out.loc[ok, "entropy"] = shannon_entropy(s.loc[ok]).to_numpy()
    out["balance"] = (1 - (s.max(axis=1) - s.min(axis=1)) / 10).where(ok)
    out["polycentricity"] = (out["effective_centres"] - 1) / (len(CENTRES) - 1)
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# multi-level government: Swedish municipalities
# ---------------------------------------------------------------------------------------------
def fiscal_measures(data: pd.DataFrame, *, expenditures: str = "expenditures",
                    revenues: str = "revenues", grants: str = "grants") -> pd.DataFrame:
    """Grant dependence and vertical fiscal imbalance of local governments.

    Parameters
    ----------
    data : pandas.DataFrame
        E.g. ``polygov.data.load("municipalities")``: 265 Swedish municipalities,
        1979-1987 (Dahlberg & Johansson 2000, via R ``AER::Municipalities``).
        ``expenditures`` are total (current + capital) expenditures,
        ``revenues`` total *own-source* revenues and ``grants``
        intergovernmental grants received, all per capita, in million SEK at
        1985 prices (deflated with a municipality-specific price index).
    expenditures, revenues, grants : str
        Column names.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with ``grant_dependence`` = grants / (own revenues +
        grants), the share of the municipality's income that comes from higher
        levels of government; ``grants_to_own`` = grants / own revenues; and
        ``vertical_fiscal_imbalance`` = 1 - own revenues / expenditures, the
        share of spending not financed by own revenues (Eyraud & Lusinyan
        2013).

    Notes
    -----
    Because AER's ``revenues`` excludes grants, total income is
    ``revenues + grants``.  Rows with a missing input give NaN outputs;
    non-positive denominators raise a ``ValueError`` naming the rows.
    """
    check_dataframe(data)
    data = _normalise_frame_keys(data, "data")
    cols = [expenditures, revenues, grants]
    check_columns(data, cols)
    check_numeric(data, cols)
    neg = (data[cols] < 0).any(axis=1)
    if neg.any():
        raise ValueError(f"{int(neg.sum())} row(s) have negative expenditures/revenues/grants "
                         f"(index {list(data.index[neg][:5])}); these are amounts, not changes")
    income = data[revenues] + data[grants]
    for name, den in (("own revenues + grants", income), (expenditures, data[expenditures]),
                      (revenues, data[revenues])):
        zero = den == 0
        if zero.any():
            raise ValueError(f"{name} is 0 in {int(zero.sum())} row(s) (index "
                             f"{list(data.index[zero][:5])}); the ratio is undefined")
    out = data.copy()
    out["grant_dependence"] = data[grants] / income
    out["grants_to_own"] = data[grants] / data[revenues]
    out["vertical_fiscal_imbalance"] = 1 - data[revenues] / data[expenditures]
    return out


def flypaper(
    data: pd.DataFrame,
    *,
    expenditures: str = "expenditures",
    revenues: str = "revenues",
    grants: str = "grants",
    entity: str = "municipality",
    time: str = "year",
    effects: str = "twoway",
    cov: str = "cluster",
    level: float = 0.95,
) -> pd.DataFrame:
    """The "flypaper effect": does spending respond more to grants than to own revenues?

    Fits ``expenditures ~ grants + revenues`` with :func:`polygov.regression.fit_panel`
    (by default municipality and year fixed effects, errors clustered by
    municipality) and tests ``b_grants - b_revenues = 0``.

    Returns
    -------
    pandas.DataFrame
        Rows ``term`` = ``grants``, ``revenues`` and ``grants - revenues``, with
        ``estimate``, ``std_error``, ``statistic``, ``p_value``, ``ci_low``,
        ``ci_high``.  A positive, significant difference is a flypaper effect
        (money "sticks where it hits", Hines & Thaler 1995).

    Notes
    -----
    ``Var(b_g - b_r) = V_gg + V_rr - 2 V_gr`` from the model's (clustered)
    covariance; t reference distribution with the model's degrees of freedom.
    An association within municipalities over time, not a causal estimate:
    grants respond to local needs that also drive spending.
    """
    from scipy import stats

    from .regression import fit_panel

    check_dataframe(data)
    data = normalise_keys(data, entity=entity, time=time, name="data")
    res = fit_panel(data, y=expenditures, x=[grants, revenues], entity=entity, time=time,
                    effects=effects, cov=cov)
    tidy = res.tidy(level)
    v = res.cov
    diff = res.params[grants] - res.params[revenues]
    se = float(np.sqrt(v.loc[grants, grants] + v.loc[revenues, revenues]
                       - 2 * v.loc[grants, revenues]))
    dist = stats.t(res.df_inference) if res.df_inference else stats.norm()
    c = dist.ppf(0.5 + level / 2)
    row = {"term": f"{grants} - {revenues}", "estimate": diff, "std_error": se,
           "statistic": diff / se, "p_value": float(2 * dist.sf(abs(diff / se))),
           "ci_low": diff - c * se, "ci_high": diff + c * se}
    out = pd.concat([tidy[tidy["term"].isin([grants, revenues])], pd.DataFrame([row])],
                    ignore_index=True)
    return out
