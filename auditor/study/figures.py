"""Figures of the study as PNG bytes (matplotlib Agg); pure: a Study in, bytes out."""

from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from auditor.study.analysis import BenchmarkFit, Study
from auditor.study.paper import BY_BENCHMARK, PaperBenchmark

COLORS = plt.rcParams["axes.prop_cycle"].by_key()["color"]


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    # Fixed metadata keeps the bytes reproducible across runs.
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def _paper_on_panel(ax: Axes, paper: PaperBenchmark, xs: np.ndarray) -> None:
    """The paper's published points (if any) and fit for the panel's benchmark, in grey."""
    if paper.points:
        px = np.array([p.pass1 for p in paper.points])
        py = np.array([p.ceiling for p in paper.points])
        label = f"paper: {paper.name} ({len(px)} models)"
        ax.scatter(px, py, color="0.6", marker="s", s=22, label=label)
    pf = paper.fit
    ax.plot(
        xs,
        pf.slope * xs + pf.intercept,
        color="0.6",
        ls="--",
        lw=1,
        label=f"paper fit: {pf.slope:.2f}x + {pf.intercept:.2f}, R² = {pf.r2:.2f} (n = {pf.n})",
    )


def _ceiling_panel(ax: Axes, bf: BenchmarkFit, colors: dict[str, str]) -> None:
    """One benchmark: the paper's points and fit, ours with bootstrap bars, our line."""
    xs = np.linspace(0, 1, 50)
    if (paper := BY_BENCHMARK.get(bf.benchmark)) is not None:
        _paper_on_panel(ax, paper, xs)
    for pt in bf.points:
        ax.errorbar(
            pt.pass1.value,
            pt.ceiling.value,
            xerr=[[pt.pass1.value - pt.pass1.lo], [pt.pass1.hi - pt.pass1.value]],
            yerr=[[pt.ceiling.value - pt.ceiling.lo], [pt.ceiling.hi - pt.ceiling.value]],
            fmt="o",
            color=colors[pt.corpus],
            capsize=3,
            label=f"ours: {pt.corpus} ({pt.n_tasks} tasks)",
        )
    if bf.fit is not None:
        f = bf.fit
        ax.plot(
            xs,
            f.slope * xs + f.intercept,
            color="C3",
            lw=1.5,
            label=f"our fit: {f.slope:.2f}x + {f.intercept:.2f}, R² = {f.r2:.2f} (n = {f.n})",
        )
    best = max(bf.points, key=lambda p: p.pass1.value)
    ax.axhline(
        best.pass1.value,
        color="k",
        ls=":",
        lw=1,
        label=f"best single-sample accuracy ({best.corpus}: {best.pass1.value:.3f})",
    )
    ax.plot([0, 1], [0, 1], color="0.85", lw=0.8)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("single-sample accuracy (strong pass@1)")
    ax.set_ylabel("resampling ceiling: mean P(strong | weak)")
    ax.set_title(f"{bf.benchmark} tasks")
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(alpha=0.3)


def ceiling_figure(study: Study) -> bytes:
    """Single-sample accuracy vs. resampling ceiling (the paper's Figure 1a), per benchmark."""
    n = max(len(study.benchmark_fits), 1)
    fig, axes = plt.subplots(1, n, figsize=(7 * n, 5), squeeze=False)
    colors = {c.name: COLORS[i % len(COLORS)] for i, c in enumerate(study.corpora)}
    for ax, bf in zip(axes[0], study.benchmark_fits, strict=False):
        _ceiling_panel(ax, bf, colors)
    fig.suptitle("Single-sample accuracy vs. resampling ceiling")
    return _png(fig)


def utility_figure(study: Study) -> bytes:
    """Expected utility against k, one panel per corpus, one line per cost ratio."""
    n = len(study.corpora)
    fig, axes = plt.subplots(1, n, figsize=(5 * n, 4), squeeze=False)
    for ax, c in zip(axes[0], study.corpora, strict=True):
        k = c.curves.k
        for i, cost in enumerate(c.curves.costs):
            col = COLORS[i % len(COLORS)]
            ax.plot(k, c.curves.utility[i], color=col, label=f"cost {cost:g}")
            ax.fill_between(k, c.utility_lo[i], c.utility_hi[i], color=col, alpha=0.15, lw=0)
            ko = int(c.curves.k_opt[i])
            if ko > 0:
                ax.plot(ko, c.curves.utility[i, ko - 1], marker="v", color=col, ms=7)
        ax.set_xscale("log")
        ax.axhline(0, color="0.5", lw=0.8)
        ax.set_xlabel("k (max draws)")
        ax.set_ylabel("expected utility")
        ax.set_title(c.name)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("Utility of draw-until-pass (▼ = k_opt; band = 95% bootstrap CI over tasks)")
    return _png(fig)


