"""The notify schema: endpoints and their secrets, messages, deliveries and attempts, email."""
