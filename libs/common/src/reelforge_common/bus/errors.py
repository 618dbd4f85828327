"""Errors a handler raises to steer redelivery."""


class PermanentError(Exception):
    """The message can never succeed: it is terminated and dead-lettered at once.

    Any other exception is treated as transient and retried with backoff until
    the subscription's ``max_deliver`` is reached.
    """
