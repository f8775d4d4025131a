/*
 * reconcile_compare.c — the comparison of the three ledgers (reconcile.h),
 * with no I/O: bookings, PMS reservations and payments in, mismatches out.
 *
 * A PMS reservation belongs to a booking when the booking names it
 * (reservation_id) or, failing that, when it carries the booking id as its
 * reference (a hold made by the checkout before the booking learnt its
 * reservation id). Each disagreement is reported once: a reservation's side
 * is checked from the reservation, a booking's payment from the booking.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/reconcile.h"

/* ------------------------------------------------------------ names -- */

static const char *const KIND_NAMES[RECONCILE_KIND_COUNT] = {
    [RECONCILE_PMS_CONFIRMED_NOT_BOOKED] = "pms_confirmed_not_booked",
    [RECONCILE_BOOKED_NOT_IN_PMS] = "booked_not_in_pms",
    [RECONCILE_STATUS_DIFFERS] = "status_differs",
    [RECONCILE_AMOUNT_DIFFERS] = "amount_differs",
    [RECONCILE_CAPTURED_WITHOUT_BOOKING] = "captured_without_booking",
    [RECONCILE_PREAUTH_OPEN] = "preauth_open",
    [RECONCILE_HOLD_OPEN] = "hold_open",
    [RECONCILE_PAYMENT_MISSING] = "payment_missing",
    [RECONCILE_ACQUISITION_OVERDUE] = "acquisition_overdue",
};

const char *reconcile_kind_name(reconcile_kind_t kind)
{
    return (unsigned)kind < RECONCILE_KIND_COUNT ? KIND_NAMES[kind] : "unknown";
}

void reconcile_report_free(reconcile_report_t *rep)
{
    if (!rep)
        return;
    free(rep->items);
    rep->items = NULL;
    rep->count = 0;
}

/* ---------------------------------------------------------- actions -- */

#define ACT_FOREIGN                                                                                \
    "made outside this platform (front desk or another channel): nothing to do if so; "            \
    "otherwise record the booking or cancel the reservation"
#define ACT_NOT_BOOKED                                                                             \
    "the reservation carries a booking reference we have no confirmed booking for: cancel it in "  \
    "the PMS unless the guest paid (then restore the booking)"
#define ACT_DUPLICATE                                                                              \
    "a second reservation for a booking that names another one: cancel the duplicate in the PMS"
#define ACT_NOT_IN_PMS                                                                             \
    "look the reservation up in the PMS: re-create it, or cancel the booking and refund the guest"
#define ACT_PENDING_CONFIRMED                                                                      \
    "the checkout has not finished: let its recovery run, then check again; if it stays, "         \
    "confirm the booking or cancel the reservation"
#define ACT_FINAL_CONFIRMED                                                                        \
    "the booking ended but the PMS kept the stay: cancel the reservation in the PMS (or restore "  \
    "the booking if the guest paid)"
#define ACT_CONFIRMED_NOT_IN_PMS                                                                   \
    "the guest holds a booking the PMS does not: re-confirm it in the PMS if rooms allow, else "   \
    "cancel the booking and refund"
#define ACT_AMOUNT_PMS "compare the rate in the PMS with the booking; correct the one that is wrong"
#define ACT_AMOUNT_PAY                                                                             \
    "refund the excess, or charge the difference, so the captured amount equals the booking"
#define ACT_REFUND "refund the payment: the booking did not go ahead"
#define ACT_VOID "void the pre-authorisation: the booking ended without it being captured"
#define ACT_CAPTURE "capture the pre-authorisation (the stay is confirmed) before it expires"
#define ACT_RELEASE "release the hold in the PMS: its rooms are blocked for a booking that ended"
#define ACT_ACQUIRE                                                                                \
    "Toss has not acquired this approval: check it in Toss' merchant console (with manual "        \
    "settlement, request the settlement) before the card company's deadline"
