"""The reelforge command line."""
