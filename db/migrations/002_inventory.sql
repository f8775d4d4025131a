-- 002_inventory: the brief's room_inventory and rate_plan, written only by
-- inventory-svc (ARCHITECTURE.md ownership rules); one row per night.

CREATE TABLE room_inventory (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  vendor        VARCHAR(32) NOT NULL,
  hotel_id      VARCHAR(64) NOT NULL,
  room_type_id  VARCHAR(64) NOT NULL,
  stay_date     DATE NOT NULL,
  available     INT NOT NULL,
  total         INT NOT NULL,
  synced_at     DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  UNIQUE KEY uq_room_inventory_night (vendor, hotel_id, room_type_id, stay_date),
  KEY ix_room_inventory_hotel_date (hotel_id, stay_date),
  CONSTRAINT ck_room_inventory_available CHECK (available >= 0 AND available <= total)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE rate_plan (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  vendor        VARCHAR(32) NOT NULL,
  hotel_id      VARCHAR(64) NOT NULL,
  room_type_id  VARCHAR(64) NOT NULL,
  rate_plan_id  VARCHAR(64) NOT NULL,
  stay_date     DATE NOT NULL,
  price         DECIMAL(15,2) NOT NULL,
  currency      CHAR(3) NOT NULL,
  rules         JSON NULL,
  synced_at     DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  UNIQUE KEY uq_rate_plan_night (vendor, hotel_id, room_type_id, rate_plan_id, stay_date),
  KEY ix_rate_plan_hotel_date (hotel_id, stay_date),
  CONSTRAINT ck_rate_plan_price CHECK (price >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
