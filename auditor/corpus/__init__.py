"""Corpora: sample readers, benchmark loaders, labeled corpora and the data directory."""

from auditor.corpus.benchmarks import BENCHMARKS, load_benchmark, load_benchmarks_for
from auditor.corpus.labels import LabeledCorpus, load_labeled, read_labels
from auditor.corpus.samples import READERS, Samples, detect_format, read_samples

__all__ = [
    "BENCHMARKS",
    "READERS",
    "LabeledCorpus",
    "Samples",
    "detect_format",
    "load_benchmark",
    "load_benchmarks_for",
    "load_labeled",
    "read_labels",
    "read_samples",
]
