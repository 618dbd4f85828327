import uuid

import pytest
from google.protobuf import any_pb2
from opentelemetry import trace

from reelforge.events.v1.envelope_pb2 import Envelope
from reelforge.events.v1.jobs_pb2 import JobProgress
from reelforge.events.v1.transcription_pb2 import TranscriptionRequested
from reelforge_common.bus import Event, PermanentError, new_envelope
from reelforge_common.bus.envelope import decode_envelope


def _envelope() -> Envelope:
    return new_envelope(
        event_type="transcription.requested",
        tenant_id="acme",
        payload=TranscriptionRequested(asset_id="a1"),
        producer="gateway",
        correlation_id="job-1",
        causation_id="cause-1",
    )


def test_envelope_round_trips_with_its_payload_and_metadata() -> None:
    envelope = _envelope()
    decoded = decode_envelope(envelope.SerializeToString())
    event = Event.from_envelope(decoded, TranscriptionRequested, subject="s", attempt=2, headers={"h": "v"})
    assert event.payload.asset_id == "a1"
    assert (event.event_type, event.tenant_id, event.correlation_id, event.causation_id) == (
        "transcription.requested",
        "acme",
        "job-1",
        "cause-1",
    )
    assert (event.attempt, event.producer, event.headers) == (2, "gateway", {"h": "v"})
    assert event.occurred_at.tzinfo is not None


def test_envelope_carries_the_current_trace_context() -> None:
    with trace.get_tracer("test").start_as_current_span("request") as span:
        envelope = _envelope()
    trace_id = format(span.get_span_context().trace_id, "032x")
    assert trace_id in envelope.trace_context["traceparent"]


def test_payload_of_another_type_is_a_permanent_error() -> None:
    envelope = _envelope()
    with pytest.raises(PermanentError, match=r"expected reelforge\.events\.v1\.JobProgress"):
        Event.from_envelope(envelope, JobProgress, subject="s", attempt=1, headers={})


def test_an_any_route_receives_the_packed_payload() -> None:
    envelope = _envelope()
    event = Event.from_envelope(envelope, any_pb2.Any, subject="s", attempt=1, headers={})
    assert event.payload.Is(TranscriptionRequested.DESCRIPTOR)


@pytest.mark.parametrize("data", [b"\xff\xfe garbage", b""])
def test_undecodable_or_empty_bytes_are_a_permanent_error(data: bytes) -> None:
    with pytest.raises(PermanentError):
        decode_envelope(data)


def test_given_event_ids_are_kept_for_deterministic_publishing() -> None:
    derived = str(uuid.uuid5(uuid.NAMESPACE_URL, "cause-event/completed"))
    envelope = new_envelope(
        event_type="asset.deleted", tenant_id="acme", payload=JobProgress(), producer="p", event_id=derived
    )
    assert envelope.event_id == derived


@pytest.mark.parametrize(
    ("tenant_id", "event_id", "error"),
    [("acme.corp", None, "tenant id"), ("", None, "tenant id"), ("acme", "fixed-id", "UUID")],
)
def test_envelopes_that_could_never_be_published_are_refused_when_built(
    tenant_id: str, event_id: str | None, error: str
) -> None:
    with pytest.raises(ValueError, match=error):
        new_envelope(
            event_type="asset.deleted", tenant_id=tenant_id, payload=JobProgress(), producer="p", event_id=event_id
        )


def test_a_received_envelope_whose_id_is_not_a_uuid_is_a_permanent_error() -> None:
    envelope = _envelope()
    envelope.event_id = "not-a-uuid"
    with pytest.raises(PermanentError, match="not a UUID"):
        decode_envelope(envelope.SerializeToString())
