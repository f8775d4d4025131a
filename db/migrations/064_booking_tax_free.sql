-- 064_booking_tax_free: the part of total_price that is tax-free (fees the
-- hotel's PMS charges no tax on), as the checkout worked it out from the
-- PMS's taxes and fees: what a payment provider that splits taxable from
-- tax-free is told (Toss' taxFreeAmount). NULL for bookings made before,
-- and for a checkout whose taxes and fees were not known fresh.
ALTER TABLE booking ADD COLUMN tax_free_amount DECIMAL(15,2) NULL AFTER tax_amount;
