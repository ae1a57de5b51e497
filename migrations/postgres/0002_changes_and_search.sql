-- Replies, mentions, edits, deletions, reactions and search: the same as
-- migrations/sqlite/0004_changes_and_search.sql (see there) in PostgreSQL's types.
ALTER TABLE messages ADD COLUMN target_seq BIGINT;
ALTER TABLE messages ADD COLUMN mentions TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN edited_at BIGINT;
ALTER TABLE messages ADD COLUMN deleted_at BIGINT;
ALTER TABLE messages ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;

CREATE TABLE reactions (
    message_id BIGINT NOT NULL REFERENCES messages (id),
    emoji      TEXT   NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    seq        BIGINT NOT NULL,
    PRIMARY KEY (message_id, emoji, user_id)
);

-- Full-text index of the texts that are not deleted, CJK characters spaced out by the
-- server ('simple': no stemming, so both backends find the same words).
CREATE TABLE message_search (
    message_id BIGINT PRIMARY KEY REFERENCES messages (id),
    doc        TSVECTOR NOT NULL
);
CREATE INDEX message_search_doc ON message_search USING GIN (doc);
