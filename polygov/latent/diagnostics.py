"""Model checks for the unobserved-components model: residual correlation of sources."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import DataQualityWarning, check_columns, check_dataframe, check_keys, check_numeric
from .em import _MIN_OBS
from .inputs import _combine
from .result import UCMResult

__all__ = ["residual_correlation"]


def residual_correlation(result: UCMResult, data: pd.DataFrame) -> pd.DataFrame:
    """Correlation of the sources' residuals, to see which sources share errors.

    The model says ``y_k = alpha_k + beta_k g + e_k`` with independent errors.
    For each row j observing sources k and l, the expected residual product
    given the data is

    .. math:: E[e_{jk} e_{jl} \\mid y] = \\hat e_{jk}\\hat e_{jl}
              + \\beta_k\\beta_l\\,\\mathrm{Var}[g_j \\mid y],\\qquad
              \\hat e_{jk} = y_{jk} - \\alpha_k - \\beta_k E[g_j \\mid y],

    (the quantity EM's M step averages).  The result is the correlation
    ``sum_j E[e_k e_l|y] / sqrt(sum_j E[e_k^2|y] · sum_j E[e_l^2|y])`` over the
    rows observing both, with residuals scaled by ``sqrt(error_var)`` of their
    group of rows and pooled over groups.  The ``Var[g|y]`` term removes the
    mechanical negative correlation that plugging in the estimate ``E[g|y]``
    alone would create.  ``alpha``, ``beta``, ``error_var`` come from
    ``result.params``, ``E[g|y]`` and ``Var[g|y]`` from ``result.scores``
    (``estimate``, ``std_error``²); ``y`` is rebuilt from ``data`` exactly as
    :func:`ucm` built it (directions applied, ``groups`` combined).  Returns a
    square DataFrame (index and columns: ``result.sources``) with 1 on the
    diagonal; NaN for a pair observed together in fewer than three rows.

    Notes
    -----
    Under the model the expectation of each off-diagonal value is zero (tower
    property: ``E[E[e_k e_l|y]] = E[e_k e_l] = 0``), so values stay near 0 up to
    sampling error.  A block of clearly positive values (say r > 0.2) marks
    sources that share something besides g, typically columns of one
    provider: combine them with ``ucm(..., groups=...)``.  A one-factor fit
    cannot say which of two clusters is "the" factor: when one provider's
    columns are many and precise, the factor follows them and the *other*
    sources show the positive block; read it as "these sources do not fit one
    factor with independent errors" and group by provider.  On the HFI
    (per-year fits) the three World Justice Project sub-indices correlate at
    0.52-0.60 and three of the four WEF survey items at 0.21-0.37.

    Parameters
    ----------
    result : UCMResult
        A fit from :func:`ucm`.
    data : DataFrame
        The data it was fitted on (at least its key and source columns for the
        fitted rows).

    Raises
    ------
    TypeError
        ``result`` is not a UCMResult.
    KeyError
        A column of the fit, or a fitted row, is missing from ``data`` (named).
    """
    if not isinstance(result, UCMResult):
        raise TypeError(f"result must be a UCMResult from ucm(), got {type(result).__name__}")
    check_dataframe(data)
    keys = ["iso3"] + ([result.by] if result.by is not None else [])
    if result.members is not None:
        mem = result.members
    else:  # pragma: no cover - results built by hand
        mem = pd.DataFrame({"source": result.sources, "member": result.sources,
                            "direction": result.directions})
    cols = mem["member"].tolist()
    check_columns(data, keys + cols)
    check_keys(data, keys)
    check_numeric(data, cols)
    df = result.scores[keys].merge(data[keys + cols], on=keys, how="left", indicator=True)
    missing = df["_merge"] == "left_only"
    if missing.any():
        rows = [" ".join(map(str, r)) for r in df.loc[missing, keys].itertuples(index=False)]
        raise KeyError(
            f"{len(rows)} fitted row(s) are not in data: {', '.join(rows[:10])}"
            f"{' …' if len(rows) > 10 else ''}; pass the data the result was fitted on"
        )
    df = df.drop(columns="_merge")
    for m, d in zip(mem["member"], mem["direction"], strict=True):
        df[m] = df[m].astype(float) * d
    fitted = [(s, grp["member"].tolist()) for s, grp in mem.groupby("source", sort=False)]
    block = None if (result.by is None or result.pooled) else result.by
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # already reported by ucm()
        y = _combine(df, fitted, block=block)
    src = list(result.sources)
    par = result.params
    if block is None:
        p = par.set_index("source")
        get = {c: np.broadcast_to(p[c].reindex(src).to_numpy(), (len(y), len(src)))
               for c in ("alpha", "beta", "error_var")}
    else:
        p = par.set_index([block, "source"])
        idx = pd.MultiIndex.from_arrays([np.repeat(y[block].to_numpy(), len(src)),
                                         np.tile(src, len(y))])
        get = {c: p[c].reindex(idx).to_numpy().reshape(len(y), len(src))
               for c in ("alpha", "beta", "error_var")}
    sc = result.scores
    est = sc["estimate"].to_numpy()[:, None]  # y has the rows of scores, in order
    pvar = (sc["std_error"].to_numpy() ** 2)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(get["error_var"])
        e = (y[src].to_numpy(dtype=float) - get["alpha"] - get["beta"] * est) / sd
        bs = get["beta"] / sd  # E[e_k e_l | y] = e_k e_l + bs_k bs_l Var[g | y]
    obs = np.isfinite(e)
    e0 = np.where(obs, e, 0.0)
    b0 = np.where(obs, bs, 0.0)
    cross = e0.T @ e0 + (b0 * pvar).T @ b0
    K = len(src)
    sq = np.where(obs, e0**2 + b0**2 * pvar, 0.0)  # per-row E[e_k^2 | y]
    ok = obs.astype(float)
    diag_kl = sq.T @ ok  # [k, l]: sum of E[e_k^2|y] over rows observing k and l
    n = ok.T @ ok
    with np.errstate(invalid="ignore", divide="ignore"):
        out = cross / np.sqrt(diag_kl * diag_kl.T)
    out = np.where(n >= _MIN_OBS, out, np.nan)
    out[np.arange(K), np.arange(K)] = 1.0
    return pd.DataFrame(out, index=pd.Index(src, name="source"), columns=pd.Index(src, name="source"))
