"""gRPC bootstrap: an aio server with health, reflection, tracing and metrics,
and a client channel that propagates trace context."""

from __future__ import annotations

import functools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, NoReturn, TypeVar

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from opentelemetry import trace

from reelforge_common.outages import unavailable_dependency, unavailable_detail
from reelforge_common.telemetry import SERVICE_ATTRIBUTE, Metrics, extract_context, inject_context

Registrar = Callable[[grpc.aio.Server], None]
# Health service name that is SERVING while the process runs (a liveness
# probe); "" and the service names follow readiness.
LIVENESS = "liveness"


class TelemetryServerInterceptor(grpc.aio.ServerInterceptor):
    """Opens a server span under the caller's trace and counts every RPC."""

    def __init__(self, metrics: Metrics) -> None:
        self._tracer = trace.get_tracer("reelforge.grpc")
        self._attributes = {SERVICE_ATTRIBUTE: metrics.service}
        self._requests = metrics.counter("grpc_requests_total", "gRPC requests handled.", ["method", "code"])
        self._latency = metrics.histogram("grpc_request_duration_seconds", "gRPC handling time.", ["method"])

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None or handler.request_streaming:
            return handler
        method: str = handler_call_details.method
        metadata = {m.key: m.value for m in handler_call_details.invocation_metadata or () if isinstance(m.value, str)}
        parent = extract_context(metadata)

        def _record(started: float, context: grpc.aio.ServicerContext, failed: bool) -> None:
            # An aborted call has its code set; any other exception becomes UNKNOWN.
            code = context.code()
            if not isinstance(code, grpc.StatusCode):
                code = grpc.StatusCode.UNKNOWN if failed else grpc.StatusCode.OK
            self._requests.labels(method, code.name).inc()
            self._latency.labels(method).observe(time.perf_counter() - started)

        if handler.unary_unary is not None:
            inner_uu = handler.unary_unary

            async def unary_unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
                started = time.perf_counter()
                with self._tracer.start_as_current_span(
                    method, context=parent, kind=trace.SpanKind.SERVER, attributes=self._attributes
                ):
                    try:
                        response = await inner_uu(request, context)
                    except BaseException:
                        _record(started, context, failed=True)
                        raise
                    _record(started, context, failed=False)
                    return response

            return grpc.unary_unary_rpc_method_handler(
                unary_unary, handler.request_deserializer, handler.response_serializer
            )

        inner_us = handler.unary_stream

        async def unary_stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            started = time.perf_counter()
            with self._tracer.start_as_current_span(
                method, context=parent, kind=trace.SpanKind.SERVER, attributes=self._attributes
            ):
                try:
                    async for response in inner_us(request, context):
                        yield response
                except BaseException:
                    _record(started, context, failed=True)
                    raise
                _record(started, context, failed=False)

        return grpc.unary_stream_rpc_method_handler(
            unary_stream, handler.request_deserializer, handler.response_serializer
        )


