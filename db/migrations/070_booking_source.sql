-- 070_booking_source: every booking of the hotel, not only ours. A reservation
-- made on another channel (the front desk, an OTA) and reported by the PMS is
-- recorded with source 'pms' and no payment of ours; our checkout's bookings
-- keep source 'checkout'. channel is the PMS's word for where it was made,
-- when it says. pms_reservation_key makes one PMS reservation one row however
-- often it is reported (NULL for our own, which never collide). A foreign
-- booking's price is not ours to know, so it may be 0.
ALTER TABLE booking
  ADD COLUMN source VARCHAR(16) NOT NULL DEFAULT 'checkout',
  ADD COLUMN channel VARCHAR(64) NULL,
  ADD COLUMN pms_reservation_key VARCHAR(64)
    AS (IF(source = 'pms', reservation_id, NULL)) PERSISTENT,
  ADD UNIQUE KEY uq_booking_pms_reservation (vendor, hotel_id, pms_reservation_key),
  DROP CONSTRAINT ck_booking_price,
  ADD CONSTRAINT ck_booking_price_paid CHECK (total_price > 0 OR source = 'pms');
