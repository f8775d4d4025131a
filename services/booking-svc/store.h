/*
 * store.h — booking-svc's rows: booking, saga_instance (state and lease) and
 * saga_step_log (every step recorded before the next begins).
 * Plain SQL over one db_t; the caller decides the transaction (the saga puts a
 * step's row change and its outbox event in one).
 *
 * Usage:
 *     store_saga_open_call(db, &rec, &(store_open_t){.owner = owner, ...});
 *     store_saga_advance_call(db, &rec, &(store_advance_t){.owner = owner, ...});
 *     store_booking_load(db, "bk_...", &rec);
 *
 * Thread-safety: as db_t (one thread per connection). Ownership: records are
 * the caller's; lists are malloc'd and freed with their _free.
 */
#ifndef BOOKING_STORE_H
#define BOOKING_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "booking.h"

/* Writes every mutable column of the booking row from rec. 0 or -1. */
int store_booking_update(db_t *db, const booking_record_t *rec);
/* rec's cancel_fee and refunded_amount. 0 or -1. */
int store_booking_set_refund(db_t *db, const booking_record_t *rec);
/* The configured policy of a rate plan (its own, else the hotel's '*') into
 * out: 1 found, 0 none, -1 error. */
int store_cancel_policy_find(db_t *db, const char *vendor, const char *hotel_id,
                             const char *rate_plan_id, char *out, size_t size);

/* Loads a booking and its saga. 0, 1 when there is no such booking, -1 on error. */
int store_booking_load(db_t *db, const char *booking_id, booking_record_t *rec);

/* Appends a step log row. detail may be NULL. 0 or -1. */
int store_step(db_t *db, const char *booking_id, const char *step, const char *outcome,
               const char *detail);

/* Sets saga_instance state and current_step (NULL keeps it). 0 or -1. */
int store_saga_set(db_t *db, const char *booking_id, const char *state, const char *current_step);

/* Clears saga_instance.data (the encrypted card token) once it is no longer needed. */
int store_saga_clear_data(db_t *db, const char *booking_id);

/* saga_instance.data as text (malloc'd) or NULL. */
char *store_saga_data(db_t *db, const char *booking_id);

/* Step log rows written together (store_steps). */
#define STORE_STEPS_MAX 6
typedef struct store_step_row {
    const char *step;
    const char *outcome;
    const char *detail; /* may be NULL */
} store_step_row_t;

/* Appends count step log rows in one statement, in order. 0 or -1. */
int store_steps(db_t *db, const char *booking_id, const store_step_row_t *rows, size_t count);

/* One conditional write of the lease holder: renews owner's lease on rec's
 * saga (ends it and clears saga data when finish), sets state (NULL keeps)
 * and current_step (NULL keeps), and the booking row's mutable fields from
 * rec when update_booking. 1 done, 0 the lease is another's (nothing
 * written), -1 error. */
int store_saga_advance(db_t *db, const booking_record_t *rec, const char *owner, int lease_s,
                       const char *state, const char *current_step, bool update_booking,
                       bool finish);

/* One step boundary in one round trip (the saga_advance procedure, one
 * transaction on the server): store_saga_advance, the step rows (at most
 * STORE_ADVANCE_STEPS), the outbox event (when event_payload is set) and the
 * Idempotency-Key's answer (when idem_key is set). 1 done, 0 the lease is
 * another's (nothing written), -1 error (nothing written). */
#define STORE_ADVANCE_STEPS 3
typedef struct store_advance {
    const char *owner;
    int lease_s;
    const char *state, *current_step; /* NULL keeps */
    bool update_booking, finish;
    const store_step_row_t *rows;
    size_t row_count;
    const char *event_id, *aggregate_type, *topic, *event_type, *event_payload;
    const char *idem_scope, *idem_key, *idem_body;
    int idem_status;
} store_advance_t;
int store_saga_advance_call(db_t *db, const booking_record_t *rec, const store_advance_t *a);

