"""Benchmark: proportion tables by neighbourhood x wave on a 1,000,000-row synthetic survey.

Prints, in one run, the time to produce
``SurveyDesign.proportion(indicator, by=["neighbourhood", "wave"])`` for every agree
indicator of the codebook, and the time for the straightforward alternative a researcher
would write (statsmodels GLM, binomial, intercept only, weights, cluster-robust errors,
one group at a time); the cost in rows (250k / 500k / 1M); the peak memory of one
table against the size of the data frame; then, side by side on the same data (78
neighbourhood x wave groups, stratified by neighbourhood), this library against R
``survey`` (when ``Rscript`` is on the PATH) and the Python package ``svy`` (when an
interpreter has it):

* proportions by group, logit intervals: ``proportion(y, by=)`` against R's
  ``svyby(~y, ~g, des, svyciprop, method="logit")`` (the library's default method is R's
  ``svyciprop`` logit interval; its SE is ``svymean``'s) and ``svy``'s ``prop``;
* totals by group: ``total(x, by=)`` against ``svyby(~x, ~g, des, svytotal)``;
* medians by group: ``quantile(x, 0.5, by=)`` against ``svyby(~x, ~g, des, svyquantile,
  quantiles=0.5, ci=TRUE)`` with survey 4.x's defaults ``qrule="math"``,
  ``interval.type="mean"``;
* JKn replicate SEs: 80 replicate-weight columns made here (40 variance strata x 2 PSUs),
  ``ReplicateDesign(type="JKn", rscales=0.5)`` against ``svrepdesign(type="JKn",
  rscales=0.5, mse=TRUE)`` (R reads the same columns) and ``svyby(~y, ~g, rd, svymean)``.

Only the estimation is timed (R: ``system.time`` around the ``svyby`` call, after
``read.csv`` and the design; ``svy``: the estimation call after ``Sample``); each table is
checked against the others (largest absolute and relative differences) and the speed ratios
are printed against the goals (proportions >= 100x R, medians and JKn SEs >= 20x R, never
slower than ``svy``). An R task still running after ``--r-timeout`` seconds of estimation is
stopped (``setTimeLimit``) and reported as ``> timeout``, with a lower bound on the ratio.

Run (single thread): ``.venv/bin/python benchmarks/bench_design.py [--rows 1000000]
[--r-timeout 3600] [--svy-python PATH]``. ``svy`` is not a dependency of the project: install
it in a private environment (``python3 -m venv .svyvenv && .svyvenv/bin/pip install svy
pandas numpy``), which the benchmark finds by itself, or pass ``--svy-python``.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import statsmodels.api as sm  # noqa: E402

from lozells_analysis.data.codebook import load_codebook  # noqa: E402
from lozells_analysis.data.synthetic import generate  # noqa: E402
from lozells_analysis.stats.design import SurveyDesign  # noqa: E402
from lozells_analysis.stats.replicate import ReplicateDesign  # noqa: E402


def statsmodels_table(df: pd.DataFrame, y: np.ndarray) -> pd.DataFrame:
    """What a researcher would write: one weighted GLM per group, cluster-robust SEs."""
    rows = []
    keys = df[["neighbourhood", "wave"]]
    for (nb, wave), idx in keys.groupby(["neighbourhood", "wave"], observed=True).indices.items():
        yy = y[idx]
        ok = ~np.isnan(yy)
        yy = yy[ok]
        w = df["weight"].to_numpy()[idx][ok]
        X = np.ones((len(yy), 1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = sm.GLM(yy, X, family=sm.families.Binomial(), var_weights=w).fit(
                cov_type="cluster", cov_kwds={"groups": np.arange(len(yy))}
            )
        b, se = fit.params[0], fit.bse[0]
        rows.append((nb, wave, 1 / (1 + np.exp(-b)), se, len(yy)))
    return pd.DataFrame(rows, columns=["neighbourhood", "wave", "estimate", "se_logit", "n"])


BY = ["neighbourhood", "wave"]
TASKS = ("proportion", "total", "median", "jkn")
TASK_NAMES = {
    "proportion": "proportions by group",
    "total": "totals by group",
    "median": "medians by group",
    "jkn": "JKn replicate SEs (80 reps)",
}
#: the R call each task is timed against (survey 4.x defaults: qrule="math",
#: interval.type="mean" for svyquantile)
R_CALLS = {
    "proportion": "svyby(~y, ~g, des, svyciprop, method='logit')",
    "total": "svyby(~x, ~g, des, svytotal)",
    "median": "svyby(~x, ~g, des, svyquantile, quantiles=0.5, ci=TRUE)",
    "jkn": "svyby(~y, ~g, svrepdesign(type='JKn'), svymean)",
}
GOALS = {"proportion": 100.0, "total": None, "median": 20.0, "jkn": 20.0}
REPLICATES = 80

R_TASK = """
suppressMessages(library(survey))
d <- read.csv("{data}")
d$neighbourhood <- as.character(d$neighbourhood)
{setup}
setTimeLimit(elapsed = {timeout})
el <- system.time({expr})[["elapsed"]]
setTimeLimit()
write.csv(data.frame(neighbourhood = res$neighbourhood, wave = res$wave,
                     estimate = as.vector(coef(res)), se = as.vector(SE(res)),
                     lower = {lower}, upper = {upper}),
          "{out}", row.names = FALSE)
