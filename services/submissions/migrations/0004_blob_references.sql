-- The sweeper asks which blobs are referenced, by sha256.
CREATE INDEX IF NOT EXISTS submissions_by_sha256 ON submissions (sha256);
CREATE INDEX IF NOT EXISTS history_exports_by_sha256 ON history_exports (sha256);
