"""The notify service: signed webhooks and job emails for every job event."""
