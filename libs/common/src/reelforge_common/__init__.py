"""Cross-cutting infrastructure shared by every Reelforge service."""
