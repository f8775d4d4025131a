-- 050_inventory_count_known: a PMS that never tells how many rooms are free
-- (OPERA Cloud's Shop API answers only "available or not") gets nights
-- recorded as "bookable, count unknown": count_known = FALSE, available 1
-- (bookable) or 0 (not), and total equal to available only to satisfy
-- ck_room_inventory_available — with count_known FALSE neither is a count.
-- Written only by inventory-svc.
ALTER TABLE room_inventory
  ADD COLUMN count_known BOOLEAN NOT NULL DEFAULT TRUE AFTER total;
