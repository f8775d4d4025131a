/*
 * ts_reconcile.h — the three ledgers of a booking agree exactly: the PMS
 * sandbox's reservations, booking-svc's booking table, and the payment
 * sandbox's payment intents (nothing is left open silently).
 *
 *     char report[4096];
 *     ck_assert_msg(ts_reconcile(&pms, &pay, db_url, report, sizeof report), "%s", report);
 *
 * Checks, for every booking of the database and every reservation / payment
 * of the two sandboxes:
 *   - a PMS reservation whose thirdPartyIdentifier is a booking id is
 *     confirmed  ⇔  that booking is confirmed with that reservation_id;
 *   - no open hold (not_confirmed, not yet expired) belongs to a final
 *     booking (confirmed, cancelled, failed) or to no booking at all;
 *   - a captured payment (not fully refunded)  ⇔  a confirmed booking with
 *     the same amount and currency;
 *   - no payment is left in requires_capture (an open pre-authorisation) for
 *     a final booking or for no booking at all.
 * Payments are matched to bookings by booking.payment_auth_id, else by the
 * bookingId metadata. Bookings paid through Toss Payments (booking_payment)
 * are checked against the toss-sandbox instead (ts_reconcile_with_toss): an
 * approval keeps money (DONE / PARTIAL_CANCELED with a balance) only for a
 * confirmed booking of the same amount (matched by paymentKey, else by
 * orderId) — any other approval is one left behind — and every confirmed
 * Toss booking has its approval standing in full. Every mismatch is
 * described in `report` (one per line).
 *
 * Uses check's assertions for the sandbox requests: call it inside tests.
 * Thread-safety: none needed (one test thread). Ownership: nothing retained.
 */
#ifndef TS_RECONCILE_H
#define TS_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>

#include "ts_sandbox.h"

/* True when the ledgers agree; otherwise false with every mismatch in report
 * ("" when they agree). A database that cannot be read is a mismatch too. */
bool ts_reconcile(ts_sandbox_t *pms, ts_sandbox_t *pay, const char *mysql_url, char *report,
                  size_t size);

/* The same, with the Toss ledger too (toss NULL: Toss bookings are skipped). */
bool ts_reconcile_with_toss(ts_sandbox_t *pms, ts_sandbox_t *pay, ts_sandbox_t *toss,
                            const char *mysql_url, char *report, size_t size);

#endif /* TS_RECONCILE_H */
