-- A room's slow mode, set by its moderators: seconds between one member's messages
-- (0: off). Moderators are not held to it.
ALTER TABLE conversations ADD COLUMN slow_mode_s INTEGER NOT NULL DEFAULT 0;
