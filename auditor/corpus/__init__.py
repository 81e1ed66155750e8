"""Corpora: sample readers, benchmark loaders and the data directory."""
