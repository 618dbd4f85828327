-- A project's clip may be a clip a clip job rendered (render's own file)
-- rather than an asset: clip_job_id and clip_index name it; asset_id is then
-- the clip job's asset.
ALTER TABLE project_items ADD COLUMN clip_job_id text NOT NULL DEFAULT '';
ALTER TABLE project_items ADD COLUMN clip_index integer NOT NULL DEFAULT 0;
