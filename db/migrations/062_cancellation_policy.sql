-- 062_cancellation_policy: each rate plan's cancellation policy (Cloudbeds'
-- API does not publish one, so the hotel's policy is configured here; OPERA
-- publishes cancellationPolicies[] with its rate plans), and what a cancel
-- took and gave back.
--   policy: {"type":"non_refundable"} or {"type":"free_until","hoursBefore":72,
--           "fee":"first_night"|"percent"|"full","percent":50,"timeZone":"Asia/Seoul"}
--   rate_plan_id: the PMS's plan id (Cloudbeds rateID); '*' = the hotel's
--   policy for every plan without its own.
CREATE TABLE cancellation_policy (
  vendor        VARCHAR(32) NOT NULL,
  hotel_id      VARCHAR(64) NOT NULL,
  rate_plan_id  VARCHAR(64) NOT NULL,
  policy        JSON NOT NULL,
  updated_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (vendor, hotel_id, rate_plan_id),
  CONSTRAINT ck_cancellation_policy_json CHECK (JSON_VALID(policy))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The policy the guest was shown at checkout (with the first night's price
-- it names), and a cancel's fee and refund (NULL until cancelled).
ALTER TABLE booking
  ADD COLUMN cancel_policy JSON NULL,
  ADD COLUMN cancel_fee DECIMAL(15,2) NULL,
  ADD COLUMN refunded_amount DECIMAL(15,2) NULL;
