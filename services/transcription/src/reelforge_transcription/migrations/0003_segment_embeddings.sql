-- all-MiniLM-L6-v2 embedding of each segment (384 float32, little-endian,
-- unit length), for semantic search.
ALTER TABLE segments ADD COLUMN embedding bytea;
