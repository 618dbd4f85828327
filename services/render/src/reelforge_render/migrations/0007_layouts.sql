-- Comparison videos and session videos: side by side or interleaved.
ALTER TABLE comparison_videos ADD COLUMN layout text NOT NULL DEFAULT 'side_by_side'
    CHECK (layout IN ('side_by_side', 'interleaved'));
ALTER TABLE session_exports ADD COLUMN layout text NOT NULL DEFAULT 'side_by_side'
    CHECK (layout IN ('side_by_side', 'interleaved'));
