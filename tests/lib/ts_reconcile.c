/* ts_reconcile.c — see ts_reconcile.h. */
#include "ts_reconcile.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "common/dates.h"
#include "common/db.h"
#include "common/money.h"

#define RECONCILE_MAX_BOOKINGS 512

/* One booking row, as text. */
typedef struct booking_row {
    const char *booking_id, *status, *reservation_id, *payment_auth_id, *total_price, *currency;
    const char *provider, *order_id; /* booking_payment ("stripe" when none) */
    int64_t amount;                  /* minor units; -1 when unreadable */
    int64_t fee; /* a cancelled booking's cancellation fee (kept by right); 0 = none */
} booking_row_t;

typedef struct reconcile {
    booking_row_t bookings[RECONCILE_MAX_BOOKINGS];
    size_t booking_count;
    char *report;
    size_t size, used;
    int mismatches;
} reconcile_t;

static void mismatch(reconcile_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void mismatch(reconcile_t *r, const char *fmt, ...)
{
    r->mismatches++;
    if (r->used + 1 >= r->size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->report + r->used, r->size - r->used, fmt, ap);
    va_end(ap);
    if (n > 0)
        r->used += (size_t)n < r->size - r->used ? (size_t)n : r->size - r->used - 1;
    if (r->used + 1 < r->size) {
        r->report[r->used++] = '\n';
        r->report[r->used] = '\0';
    }
}

static const char *text_of(struct json_object *o, const char *name)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, name, &v) || json_object_is_type(v, json_type_null))
        return "";
    return json_object_get_string(v);
}

static int64_t int_of(struct json_object *o, const char *name)
{
    struct json_object *v;
    return json_object_object_get_ex(o, name, &v) ? json_object_get_int64(v) : 0;
}

static bool is_final(const char *status)
{
    return strcmp(status, "confirmed") == 0 || strcmp(status, "cancelled") == 0 ||
           strcmp(status, "failed") == 0;
}

static const booking_row_t *booking_by_id(const reconcile_t *r, const char *booking_id)
{
    for (size_t i = 0; booking_id && *booking_id && i < r->booking_count; i++)
        if (strcmp(r->bookings[i].booking_id, booking_id) == 0)
            return &r->bookings[i];
    return NULL;
}

static const booking_row_t *booking_by_payment(const reconcile_t *r, const char *payment_id,
                                               const char *booking_id)
{
    for (size_t i = 0; i < r->booking_count; i++)
        if (r->bookings[i].payment_auth_id &&
            strcmp(r->bookings[i].payment_auth_id, payment_id) == 0)
            return &r->bookings[i];
    return booking_by_id(r, booking_id);
}

static const char *or_none(const char *s)
{
    return s && *s ? s : "(none)";
}

/* ------------------------------------------------------------ the PMS -- */

static void check_reservation(reconcile_t *r, struct json_object *res, int64_t now_ms)
{
    const char *id = text_of(res, "reservationID");
    const char *ref = text_of(res, "thirdPartyIdentifier");
    const char *status = text_of(res, "status");
    if (!*ref)
        return; /* not made by booking-svc */
    const booking_row_t *b = booking_by_id(r, ref);
    int64_t expires_ms = 0;
    bool open_hold = strcmp(status, "not_confirmed") == 0 &&
                     dates_parse_rfc3339(text_of(res, "holdExpiresAt"), &expires_ms) == 0 &&
                     expires_ms > now_ms;
    if (strcmp(status, "confirmed") == 0) {
        if (!b)
            mismatch(r, "PMS reservation %s (ref %s) is confirmed but no such booking exists", id,
                     ref);
        else if (strcmp(b->status, "confirmed") != 0)
            mismatch(r, "PMS reservation %s is confirmed but booking %s is %s", id, ref, b->status);
        else if (!b->reservation_id || strcmp(b->reservation_id, id) != 0)
            mismatch(r, "PMS reservation %s is confirmed but booking %s names reservation %s", id,
                     ref, or_none(b->reservation_id));
    } else if (open_hold && (!b || is_final(b->status))) {
        mismatch(r, "PMS hold %s is still open but booking %s is %s", id, ref,
                 b ? b->status : "missing");
    }
}

/* Every confirmed booking has its PMS reservation confirmed. */
static void check_confirmed_bookings_in_pms(reconcile_t *r, struct json_object *reservations)
{
    for (size_t i = 0; i < r->booking_count; i++) {
        const booking_row_t *b = &r->bookings[i];
        if (strcmp(b->status, "confirmed") != 0)
            continue;
        bool found = false;
        size_t n = reservations ? json_object_array_length(reservations) : 0;
        for (size_t j = 0; j < n && !found; j++) {
            struct json_object *res = json_object_array_get_idx(reservations, j);
            found = b->reservation_id &&
                    strcmp(text_of(res, "reservationID"), b->reservation_id) == 0 &&
                    strcmp(text_of(res, "status"), "confirmed") == 0;
        }
        if (!found)
            mismatch(r, "booking %s is confirmed but PMS reservation %s is not", b->booking_id,
                     or_none(b->reservation_id));
    }
}

