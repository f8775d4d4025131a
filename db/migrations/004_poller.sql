-- 004_poller: what the poller needs beyond pms_config's schedule columns
-- (SPEC §6): why a hotel's polling stopped, the job whose result is awaited,
-- and one row per emitted sync job so a redelivered sync.results event is
-- counted once. Written only by the poller.

-- stopped_reason: NULL while polling, 'manual' after POST .../stop,
-- 'consecutive_failures' after POLLER_MAX_FAILURES failed syncs in a row.
ALTER TABLE pms_config
  ADD COLUMN stopped_reason VARCHAR(32) NULL AFTER error_count,
  ADD COLUMN last_job_id VARCHAR(64) NULL AFTER stopped_reason;

-- A sync job and its outcome. A result for a job the poller never emitted
-- (another producer of sync.jobs) gets a row when it arrives, with
-- reason 'external'; a second result for the same job is a redelivery.
CREATE TABLE poller_job (
  job_id        VARCHAR(64) NOT NULL PRIMARY KEY,
  vendor        VARCHAR(32) NOT NULL,
  hotel_id      VARCHAR(64) NOT NULL,
  reason        VARCHAR(16) NOT NULL,
  requested_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  outcome       ENUM('succeeded','failed') NULL,
  finished_at   DATETIME(3) NULL,
  KEY ix_poller_job_hotel (vendor, hotel_id, requested_at),
  KEY ix_poller_job_requested (requested_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
