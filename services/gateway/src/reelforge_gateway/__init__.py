"""The Reelforge API gateway."""
