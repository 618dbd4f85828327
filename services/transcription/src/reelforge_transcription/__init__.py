"""Reelforge transcription service: speech to words with timings."""
