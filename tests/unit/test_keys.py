import pytest
from pydantic import ValidationError

from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.keys import generate_key, parse_token, secret_matches


def test_a_generated_token_parses_back_to_its_id_and_secret() -> None:
    key = generate_key()
    assert key.token.startswith(f"rf_{key.key_id}_")
    assert parse_token(key.token) == (key.key_id, key.secret)
    assert secret_matches(key.secret, key.secret_sha256)
    assert not secret_matches(key.secret + "x", key.secret_sha256)


def test_every_key_is_different() -> None:
    assert len({generate_key().token for _ in range(100)}) == 100


@pytest.mark.parametrize("token", ["", "rf", "rf_", "rf_id", "rf_id_", "xx_id_secret", "Bearer rf_id_secret"])
def test_malformed_tokens_do_not_parse(token: str) -> None:
    assert parse_token(token) is None


def test_the_stored_hash_is_not_the_secret() -> None:
    key = generate_key()
    assert key.secret.encode() not in key.secret_sha256


def test_outside_development_the_operator_token_must_be_long_and_random() -> None:
    strong = {
        "environment": "production",
        "database_url": "postgresql://svc:Xk3-very-long-password@db/reelforge",
        "s3_access_key": "AKIA-real-key",
        "s3_secret_key": "s3cr3t-generated-value",
    }
    with pytest.raises(ValidationError, match="REELFORGE_OPERATOR_TOKEN"):
        GatewaySettings.model_validate({**strong, "operator_token": "short"})
    settings = GatewaySettings.model_validate({**strong, "operator_token": "x" * 40})
    assert settings.operator_token.get_secret_value() == "x" * 40
