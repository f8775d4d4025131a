-- 010_audit_log: who did what to which hotel or booking, when, from where.
-- Append-only: rows are inserted by the services and the admin CLI, read by
-- admins (GET /api/admin/audit); the triggers refuse any change or removal,
-- so even a compromised service account cannot rewrite history through SQL
-- short of dropping the triggers (which needs DDL rights it should not have
-- in production).
CREATE TABLE audit_log (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  at              DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  actor_kind      VARCHAR(16) NOT NULL,
  actor_id        VARCHAR(64) NOT NULL,
  actor_display   VARCHAR(160) NULL,
  action          VARCHAR(64) NOT NULL,
  hotel_id        VARCHAR(64) NULL,
  booking_id      VARCHAR(40) NULL,
  detail          JSON NULL,
  remote_address  VARCHAR(64) NULL,
  request_id      VARCHAR(64) NULL,
  KEY ix_audit_log_at (at),
  KEY ix_audit_log_hotel_at (hotel_id, at),
  KEY ix_audit_log_actor (actor_kind, actor_id, at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW
  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_log is append-only';

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log FOR EACH ROW
  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_log is append-only';
