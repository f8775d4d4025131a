-- 009_api_keys: machine credentials and guest booking tokens.
-- A credential's secret is never stored, only its SHA-256 (hex): the secrets
-- carry 256 random bits, so a slow password hash would add nothing.

-- Scoped API keys: "Authorization: Bearer lk_<key_id>_<secret>". hotels is a
-- JSON array of hotel ids the key is limited to, NULL for every hotel.
-- revoked_at is checked on every request; last_used_at is refreshed at most
-- once a minute per key.
CREATE TABLE api_key (
  key_id        VARCHAR(32) NOT NULL PRIMARY KEY,
  secret_hash   CHAR(64) NOT NULL,
  name          VARCHAR(128) NOT NULL,
  role          ENUM('viewer','operator','admin') NOT NULL,
  hotels        JSON NULL,
  created_by    VARCHAR(160) NOT NULL,
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  revoked_at    DATETIME(3) NULL,
  last_used_at  DATETIME(3) NULL,
  KEY ix_api_key_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The guest's bookingToken (returned once by the checkout): SHA-256 hex of
-- "bt_<secret>". NULL for bookings made before tokens existed, which only
-- staff can then read or cancel.
ALTER TABLE booking ADD COLUMN token_hash CHAR(64) NULL AFTER idempotency_key;
