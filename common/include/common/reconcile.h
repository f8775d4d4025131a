/*
 * reconcile.h — the three ledgers of a hotel's bookings compared: the PMS's
 * reservations, our `booking` table and the payment gateway's payments, for
 * the stays whose check-in day is in a range. Every disagreement becomes a
 * mismatch with a kind, the ids on both sides, both sides' values and a
 * suggested action in words. The admin page, the lodging-reconcile CLI and
 * the end-to-end tests all run this one check.
 *
 *     reconcile_report_t rep;
 *     char why[256];
 *     reconcile_source_t src = {.hotel_id = "hotel_123", .from = d1, .to = d2,
 *                               .db = db, .pms = pms, .pay = pay};
 *     if (reconcile_run(&src, &rep, why, sizeof why) == RECONCILE_OK && rep.count > 0)
 *         reconcile_report_print(&rep, stdout);
 *     reconcile_report_free(&rep);
 *
 * It reads through the vendors' own APIs (the connectors of pms.h and
 * payment.h), so it works the same against the real vendors and the local
 * sandboxes. The PMS is listed by check-in range (pms_list_reservations),
 * then each confirmed reservation of ours is read for its total; payments
 * are read one by one from the bookings' payment_auth_id (payment_get),
 * through the connector of each booking's provider (booking_payment: Stripe
 * or Toss Payments; a Toss approval not acquired yet counts as captured under
 * automatic acquisition, and is checked to be acquired a day later). A
 * payment whose booking we never recorded cannot be found this way: the
 * gateway has no cheap "list by booking", so such a payment is only seen
 * from the gateway's own dashboard.
 *
 * Pending bookings are checkouts in flight (or stuck, which the saga's
 * recovery handles): their holds and pre-authorisations are not mismatches.
 *
 * reconcile_compare is the pure part (no I/O), for unit tests and for
 * callers that gathered the ledgers themselves.
 * Thread-safety: none kept; one report per call. Ownership: a report owns
 * its items; free it with reconcile_report_free. Card data, guest contact
 * details and keys are never read into a report.
 */
#ifndef COMMON_RECONCILE_H
#define COMMON_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "common/dates.h"
#include "common/db.h"
#include "common/payment.h"
#include "common/pms.h"

#define RECONCILE_VALUE_MAX 96
#define RECONCILE_BOOKING_ID_MAX 48
/* Stays checked per run: a larger range is refused, to be split by the caller. */
#define RECONCILE_MAX_BOOKINGS 10000

typedef enum {
    RECONCILE_PMS_CONFIRMED_NOT_BOOKED = 0, /* a confirmed PMS reservation no booking has */
    RECONCILE_BOOKED_NOT_IN_PMS,            /* a confirmed booking whose reservation is absent */
    RECONCILE_STATUS_DIFFERS,               /* both exist; confirmed on one side only */
    RECONCILE_AMOUNT_DIFFERS,               /* booking total ≠ PMS total or captured amount */
    RECONCILE_CAPTURED_WITHOUT_BOOKING,     /* money kept for a cancelled / failed booking */
    RECONCILE_PREAUTH_OPEN,                 /* an authorisation left uncaptured, not voided */
    RECONCILE_HOLD_OPEN,                    /* a PMS hold of a finished or unknown booking */
    RECONCILE_PAYMENT_MISSING,              /* a confirmed booking without captured money */
    RECONCILE_ACQUISITION_OVERDUE, /* Toss: an approval still not acquired a day and more after */
    RECONCILE_KIND_COUNT
} reconcile_kind_t;

/* The stable name of a kind ("pms_confirmed_not_booked"); "unknown" otherwise. */
const char *reconcile_kind_name(reconcile_kind_t kind);

typedef struct reconcile_mismatch {
    reconcile_kind_t kind;
    char booking_id[RECONCILE_BOOKING_ID_MAX]; /* "" when none */
    char reservation_id[PMS_ID_MAX];           /* "" when none */
    char payment_id[PAY_ID_MAX];               /* "" when none */
    char ours[RECONCILE_VALUE_MAX];            /* our booking's side: "confirmed", "250000 KRW" */
    char theirs[RECONCILE_VALUE_MAX];          /* the vendor's side: "canceled", "absent" */
    const char *action;                        /* static text: what an operator should do */
} reconcile_mismatch_t;

