import pytest

from reelforge_common.bus.subjects import (
    dead_letter_stream,
    dead_letter_subject,
    event_subject,
    events_stream,
    filter_subject,
)


def test_event_subject_carries_domain_event_and_tenant() -> None:
    assert event_subject("rf", "asset.ingested", "t_acme-1") == "rf.asset.ingested.t_acme-1"


def test_filters_accept_wildcards_for_domain_event_and_tenant() -> None:
    assert filter_subject("rf", "*.progress") == "rf.*.progress.*"
    assert filter_subject("rf", "pose.*", tenant_id="acme") == "rf.pose.*.acme"


@pytest.mark.parametrize("tenant", ["a.b", "a*", "a>", "", "a b"])
def test_tenant_ids_that_would_break_subject_tokens_are_refused(tenant: str) -> None:
    with pytest.raises(ValueError, match="tenant id"):
        event_subject("rf", "asset.ingested", tenant)


@pytest.mark.parametrize("event_type", ["asset", "asset.ingested.now", "*.progress"])
def test_malformed_or_wildcard_event_types_are_refused_for_publishing(event_type: str) -> None:
    with pytest.raises(ValueError, match="event"):
        event_subject("rf", event_type, "acme")


def test_dead_letters_live_beside_the_events_stream() -> None:
    assert dead_letter_subject("rf.asset.ingested.acme") == "dlq.rf.asset.ingested.acme"
    assert (events_stream("rf"), dead_letter_stream("rf")) == ("RF_EVENTS", "RF_DLQ")
