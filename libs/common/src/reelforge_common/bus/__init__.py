"""The event bus: envelopes, stream provisioning, publishing and the consumer runner."""

from reelforge_common.bus.connection import Bus
from reelforge_common.bus.consumer import ConsumerRunner, Route, Subscription
from reelforge_common.bus.envelope import Event, new_envelope
from reelforge_common.bus.errors import PermanentError

__all__ = ["Bus", "ConsumerRunner", "Event", "PermanentError", "Route", "Subscription", "new_envelope"]