#define ACT_PAY_MISSING                                                                            \
    "the stay is confirmed but nothing was charged: contact the guest for payment or cancel"

/* --------------------------------------------------------- helpers -- */

typedef struct compare {
    const reconcile_input_t *in;
    reconcile_report_t *out;
    size_t capacity;
    int failed; /* -1 once an item could not be added */
} compare_t;

/* Appends a mismatch; ids may be NULL. Returns it, or NULL when out of
 * memory (remembered in c->failed). */
static reconcile_mismatch_t *add(compare_t *c, reconcile_kind_t kind, const char *booking_id,
                                 const char *reservation_id, const char *payment_id,
                                 const char *action)
{
    reconcile_report_t *r = c->out;
    if (r->count == c->capacity) {
        size_t cap = c->capacity ? c->capacity * 2 : 16;
        reconcile_mismatch_t *grown = realloc(r->items, cap * sizeof *grown);
        if (!grown) {
            c->failed = -1;
            return NULL;
        }
        r->items = grown;
        c->capacity = cap;
    }
    reconcile_mismatch_t *m = &r->items[r->count++];
    memset(m, 0, sizeof *m);
    m->kind = kind;
    snprintf(m->booking_id, sizeof m->booking_id, "%s", booking_id ? booking_id : "");
    snprintf(m->reservation_id, sizeof m->reservation_id, "%s",
             reservation_id ? reservation_id : "");
    snprintf(m->payment_id, sizeof m->payment_id, "%s", payment_id ? payment_id : "");
    m->action = action;
    return m;
}

/* Writes both sides' values into m (NULL-safe: m is NULL when add failed). */
static void sides(reconcile_mismatch_t *m, const char *ours, const char *theirs)
{
    if (!m)
        return;
    snprintf(m->ours, sizeof m->ours, "%s", ours);
    snprintf(m->theirs, sizeof m->theirs, "%s", theirs);
}

/* "250000 KRW" into buf (RECONCILE_VALUE_MAX bytes). */
static const char *money_text(char *buf, int64_t amount, const char *currency)
{
    snprintf(buf, RECONCILE_VALUE_MAX, "%lld %s", (long long)amount, currency);
    return buf;
}

static bool is_final(const char *status)
{
    return strcmp(status, "confirmed") == 0 || strcmp(status, "cancelled") == 0 ||
           strcmp(status, "failed") == 0;
}

static bool same(const char *a, const char *b)
{
    return *a && strcmp(a, b) == 0;
}

/* The booking a reservation belongs to (see the file comment), or NULL. */
static const reconcile_booking_t *booking_of(const reconcile_input_t *in,
                                             const pms_reservation_t *r)
{
    for (size_t i = 0; i < in->booking_count; i++)
        if (same(in->bookings[i].reservation_id, r->reservation_id))
            return &in->bookings[i];
    for (size_t i = 0; i < in->booking_count; i++)
        if (same(in->bookings[i].booking_id, r->reference))
            return &in->bookings[i];
    return NULL;
}

static const pms_reservation_t *reservation_by_id(const reconcile_input_t *in, const char *id)
{
    for (size_t i = 0; i < in->reservation_count; i++)
        if (same(in->reservations[i].reservation_id, id))
            return &in->reservations[i];
    return NULL;
}

static const pay_payment_t *payment_by_id(const reconcile_input_t *in, const char *id)
{
    for (size_t i = 0; i < in->payment_count; i++)
        if (same(in->payments[i].id, id))
            return &in->payments[i];
    return NULL;
}

/* ------------------------------------------------------ the PMS side -- */

