"""Reelforge render service: clip jobs, highlights, reframed and captioned renders."""
