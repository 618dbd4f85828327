"""Schemathesis against the running gateway, every check and every phase
(examples, coverage, fuzzing and the stateful phase, which chains requests
through the OpenAPI links): no 5xx, no answer its OpenAPI document does not
describe (status, content type, headers, body), invalid requests refused and
valid ones accepted. The few refusals no schema can express are listed,
with their reasons, in schemathesis.toml."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import figures
import pytest
from conftest import OPERATOR_TOKEN, WITH_EVERYTHING, Platform

# Every route answers, the ones that call the transcription, pose and render services included.
pytestmark = [pytest.mark.security, pytest.mark.parametrize("platform", [WITH_EVERYTHING], indirect=True)]
SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
HERE = Path(__file__).parent
PHASES = "examples,coverage,fuzzing,stateful"
# Event streams stay open by design (the SSE tests cover them); admin routes need the
# operator token; revoking or rotating a key could revoke the fuzz's own key (a stateful
# step lists the keys, then deletes one), so those two run apart, with a key of their own.
TENANT_ROUTES = ("--exclude-path-regex", "^/v1/(admin/|api-keys/|(jobs/[^/]+/)?events$)")
KEY_ROUTES = ("--include-path-regex", "^/v1/api-keys/")
OPERATOR_ROUTES = ("--include-path-regex", "^/v1/admin/")


@dataclass(frozen=True)
class Run:
    """What one schemathesis run reported (its JSON report)."""

    operations: int
    test_cases: int
    failures: int
    errors: int
    complete: bool
    summary: str  # the failures and errors, by code and operation

    @classmethod
    def from_report(cls, report: dict[str, Any], output: str) -> Run:
        failures: list[dict[str, Any]] = report["failures"]
        errors: list[dict[str, Any]] = report["errors"]
        lines = [f"{f['code']} {f['title']} ({f['count']}): {', '.join(f['operations'])}" for f in failures]
        lines += [json.dumps(e)[:500] for e in errors]
        if lines:  # schemathesis' own account: each failure's response and a curl to reproduce it
            lines.append(output.partition("=== FAILURES ===")[2].partition("=== SUMMARY ===")[0][:20_000])
        return cls(
            operations=int(report["operations"]["tested"]),
            test_cases=int(report["test_cases"]["generated"]),
            failures=sum(int(f["count"]) for f in failures),
            errors=len(errors),
            complete=report["complete"] is True and report["exit_code"] == 0,
            summary="\n".join(lines) if lines or report["exit_code"] == 0 else output[-4000:],
        )


async def fuzz(platform: Platform, token: str, selection: tuple[str, ...], report: Path, *phases: str) -> Run:
    """Run schemathesis over the selected operations as the holder of ``token``."""
    examples = "100" if figures.full_suite() else "5"
    proc = await asyncio.create_subprocess_exec(
        SCHEMATHESIS,
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        f"{str(platform.api.base_url).rstrip('/')}/openapi.json",
        "--checks",
        "all",
        "--phases",
        ",".join(phases or PHASES.split(",")),
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        examples,
        "--seed",
        "20261202",
        "--request-timeout",
        "30",
        "--workers",
        "1",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        *selection,
        env={**os.environ, "SCHEMATHESIS_HOOKS": str(HERE / "schemathesis_hooks.py")},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(proc.communicate(), 1800)
    assert report.exists(), output.decode()
    return Run.from_report(json.loads(report.read_text()), output.decode())


@pytest.mark.timeout(3600 if figures.full_suite() else 900)
async def test_every_operation_passes_every_schemathesis_check(platform: Platform, tmp_path: Path) -> None:
    tenant_id, auth = await platform.tenant("fuzz")
    operator = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    limits = {
        "rate_limit_per_s": 10_000,
        "rate_limit_burst": 10_000,
        "max_concurrent_jobs": 1_000_000,
        "monthly_minutes": 2**31 - 1,
    }
    # Quotas out of the way, so that creates succeed and the stateful phase has links to follow.
    patched = await platform.api.patch(f"/v1/admin/tenants/{tenant_id}/quotas", json=limits, headers=operator)
    assert patched.status_code == 200, patched.text
    token = auth["Authorization"].removeprefix("Bearer ")
    runs = [await fuzz(platform, token, TENANT_ROUTES, tmp_path / "tenant.json")]
    key = await platform.api.post("/v1/api-keys", json={"name": "fuzz keys", "scopes": ["admin"]}, headers=auth)
    assert key.status_code == 201, key.text
    # Without the stateful phase: with no key listed or made in this selection, it has no links to follow.
    runs.append(
        await fuzz(platform, key.json()["token"], KEY_ROUTES, tmp_path / "keys.json", "examples", "coverage", "fuzzing")
    )
    runs.append(await fuzz(platform, OPERATOR_TOKEN, OPERATOR_ROUTES, tmp_path / "operator.json"))
    operations = sum(r.operations for r in runs)
    failures = sum(r.failures + r.errors for r in runs)
    figures.record(
        "security",
        "schemathesis, every check and phase",
        runs=len(runs),
        passed=sum(r.complete and not r.failures and not r.errors for r in runs),
        figure=f"{operations} operations, {sum(r.test_cases for r in runs)} test cases, {failures} failures "
        f"(checks: all, phases: {PHASES})",
    )
    assert failures == 0, "\n".join(r.summary for r in runs)
    assert all(r.complete for r in runs), "\n".join(r.summary for r in runs)
    assert [r.operations >= minimum for r, minimum in zip(runs, (70, 2, 4), strict=True)] == [True] * 3, runs
