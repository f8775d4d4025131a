-- 003_booking_saga: bookings and what the checkout saga needs to be
-- crash-safe, idempotent and observable (SPEC §4): the saga instance and its
-- step log, the transactional outbox, idempotency keys, and consumer dedup.
-- Written only by booking-svc.

-- booking_id is the public id. Guest PII lives only in guest_enc (AES-256-GCM);
-- no card data is ever stored.
CREATE TABLE booking (
  id                   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  booking_id           VARCHAR(40) NOT NULL,
  vendor               VARCHAR(32) NOT NULL,
  hotel_id             VARCHAR(64) NOT NULL,
  room_type_id         VARCHAR(64) NOT NULL,
  check_in             DATE NOT NULL,
  check_out            DATE NOT NULL,
  adults               SMALLINT UNSIGNED NOT NULL,
  children             SMALLINT UNSIGNED NOT NULL DEFAULT 0,
  status               ENUM('pending','confirmed','cancelled','failed') NOT NULL DEFAULT 'pending',
  hold_id              VARCHAR(64) NULL,
  hold_expires_at      DATETIME(3) NULL,
  payment_auth_id      VARCHAR(64) NULL,
  payment_status       VARCHAR(32) NULL,
  reservation_id       VARCHAR(64) NULL,
  confirmation_number  VARCHAR(64) NULL,
  total_price          DECIMAL(15,2) NOT NULL,
  currency             CHAR(3) NOT NULL,
  guest_enc            VARBINARY(4096) NULL,
  idempotency_key      VARCHAR(255) NULL,
  error_code           VARCHAR(64) NULL,
  error_message        VARCHAR(512) NULL,
  created_at           DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at           DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  UNIQUE KEY uq_booking_booking_id (booking_id),
  KEY ix_booking_status_updated (status, updated_at),
  KEY ix_booking_hotel_checkin (hotel_id, check_in),
  KEY ix_booking_hold (hold_id),
  KEY ix_booking_payment_auth (payment_auth_id),
  KEY ix_booking_reservation (vendor, reservation_id),
  CONSTRAINT ck_booking_stay CHECK (check_out > check_in),
  CONSTRAINT ck_booking_adults CHECK (adults >= 1),
  CONSTRAINT ck_booking_price CHECK (total_price > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per saga: where it is, whether it is compensating, and a lease so
-- only one booking-svc replica drives it (recovery after a crash).
CREATE TABLE saga_instance (
  booking_id       VARCHAR(40) NOT NULL PRIMARY KEY,
  saga_type        VARCHAR(32) NOT NULL DEFAULT 'checkout',
  state            VARCHAR(32) NOT NULL,
  current_step     VARCHAR(32) NOT NULL,
  compensating     BOOLEAN NOT NULL DEFAULT FALSE,
  attempts         INT UNSIGNED NOT NULL DEFAULT 0,
  next_attempt_at  DATETIME(3) NULL,
  locked_by        VARCHAR(128) NULL,
  locked_until     DATETIME(3) NULL,
  data             JSON NULL,
  created_at       DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at       DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  KEY ix_saga_instance_due (state, next_attempt_at),
  CONSTRAINT fk_saga_instance_booking FOREIGN KEY (booking_id) REFERENCES booking (booking_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE saga_step_log (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  booking_id  VARCHAR(40) NOT NULL,
  step        VARCHAR(32) NOT NULL,
  outcome     ENUM('started','succeeded','failed','compensating','compensated','compensation_failed') NOT NULL,
  detail      VARCHAR(512) NULL,
  created_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY ix_saga_step_log_booking (booking_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Transactional outbox (Debezium's shape): written in the same transaction as
-- the state change; a relay publishes rows in id order and sets published_at.
-- event_id becomes the CloudEvents id, aggregate_id the Kafka key.
CREATE TABLE outbox (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  event_id        CHAR(36) NOT NULL,
  aggregate_type  VARCHAR(32) NOT NULL,
  aggregate_id    VARCHAR(64) NOT NULL,
  topic           VARCHAR(128) NOT NULL,
  event_type      VARCHAR(128) NOT NULL,
  payload         LONGTEXT NOT NULL,
  attempts        INT UNSIGNED NOT NULL DEFAULT 0,
  created_at      DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  published_at    DATETIME(3) NULL,
  UNIQUE KEY uq_outbox_event_id (event_id),
  KEY ix_outbox_unpublished (published_at, id),
  CONSTRAINT ck_outbox_payload CHECK (JSON_VALID(payload))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Idempotency-Key: the same key and request hash return the stored response;
-- kept at least 24 h (expires_at), then purged.
CREATE TABLE idempotency_keys (
  scope            VARCHAR(64) NOT NULL,
  idem_key         VARCHAR(255) NOT NULL,
  request_hash     CHAR(64) NOT NULL,
  state            ENUM('in_progress','completed') NOT NULL DEFAULT 'in_progress',
  response_status  SMALLINT UNSIGNED NULL,
  response_body    MEDIUMTEXT NULL,
  booking_id       VARCHAR(40) NULL,
  created_at       DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  expires_at       DATETIME(3) NOT NULL,
  PRIMARY KEY (scope, idem_key),
  KEY ix_idempotency_keys_expiry (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Consumer de-duplication (Eventuate's received_messages): a handler inserts
-- (consumer, CloudEvents id) in its own transaction; a duplicate key means the
-- message was already handled.
CREATE TABLE received_messages (
  consumer_id  VARCHAR(64) NOT NULL,
  message_id   VARCHAR(64) NOT NULL,
  received_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (consumer_id, message_id),
  KEY ix_received_messages_age (received_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
