"""The paper's published numbers that the report compares against, as data.

Source: *The Limits of Inference Scaling Through Resampling* (Stroebl, Kapoor, Narayanan;
arXiv 2411.17501), read from its public notebooks; see docs/PAPER.md. Only renderers and
tests use this module; the analyses never do, so no published number enters our estimates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from auditor.resampling import TwoTypeParams
from auditor.study.fit import Fit


class PaperPoint(NamedTuple):
    """One model of the paper's Figure 1a: strong pass@1 and resampling ceiling."""

    model: str
    pass1: float
    ceiling: float


@dataclass(frozen=True)
class PaperBenchmark:
    """A benchmark as the paper analysed it: its per-model points (if published) and fit."""

    name: str
    n_tasks: int  # after the paper's exclusions of false-negative tasks
    fit: Fit
    points: tuple[PaperPoint, ...] = ()


@dataclass(frozen=True)
class WorkedExample:
    """The paper's worked example of the two-type model and the k_opt it reports."""

    model: str
    params: TwoTypeParams
    costs: tuple[float, ...]
    k_opt: tuple[int, ...]


HUMANEVAL_PLUS = PaperBenchmark(
    name="HumanEval+",
    n_tasks=150,
    fit=Fit(slope=0.22, intercept=0.72, r2=0.89, n=17),
    points=(
        PaperPoint("GPT-4o", 0.855, 0.929),
        PaperPoint("Llama 3.1 405B", 0.781, 0.893),
        PaperPoint("Llama 3.1 70B", 0.712, 0.870),
        PaperPoint("Phi-3 Medium", 0.608, 0.859),
        PaperPoint("Phi-3 Mini", 0.579, 0.856),
        PaperPoint("Llama 3.1 8B", 0.550, 0.825),
        PaperPoint("Command-R", 0.368, 0.842),
        PaperPoint("Code Llama 13B", 0.339, 0.779),
        PaperPoint("Code Llama 7B", 0.286, 0.765),
        PaperPoint("CodeT5+ 16B", 0.230, 0.766),
        PaperPoint("Command", 0.224, 0.774),
        PaperPoint("StarCoder", 0.215, 0.762),
        PaperPoint("Mistral 7B", 0.200, 0.759),
        PaperPoint("CodeGen 6B", 0.179, 0.782),
        PaperPoint("CodeGen2 7B", 0.113, 0.789),
        PaperPoint("Vicuna 7B", 0.092, 0.752),
        PaperPoint("Command-Light", 0.064, 0.715),
    ),
)

MBPP_PLUS = PaperBenchmark(
    name="MBPP+",
    n_tasks=321,
    fit=Fit(slope=0.23, intercept=0.67, r2=0.89, n=10),
)

WORKED_EXAMPLE = WorkedExample(
    model="Llama 3.1 8B",
    params=TwoTypeParams(p1=0.56, r1=0.874, r2=0.138, s=0.752),
    costs=(0.7, 1.0, 2.0),
    k_opt=(3, 2, 1),
)

BY_BENCHMARK = {b.name: b for b in (HUMANEVAL_PLUS, MBPP_PLUS)}
