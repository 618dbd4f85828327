from reelforge_common.bus import Subscription


def test_backoff_schedule_repeats_its_last_step() -> None:
    subscription = Subscription(durable="d", routes=(), backoff_s=(1.0, 5.0, 30.0))
    assert [subscription.delay_after(n) for n in range(1, 6)] == [1.0, 5.0, 30.0, 30.0, 30.0]
