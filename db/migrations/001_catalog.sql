-- 001_catalog: what a hotel is and sells — listings, room types, per-hotel PMS
-- configuration (SPEC §6, §7, §9). All tables InnoDB, utf8mb4, times in UTC.

CREATE TABLE listings (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  vendor       VARCHAR(32)  NOT NULL,
  hotel_id     VARCHAR(64)  NOT NULL,
  name         VARCHAR(255) NOT NULL,
  address      VARCHAR(512) NULL,
  city         VARCHAR(128) NULL,
  country      CHAR(2)      NULL,
  latitude     DECIMAL(9,6) NULL,
  longitude    DECIMAL(9,6) NULL,
  currency     CHAR(3)      NOT NULL,
  timezone     VARCHAR(64)  NULL,
  created_at   DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at   DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  UNIQUE KEY uq_listings_vendor_hotel (vendor, hotel_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE room_types (
  id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  vendor         VARCHAR(32)  NOT NULL,
  hotel_id       VARCHAR(64)  NOT NULL,
  room_type_id   VARCHAR(64)  NOT NULL,
  name           VARCHAR(255) NOT NULL,
  max_occupancy  SMALLINT UNSIGNED NOT NULL,
  total_rooms    INT UNSIGNED NOT NULL,
  average_price  DECIMAL(15,2) NULL,
  photos         JSON NULL,
  created_at     DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at     DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  UNIQUE KEY uq_room_types (vendor, hotel_id, room_type_id),
  CONSTRAINT ck_room_types_occupancy CHECK (max_occupancy > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- API keys are AES-256-GCM blobs (common/crypto.h), never plain text.
-- lease_owner / lease_until let several poller replicas share the schedule:
-- only the lease holder emits a hotel's sync job in an interval.
CREATE TABLE pms_config (
  id                        BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  vendor                    VARCHAR(32) NOT NULL,
  hotel_id                  VARCHAR(64) NOT NULL,
  api_key_enc               VARBINARY(1024) NULL,
  polling_enabled           BOOLEAN NOT NULL DEFAULT TRUE,
  polling_interval_seconds  INT UNSIGNED NOT NULL DEFAULT 300,
  webhooks_enabled          BOOLEAN NOT NULL DEFAULT FALSE,
  is_running                BOOLEAN NOT NULL DEFAULT FALSE,
  last_sync_at              DATETIME(3) NULL,
  next_sync_at              DATETIME(3) NULL,
  error_count               INT UNSIGNED NOT NULL DEFAULT 0,
  last_error                VARCHAR(512) NULL,
  lease_owner               VARCHAR(128) NULL,
  lease_until               DATETIME(3) NULL,
  created_at                DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at                DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  UNIQUE KEY uq_pms_config_vendor_hotel (vendor, hotel_id),
  KEY ix_pms_config_due (polling_enabled, next_sync_at),
  CONSTRAINT ck_pms_config_interval CHECK (polling_interval_seconds > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
