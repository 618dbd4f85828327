-- RequestPoseAnalysis answers a retried request with the analysis its job made.
CREATE INDEX analyses_job ON analyses (tenant_id, job_id) WHERE job_id <> '';
