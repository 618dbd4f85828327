"""The BOLA sweep over the public gRPC API (reelforge.api.v1): every method
whose request names a resource, called with another tenant's id."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

import grpc
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message_factory import GetMessageClass
from tenant_estate import Estate

from reelforge.api.v1 import admin_pb2, assets_pb2, jobs_pb2, keys_pb2, pose_pb2, transcripts_pb2

API: tuple[ModuleType, ...] = (admin_pb2, assets_pb2, jobs_pb2, keys_pb2, pose_pb2, transcripts_pb2)
ASSET_FIELDS = frozenset({"asset_id", "reference_asset_id", "attempt_asset_id"})


def methods() -> Iterator[MethodDescriptor]:
    for module in API:
        for service in module.DESCRIPTOR.services_by_name.values():
            yield from service.methods


def id_fields(method: MethodDescriptor) -> list[str]:
    return [field.name for field in method.input_type.fields if field.name.endswith("_id")]


def their_id(estate: Estate, method: MethodDescriptor, field: str) -> str:
    """The other tenant's id for ``field``; fails for a field the sweep has none for."""
    if method.containing_service.name == "Uploads" and field == "asset_id":
        return estate.by_path["/v1/uploads/"]["asset_id"]
    found = estate.ids["asset_id"] if field in ASSET_FIELDS else estate.ids.get(field)
    assert found is not None, f"the gRPC BOLA sweep has no id for {field} of {method.full_name}"
    return found


async def call(channel: grpc.aio.Channel, method: MethodDescriptor, request: Any, metadata: Any) -> tuple[Any, str]:
    """The status of one call (and its answer, as text), reading a stream's first message."""
    path = f"/{method.containing_service.full_name}/{method.name}"
    serialize, answer = GetMessageClass(method.input_type).SerializeToString, GetMessageClass(method.output_type)
    try:
        if method.server_streaming:
            stream = channel.unary_stream(path, request_serializer=serialize, response_deserializer=answer.FromString)
            async for first in stream(request, metadata=metadata, timeout=30):
                return grpc.StatusCode.OK, str(first)
            return grpc.StatusCode.OK, ""
        unary = channel.unary_unary(path, request_serializer=serialize, response_deserializer=answer.FromString)
        return grpc.StatusCode.OK, str(await unary(request, metadata=metadata, timeout=30))
    except grpc.aio.AioRpcError as refused:
        return refused.code(), ""


async def sweep(channel: grpc.aio.Channel, estate: Estate, own_video: str, metadata: Any) -> tuple[int, dict[str, Any]]:
    """How many (method, field) pairs were tried, and those that did not answer NOT_FOUND
    (a listing filtered by the id may answer, with nothing of the other tenant's)."""
    tried, wrong = 0, {}
    theirs = estate.all_ids()
    for method in methods():
        if method.client_streaming:
            continue  # Upload: its stream names no resource
        for field in id_fields(method):
            values = {other: own_video for other in id_fields(method) if other in ASSET_FIELDS}
            request = GetMessageClass(method.input_type)(**{**values, field: their_id(estate, method, field)})
            status, text = await call(channel, method, request, metadata)
            tried += 1
            listing = method.name.startswith(("List", "Search"))
            if status != grpc.StatusCode.NOT_FOUND and not (
                listing and status == grpc.StatusCode.OK and not any(i in text for i in theirs)
            ):
                wrong[f"{method.full_name} {field}"] = status.name
    return tried, wrong
