-- Passkeys (WebAuthn). Each is one credential of one user: its id (as the browser
-- names it), the user handle its authenticator keeps (the same for all of a user's
-- passkeys, random, nothing else about the user), and webauthn-rs's record of it
-- (public key, signature counter) as JSON. A user with a passkey keeps the nickname
-- past the idle expiry (see CLAIM_NICKNAME and FREE_CLAIM).
CREATE TABLE passkeys (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       BIGINT  NOT NULL REFERENCES users (id),
    credential_id BYTEA   NOT NULL UNIQUE,
    user_handle   BYTEA   NOT NULL,
    name          TEXT    NOT NULL,
    passkey       TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    last_used_at  BIGINT
);
CREATE INDEX passkeys_by_user ON passkeys (user_id);

-- A ceremony's state between its two halves (challenge and answer): taken once, and
-- only before it expires. user_id is the registering user (NULL for a sign-in).
CREATE TABLE passkey_ceremonies (
    id         TEXT    PRIMARY KEY,
    user_id    BIGINT,
    name       TEXT    NOT NULL DEFAULT '',
    state      TEXT    NOT NULL,
    expires_at BIGINT  NOT NULL
);
CREATE INDEX passkey_ceremonies_by_expiry ON passkey_ceremonies (expires_at);
