/*
 * saga_internal.h — what saga.c (the forward steps), saga_compensation.c
 * (compensation in reverse) and saga_recovery.c (resuming after a crash)
 * share: one saga run and the helpers that record its steps. Not for other
 * modules.
 */
#ifndef BOOKING_SAGA_INTERNAL_H
#define BOOKING_SAGA_INTERNAL_H

#include "booking.h"
#include "inventory_client.h"
#include "saga.h"
#include "store.h"

#define SAGA_NOTES_MAX 8

/* One drive of one saga by this thread. */
/* The booking row's columns a step boundary may change ("" = NULL). */
typedef struct saga_booking_row {
    char status[16];
    char hold_id[PMS_ID_MAX + 1];
    int64_t hold_expires_at_ms;
    char payment_auth_id[PAY_ID_MAX];
    char payment_status[32];
    char reservation_id[PMS_ID_MAX + 1];
    char confirmation_number[PMS_ID_MAX + 1];
    char error_code[BOOKING_CODE_MAX];
    char error_message[BOOKING_MESSAGE_MAX];
} saga_booking_row_t;

typedef struct saga_run {
    booking_app_t *app;
    booking_record_t rec;
    store_step_flags_t flags;
    const char *card_token; /* NULL when not known (recovery without it) */
    const booking_request_t *rq; /* the checkout's request; NULL in recovery */
    char card_token_buf[256];
    char owner[96]; /* lease owner of this drive: "<instance>/<random>" */
    bool lease_lost;
    bool finished;            /* the last write ended the lease (saga completed) */
    bool capture_scheduled;   /* the capture is the gateway's own automatic acquisition */
    int64_t lease_written_ms; /* monotonic: when our last write renewing the lease was sent */
    inventory_stay_t stay;    /* what inventory-svc said of the stay (step 1) */
    /* Guests the room type's rate includes (0 = not stated): a party
     * beyond them is priced by the PMS for its occupancy (amount_check). */
    int adults_included, children_included;
    bool party_priced; /* stay.price is the PMS's price of the stay for the party */
    saga_result_t *out;
    const char *idem_key; /* the checkout's Idempotency-Key, NULL without one */
    /* Step log rows not yet written: they go with the next write (the checks
     * before the booking exists ride along with its first transaction). */
    store_step_row_t notes[SAGA_NOTES_MAX];
    char note_details[SAGA_NOTES_MAX][BOOKING_MESSAGE_MAX];
    size_t note_count;
    /* The step whose "started" row the last write recorded with the previous
     * step's outcome (one transaction per step boundary), "" when none. */
    char started[32];
    /* A check that failed before the booking was written: failed once it is.
     * Copied, since a check's verdict lives in its own frame. */
    char early_code[48], early_field[64];
    char early_message[BOOKING_MESSAGE_MAX];
    /* The booking row as this drive last wrote it (written_known): a step
     * boundary that changes none of its columns leaves the row alone, and
     * the boundary's conditional write is then saga_instance's alone. */
    saga_booking_row_t written;
    bool written_known;
} saga_run_t;

/* Retry-After when the PMS could not be asked: its budget spent (the queue
 * gives the exact wait when it knows it) or its breaker open (half-open
 * comes after 60 s). Rivals' outcomes are polled every SAGA_RIVAL_POLL_MS
 * plus jitter. */
#define SAGA_RETRY_AFTER_BUSY_S 5
#define SAGA_RETRY_AFTER_UNAVAILABLE_S 30
#define SAGA_RIVAL_POLL_MS 200

/* Records one step outcome in one transaction: the booking row (when
 * update_booking), the step log, saga_instance (state may be NULL = keep;
 * current_step = step), and the event `event_suffix` ("held" →
 * lodging.booking.held; NULL = none) — after checking this process still
 * holds the lease. 0, or -1 (DB error or lease lost: run->lease_lost). */
int saga_record(saga_run_t *run, const char *step, const char *outcome, const char *detail,
                bool update_booking, const char *state, const char *event_suffix);

/* saga_record, plus "next_step started" in the same transaction when
 * next_step is not NULL (the step boundary: the next step's saga_step_start
 * then writes nothing), and when finish, the end of the drive: the lease
 * released, the saga data (the sealed card token) cleared and the
 * Idempotency-Key's response (run->out, status 200) stored. */
int saga_record_next(saga_run_t *run, const char *step, const char *outcome, const char *detail,
                     bool update_booking, const char *state, const char *event_suffix,
                     const char *next_step, bool finish);

/* Records "step started" before its vendor call, unless the previous step's
 * outcome already did (saga_record_next). 0 or -1. */
int saga_step_start(saga_run_t *run, const char *step);

/* Whether this drive's lease surely still holds, by our own clock: renewed
 * (by a write of the drive or the lease keeper) less than two thirds of a
 * lease ago. */
bool saga_lease_fresh(saga_run_t *run);

/* Keeps a step log row for the next write (before the booking exists). */
void saga_note(saga_run_t *run, const char *step, const char *outcome, const char *detail);

/* Appends lodging.booking.<suffix> for rec to the outbox in tx. 0 or -1. */
int saga_append_event(db_t *tx, const booking_record_t *rec, const char *suffix,
                      struct json_object *extra);

/* Test-only crash point (BOOKING_TEST_CRASH_AFTER): SIGKILLs the process. */
void saga_crash_point(const saga_run_t *run, const char *step);

/* Compensates everything the saga did (saga_compensation.c). Returns 0 when
 * every action completed or was handed to the worker (*pending set), 1 when
 * the state could not be determined now (retry later). */
int saga_compensate(saga_run_t *run, size_t *pending);

/* Capture, retry_capture, then cancel + void on failure; then finish.
 * 0 captured and finished, -1 failed (out filled, compensated). */
int saga_capture_and_finish(saga_run_t *run);

/* Marks the saga failed with code/message, compensates and writes the final
 * state (booking failed, booking.failed, booking.compensated when nothing is
 * pending). Fills run->out. */
void saga_fail(saga_run_t *run, const char *code, const char *message);

/* The lease owner renews/cleans up at the end. */
void saga_finish_lease(saga_run_t *run);

/* Registers / forgets a drive of a saga by this process (its lease is then
 * renewed by the lease keeper: saga_active_keep_leases). */
void saga_active_add(struct saga_active *a, const char *id, const char *owner);
void saga_active_remove(struct saga_active *a, const char *id);

/* {"kind":"void"|"refund","amount","currency"} when the booking's money went
 * back (payment_status voided / refunded), else NULL. Caller puts. */
struct json_object *saga_payment_returned(const booking_record_t *rec);

/* The pre-authorisation request of run's booking under `key` (saga.c). */
pay_preauth_request_t saga_preauth_request(const saga_run_t *run, const char *key);

/* The payment connector of this booking's provider (payment_route.h). */
payment_connector_t *saga_pay(const saga_run_t *run);

/* Saga metrics. */
void saga_count_hold(const char *outcome);
void saga_observe_step(const char *step, int64_t started_ms);

/* Redis hold:{holdId} record, expiring with the hold; best effort. */
void saga_hold_record_set(saga_run_t *run);
void saga_hold_record_del(saga_run_t *run);

#endif /* BOOKING_SAGA_INTERNAL_H */
