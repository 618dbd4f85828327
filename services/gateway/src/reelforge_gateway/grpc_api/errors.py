"""Problems as gRPC statuses: the same refusals, and codes, as REST.

A ``ProblemError`` raised by an RPC (or by the operations it calls, including
ingest's refusals, which ``internal.ServiceClient.problem_from`` turns into problems)
ends the call with the gRPC status its HTTP status maps to, the problem's
detail as the status message, and its stable ``code`` in the trailing
metadata key ``rf-error-code``; a ``Retry-After`` becomes ``retry-after``.

| HTTP | gRPC status | codes |
|---|---|---|
| 401 | UNAUTHENTICATED | unauthenticated |
| 403 | PERMISSION_DENIED | forbidden |
| 404 | NOT_FOUND | not_found |
| 405 | UNIMPLEMENTED | method_not_allowed |
| 409 | FAILED_PRECONDITION (ALREADY_EXISTS where an RPC creates a named resource) | conflict, upload_incomplete, ... |
| 413, 429 | RESOURCE_EXHAUSTED | upload_too_large, concurrent_jobs_exceeded, monthly_minutes_exceeded, rate_limited |
| 400, 415, 422 | INVALID_ARGUMENT | validation_failed, unsupported_media, playlist_refused, media_* ... |
| 422 quota | RESOURCE_EXHAUSTED | duration_quota_exceeded |
| 502, 503 | UNAVAILABLE | url_fetch_failed, unavailable |
| 500, other | INTERNAL | internal_error, processing_failed |
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, NoReturn, TypeVar, cast, overload

import grpc
from pydantic import BaseModel, ValidationError

from reelforge_common.outages import unavailable_dependency, unavailable_detail
from reelforge_gateway.problems import CODES, ProblemError, validation_problem

log = logging.getLogger(__name__)
ERROR_CODE_KEY = "rf-error-code"
RETRY_AFTER_KEY = "retry-after"

_BY_HTTP_STATUS: dict[int, grpc.StatusCode] = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    401: grpc.StatusCode.UNAUTHENTICATED,
    403: grpc.StatusCode.PERMISSION_DENIED,
    404: grpc.StatusCode.NOT_FOUND,
    405: grpc.StatusCode.UNIMPLEMENTED,
    409: grpc.StatusCode.FAILED_PRECONDITION,
    413: grpc.StatusCode.RESOURCE_EXHAUSTED,
    415: grpc.StatusCode.INVALID_ARGUMENT,
    422: grpc.StatusCode.INVALID_ARGUMENT,
    429: grpc.StatusCode.RESOURCE_EXHAUSTED,
    500: grpc.StatusCode.INTERNAL,
    502: grpc.StatusCode.UNAVAILABLE,
    503: grpc.StatusCode.UNAVAILABLE,
}
# A quota that REST reports as 422 alongside the media's own limits.
_BY_CODE = {"duration_quota_exceeded": grpc.StatusCode.RESOURCE_EXHAUSTED}

M = TypeVar("M", bound=Callable[..., Any])
V = TypeVar("V", bound=BaseModel)


def grpc_status(code: str, *, conflict: grpc.StatusCode = grpc.StatusCode.FAILED_PRECONDITION) -> grpc.StatusCode:
    """The gRPC status of the problem ``code``; ``conflict`` is the status of
    a 409 (ALREADY_EXISTS from an RPC that creates a named resource)."""
    if code in _BY_CODE:
        return _BY_CODE[code]
    http_status = CODES[code][0]
    if http_status == 409:
        return conflict
    return _BY_HTTP_STATUS.get(http_status, grpc.StatusCode.INTERNAL)


async def _abort(context: grpc.aio.ServicerContext, problem: ProblemError, conflict: grpc.StatusCode) -> NoReturn:
    trailers = [(ERROR_CODE_KEY, problem.code)]
    retry_after = problem.headers.get("Retry-After")
    if retry_after:
        trailers.append((RETRY_AFTER_KEY, retry_after))
    await context.abort(
        grpc_status(problem.code, conflict=conflict), problem.detail or problem.title, trailing_metadata=tuple(trailers)
    )
    raise AssertionError("unreachable: abort raises")


async def _refuse(context: grpc.aio.ServicerContext, exc: Exception, conflict: grpc.StatusCode) -> NoReturn:
    if isinstance(exc, ProblemError):
        await _abort(context, exc, conflict)
    if dependency := unavailable_dependency(exc):
        log.warning("answered UNAVAILABLE: %s unavailable: %r", dependency, exc)
        await _abort(context, ProblemError("unavailable", unavailable_detail(dependency)), conflict)
    log.exception("unhandled error in a gRPC call", exc_info=exc)
    await _abort(context, ProblemError("internal_error", "an unexpected error occurred; it has been logged"), conflict)


@overload
def answers_problems(method: M) -> M: ...
@overload
def answers_problems(*, conflict: grpc.StatusCode) -> Callable[[M], M]: ...
def answers_problems(
    method: M | None = None, *, conflict: grpc.StatusCode = grpc.StatusCode.FAILED_PRECONDITION
) -> M | Callable[[M], M]:
    """Decorates an RPC (a coroutine, or an async generator for a server
    stream) so that a problem it raises ends the call as the table says, and
    any other error as INTERNAL ``internal_error``, logged."""
    if method is None:
        return functools.partial(answers_problems, conflict=conflict)

    if inspect.isasyncgenfunction(method):

        @functools.wraps(method)
        async def stream(self: object, request: object, context: grpc.aio.ServicerContext) -> AsyncIterator[object]:
            try:
                async for response in method(self, request, context):
                    yield response
            except grpc.aio.AbortError:
                raise
            except Exception as exc:
                await _refuse(context, exc, conflict)

        return cast(M, stream)

    @functools.wraps(method)
    async def unary(self: object, request: object, context: grpc.aio.ServicerContext) -> object:
        try:
            return await method(self, request, context)
        except grpc.aio.AbortError:
            raise
        except Exception as exc:
            await _refuse(context, exc, conflict)

    return cast(M, unary)


def validated(model: type[V], **fields: object) -> V:
    """``fields`` as ``model`` (the REST body with the same rules), or ``validation_failed``."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise validation_problem(exc) from exc
