-- 060_booking_rate_plan: the rate plan a booking was sold under (the PMS's
-- id of the plan, e.g. Cloudbeds' rateID); NULL for the room type's base
-- plan, which is also every booking made before plans could be chosen.
ALTER TABLE booking ADD COLUMN rate_plan_id VARCHAR(64) NULL AFTER room_type_id;