cat(el, "\\n")
"""
R_DESIGN = "des <- svydesign(id = ~1, strata = ~neighbourhood, weights = ~weight, data = d)"
R_SPEC = {
    "proportion": (
        R_DESIGN,
        "res <- svyby(~y, ~neighbourhood + wave, des, svyciprop, method = 'logit', "
        "vartype = c('se', 'ci'), na.rm = TRUE)",
        "res$ci_l",
        "res$ci_u",
    ),
    "total": (
        R_DESIGN,
        "res <- svyby(~x, ~neighbourhood + wave, des, svytotal, na.rm = TRUE)",
        "NA",
        "NA",
    ),
    "median": (
        R_DESIGN,
        "res <- svyby(~x, ~neighbourhood + wave, des, svyquantile, quantiles = 0.5, "
        "ci = TRUE, qrule = 'math', interval.type = 'mean', vartype = c('se', 'ci'), "
        "na.rm = TRUE)",
        "res$ci_l",
        "res$ci_u",
    ),
    "jkn": (
        # the replicate weights written by Python (n x 80, column-major doubles)
        "A <- matrix(readBin('{rep}', 'double', n = nrow(d) * {R}), ncol = {R})\n"
        "rd <- svrepdesign(data = d, repweights = A, weights = ~weight, type = 'JKn', "
        "scale = 1, rscales = rep(0.5, {R}), combined.weights = TRUE, mse = TRUE)",
        "res <- svyby(~y, ~neighbourhood + wave, rd, svymean, na.rm = TRUE)",
        "NA",
        "NA",
    ),
}

SVY_TASK = """
import json, sys, time
import numpy as np
import polars as pl
import svy

task, data, rep, out, R = sys.argv[1:6]
R = int(R)
d = pl.read_csv(data, schema_overrides={"neighbourhood": pl.Utf8})
by = ["neighbourhood", "wave"]
if task == "jkn":
    A = np.fromfile(rep, dtype=np.float64).reshape(R, len(d))
    d = d.with_columns([pl.Series(f"rw{r + 1}", A[r]) for r in range(R)])
    design = svy.Design(wgt="weight", rep_wgts=svy.JackknifeWgts(prefix="rw", n_reps=R,
                                                                 scale=0.5))
else:
    design = svy.Design(stratum="neighbourhood", wgt="weight")
sample = svy.Sample(d, design)
est = sample.estimation
calls = {
    "proportion": lambda: est.prop("y", by=by, ci_method="logit", drop_nulls=True),
    "total": lambda: est.total("x", by=by, drop_nulls=True),
    "median": lambda: est.median("x", by=by, drop_nulls=True),
    "jkn": lambda: est.mean("y", by=by, method="replication", variance_center="estimate",
                            drop_nulls=True),
}
t0 = time.perf_counter()
res = calls[task]()
el = time.perf_counter() - t0
f = res.to_polars()
if task == "proportion":
    f = f.filter(pl.col("y") == 1)
f = f.select(by + [pl.col("est").alias("estimate"), "se", pl.col("lci").alias("lower"),
                   pl.col("uci").alias("upper")])
