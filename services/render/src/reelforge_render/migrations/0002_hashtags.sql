-- Hashtags a language model suggested for a clip (highlight ranking with an LLM).
ALTER TABLE clips ADD COLUMN hashtags jsonb NOT NULL DEFAULT '[]';
