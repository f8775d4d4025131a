-- 031_saga_advance: one step boundary of the checkout saga as one round trip.
-- booking-svc used to send five statements per boundary (begin; the lease
-- holder's conditional write of saga_instance and booking; the step log
-- rows; the outbox event; commit). The same transaction, statement for
-- statement, runs here on the server: the conditional write comes first and
-- its 0 rows (the lease is another drive's: saga_instance.fence makes every
-- write of the holder change its row) rolls everything back with
-- SQLSTATE 45000 'saga lease lost'; any error rolls back and is re-raised
-- unchanged (a deadlock stays a deadlock for the caller).
--   p_finish: the drive's end — the lease ends (locked_until = now) and the
--             sealed card token (data) is cleared.
--   p_update_booking: the booking row's mutable fields are set too.
--   p_step1..3: step log rows in order (NULL step = none).
--   p_event_id: the outbox row (NULL = none), aggregate = the booking.
--   p_idem_key: the Idempotency-Key whose answer is stored (NULL = none).
-- The text parameters carry the tables' collation explicitly: a database
-- created with another default must not make them incomparable.

DELIMITER //
CREATE PROCEDURE saga_advance(
  IN p_booking_id VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_owner VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_lease_s INT,
  IN p_state VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_current_step VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_finish BOOLEAN,
  IN p_update_booking BOOLEAN,
  IN p_status VARCHAR(16) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_hold_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_hold_expires_at DATETIME(3),
  IN p_payment_auth_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_payment_status VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_reservation_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_confirmation_number VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_error_code VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_error_message VARCHAR(512) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_step1 VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_outcome1 VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_detail1 VARCHAR(512) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_step2 VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_outcome2 VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_detail2 VARCHAR(512) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_step3 VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_outcome3 VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_detail3 VARCHAR(512) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_event_id CHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_aggregate_type VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_topic VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_event_type VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_payload LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_idem_scope VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_idem_key VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_idem_status SMALLINT,
  IN p_idem_body MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
MODIFIES SQL DATA
BEGIN
  DECLARE EXIT HANDLER FOR SQLEXCEPTION
  BEGIN
    ROLLBACK;
    RESIGNAL;
  END;
  START TRANSACTION;
  IF p_update_booking THEN
    UPDATE saga_instance s JOIN booking b ON b.booking_id = s.booking_id
       SET s.fence = s.fence + 1,
           s.compensating = (COALESCE(p_state, s.state) IN ('compensating', 'compensation_pending')),
           s.state = COALESCE(p_state, s.state),
           s.current_step = COALESCE(p_current_step, s.current_step),
           s.locked_until = IF(p_finish, NOW(3), NOW(3) + INTERVAL p_lease_s SECOND),
           s.data = IF(p_finish, NULL, s.data),
           b.status = p_status, b.hold_id = p_hold_id, b.hold_expires_at = p_hold_expires_at,
           b.payment_auth_id = p_payment_auth_id, b.payment_status = p_payment_status,
           b.reservation_id = p_reservation_id, b.confirmation_number = p_confirmation_number,
           b.error_code = p_error_code, b.error_message = p_error_message
     WHERE s.booking_id = p_booking_id AND s.locked_by = p_owner;
  ELSE
    UPDATE saga_instance s
       SET s.fence = s.fence + 1,
           s.compensating = (COALESCE(p_state, s.state) IN ('compensating', 'compensation_pending')),
           s.state = COALESCE(p_state, s.state),
           s.current_step = COALESCE(p_current_step, s.current_step),
           s.locked_until = IF(p_finish, NOW(3), NOW(3) + INTERVAL p_lease_s SECOND),
           s.data = IF(p_finish, NULL, s.data)
     WHERE s.booking_id = p_booking_id AND s.locked_by = p_owner;
  END IF;
  IF ROW_COUNT() = 0 THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'saga lease lost';
  END IF;
  IF p_step1 IS NOT NULL THEN
    INSERT INTO saga_step_log (booking_id, step, outcome, detail)
    VALUES (p_booking_id, p_step1, p_outcome1, p_detail1);
  END IF;
  IF p_step2 IS NOT NULL THEN
    INSERT INTO saga_step_log (booking_id, step, outcome, detail)
    VALUES (p_booking_id, p_step2, p_outcome2, p_detail2);
  END IF;
  IF p_step3 IS NOT NULL THEN
    INSERT INTO saga_step_log (booking_id, step, outcome, detail)
    VALUES (p_booking_id, p_step3, p_outcome3, p_detail3);
  END IF;
  IF p_event_id IS NOT NULL THEN
    INSERT INTO outbox (event_id, aggregate_type, aggregate_id, topic, event_type, payload)
    VALUES (p_event_id, p_aggregate_type, p_booking_id, p_topic, p_event_type, p_payload);
  END IF;
  IF p_idem_key IS NOT NULL THEN
    UPDATE idempotency_keys
       SET state = 'completed', response_status = p_idem_status, response_body = p_idem_body
     WHERE scope = p_idem_scope AND idem_key = p_idem_key;
  END IF;
  COMMIT;
END//
DELIMITER ;
