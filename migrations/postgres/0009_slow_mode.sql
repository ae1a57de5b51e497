-- As migrations/sqlite/0011 (see there): a room's slow mode.
ALTER TABLE conversations ADD COLUMN slow_mode_s BIGINT NOT NULL DEFAULT 0;