f.write_csv(out)
print(el)
"""


def side_by_side_data(
    df: pd.DataFrame, y: np.ndarray, x: np.ndarray, replicates: int = REPLICATES
) -> tuple[pd.DataFrame, np.ndarray]:
    """The benchmark's data and its JKn replicate weights (``replicates`` columns).

    ``replicates / 2`` variance strata of 2 PSUs each (rows dealt round-robin); replicate
    ``2h + j`` drops PSU ``j`` of stratum ``h`` and doubles the other PSU's weights (R's
    ``jknweights``), so ``rscales = (n_h - 1) / n_h = 0.5``.
    """
    row = np.arange(len(df))
    H = replicates // 2
    data = df[BY + ["weight"]].assign(y=y, x=x, vstrat=row % H, vpsu=(row // H) % 2)
    data["neighbourhood"] = data["neighbourhood"].astype(str)
    data["wave"] = data["wave"].astype(int)
    w = data["weight"].to_numpy(float)
    vstrat, vpsu = data["vstrat"].to_numpy(), data["vpsu"].to_numpy()
    A = np.empty((replicates, len(df)))  # one row per replicate (written column-major)
    for h in range(H):
        in_h = vstrat == h
        for j in range(2):
            A[2 * h + j] = np.where(in_h, np.where(vpsu == j, 0.0, 2.0 * w), w)
    return data, A


def _ours(task: str, data: pd.DataFrame, A: np.ndarray) -> tuple[pd.DataFrame, float]:
    """One task with this library, on a fresh design: the table and the estimator's time."""
    if task == "jkn":
        cols = [f"rw{r + 1}" for r in range(len(A))]
        rep_data = pd.concat([data, pd.DataFrame(A.T, columns=cols, index=data.index)], axis=1)
        design: ReplicateDesign | SurveyDesign = ReplicateDesign(
            rep_data, weights="weight", repweights=cols, type="JKn", rscales=0.5, mse=True
        )
    else:
        design = SurveyDesign(data, weights="weight", strata="neighbourhood")
    t0 = time.perf_counter()
    if task == "proportion":
        out = design.proportion("y", by=BY)  # logit interval: R's svyciprop(method="logit")
    elif task == "total":
        out = design.total("x", by=BY)
    elif task == "median":
        out = design.quantile("x", 0.5, by=BY)
    else:
        out = design.mean("y", by=BY)
    elapsed = time.perf_counter() - t0
    out = out[BY + ["estimate", "se", "lower_ci", "upper_ci"]]
    return out.rename(columns={"lower_ci": "lower", "upper_ci": "upper"}), elapsed


def _run_r(task: str, paths: dict[str, Path], timeout: float) -> tuple[pd.DataFrame | None, str]:
    """One task in R: the table and the time of the estimation (``> timeout`` if stopped)."""
    setup, expr, lower, upper = R_SPEC[task]
    out = paths["tmp"] / f"r_{task}.csv"
    script = R_TASK.format(
        data=paths["data"],
        setup=setup.format(rep=paths["rep"], R=REPLICATES),
        timeout=timeout,
        expr=expr,
        lower=lower,
        upper=upper,
        out=out,
    )
    try:  # the data loading is not timed, but it must finish too: allow it 30 minutes
        res = subprocess.run(
            ["Rscript", "-e", script], capture_output=True, text=True, timeout=timeout + 1800
        )
    except subprocess.TimeoutExpired:
        return None, f"> {timeout:g}"
    if res.returncode != 0:
        if "time limit" in res.stderr:
            return None, f"> {timeout:g}"
        raise RuntimeError(f"R failed on {task}:\n{res.stderr[-2000:]}")
    return pd.read_csv(out, dtype={"neighbourhood": str}), f"{float(res.stdout.split()[0]):.3f}"


def _run_svy(
    task: str, paths: dict[str, Path], python: str, timeout: float
) -> tuple[pd.DataFrame | None, str]:
    """One task with ``svy`` (in its own interpreter): the table and the estimator's time."""
    out = paths["tmp"] / f"svy_{task}.csv"
    args = [python, "-c", SVY_TASK, task, str(paths["data"]), str(paths["rep"]), str(out)]
    try:
        res = subprocess.run(
            [*args, str(REPLICATES)], capture_output=True, text=True, timeout=timeout + 600
        )
    except subprocess.TimeoutExpired:
        return None, f"> {timeout:g}"
    if res.returncode != 0:
        return None, "failed: " + res.stderr.strip().splitlines()[-1][:80]
    return pd.read_csv(out, dtype={"neighbourhood": str}), f"{float(res.stdout.split()[-1]):.3f}"


