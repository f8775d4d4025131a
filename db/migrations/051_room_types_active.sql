-- 051_room_types_active: a room type the PMS no longer lists is kept (bookings
-- and history name it) but marked inactive; it is active again when the PMS
-- lists it again. Written only by inventory-svc, for every hotel the PMS
-- serves, listed yet or not.
ALTER TABLE room_types
  ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE AFTER photos;
