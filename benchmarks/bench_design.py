"""Benchmark: proportion tables by neighbourhood x wave on a 1,000,000-row synthetic survey.

Prints, side by side in one run, the time to produce
``SurveyDesign.proportion(indicator, by=["neighbourhood", "wave"])`` for every agree
indicator of the codebook, and the time for the straightforward alternative a researcher
would write (statsmodels GLM, binomial, intercept only, weights, cluster-robust errors,
one group at a time); the cost in rows (250k / 500k / 1M); the peak memory of one
table against the size of the data frame; proportions (logit intervals), totals and medians
(Woodruff intervals) by group against R's ``svyby(svyciprop)``, ``svyby(svytotal)`` and
``svyby(svyquantile)``; and JKn replicate SEs with 80 replicates (40 variance strata x 2
PSUs) by group, against R's ``as.svrepdesign`` + ``svyby``. The R side runs when ``Rscript``
is on the PATH; each comparison prints the largest difference and the speed ratio.

Run (single core): ``.venv/bin/python benchmarks/bench_design.py [--rows 1000000]``
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
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


R_JKN = """
suppressMessages(library(survey))
d <- read.csv("{data}")
t0 <- proc.time()[["elapsed"]]
des <- svydesign(id = ~vpsu, strata = ~vstrat, weights = ~weight, nest = TRUE, data = d)
rd <- as.svrepdesign(des, type = "JKn", mse = TRUE)
t1 <- proc.time()[["elapsed"]]
b <- svyby(~y, ~neighbourhood + wave, rd, svymean, na.rm = TRUE)
t2 <- proc.time()[["elapsed"]]
write.csv(data.frame(neighbourhood = b$neighbourhood, wave = b$wave, estimate = b$y,
                     se = SE(b)), "{out}", row.names = FALSE)
cat(t1 - t0, t2 - t1, "\\n")
"""


R_BY_GROUP = """
suppressMessages(library(survey))
d <- read.csv("{data}")
des <- svydesign(id = ~1, strata = ~neighbourhood, weights = ~weight, data = d)
t <- c(proportion = system.time(p <- svyby(~y, ~neighbourhood + wave, des, svyciprop,
                                            method = "logit", vartype = "ci", na.rm = TRUE)),
       total = system.time(s <- svyby(~x, ~neighbourhood + wave, des, svytotal, na.rm = TRUE)),
       median = system.time(m <- svyby(~x, ~neighbourhood + wave, des, svyquantile,
                                        quantiles = 0.5, ci = TRUE, na.rm = TRUE)))
write.csv(data.frame(neighbourhood = p$neighbourhood, wave = p$wave,
                     p = coef(p), p_lower = p$ci_l, p_upper = p$ci_u,
                     total = coef(s), total_se = SE(s), median = coef(m), median_se = SE(m)),
          "{out}", row.names = FALSE)
cat(t[grep("elapsed", names(t))], "\\n")
"""


def _ours_by_group(design: SurveyDesign, by: list[str]) -> tuple[pd.DataFrame, list[float]]:
    """This library's proportions, totals and medians by group, and the time of each."""
    timed = []
    t0 = time.perf_counter()
    p = design.proportion("y", by=by)
    timed.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    s = design.total("x", by=by)
    timed.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    m = design.quantile("x", 0.5, by=by)
    timed.append(time.perf_counter() - t0)
    out = p[by].assign(
        p=p["estimate"], p_lower=p["lower_ci"], p_upper=p["upper_ci"],
        total=s["estimate"], total_se=s["se"], median=m["estimate"], median_se=m["se"],
    )  # fmt: skip
    return out, timed