/* A checkout's first write in one round trip (the saga_open procedure, one
 * transaction on the server): the booking row from rec (guest_enc sealed),
 * its saga instance leased to owner, the payment route, the step rows, the
 * Idempotency-Key's booking (when idem_key is set) and the outbox event
 * (when event_payload is set). 0 done, 1 the payment route's order id
 * already pays for another booking, -1 error; nothing is written unless 0. */
typedef struct store_open {
    const uint8_t *guest_enc;
    size_t guest_len;
    const char *saga_data, *owner;
    int lease_s;
    const char *provider, *order_id;
    const store_step_row_t *rows;
    size_t row_count;
    const char *idem_scope, *idem_key;
    const char *event_id, *aggregate_type, *topic, *event_type, *event_payload;
} store_open_t;
int store_saga_open_call(db_t *db, const booking_record_t *rec, const store_open_t *o);

/* Extends the lease when owner still holds it and it has neither ended
 * nor lapsed: 1 held, 0 lost (or ended), -1 error. */
int store_lease_renew(db_t *db, const char *booking_id, const char *owner, int lease_s);
/* Takes the lease when it is free, ended or lapsed (an ended lease is free
 * within the same millisecond): 1 taken, 0 held by another, -1 error. */
int store_lease_take(db_t *db, const char *booking_id, const char *owner, int lease_s);
/* Gives the lease up (locked_until = now). */
int store_lease_release(db_t *db, const char *booking_id, const char *owner);

/* Per step name: whether it was started / succeeded (forward steps) — from the log. */
typedef struct store_step_flags {
    bool hold_started, hold_succeeded;
    /* the hold request may have taken effect without our knowing: no result
     * recorded, or it failed with no answer from the PMS ("in doubt: ...") */
    bool hold_in_doubt;
    bool preauth_started, preauth_succeeded;
    bool confirm_started, confirm_succeeded;
    bool capture_started, capture_succeeded;
} store_step_flags_t;
int store_step_flags(db_t *db, const char *booking_id, store_step_flags_t *out);

/* Compensation actions whose latest outcome is compensation_failed (still
 * pending) and those that completed (compensated); comma-free action names
 * written into the arrays (at most max each). 0 or -1. */
#define STORE_MAX_ACTIONS 8
typedef struct store_compensations {
    size_t pending_count, done_count;
    char pending[STORE_MAX_ACTIONS][32];
    char done[STORE_MAX_ACTIONS][32];
} store_compensations_t;
int store_compensations(db_t *db, const char *booking_id, store_compensations_t *out);

/* Bookings whose saga is running or compensating and whose lease lapsed
 * (oldest first, at most max). Returns how many (written into ids), or -1. */
int store_due_sagas(db_t *db, char ids[][BOOKING_ID_MAX], int max);

/* Checkouts other than rec's that hold rooms of rec's room type on a night of
 * its stay right now: pending with a hold. Up to max booking ids into ids;
 * the count, or -1. */
#define STORE_RIVALS_MAX 16
int store_rival_holds(db_t *db, const booking_record_t *rec, char ids[][BOOKING_ID_MAX], int max);

/* Of the bookings ids[0..n), how many are still pending (-1 on a DB error);
 * *released says whether one of them ended without keeping its rooms
 * (failed or cancelled), so a room it held may be free again. */
int store_rivals_pending(db_t *db, char ids[][BOOKING_ID_MAX], int n, bool *released);

/* The step log of a booking, oldest first, as a JSON array of
 * {step, outcome, detail?, at} (caller puts). NULL on error. */
struct json_object *store_steps_json(db_t *db, const char *booking_id);

/* Minor units of a DECIMAL text ("250000.00") in currency. 0 or -1. */
int store_amount_from_decimal(const char *text, const char *currency, int64_t *out);

#endif /* BOOKING_STORE_H */
