"""``reelforge.api.v1.Jobs``: the tenant's jobs and their live changes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import grpc

from reelforge.api.v1 import jobs_pb2, jobs_pb2_grpc
from reelforge_gateway.grpc_api import messages
from reelforge_gateway.grpc_api.auth import Authenticator
from reelforge_gateway.grpc_api.errors import answers_problems
from reelforge_gateway.keys import Scope
from reelforge_gateway.live import JobFeed
from reelforge_gateway.operations import jobs
from reelforge_gateway.operations.paging import DEFAULT_PAGE


class JobsService(jobs_pb2_grpc.JobsServicer):
    def __init__(self, auth: Authenticator, pool: asyncpg.Pool, feed: JobFeed) -> None:
        self._auth = auth
        self._pool = pool
        self._feed = feed

    @answers_problems
    async def GetJob(self, request: jobs_pb2.GetJobRequest, context: grpc.aio.ServicerContext) -> jobs_pb2.Job:
        caller = await self._auth.caller_of(context, Scope.READ)
        return messages.job(
            await jobs.get_job(self._pool, self._feed.views, tenant_id=caller.tenant_id, job_id=request.job_id)
        )

    @answers_problems
    async def ListJobs(
        self, request: jobs_pb2.ListJobsRequest, context: grpc.aio.ServicerContext
    ) -> jobs_pb2.ListJobsResponse:
        caller = await self._auth.caller_of(context, Scope.READ)
        page = await jobs.list_jobs(
            self._pool,
            self._feed.views,
            tenant_id=caller.tenant_id,
            status=messages.job_status_filter(request.status),
            kind=request.kind or None,
            limit=request.limit or DEFAULT_PAGE,
            cursor=request.cursor or None,
        )
        return jobs_pb2.ListJobsResponse(
            jobs=[messages.job(job) for job in page.items], next_cursor=page.next_cursor or ""
        )

    @answers_problems
    async def WatchJob(
        self, request: jobs_pb2.WatchJobRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[jobs_pb2.JobEvent]:
        caller = await self._auth.caller_of(context, Scope.READ)
        changes = await jobs.watch_job(
            self._feed, self._pool, tenant_id=caller.tenant_id, job_id=request.job_id, after=request.after_version
        )
        if changes is None:  # resumed after the job's final event
            return
        async for change in changes:
            yield messages.job_event(change)

    @answers_problems
    async def WatchEvents(
        self, request: jobs_pb2.WatchEventsRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[jobs_pb2.JobEvent]:
        caller = await self._auth.caller_of(context, Scope.READ)
        after = request.after_version if request.HasField("after_version") else None
        changes = await jobs.watch_tenant(
            self._feed, tenant_id=caller.tenant_id, after=after, kind=request.kind or None
        )
        # The stream's start is fixed: a client that awaits the initial
        # metadata before starting work sees every change that work causes.
        await context.send_initial_metadata(())
        async for change in changes:
            yield messages.job_event(change)
