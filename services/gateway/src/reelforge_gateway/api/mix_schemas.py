"""Request and response bodies of mixes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, Field, model_validator

from reelforge.render.v1 import render_pb2
from reelforge_common.proto_time import datetime_of
from reelforge_gateway.api.project_schemas import ExportCreate
from reelforge_gateway.api.schemas import JobError

Tags = dict[str, str]


class Combination(BaseModel):
    picks: list[Annotated[int, Field(ge=0, le=19)]] = Field(
        min_length=1, max_length=10, description="One index into each group, in group order"
    )
    settings: ExportCreate | None = Field(default=None, description="This variant's settings; null: the mix's")
    metadata: Tags = Field(default_factory=dict, max_length=20, description="Tags written into this variant's file")


class MixCreate(BaseModel):
    name: str = Field(default="mix", min_length=1, max_length=200)
    groups: list[Annotated[list[str], Field(min_length=1, max_length=20)]] = Field(
        min_length=1, max_length=10, description="Groups of ready video assets (1-20 each), used whole"
    )
    mode: Literal["auto", "manual"] = "auto"
    variants: int | None = Field(default=None, ge=1, le=50, description="Auto: how many distinct variants")
    combinations: list[Combination] = Field(default_factory=list, max_length=50, description="Manual: the variants")
    settings: ExportCreate = Field(default_factory=ExportCreate, description="Every variant's, unless it has its own")
    metadata: Tags = Field(default_factory=dict, max_length=20, description="Tags written into every variant's file")

    @model_validator(mode="after")
    def one_way(self) -> Self:
        if self.mode == "auto" and (self.variants is None or self.combinations):
            raise ValueError("auto mode takes `variants` (and no combinations)")
        if self.mode == "manual" and (not self.combinations or self.variants is not None):
            raise ValueError("manual mode takes `combinations` (and no variants)")
        return self


class MixVariant(BaseModel):
    index: int
    asset_ids: list[str] = Field(description="The clips joined, in order")
    settings: ExportCreate
    metadata: Tags = Field(description="The tags in the file (title, comment, ...)")
    duration: float
    video_url: str | None = Field(description="Presigned URL once this variant is made")


class Mix(BaseModel):
    id: str
    job_id: str = Field(description="Follow it in /v1/jobs (kind `mix`); its outputs are the variants")
    name: str
    status: str = Field(description="queued, running, completed or failed")
    variants: list[MixVariant]
    urls_expire_at: datetime | None = None
    error: JobError | None = None
    created_at: datetime
    completed_at: datetime | None = None

    @classmethod
    def from_message(cls, mix: render_pb2.Mix) -> Mix:
        created = datetime_of(mix.created_at)
        assert created is not None
        return cls(
            id=mix.id,
            job_id=mix.job_id,
            name=mix.name,
            status=mix.status,
            variants=[
                MixVariant(
                    index=v.index,
                    asset_ids=list(v.asset_ids),
                    settings=ExportCreate.from_message(v.settings),
                    metadata=dict(v.metadata),
                    duration=v.duration_s,
                    video_url=v.video_url or None,
                )
                for v in mix.variants
            ],
            urls_expire_at=datetime_of(mix.urls_expire_at),
            error=JobError(code=mix.error_code, message=mix.error_message) if mix.error_code else None,
            created_at=created,
            completed_at=datetime_of(mix.completed_at),
        )