/* A confirmed reservation: booked by us, for the same amount. */
static void check_confirmed_reservation(compare_t *c, const pms_reservation_t *r,
                                        const reconcile_booking_t *b)
{
    char a[RECONCILE_VALUE_MAX], t[RECONCILE_VALUE_MAX];
    if (!b) {
        if (!*r->reference && c->in->ignore_other_channels)
            return;
        reconcile_mismatch_t *m =
            add(c, RECONCILE_PMS_CONFIRMED_NOT_BOOKED, r->reference, r->reservation_id, NULL,
                *r->reference ? ACT_NOT_BOOKED : ACT_FOREIGN);
        sides(m, "absent", "confirmed");
        return;
    }
    if (strcmp(b->status, "confirmed") != 0) {
        reconcile_mismatch_t *m =
            add(c, RECONCILE_STATUS_DIFFERS, b->booking_id, r->reservation_id, b->payment_auth_id,
                strcmp(b->status, "pending") == 0 ? ACT_PENDING_CONFIRMED : ACT_FINAL_CONFIRMED);
        sides(m, b->status, "confirmed");
        return;
    }
    if (*b->reservation_id && strcmp(b->reservation_id, r->reservation_id) != 0) {
        reconcile_mismatch_t *m = add(c, RECONCILE_PMS_CONFIRMED_NOT_BOOKED, b->booking_id,
                                      r->reservation_id, NULL, ACT_DUPLICATE);
        snprintf(a, sizeof a, "reservation %s", b->reservation_id);
        sides(m, a, "confirmed");
        return;
    }
    if (r->total != PMS_TOTAL_UNKNOWN &&
        (r->total != b->amount || strcasecmp(r->currency, b->currency) != 0)) {
        reconcile_mismatch_t *m = add(c, RECONCILE_AMOUNT_DIFFERS, b->booking_id, r->reservation_id,
                                      NULL, ACT_AMOUNT_PMS);
        sides(m, money_text(a, b->amount, b->currency), money_text(t, r->total, r->currency));
    }
}

/* A hold of ours (it carries our reference or a hold expiry) whose booking
 * ended or never existed keeps rooms out of sale. */
static void check_hold(compare_t *c, const pms_reservation_t *r, const reconcile_booking_t *b)
{
    bool ours = *r->reference || r->hold_expires_at_ms > 0;
    if (!ours || (b && !is_final(b->status)))
        return;
    reconcile_mismatch_t *m = add(c, RECONCILE_HOLD_OPEN, b ? b->booking_id : r->reference,
                                  r->reservation_id, NULL, ACT_RELEASE);
    sides(m, b ? b->status : "absent", "not_confirmed");
}

static void check_reservations(compare_t *c)
{
    for (size_t i = 0; i < c->in->reservation_count; i++) {
        const pms_reservation_t *r = &c->in->reservations[i];
        const reconcile_booking_t *b = booking_of(c->in, r);
        if (r->status == PMS_RES_CONFIRMED)
            check_confirmed_reservation(c, r, b);
        else if (r->status == PMS_RES_HOLD)
            check_hold(c, r, b);
    }
}

/* -------------------------------------------------- the booking side -- */

/* A confirmed booking's reservation is in the PMS and confirmed there
 * (a confirmed one was checked from the PMS side already). */
static void check_booking_in_pms(compare_t *c, const reconcile_booking_t *b)
{
    const pms_reservation_t *r = reservation_by_id(c->in, b->reservation_id);
    if (!r) {
        reconcile_mismatch_t *m = add(c, RECONCILE_BOOKED_NOT_IN_PMS, b->booking_id,
                                      b->reservation_id, b->payment_auth_id, ACT_NOT_IN_PMS);
        sides(m, "confirmed", "absent");
    } else if (r->status != PMS_RES_CONFIRMED) {
        reconcile_mismatch_t *m = add(c, RECONCILE_STATUS_DIFFERS, b->booking_id, r->reservation_id,
                                      b->payment_auth_id, ACT_CONFIRMED_NOT_IN_PMS);
        sides(m, "confirmed", r->status == PMS_RES_HOLD ? "not_confirmed" : "canceled");
    }
}

