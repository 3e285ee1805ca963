-- API keys show less of their secret (tiny.APIKeyDisplayPrefix): a
-- generated key "tiny_" and 4 random characters instead of 6, any other
-- key "#" and 8 hex digits of its SHA-256 instead of its first 11
-- characters.

-- +goose Up

-- Only the initial admin key can have a secret an operator chose
-- (TINY_INITIAL_API_KEY), and its stored prefix cannot tell whether it did,
-- so it always gets the fingerprint; keys made through the API are
-- generated.
UPDATE api_keys SET prefix = CASE
    WHEN name <> 'initial admin key' AND length(prefix) = 11 AND substr(prefix, 1, 5) = 'tiny_'
        THEN substr(prefix, 1, 9)
    ELSE '#' || lower(hex(substr(hash, 1, 4)))
END;

-- +goose Down
-- The characters dropped are not kept anywhere: the shorter prefixes stay.
