-- 063_booking_tax: the part of total_price that is tax (VAT and the like, in
-- the booking's currency), as the hotel's PMS stated it when the guest paid:
-- total_price is the all-in amount, taxes and fees in. NULL for bookings made
-- before, and for a checkout whose nightly taxes were not known fresh.
ALTER TABLE booking ADD COLUMN tax_amount DECIMAL(15,2) NULL AFTER total_price;