class OutageServerInterceptor(grpc.aio.ServerInterceptor):
    """A call that fails because a dependency is down (Postgres, S3; see
    :mod:`reelforge_common.outages`) ends ``UNAVAILABLE`` with ``rf-code``
    ``unavailable``, which callers retry, instead of ``UNKNOWN``."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        kinds = (
            ("unary_unary", grpc.unary_unary_rpc_method_handler, False),
            ("stream_unary", grpc.stream_unary_rpc_method_handler, False),
            ("unary_stream", grpc.unary_stream_rpc_method_handler, True),
            ("stream_stream", grpc.stream_stream_rpc_method_handler, True),
        )
        for attribute, make, streams in kinds:
            if (inner := getattr(handler, attribute)) is not None:
                wrapped = _streaming_outages(inner) if streams else _unary_outages(inner)
                return make(wrapped, handler.request_deserializer, handler.response_serializer)
        return handler


async def _abort_if_outage(context: grpc.aio.ServicerContext, exc: Exception) -> None:
    if dependency := unavailable_dependency(exc):
        await refuse(context, grpc.StatusCode.UNAVAILABLE, "unavailable", unavailable_detail(dependency))


def _unary_outages(inner: Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    async def call(request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            return await inner(request, context)
        except grpc.aio.AbortError:
            raise
        except Exception as exc:
            await _abort_if_outage(context, exc)
            raise

    return call


def _streaming_outages(inner: Callable[[Any, grpc.aio.ServicerContext], AsyncIterator[Any]]) -> Callable[..., Any]:
    async def call(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        try:
            async for response in inner(request, context):
                yield response
        except grpc.aio.AbortError:
            raise
        except Exception as exc:
            await _abort_if_outage(context, exc)
            raise

    return call


class _TraceContextClientInterceptor(grpc.aio.UnaryUnaryClientInterceptor, grpc.aio.UnaryStreamClientInterceptor):
    """Adds the current trace context to outgoing metadata."""

    @staticmethod
    def _with_trace(details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        metadata = grpc.aio.Metadata(*(details.metadata or ()))
        for key, value in inject_context().items():
            metadata[key] = value
        return grpc.aio.ClientCallDetails(
            details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
        )

    async def intercept_unary_unary(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        return await continuation(self._with_trace(client_call_details), request)

    async def intercept_unary_stream(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        return await continuation(self._with_trace(client_call_details), request)


async def refuse(context: grpc.aio.ServicerContext, status: grpc.StatusCode, code: str, detail: str) -> NoReturn:
    """End the call with ``status`` and the problem ``code`` in the ``rf-code`` trailer
    (the gateway answers callers with that problem)."""
    await context.abort(status, detail, trailing_metadata=(("rf-code", code),))
    raise AssertionError("unreachable: abort raises")


class RefusedError(Exception):
    """Raised by a servicer method wrapped in :func:`refusing`: the call ends
    with the problem ``code`` and ``detail``."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


Svc = TypeVar("Svc")
Rq = TypeVar("Rq")
Rs = TypeVar("Rs")
Method = Callable[[Svc, Rq, grpc.aio.ServicerContext], Awaitable[Rs]]


def refusing(
    statuses: Mapping[str, grpc.StatusCode], default: grpc.StatusCode = grpc.StatusCode.FAILED_PRECONDITION
) -> Callable[[Method[Svc, Rq, Rs]], Method[Svc, Rq, Rs]]:
    """A :class:`RefusedError` raised by the method ends the call with the code's
    status (from ``statuses``, else ``default``) and its ``rf-code``."""

    def wrap(method: Method[Svc, Rq, Rs]) -> Method[Svc, Rq, Rs]:
        @functools.wraps(method)
        async def call(self: Svc, request: Rq, context: grpc.aio.ServicerContext) -> Rs:
            try:
                return await method(self, request, context)
            except RefusedError as refusal:
                await refuse(context, statuses.get(refusal.code, default), refusal.code, refusal.detail)

        return call

    return wrap


def refusal_code(exc: grpc.aio.AioRpcError) -> str:
    """The problem code a service refused with (see :func:`refuse`); "" when none."""
    return next((str(value) for key, value in exc.trailing_metadata() or () if key == "rf-code"), "")


def insecure_channel(target: str) -> grpc.aio.Channel:
    """A client channel to an internal service that carries trace context."""
    return grpc.aio.insecure_channel(target, interceptors=[_TraceContextClientInterceptor()])


class GrpcServer:
    """A grpc.aio server exposing the service's servicers plus health and reflection."""

    def __init__(
        self, *, host: str, port: int, metrics: Metrics, registrars: Sequence[Registrar], service_names: Sequence[str]
    ) -> None:
        self._server = grpc.aio.server(interceptors=[TelemetryServerInterceptor(metrics), OutageServerInterceptor()])
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self._server)
        for register in registrars:
            register(self._server)
        names = [*service_names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME]
        reflection.enable_server_reflection(names, self._server)
        self.port = self._server.add_insecure_port(f"{host}:{port}")
        self._service_names = list(service_names)

    async def start(self) -> None:
        """Serve; the health of ``""`` and the service names (readiness) is
        NOT_SERVING until :meth:`set_serving`, ``liveness`` SERVING at once."""
        await self._server.start()
        await self.set_serving(False)
        await self.health.set(LIVENESS, health_pb2.HealthCheckResponse.SERVING)

    async def set_serving(self, serving: bool) -> None:
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in ["", *self._service_names]:
            await self.health.set(name, status)

    async def stop(self, grace: float) -> None:
        await self.set_serving(False)
        await self._server.stop(grace)
