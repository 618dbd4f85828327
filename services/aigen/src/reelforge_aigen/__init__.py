"""Reelforge aigen service: the one egress to external AI providers."""
