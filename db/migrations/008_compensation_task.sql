-- 008_compensation_task: the compensation worker's due-time table (SPEC §4:
-- a compensation that cannot complete now is retried with backoff until done).
-- A lodging.booking.compensation.requested command consumed from
-- booking.compensations becomes one row per (booking, action): a repeated
-- command is recorded once. The worker claims due rows with a lease
-- (locked_by / locked_until) so several booking-svc replicas never run one
-- task at the same time, and a failing task waits here (next_attempt_at)
-- without holding up anyone else's. Written only by booking-svc.

-- amount is in the currency's minor units (refund, retry_capture).
-- alerted_at: when the one ops.alerts compensation.stuck event was written.
CREATE TABLE compensation_task (
  id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  booking_id       VARCHAR(40) NOT NULL,
  action           VARCHAR(32) NOT NULL,
  hotel_id         VARCHAR(64) NULL,
  hold_id          VARCHAR(64) NULL,
  payment_auth_id  VARCHAR(64) NULL,
  reservation_id   VARCHAR(64) NULL,
  amount           BIGINT NULL,
  currency         CHAR(3) NULL,
  reason           VARCHAR(512) NULL,
  state            ENUM('pending','done') NOT NULL DEFAULT 'pending',
  attempts         INT UNSIGNED NOT NULL DEFAULT 0,
  next_attempt_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  last_error       VARCHAR(512) NULL,
  locked_by        VARCHAR(128) NULL,
  locked_until     DATETIME(3) NULL,
  alerted_at       DATETIME(3) NULL,
  done_at          DATETIME(3) NULL,
  created_at       DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at       DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  UNIQUE KEY uq_compensation_task (booking_id, action),
  KEY ix_compensation_task_due (state, next_attempt_at),
  CONSTRAINT ck_compensation_task_action CHECK (action IN
    ('release_hold','void_preauth','cancel_reservation','refund','retry_capture'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