typedef struct reconcile_report {
    char hotel_id[PMS_ID_MAX];
    dates_day_t from, to;                    /* check-in days, inclusive */
    size_t bookings, reservations, payments; /* how many of each were compared */
    reconcile_mismatch_t *items;
    size_t count;
} reconcile_report_t;

/* One row of the booking table, as the comparison needs it. */
typedef struct reconcile_booking {
    char booking_id[RECONCILE_BOOKING_ID_MAX];
    char status[16]; /* pending, confirmed, cancelled, failed */
    char reservation_id[PMS_ID_MAX];
    char payment_auth_id[PAY_ID_MAX];
    int64_t amount; /* minor units */
    char currency[4];
    dates_day_t check_in;
    /* cancelled: the fee its cancellation policy kept (booking.cancel_fee) —
     * money the gateway rightly still holds; 0 = none */
    int64_t cancel_fee;
    char provider[16]; /* the booking's payment provider ("stripe", "toss") */
} reconcile_booking_t;

/* The three ledgers, already read. payments are those found for the
 * bookings' payment_auth_id; a booking whose payment is not among them has
 * none at the gateway. A reservation's total may be PMS_TOTAL_UNKNOWN. */
typedef struct reconcile_input {
    const reconcile_booking_t *bookings;
    size_t booking_count;
    const pms_reservation_t *reservations;
    size_t reservation_count;
    const pay_payment_t *payments;
    size_t payment_count;
    /* Skip confirmed PMS reservations that carry no reference of ours (made
     * at the front desk or by another channel): they are not ours to book. */
    bool ignore_other_channels;
    /* Now (Unix seconds) for the acquisition check; 0 skips it. An approval
     * Toss acquires by itself (automatic acquisition: the next day) still
     * not acquired RECONCILE_ACQUISITION_GRACE_S after it was made is
     * RECONCILE_ACQUISITION_OVERDUE. */
    int64_t now_s;
} reconcile_input_t;

#define RECONCILE_ACQUISITION_GRACE_S (2 * 24 * 3600)

/* Compares the ledgers into *out (hotel and range left to the caller).
 * Returns 0, or -1 when out of memory (out then holds what was found). */
int reconcile_compare(const reconcile_input_t *in, reconcile_report_t *out);

typedef enum {
    RECONCILE_OK = 0,
    RECONCILE_ERR_INVALID, /* bad arguments; nothing was read */
    RECONCILE_ERR_DB,      /* the booking table could not be read */
    RECONCILE_ERR_PMS,     /* the PMS could not be read */
    RECONCILE_ERR_PAYMENT, /* the payment gateway could not be read */
    RECONCILE_ERR_MEMORY,
} reconcile_err_t;

/* Where reconcile_run reads from; every handle is borrowed. */
typedef struct reconcile_source {
    const char *hotel_id;
    dates_day_t from, to; /* check-in days, inclusive */
    db_t *db;
    pms_connector_t *pms;
    payment_connector_t *pay;   /* Stripe */
    payment_connector_t *toss;  /* Toss Payments; NULL: a Toss booking's payment cannot be read */
    bool ignore_other_channels; /* see reconcile_input_t */
} reconcile_source_t;

/* Reads the three ledgers and compares them into *out (always initialised;
 * free it even on failure). On an error, why says which ledger and why —
 * vendors' messages, never credentials. */
reconcile_err_t reconcile_run(const reconcile_source_t *src, reconcile_report_t *out, char *why,
                              size_t why_size);

/* The report as JSON: {"hotelId","from","to","checked":{...},"mismatches":[{kind,
 * bookingId,reservationId,paymentId,ours,theirs,action}]}. Caller owns it
 * (json_object_put); NULL when out of memory. */
struct json_object *reconcile_report_json(const reconcile_report_t *rep);

/* The report for humans: a summary line, then one block per mismatch. */
void reconcile_report_print(const reconcile_report_t *rep, FILE *out);

/* Frees the items; accepts NULL and a zeroed report. */
void reconcile_report_free(reconcile_report_t *rep);

#endif /* COMMON_RECONCILE_H */
