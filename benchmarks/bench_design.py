"""Benchmark: proportion tables by neighbourhood x wave on a 1,000,000-row synthetic survey.

Prints, side by side in one run, the time to produce
``SurveyDesign.proportion(indicator, by=["neighbourhood", "wave"])`` for every agree
indicator of the codebook, and the time for the straightforward alternative a researcher
would write (statsmodels GLM, binomial, intercept only, weights, cluster-robust errors,
one group at a time); the cost in rows (250k / 500k / 1M); and the peak memory of one
table against the size of the data frame.

Run (single core): ``.venv/bin/python benchmarks/bench_design.py [--rows 1000000]``
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
import warnings  # noqa: E402

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


if __name__ == "__main__":
    main()