/* ------------------------------------------------------- the payments -- */

static void check_payment(reconcile_t *r, struct json_object *p)
{
    const char *id = text_of(p, "id");
    const char *status = text_of(p, "status");
    int64_t captured = int_of(p, "amountCaptured");
    int64_t refunded = int_of(p, "amountRefunded");
    const char *currency = text_of(p, "currency");
    const booking_row_t *b = booking_by_payment(r, id, text_of(p, "bookingId"));
    if (strcmp(status, "requires_capture") == 0) {
        if (!b || is_final(b->status))
            mismatch(r, "payment %s is an open pre-authorisation but its booking %s is %s", id,
                     b ? b->booking_id : or_none(text_of(p, "bookingId")),
                     b ? b->status : "missing");
        return;
    }
    if (captured <= 0 || refunded >= captured)
        return; /* nothing kept */
    if (b && strcmp(b->status, "cancelled") == 0 && captured - refunded == b->fee)
        return; /* the cancellation fee, kept by the policy */
    if (!b)
        mismatch(r, "payment %s captured %lld %s but belongs to no booking", id,
                 (long long)captured, currency);
    else if (strcmp(b->status, "confirmed") != 0)
        mismatch(r, "payment %s keeps %lld %s (refunded %lld) but booking %s is %s", id,
                 (long long)captured, currency, (long long)refunded, b->booking_id, b->status);
    else if (refunded > 0 || captured != b->amount || strcasecmp(currency, b->currency) != 0)
        mismatch(r, "payment %s captured %lld %s (refunded %lld) but booking %s is %lld %s", id,
                 (long long)captured, currency, (long long)refunded, b->booking_id,
                 (long long)b->amount, b->currency);
}

static bool is_toss(const booking_row_t *b)
{
    return b->provider && strcmp(b->provider, "toss") == 0;
}

/* Every confirmed booking has a captured payment. */
static void check_confirmed_bookings_paid(reconcile_t *r, struct json_object *intents)
{
    for (size_t i = 0; i < r->booking_count; i++) {
        const booking_row_t *b = &r->bookings[i];
        if (strcmp(b->status, "confirmed") != 0 || is_toss(b))
            continue;
        bool paid = false;
        size_t n = intents ? json_object_array_length(intents) : 0;
        for (size_t j = 0; j < n && !paid; j++) {
            struct json_object *p = json_object_array_get_idx(intents, j);
            paid = b->payment_auth_id && strcmp(text_of(p, "id"), b->payment_auth_id) == 0 &&
                   int_of(p, "amountCaptured") > 0;
        }
        if (!paid)
            mismatch(r, "booking %s is confirmed but its payment %s is not captured", b->booking_id,
                     or_none(b->payment_auth_id));
    }
}

/* ---------------------------------------------------- Toss Payments -- */

static const booking_row_t *booking_by_order(const reconcile_t *r, const char *order_id)
{
    for (size_t i = 0; order_id && *order_id && i < r->booking_count; i++)
        if (r->bookings[i].order_id && strcmp(r->bookings[i].order_id, order_id) == 0)
            return &r->bookings[i];
    return NULL;
}

/* An approval keeps money (balanceAmount) only for a confirmed booking of
 * the same amount; anything else approved was cancelled. */
static void check_toss_payment(reconcile_t *r, struct json_object *p)
{
    const char *key = text_of(p, "paymentKey"), *status = text_of(p, "status");
    int64_t kept = int_of(p, "balanceAmount");
    bool approved = strcmp(status, "DONE") == 0 || strcmp(status, "PARTIAL_CANCELED") == 0;
    if (!approved || kept <= 0)
        return;
    const booking_row_t *b = booking_by_payment(r, key, NULL);
    if (!b)
        b = booking_by_order(r, text_of(p, "orderId"));
    if (!b)
        mismatch(r, "Toss payment %s (order %s) keeps %lld KRW but belongs to no booking", key,
                 text_of(p, "orderId"), (long long)kept);
    else if (strcmp(b->status, "pending") == 0)
        return; /* a checkout in flight */
    else if (strcmp(b->status, "confirmed") != 0)
        mismatch(r, "Toss payment %s keeps %lld KRW but booking %s is %s (an approval left)",
                 key, (long long)kept, b->booking_id, b->status);
    else if (kept != b->amount || int_of(p, "totalAmount") != b->amount)
        mismatch(r, "Toss payment %s keeps %lld KRW but booking %s is %lld %s", key,
                 (long long)kept, b->booking_id, (long long)b->amount, b->currency);
}