def r_by_group(df: pd.DataFrame, y: np.ndarray, x: np.ndarray) -> None:
    """Proportions, totals and medians by neighbourhood x wave: this library against R."""
    by = ["neighbourhood", "wave"]
    data = df[by + ["weight"]].assign(y=y, x=x)
    data["neighbourhood"] = data["neighbourhood"].astype(str)
    design = SurveyDesign(data, weights="weight", strata="neighbourhood")
    ours, timed = _ours_by_group(design, by)
    print(f"\nby neighbourhood x wave ({len(ours)} groups), seconds:")
    print(f"{'':<44}{'this module':>14}{'R survey':>12}{'ratio':>8}  largest difference")
    names = ["proportion, logit CI (svyciprop)", "total (svytotal)", "median (svyquantile)"]
    if shutil.which("Rscript") is None:
        for name, t in zip(names, timed, strict=True):
            print(f"  {name:<42}{t:>14.3f}{'(no Rscript)':>12}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "d.csv", Path(tmp) / "r.csv"
        data.to_csv(src, index=False)
        script = R_BY_GROUP.format(data=src, out=out)
        res = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, check=True)
        r_times = [float(v) for v in res.stdout.split()]
        r = pd.read_csv(out)
    both = ours.merge(r, on=by, suffixes=("", "_r"))
    assert len(both) == len(ours) == len(r)

    def rel(col: str) -> float:
        return float(np.max(np.abs(both[col] - both[f"{col}_r"]) / both[f"{col}_r"].abs()))

    diffs = [
        f"estimate {rel('p'):.0e}, limits {max(rel('p_lower'), rel('p_upper')):.0e} (rel.)",
        f"estimate {rel('total'):.0e}, se {rel('total_se'):.0e} (rel.)",
        f"estimate {rel('median'):.0e}, se {rel('median_se'):.0e} (rel.)",
    ]
    for name, t, tr, d in zip(names, timed, r_times, diffs, strict=True):
        print(f"  {name:<42}{t:>14.3f}{tr:>12.2f}{tr / t:>7.0f}x  {d}")


def replicate_timing(df: pd.DataFrame, y: np.ndarray, replicates: int = 80) -> None:
    """JKn replicate SEs of a proportion by neighbourhood x wave: this library against R."""
    by = ["neighbourhood", "wave"]
    row = np.arange(len(df))
    data = df[by + ["weight"]].assign(
        y=y, vstrat=row % (replicates // 2), vpsu=(row // (replicates // 2)) % 2
    )
    t0 = time.perf_counter()
    rep = SurveyDesign(data, weights="weight", strata="vstrat", cluster="vpsu").to_replicate()
    t1 = time.perf_counter()
    ours = rep.mean("y", by=by)
    t2 = time.perf_counter()
    print(f"\nJKn replicate SEs, {rep.rw.n_replicates} replicates, {len(ours)} groups:")
    print(f"{'seconds':<44}{'this module':>14}{'R survey':>18}")
    if shutil.which("Rscript") is None:
        print(f"{'  replicate weights':<44}{t1 - t0:>14.3f}{'(no Rscript)':>18}")
        print(f"{'  SEs by group':<44}{t2 - t1:>14.3f}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "d.csv", Path(tmp) / "r.csv"
        data.to_csv(src, index=False)
        script = R_JKN.format(data=src, out=out)
        res = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, check=True)
        r_make, r_by = map(float, res.stdout.split())
        r = pd.read_csv(out)
    both = ours.merge(r, on=by, suffixes=("", "_r"))
    assert len(both) == len(ours)
    diff = max(
        np.max(np.abs(both["estimate"] - both["estimate_r"]) / both["estimate_r"].abs()),
        np.max(np.abs(both["se"] - both["se_r"]) / both["se_r"]),
    )
    print(f"{'  replicate weights (as.svrepdesign)':<44}{t1 - t0:>14.3f}{r_make:>18.2f}")
    print(f"{'  SEs by group (svyby svymean)':<44}{t2 - t1:>14.3f}{r_by:>18.2f}")
    print(f"  largest relative difference (estimate, se): {diff:.1e}")
    print(f"  speed-up: {(r_make + r_by) / (t2 - t0):.0f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
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
    r_by_group(df, y0, df["life_satisfaction"].to_numpy(float))
    replicate_timing(df, y0)


if __name__ == "__main__":
    main()