def first_pass_figure(study: Study) -> bytes:
    """False-positive rate of the accepted answer by the draw of the first pass."""
    fig, ax = plt.subplots(figsize=(7, 4))
    n = len(study.corpora)
    width = 0.8 / n
    labels: list[str] = []
    for i, c in enumerate(study.corpora):
        b = c.buckets
        if len(b.lo) > len(labels):
            labels = b.labels()
        x = np.arange(len(b.lo)) + (i - (n - 1) / 2) * width
        ax.bar(x, np.nan_to_num(b.fp_rate), width, label=c.name, color=COLORS[i % len(COLORS)])
    ax.set_xticks(np.arange(len(labels)), labels)
    ax.set_xlabel("draw at which the first weak pass happened")
    ax.set_ylabel("false-positive rate of the accepted answer")
    ax.set_ylim(0, 1)
    ax.set_title("False positives by first-pass draw (power-of-2 buckets)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    return _png(fig)


def style_figure(study: Study) -> bytes | None:
    """Adherence given false positive vs. given correct, per rule family and corpus."""
    rows = [(c.name, r) for c in study.corpora for r in (c.style or ())]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(rows) + 1.5))
    y = np.arange(len(rows))
    for name, color, get in (
        ("given correct", "C2", lambda r: r.correct),
        ("given false positive", "C3", lambda r: r.fp),
    ):
        est = [get(r) for _, r in rows]
        v = np.array([e.value for e in est])
        lo = np.array([e.value - e.lo if not math.isnan(e.lo) else 0 for e in est])
        hi = np.array([e.hi - e.value if not math.isnan(e.hi) else 0 for e in est])
        ax.errorbar(v, y, xerr=[lo, hi], fmt="o", color=color, capsize=2, label=name, ms=4)
    ax.set_yticks(y, [f"{n}: {r.title}" for n, r in rows], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("adherence rate (no finding of the family)")
    ax.set_title("Style adherence: false positives vs. correct solutions")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="x")
    return _png(fig)


def auditor_figure(study: Study) -> bytes | None:
    """The auditor's threshold sweep: ceiling against the share of correct solutions lost."""
    with_aud = [c for c in study.corpora if c.auditor is not None]
    if not with_aud:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, c in enumerate(with_aud):
        assert c.auditor is not None
        sw = c.auditor.sweep
        col = COLORS[i % len(COLORS)]
        ax.plot(sw.correct_lost, sw.ceiling, marker="o", ms=3, color=col, label=f"{c.name}: filter")
        # The ceiling counts surviving tasks only; accuracy over all tasks shows what is lost.
        ax.plot(
            sw.correct_lost,
            sw.accuracy[:, -1],
            marker="x",
            ms=4,
            lw=0.8,
            color=col,
            label=f"{c.name}: filter, accuracy @ K over all tasks",
        )
        ax.axhline(c.curves.ceiling, color=col, ls=":", lw=1)
        ax.axhline(
            c.auditor.rerank.ceiling, color=col, ls="--", lw=1, label=f"{c.name}: re-rank ceiling"
        )
    ax.set_xlabel("share of correct solutions rejected by the auditor")
    ax.set_ylabel("ceiling (o) / accuracy over all tasks (x)")
    ax.set_title("What the auditor changes (dotted: without auditor)")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return _png(fig)


def two_type_figure(study: Study) -> bytes:
    """k_opt of the two-type model over cost ratio x soundness, per corpus ("keep" in grey)."""
    from dataclasses import replace

    from auditor.resampling import two_type_optimum

    n = len(study.corpora)
    fig, axes = plt.subplots(1, n, figsize=(4.6 * n, 3.8), squeeze=False)
    costs = np.geomspace(0.1, 10, 33)
    sounds = np.linspace(0.5, 0.99, 29)
    cmap = plt.get_cmap("viridis").with_extremes(bad="0.8")
    image = None
    for ax, c in zip(axes[0], study.corpora, strict=True):
        grid = np.full((len(sounds), len(costs)), np.nan)
        for i, s in enumerate(sounds):
            params = replace(c.two_type, s=float(s))
            for j, cost in enumerate(costs):
                opt = two_type_optimum(params, float(cost))
                if not opt.keep_sampling and opt.k_opt is not None:
                    grid[i, j] = opt.k_opt
        image = ax.pcolormesh(
            costs,
            sounds,
            np.ma.masked_invalid(grid),
            cmap=cmap,
            shading="nearest",
            vmin=0,
            vmax=max(float(np.nanmax(grid)) if np.isfinite(grid).any() else 1.0, 1.0),
        )
        r2 = c.two_type.r2
        ax.plot(r2 / ((1 - r2) * (1 - sounds)), sounds, color="w", lw=1.2, ls="--")
        ax.plot([], [], color="k", lw=1.2, ls="--", label="boundary r₂/((1-r₂)(1-s))")
        ax.axhline(c.two_type.s, color="C3", lw=1, label=f"estimated s = {c.two_type.s:.3f}")
        ax.set_xscale("log")
        ax.set_xlim(costs[0], costs[-1])
        ax.set_xlabel("false-positive cost ratio")
        ax.set_ylabel("soundness s")
        ax.set_title(f"{c.name} (grey: keep sampling)", fontsize=9)
        ax.legend(fontsize=6, loc="lower left")
    if image is not None:
        fig.colorbar(image, ax=axes[0].tolist(), label="k_opt", shrink=0.9)
    return _png(fig)


def make_figures(study: Study) -> dict[str, bytes]:
    """File name -> PNG bytes, for every figure the study has data for."""
    figs: dict[str, bytes | None] = {
        "ceiling.png": ceiling_figure(study),
        "utility.png": utility_figure(study),
        "first_pass.png": first_pass_figure(study),
        "two_type.png": two_type_figure(study),
        "style.png": style_figure(study),
        "auditor.png": auditor_figure(study),
    }
    return {k: v for k, v in figs.items() if v is not None}
