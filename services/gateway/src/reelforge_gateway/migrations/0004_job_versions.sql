-- Every change of a job's row takes the next number of one sequence: live
-- streams use it as the event id, and a client resuming with Last-Event-ID
-- gets the rows changed since.
CREATE SEQUENCE job_changes;
ALTER TABLE jobs ADD COLUMN version bigint NOT NULL DEFAULT nextval('job_changes');
CREATE INDEX jobs_tenant_version ON jobs (tenant_id, version);
