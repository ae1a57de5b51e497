-- Replies, mentions, edits, deletions, reactions and search.
--
-- A change (kind 'edited', 'deleted' or 'reacted') is a message row of its own,
-- numbered in its conversation like any message, so that it reaches every reader in
-- order and comes again in a replay; `target_seq` names the message it changes (for
-- a text: the message it answers). The changed message keeps its state as of now,
-- and `revision`, the number of the newest change in it.
ALTER TABLE messages ADD COLUMN target_seq INTEGER;
-- Space-separated ids of the members a text mentions.
ALTER TABLE messages ADD COLUMN mentions TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN edited_at INTEGER;
ALTER TABLE messages ADD COLUMN deleted_at INTEGER;
ALTER TABLE messages ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;

-- Who reacted with what; `seq` is the change that did it (the order they reacted in).
CREATE TABLE reactions (
    message_id INTEGER NOT NULL REFERENCES messages (id),
    emoji      TEXT    NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    seq        INTEGER NOT NULL,
    PRIMARY KEY (message_id, emoji, user_id)
) WITHOUT ROWID;

-- Full-text index of the texts that are not deleted (rowid = messages.id). Each CJK
-- character is indexed as a word of its own (the server spaces them out), so that a
-- query finds Chinese words inside sentences written without spaces. The server
-- fills it for texts stored before this migration at start.
CREATE VIRTUAL TABLE message_search USING fts5 (body, tokenize = 'unicode61 remove_diacritics 0');
