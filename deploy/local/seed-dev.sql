-- Local development data for `make run` (never applied by the tests, which
-- create their own databases): the demo hotels of pms-sandbox (Cloudbeds) and
-- opera-sandbox (OPERA Cloud, no webhooks: polled every 2 minutes), so the poller has
-- schedules to run and the services know the hotels. Their API keys come from
-- the environment (PMS_<hotelId>_API_KEY, set by deploy/local/stack), so
-- api_key_enc stays empty. Idempotent: re-running changes nothing.
INSERT IGNORE INTO pms_config (vendor, hotel_id, polling_enabled, polling_interval_seconds,
                               webhooks_enabled)
VALUES ('cloudbeds', 'hotel_123', TRUE, 300, TRUE),
       ('cloudbeds', 'hotel_busan', TRUE, 300, TRUE),
       ('cloudbeds', 'hotel_tokyo', TRUE, 300, TRUE),
       ('cloudbeds', 'hotel_nyc', TRUE, 300, TRUE),
       ('cloudbeds', 'hotel_gangnam', TRUE, 300, TRUE),
       ('opera', 'opera_jeju', TRUE, 120, FALSE);