def _largest_differences(ours: pd.DataFrame, other: pd.DataFrame | None) -> str:
    """The largest absolute (and relative) differences of estimates, SEs and limits."""
    if other is None:
        return ""
    both = ours.merge(other, on=BY, suffixes=("", "_o"))
    if len(both) != len(ours):
        return f"groups differ ({len(both)} of {len(ours)} matched)"
    parts = []
    for col in ("estimate", "se", "lower", "upper"):
        a, b = both[col].to_numpy(float), both[f"{col}_o"].to_numpy(float)
        if np.isnan(b).all():
            continue
        d = np.abs(a - b)
        rel = d / np.abs(b)
        parts.append(f"{col} {np.nanmax(d):.1e} (rel {np.nanmax(rel):.0e})")
    return ", ".join(parts)


def _svy_python(arg: str | None) -> str | None:
    """The interpreter that has ``svy``: --svy-python, this one, or the project's .svyvenv."""
    if arg:
        return arg
    try:
        import svy  # noqa: F401

        return sys.executable
    except ImportError:
        pass
    local = Path(__file__).resolve().parents[1] / ".svyvenv" / "bin" / "python"
    return str(local) if local.exists() else None


def side_by_side(
    df: pd.DataFrame,
    y: np.ndarray,
    x: np.ndarray,
    r_timeout: float,
    svy_python: str | None,
) -> None:
    """Proportions, totals and medians by group and JKn replicate SEs: this library, R
    ``survey`` and ``svy`` on the same data, each timed on the estimation only."""
    data, A = side_by_side_data(df, y, x)
    n_groups = len(data.groupby(BY).size())
    print(
        f"\nside by side: {len(data):,} rows x {n_groups} groups (neighbourhood x wave), "
        f"stratified by neighbourhood; JKn: {REPLICATES} replicates ({REPLICATES // 2} "
        "strata x 2 PSUs); seconds of estimation only (data loading and design set-up "
        "not timed)"
    )
    have_r = shutil.which("Rscript") is not None
    print(f"R: {'Rscript, timeout ' + format(r_timeout, 'g') + ' s' if have_r else 'not found'}")
    print(f"svy: {svy_python or 'not installed (pass --svy-python)'}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        paths = {"tmp": tmp, "data": tmp / "d.csv", "rep": tmp / "rep.bin"}
        if have_r or svy_python:
            data.to_csv(paths["data"], index=False)
            A.tofile(paths["rep"])  # R x n rows: an n x R matrix, column-major
        rows = []
        for task in TASKS:
            ours, t = _ours(task, data, A)
            r, r_time = _run_r(task, paths, r_timeout) if have_r else (None, "")
            s, s_time = _run_svy(task, paths, svy_python, r_timeout) if svy_python else (None, "")
            rows.append((task, t, r_time, s_time, ours, r, s))
            print(f"  {TASK_NAMES[task]}: ours {t:.3f} s, R {r_time or '-'}, svy {s_time or '-'}")
    print(f"\n{'task':<30}{'ours':>9}{'R survey':>11}{'svy':>9}{'R/ours':>9}{'svy/ours':>10}")
    for task, t, r_time, s_time, _, _, _ in rows:
        print(
            f"{TASK_NAMES[task]:<30}{t:>9.3f}{r_time or '-':>11}{s_time or '-':>9}"
            f"{_ratio(r_time, t):>9}{_ratio(s_time, t):>10}"
        )
    print("\nlargest differences (absolute; relative in brackets):")
    for task, _, _, _, ours, r, s in rows:
        print(f"  {TASK_NAMES[task]}  [{R_CALLS[task]}]")
        if r is not None:
            print(f"    vs R:   {_largest_differences(ours, r)}")
        if s is not None:
            print(f"    vs svy: {_largest_differences(ours, s)}")
    print("\ngoals: proportions >= 100x R, medians and JKn SEs >= 20x R, never slower than svy")
    for task, t, r_time, s_time, *_ in rows:
        goal = GOALS[task]
        verdicts = []
        if goal and r_time:
            verdicts.append(f"R {_ratio(r_time, t)} (goal {goal:g}x)")
        if s_time:
            verdicts.append(f"svy {_ratio(s_time, t)} (goal > 1x)")
        print(f"  {TASK_NAMES[task]}: {', '.join(verdicts) or '-'}")


def _ratio(other: str, ours: float) -> str:
    """``other / ours`` as ``123x``; ``> 123x`` when ``other`` is a timeout."""
    if not other or other.startswith("failed"):
        return "-"
    if other.startswith(">"):
        return f"> {float(other[1:]) / ours:.0f}x"
    return (
        f"{float(other) / ours:.0f}x"
        if float(other) / ours >= 10
        else (f"{float(other) / ours:.1f}x")
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument(
        "--r-timeout",
        type=float,
        default=3600,
        help="seconds of estimation after which an R task is stopped (reported as > timeout)",
    )
    ap.add_argument(
        "--svy-python",
        default=None,
        help="a Python interpreter with svy installed (default: this one if it has svy, "
        "else .svyvenv/bin/python when present)",
    )
    ap.add_argument(
        "--baseline-items",
        type=int,
        default=2,
        help="items timed with the statsmodels loop (it is slow)",
    )
    args = ap.parse_args()

    cb = load_codebook()
    items = cb.agree_indicators()
    t0 = time.perf_counter()
    df = generate(n=args.rows, seed=7)
    t_gen = time.perf_counter() - t0
    df_bytes = df.memory_usage(deep=True).sum()
    print(
        f"synthetic survey: {len(df):,} rows, {df.shape[1]} columns, "
        f"{df_bytes / 1e6:.0f} MB in memory (generated in {t_gen:.1f} s)"
    )
    print(f"agree indicators: {len(items)}; groups: neighbourhood x wave")

    t0 = time.perf_counter()
    design = SurveyDesign(df, weights="weight", strata="neighbourhood", codebook=cb)
    design.proportion(items[0], by=["neighbourhood", "wave"])
    t_first = time.perf_counter() - t0
    times = []
    for item in items:
        t0 = time.perf_counter()
        design.proportion(item, by=["neighbourhood", "wave"])
        times.append(time.perf_counter() - t0)
    ours = np.array(times)

    base_times = []
    for item in items[: args.baseline_items]:
        y = cb.indicator_values(df, item).to_numpy(float)  # same coding cost as ours
        t0 = time.perf_counter()
        ref = statsmodels_table(df, y)
        base_times.append(time.perf_counter() - t0)
    base = np.array(base_times)
    # both give the same point estimates (checked, not just timed)
    if args.baseline_items:
        mine = design.proportion(items[args.baseline_items - 1], by=["neighbourhood", "wave"])
        merged = mine.merge(ref, on=["neighbourhood", "wave"])
        assert len(merged) == len(mine)
        assert np.allclose(merged["estimate_x"], merged["estimate_y"], rtol=1e-6)
        print("point estimates of both approaches agree (rtol 1e-6)")

    print()
    print(f"{'seconds per item table':<44}{'this module':>14}{'statsmodels loop':>18}")
    print(f"{'  median':<44}{np.median(ours):>14.3f}{np.median(base):>18.3f}")
    print(f"{'  max':<44}{ours.max():>14.3f}{base.max():>18.3f}")
    print(f"{'  first table (builds design and groups)':<44}{t_first:>14.3f}")
    print(
        f"{'  all ' + str(len(items)) + ' items':<44}{ours.sum():>14.2f}"
        f"{np.median(base) * len(items):>18.1f}  (loop: extrapolated)"
    )
    print(f"speed-up (median per item): {np.median(base) / np.median(ours):.0f}x")

    print("\ncost in rows (median of 5 runs, one item, fresh design per size):")
    per_row = []
    for k in (args.rows // 4, args.rows // 2, args.rows):
        sub = df.iloc[:k]
        d = SurveyDesign(sub, weights="weight", strata="neighbourhood", codebook=cb)
        d.proportion(items[0], by=["neighbourhood", "wave"])
        ts = []
        for _ in range(5):
            t0 = time.perf_counter()
            d.proportion(items[0], by=["neighbourhood", "wave"])
            ts.append(time.perf_counter() - t0)
        med = float(np.median(ts))
        per_row.append(med / k)
        print(f"  {k:>9,} rows: {med:.3f} s  ({med / k * 1e9:.0f} ns per row)")
    print(f"  ns per row, largest / smallest size: {per_row[-1] / per_row[0]:.2f} (1.00 = linear)")

    tracemalloc.start()
    design.proportion(items[1], by=["neighbourhood", "wave"])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"\npeak memory of one table (tracemalloc): {peak / 1e6:.0f} MB = "
        f"{peak / df_bytes:.2f} x the data frame ({df_bytes / 1e6:.0f} MB)"
    )
    y0 = cb.indicator_values(df, items[0]).to_numpy(float)
    x0 = df["life_satisfaction"].to_numpy(float)
    side_by_side(df, y0, x0, args.r_timeout, _svy_python(args.svy_python))


if __name__ == "__main__":
    main()