/* Every confirmed Toss booking has its approval standing, whole. */
static void check_toss_bookings_paid(reconcile_t *r, struct json_object *payments)
{
    for (size_t i = 0; i < r->booking_count; i++) {
        const booking_row_t *b = &r->bookings[i];
        if (strcmp(b->status, "confirmed") != 0 || !is_toss(b))
            continue;
        bool paid = false;
        size_t n = payments ? json_object_array_length(payments) : 0;
        for (size_t j = 0; j < n && !paid; j++) {
            struct json_object *p = json_object_array_get_idx(payments, j);
            paid = b->payment_auth_id && strcmp(text_of(p, "paymentKey"), b->payment_auth_id) == 0 &&
                   strcmp(text_of(p, "status"), "DONE") == 0 &&
                   int_of(p, "balanceAmount") == b->amount;
        }
        if (!paid)
            mismatch(r, "booking %s is confirmed but its Toss payment %s is not approved in full",
                     b->booking_id, or_none(b->payment_auth_id));
    }
}

/* ----------------------------------------------------------- bookings -- */

static db_result_t *load_bookings(reconcile_t *r, db_t *db)
{
    db_result_t *res = NULL;
    if (db_query(
            db,
            "SELECT b.booking_id, b.status, b.reservation_id, b.payment_auth_id, b.total_price, "
            "b.currency, b.cancel_fee, COALESCE(p.provider, 'stripe'), p.order_id FROM booking b "
            "LEFT JOIN booking_payment p ON p.booking_id = b.booking_id "
            "WHERE b.source = 'checkout' ORDER BY b.id",
            NULL, 0, &res) != DB_OK) {
        mismatch(r, "cannot read the booking table: %s", db_error(db));
        return NULL;
    }
    r->booking_count = db_result_rows(res);
    if (r->booking_count > RECONCILE_MAX_BOOKINGS) {
        mismatch(r, "more than %d bookings: only the first are checked", RECONCILE_MAX_BOOKINGS);
        r->booking_count = RECONCILE_MAX_BOOKINGS;
    }
    for (size_t i = 0; i < r->booking_count; i++) {
        booking_row_t *b = &r->bookings[i];
        b->booking_id = db_result_text(res, i, 0);
        b->status = db_result_text(res, i, 1);
        b->reservation_id = db_result_text(res, i, 2);
        b->payment_auth_id = db_result_text(res, i, 3);
        b->total_price = db_result_text(res, i, 4);
        b->currency = db_result_text(res, i, 5);
        b->provider = db_result_text(res, i, 7);
        b->order_id = db_result_text(res, i, 8);
        if (money_from_decimal_text(b->total_price, b->currency, &b->amount) != 0)
            b->amount = -1;
        const char *fee = db_result_text(res, i, 6);
        if (!fee || money_from_decimal_text(fee, b->currency, &b->fee) != 0)
            b->fee = 0;
    }
    return res;
}

bool ts_reconcile(ts_sandbox_t *pms, ts_sandbox_t *pay, const char *mysql_url, char *report,
                  size_t size)
{
    return ts_reconcile_with_toss(pms, pay, NULL, mysql_url, report, size);
}

bool ts_reconcile_with_toss(ts_sandbox_t *pms, ts_sandbox_t *pay, ts_sandbox_t *toss,
                            const char *mysql_url, char *report, size_t size)
{
    static reconcile_t r; /* large; tests run one at a time per process */
    memset(&r, 0, sizeof r);
    r.report = report;
    r.size = size;
    if (size)
        report[0] = '\0';
    char err[256];
    db_t *db = db_new(mysql_url, err, sizeof err);
    if (!db) {
        mismatch(&r, "cannot connect to the database: %s", err);
        return false;
    }
    db_result_t *rows = load_bookings(&r, db);
    struct json_object *pms_ledger = ts_sandbox_get_json(pms, "/_sandbox/ledger", NULL);
    struct json_object *pay_ledger = ts_sandbox_get_json(pay, "/_sandbox/ledger", NULL);
    struct json_object *reservations = NULL, *intents = NULL;
    json_object_object_get_ex(pms_ledger, "reservations", &reservations);
    json_object_object_get_ex(pay_ledger, "paymentIntents", &intents);
    int64_t now_ms = clock_wall_ms();
    for (size_t i = 0; reservations && i < json_object_array_length(reservations); i++)
        check_reservation(&r, json_object_array_get_idx(reservations, i), now_ms);
    check_confirmed_bookings_in_pms(&r, reservations);
    for (size_t i = 0; intents && i < json_object_array_length(intents); i++)
        check_payment(&r, json_object_array_get_idx(intents, i));
    check_confirmed_bookings_paid(&r, intents);
    if (toss) {
        struct json_object *toss_ledger = ts_sandbox_get_json(toss, "/_sandbox/ledger", NULL);
        struct json_object *payments = NULL;
        json_object_object_get_ex(toss_ledger, "payments", &payments);
        for (size_t i = 0; payments && i < json_object_array_length(payments); i++)
            check_toss_payment(&r, json_object_array_get_idx(payments, i));
        check_toss_bookings_paid(&r, payments);
        json_object_put(toss_ledger);
    }
    json_object_put(pms_ledger);
    json_object_put(pay_ledger);
    db_result_free(rows);
    db_free(db);
    return r.mismatches == 0;
}
