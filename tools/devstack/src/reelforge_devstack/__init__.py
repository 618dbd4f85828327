"""Reelforge's local stack: real infrastructure as plain processes under ``.stack/``."""
