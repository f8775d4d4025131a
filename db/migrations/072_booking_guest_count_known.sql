-- 072_booking_guest_count_known: a booking made on another channel takes its
-- guest counts (and rooms and total) from the PMS's reservation when the PMS
-- states them. When it does not, the row still needs adults >= 1, so this
-- says whether adults / children are the PMS's numbers or only a placeholder:
-- FALSE for such a booking, whose events then carry no guest counts. Our own
-- checkout's bookings always know theirs.
ALTER TABLE booking ADD COLUMN guest_count_known BOOLEAN NOT NULL DEFAULT TRUE AFTER rooms;
