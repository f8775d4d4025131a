-- 071_outbox_event_id: an outbox row may carry an event whose CloudEvents id
-- is derived from what it reports rather than a fresh UUID — a PMS change
-- read from a vendor's queue ("pmsfeed-" + SHA-256) or seen by polling
-- ("pmswatch:<vendor>:<reservation>:cancelled") — so that a change written
-- twice is one row (the unique key) and consumers de-duplicate it by id.
-- Such ids are longer than a UUID.
ALTER TABLE outbox MODIFY event_id VARCHAR(160) NOT NULL;
