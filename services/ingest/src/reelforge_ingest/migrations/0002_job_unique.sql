-- One asset per job: a caller that retries an upload with the same job id
-- (after a lost answer, or a crash) gets the asset it made the first time.
CREATE UNIQUE INDEX assets_tenant_job ON assets (tenant_id, job_id);
