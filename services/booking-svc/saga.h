/*
 * saga.h — the checkout saga: inventory check, amount check, PMS
 * hold, payment pre-authorisation, PMS confirm, capture, cache decrement —
 * each step recorded in MariaDB before the next begins, one booking.* event
 * per state change through the outbox, and compensation in reverse on failure
 * (release the hold, void the pre-authorisation; after a confirm: retry the
 * capture, then cancel the reservation and void or refund). A compensation
 * that cannot complete now becomes a booking.compensations command
 * (compensation_request) that the worker retries until done; the worker tells
 * us through saga_compensation_done.
 *
 * Usage:
 *     saga_result_t res;
 *     saga_checkout(app, &request, &res);          // blocks until the saga ends
 *     saga_result_status(&res) → HTTP status; saga_result_json(&res) → body
 *     saga_recover(app, "bk_...", &res);            // recovery.c, holding the saga's lease
 *
 * Thread-safety: every call runs on the caller's thread with connections from
 * the app's pool; a saga is driven by one thread at a time (the lease in
 * saga_instance). Ownership: results are plain structs of the caller.
 */
#ifndef BOOKING_SAGA_H
#define BOOKING_SAGA_H

#include <json-c/json.h>

#include "booking.h"
#include "common/db.h"

typedef struct saga_result {
    bool success;
    bool retry_later; /* recovery only: the outcome is not known yet (vendor down) */
    char booking_id[BOOKING_ID_MAX];
    char confirmation_number[PMS_ID_MAX + 1];
    char error_code[BOOKING_CODE_MAX];
    char message[BOOKING_MESSAGE_MAX];
    char field[64];         /* VALIDATION_ERROR only */
    char payment_error[40]; /* payment failures: our code for the cause ("INSUFFICIENT_FUNDS") */
    int retry_after_s;      /* > 0: the failure is worth retrying after this long (Retry-After) */
    bool response_stored;   /* the Idempotency-Key's response was stored with the last write */
    /* success: the cancellation policy booked under (JSON with its
     * description, cancel_policy.h); "" = none */
    char cancellation_policy[1024];
} saga_result_t;

/* Runs a checkout for a validated request under a new booking id (written
 * into out->booking_id as soon as it exists, before the saga runs: idem_key,
 * when not NULL, is attached to it so recovery can complete it). */
void saga_checkout(booking_app_t *app, const booking_request_t *rq, const char *idem_key,
                   saga_result_t *out);

/* Drives a saga left mid-way (its lease taken by the caller) to its end:
 * resumed when the PMS has the booking confirmed and the payment can be
 * captured, compensated otherwise. A hold that lapsed is never confirmed.
 * 0 done (out says how), 1 try again later, -1 error. */
int saga_recover(booking_app_t *app, const char *booking_id, const char *owner, saga_result_t *out);

/* A lease owner name for one drive of a saga ("<instance>/<random>"). */
void saga_new_owner(const booking_app_t *app, char *out, size_t size);

/* The sagas this process drives right now, so its own recovery never takes
 * one over while a request thread still runs it (thread-safe). */
struct saga_active *saga_active_new(void);
void saga_active_free(struct saga_active *a); /* stops the lease keeper first */
bool saga_active_contains(struct saga_active *a, const char *booking_id);

/* Starts a thread renewing the lease of every saga this process drives each
 * lease_s / 3 seconds (at least every second). A drive may wait longer than
 * one lease — in the hotel's PMS queue, or for a rival checkout holding the
 * last room — and another replica must not take over a saga whose driver is
 * alive; a process that dies (or stops) stops renewing, so its sagas are
 * still taken over one lease after. 0, or -1. */
int saga_active_keep_leases(struct saga_active *a, db_pool_t *db, int lease_s);

/* compensation_done_fn (compensation.h): ctx is the booking_app_t. */
int saga_compensation_done(void *ctx, db_t *db, const char *booking_id, const char *action);

/* HTTP status of a result per proto/openapi.yaml (200, 400, 402, 409, 503, 500). */
int saga_error_status(const char *error_code);
int saga_result_status(const saga_result_t *r);
/* The response body: {"success":true,"bookingId","confirmationNumber"} or the
 * Error shape. Caller puts. */
struct json_object *saga_result_json(const saga_result_t *r);

/* booking_saga_outcomes_total{code}. */
void saga_count_outcome(const char *code);

/* The booking.* event data for rec (booking.schema.json; never PII). Caller puts. */
struct json_object *saga_event_data(const booking_record_t *rec);

#endif /* BOOKING_SAGA_H */
