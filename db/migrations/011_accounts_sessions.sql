-- 011_accounts_sessions: people (operators and admins) and their browser
-- sessions. Machines keep using api_key.
--
-- account.password_hash is self-describing ("scrypt$<log2 N>$<r>$<p>$<salt>$<key>",
-- common/src/auth_password.c), so the cost can be raised later without a
-- migration: old hashes still verify with the parameters they carry.
-- email is stored lower-cased so the UNIQUE key means "one account per
-- address". hotels is a JSON array of hotel ids the account is limited to,
-- NULL for every hotel. failed_logins and locked_until carry the lockout:
-- consecutive failures, and until when even the right password is refused.
CREATE TABLE account (
  id             VARCHAR(32) NOT NULL PRIMARY KEY,
  email          VARCHAR(254) NOT NULL,
  password_hash  VARCHAR(255) NOT NULL,
  role           ENUM('viewer','operator','admin') NOT NULL,
  hotels         JSON NULL,
  created_at     DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  disabled_at    DATETIME(3) NULL,
  failed_logins  INT UNSIGNED NOT NULL DEFAULT 0,
  locked_until   DATETIME(3) NULL,
  last_login_at  DATETIME(3) NULL,
  UNIQUE KEY ux_account_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A browser session: the cookie is "<id>.<secret>"; only the secret's
-- SHA-256 (hex) is kept, so a copy of this table logs nobody in. The CSRF
-- token is not a credential on its own (it is useless without the cookie)
-- and is handed back by GET /api/auth/me, so it is kept as is.
-- expires_at is the absolute end; the idle end is last_seen_at plus the
-- services' SESSION_IDLE_S. revoked_at is set by logout and by disabling
-- the account, and is checked on every request.
CREATE TABLE session (
  id            VARCHAR(32) NOT NULL PRIMARY KEY,
  secret_hash   CHAR(64) NOT NULL,
  account_id    VARCHAR(32) NOT NULL,
  csrf_token    VARCHAR(64) NOT NULL,
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  last_seen_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  expires_at    DATETIME(3) NOT NULL,
  revoked_at    DATETIME(3) NULL,
  KEY ix_session_account (account_id, revoked_at),
  KEY ix_session_expires (expires_at),
  CONSTRAINT fk_session_account FOREIGN KEY (account_id) REFERENCES account (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
