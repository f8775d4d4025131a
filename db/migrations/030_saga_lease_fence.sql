-- 030_saga_lease_fence: a counter every write of the lease holder bumps.
-- The holder's writes are conditional on locked_by (a process that lost its
-- lease, paused or partitioned, changes nothing); bumping this column makes
-- such a write always change its row, so "0 rows affected" means exactly
-- "the lease is someone else's", never "the same values were written again
-- within the same millisecond".
ALTER TABLE saga_instance ADD COLUMN fence BIGINT UNSIGNED NOT NULL DEFAULT 0 AFTER locked_until;
