-- 073_saga_open: a checkout's first write as one round trip.
-- booking-svc used to send eight statements for it (begin; the booking; its
-- saga instance with the lease; the payment route; the step rows; the
-- Idempotency-Key's booking; the 'requested' outbox event; commit). The same
-- transaction, statement for statement and in the same order, runs here on
-- the server; any error rolls everything back and is re-raised unchanged
-- (a deadlock stays a deadlock for the caller), except one:
--   the payment route's (provider, order_id) already taken by another
--   booking (one payment window's result must never pay for two) is
--   SQLSTATE 45000 'payment order id taken', so the caller can tell it from
--   a duplicate anywhere else.
--   p_steps: the step rows in order, a JSON array of objects
--            {"step": …, "outcome": …, "detail": …} ("detail" absent = NULL).
--   p_idem_key: the Idempotency-Key whose row names the booking (NULL = none).
-- Money, dates and counts arrive as text, as the single statements sent them,
-- and are converted by the INSERT the same way.

DELIMITER //
CREATE PROCEDURE saga_open(
  IN p_booking_id VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_vendor VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_hotel_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_room_type_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_check_in VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_check_out VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_adults INT,
  IN p_children INT,
  IN p_total_price VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_currency VARCHAR(3) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_guest_enc VARBINARY(4096),
  IN p_token_hash VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_rate_plan_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_rooms INT,
  IN p_cancel_policy LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_tax_amount VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_tax_free_amount VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_current_step VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_data LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_owner VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_lease_s INT,
  IN p_provider VARCHAR(16) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_order_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_steps LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_idem_scope VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_idem_key VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_event_id CHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_aggregate_type VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_topic VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_event_type VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_payload LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
MODIFIES SQL DATA
BEGIN
  DECLARE EXIT HANDLER FOR SQLEXCEPTION
  BEGIN
    ROLLBACK;
    RESIGNAL;
  END;
  START TRANSACTION;
  INSERT INTO booking (booking_id, vendor, hotel_id, room_type_id, check_in, check_out, adults,
                       children, status, total_price, currency, guest_enc, token_hash,
                       rate_plan_id, rooms, cancel_policy, tax_amount, tax_free_amount)
  VALUES (p_booking_id, p_vendor, p_hotel_id, p_room_type_id, p_check_in, p_check_out, p_adults,
          p_children, 'pending', p_total_price, p_currency, p_guest_enc, p_token_hash,
          p_rate_plan_id, p_rooms, p_cancel_policy, p_tax_amount, p_tax_free_amount);
  INSERT INTO saga_instance (booking_id, saga_type, state, current_step, data, locked_by,
                             locked_until)
  VALUES (p_booking_id, 'checkout', 'running', p_current_step, p_data, p_owner,
          NOW(3) + INTERVAL p_lease_s SECOND);
  BEGIN
    DECLARE EXIT HANDLER FOR 1062
      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'payment order id taken';
    INSERT INTO booking_payment (booking_id, provider, order_id)
    VALUES (p_booking_id, p_provider, p_order_id);
  END;
  IF p_steps IS NOT NULL THEN
    INSERT INTO saga_step_log (booking_id, step, outcome, detail)
    SELECT p_booking_id, j.step, j.outcome, j.detail
      FROM JSON_TABLE(p_steps, '$[*]' COLUMNS (
             n FOR ORDINALITY,
             step VARCHAR(32) PATH '$.step' ERROR ON EMPTY,
             outcome VARCHAR(32) PATH '$.outcome' ERROR ON EMPTY,
             detail VARCHAR(512) PATH '$.detail')) AS j
     ORDER BY j.n;
  END IF;
  IF p_idem_key IS NOT NULL THEN
    UPDATE idempotency_keys SET booking_id = p_booking_id
     WHERE scope = p_idem_scope AND idem_key = p_idem_key;
  END IF;
  IF p_event_id IS NOT NULL THEN
    INSERT INTO outbox (event_id, aggregate_type, aggregate_id, topic, event_type, payload)
    VALUES (p_event_id, p_aggregate_type, p_booking_id, p_topic, p_event_type, p_payload);
  END IF;
  COMMIT;
END//
DELIMITER ;
