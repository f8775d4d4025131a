-- 020_booking_payment: which payment provider (gateway) took a booking's
-- money, and what the guest paid with. One row per booking, written in the
-- transaction that creates the booking; bookings made before this migration
-- have none and were paid through Stripe.
--
-- order_id is our order id at the provider (Toss' orderId, 6..64 of
-- A-Za-z0-9_-): unique per provider, so one payment window's result can
-- never pay for two bookings. method / easy_pay are the provider's words
-- ("CARD", "EASY_PAY" / "토스페이") once the payment is approved.
CREATE TABLE booking_payment (
  booking_id       VARCHAR(40) NOT NULL PRIMARY KEY,
  provider         VARCHAR(16) NOT NULL,
  order_id         VARCHAR(64) NULL,
  method           VARCHAR(32) NULL,
  easy_pay         VARCHAR(32) NULL,
  created_at       DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at       DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  UNIQUE KEY uq_booking_payment_order (provider, order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