/* A confirmed booking has exactly its amount captured and kept. */
static void check_paid(compare_t *c, const reconcile_booking_t *b, const pay_payment_t *p)
{
    char a[RECONCILE_VALUE_MAX], t[RECONCILE_VALUE_MAX];
    if (!p || p->status == PAY_STATUS_CANCELED || p->status == PAY_STATUS_FAILED) {
        reconcile_mismatch_t *m = add(c, RECONCILE_PAYMENT_MISSING, b->booking_id,
                                      b->reservation_id, b->payment_auth_id, ACT_PAY_MISSING);
        sides(m, money_text(a, b->amount, b->currency), p ? p->gateway_status : "absent");
    } else if (p->status == PAY_STATUS_AUTHORIZED) {
        reconcile_mismatch_t *m =
            add(c, RECONCILE_PREAUTH_OPEN, b->booking_id, b->reservation_id, p->id, ACT_CAPTURE);
        sides(m, "confirmed", p->gateway_status);
    } else if (p->status == PAY_STATUS_CAPTURED) {
        int64_t kept = p->amount_received - p->amount_refunded;
        if (kept != b->amount || strcasecmp(p->currency, b->currency) != 0) {
            reconcile_mismatch_t *m = add(c, RECONCILE_AMOUNT_DIFFERS, b->booking_id,
                                          b->reservation_id, p->id, ACT_AMOUNT_PAY);
            sides(m, money_text(a, b->amount, b->currency), money_text(t, kept, p->currency));
        } else if (c->in->now_s > 0 && strcmp(p->acquire_status, "READY") == 0 && p->created > 0 &&
                   c->in->now_s - p->created > RECONCILE_ACQUISITION_GRACE_S) {
            reconcile_mismatch_t *m = add(c, RECONCILE_ACQUISITION_OVERDUE, b->booking_id,
                                          b->reservation_id, p->id, ACT_ACQUIRE);
            sides(m, "confirmed", "acquireStatus READY");
        }
    }
}

/* A cancelled or failed booking keeps no open authorisation and no money
 * beyond the fee its cancellation policy took. */
static void check_unpaid(compare_t *c, const reconcile_booking_t *b, const pay_payment_t *p)
{
    char t[RECONCILE_VALUE_MAX];
    if (!p)
        return;
    if (p->status == PAY_STATUS_AUTHORIZED) {
        reconcile_mismatch_t *m =
            add(c, RECONCILE_PREAUTH_OPEN, b->booking_id, b->reservation_id, p->id, ACT_VOID);
        sides(m, b->status, p->gateway_status);
    } else if (p->status == PAY_STATUS_CAPTURED &&
               p->amount_received - p->amount_refunded >
                   (strcmp(b->status, "cancelled") == 0 ? b->cancel_fee : 0)) {
        reconcile_mismatch_t *m = add(c, RECONCILE_CAPTURED_WITHOUT_BOOKING, b->booking_id,
                                      b->reservation_id, p->id, ACT_REFUND);
        sides(m, b->status, money_text(t, p->amount_received - p->amount_refunded, p->currency));
    }
}

static void check_bookings(compare_t *c)
{
    for (size_t i = 0; i < c->in->booking_count; i++) {
        const reconcile_booking_t *b = &c->in->bookings[i];
        const pay_payment_t *p = payment_by_id(c->in, b->payment_auth_id);
        if (strcmp(b->status, "confirmed") == 0) {
            check_booking_in_pms(c, b);
            check_paid(c, b, p);
        } else if (is_final(b->status)) {
            check_unpaid(c, b, p);
        }
    }
}

int reconcile_compare(const reconcile_input_t *in, reconcile_report_t *out)
{
    compare_t c = {.in = in, .out = out, .capacity = 0};
    out->items = NULL;
    out->count = 0;
    out->bookings = in->booking_count;
    out->reservations = in->reservation_count;
    out->payments = in->payment_count;
    check_reservations(&c);
    check_bookings(&c);
    return c.failed;
}
