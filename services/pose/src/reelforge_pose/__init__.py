"""Reelforge pose service: landmarks, signals and comparisons."""
