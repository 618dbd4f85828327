"""Reelforge ingest service."""
