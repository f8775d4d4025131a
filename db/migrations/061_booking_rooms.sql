-- 061_booking_rooms: how many rooms of the room type one booking takes (one
-- PMS reservation, one payment for all of them); 1 for every booking made
-- before several rooms could be booked at once.
ALTER TABLE booking ADD COLUMN rooms SMALLINT UNSIGNED NOT NULL DEFAULT 1 AFTER children;
