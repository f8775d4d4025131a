/*
 * toss_webhook.h — POST /api/webhooks/payment/toss: Toss Payments'
 * webhooks (PAYMENT_STATUS_CHANGED, CANCEL_STATUS_CHANGED).
 *
 * Toss does not sign payment webhooks, so the body is only a hint: the
 * payment it names is fetched again from Toss (GET /v1/payments/{paymentKey})
 * and only that answer is acted on. Deliveries are de-duplicated by
 * tosspayments-webhook-transmission-id (received_messages, consumer
 * "toss-webhook"), recorded in the same transaction as what they changed.
 *
 * What a re-fetched payment changes:
 *   - CANCELED while our booking is confirmed (cancelled in Toss' merchant
 *     console, or by Toss): the booking is cancelled — the guest has their
 *     money back, so the room is given back too: booking.cancelled with
 *     "cancelledBy":"payment_provider" and how the money went back, the PMS
 *     reservation cancelled by the compensation worker;
 *   - PARTIAL_CANCELED while confirmed (part refunded at Toss): flagged, not
 *     cancelled — a step-log row (step payment_changed_at_provider, detail
 *     "flagged: ...") and a warning for an operator to decide;
 *   - DONE while our booking failed (an approval our compensation missed):
 *     the void is requested again from the compensation worker;
 *   - anything else, or a payment that is not ours: nothing.
 * Answers 200 once handled (or nothing to do), 400 for a body that is not a
 * Toss webhook, 503 when Toss or the database could not be asked (Toss then
 * delivers again).
 *
 * Thread-safety: handlers run concurrently; app is shared read-only.
 */
#ifndef BOOKING_TOSS_WEBHOOK_H
#define BOOKING_TOSS_WEBHOOK_H

#include "booking.h"
#include "common/http_server.h"

#define TOSS_WEBHOOK_PATH "/api/webhooks/payment/toss"
#define TOSS_WEBHOOK_CONSUMER_ID "toss-webhook"

int toss_webhook_handle(http_request_t *req, void *app);

#endif /* BOOKING_TOSS_WEBHOOK_H */
