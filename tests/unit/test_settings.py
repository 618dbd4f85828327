import pytest
from pydantic import ValidationError

from reelforge_common.settings import ServiceSettings
from reelforge_pose.config import PoseSettings
from reelforge_transcription.config import TranscriptionSettings

_STRONG = {
    "database_url": "postgresql://svc:Xk3-very-long-password@db:5432/reelforge",
    "s3_access_key": "AKIA-real-key",
    "s3_secret_key": "s3cr3t-generated-value",
}


def test_development_runs_without_secrets() -> None:
    assert ServiceSettings(environment="development").environment == "development"


def test_production_with_real_secrets_starts() -> None:
    assert ServiceSettings.model_validate({"environment": "production", **_STRONG}).environment == "production"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("s3_secret_key", "minioadmin"),
        ("s3_access_key", ""),
        ("database_url", "postgresql://svc:postgres@db/reelforge"),
        ("database_url", "postgresql://svc@db/reelforge"),
    ],
)
def test_production_refuses_missing_or_default_secrets_naming_the_variable(field: str, value: str) -> None:
    with pytest.raises(ValidationError, match=f"REELFORGE_{field.upper()}"):
        ServiceSettings.model_validate({"environment": "production", **_STRONG, field: value})


def test_settings_come_from_reelforge_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REELFORGE_NATS_URL", "nats://nats.example:4222")
    monkeypatch.setenv("REELFORGE_GRPC_PORT", "7000")
    settings = ServiceSettings()
    assert (settings.nats_url, settings.grpc_port) == ("nats://nats.example:4222", 7000)


@pytest.mark.parametrize(
    ("field", "value"), [("bus_prefix", "dlq"), ("bus_prefix", "Has.Dots"), ("database_pool_max", 1)]
)
def test_values_that_would_break_the_bus_or_the_relay_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        ServiceSettings.model_validate({field: value})


def test_services_sharing_one_environment_keep_their_own_model_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REELFORGE_MODEL", "tiny.en")
    monkeypatch.setenv("REELFORGE_DEVICE", "cuda")
    monkeypatch.setenv("REELFORGE_POSE_MODEL", "/models/pose_landmarker_heavy.task")
    transcription, pose = TranscriptionSettings(), PoseSettings()
    assert (transcription.model, transcription.device) == ("tiny.en", "cuda")
    assert (pose.pose_model, pose.alignment_device) == ("/models/pose_landmarker_heavy.task", "auto")
