/*
 * admin_bookings.c — the console's bookings, compensations and
 * reconciliation over HTTP (see admin_bookings.h).
 */
#include "admin_bookings.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin_hotels.h"
#include "common/auth.h"
#include "common/crypto.h"
#include "common/dates.h"
#include "common/http_audit.h"
#include "common/json.h"
#include "common/log.h"
#include "common/money.h"
#include "common/reconcile.h"
#include "query.h"
#include "store.h"

#define SQL_MAX 2048
#define PAGE_DEFAULT 50
#define PAGE_MAX 200
#define OFFSET_MAX 100000
#define COMPENSATIONS_DEFAULT 100
#define COMPENSATIONS_MAX 500
#define BOOKING_ID_MAX 40
#define NAME_MAX 101

/* ------------------------------------------------------- a query -- */

/* SQL text and its parameters, built from the filters given. */
typedef struct query {
    char sql[SQL_MAX];
    db_param_t params[DB_MAX_PARAMS];
    size_t n;
    bool overflow;
} query_t;

static void q_add(query_t *q, const char *text)
{
    size_t used = strlen(q->sql);
    if (used + strlen(text) + 1 > sizeof q->sql) {
        q->overflow = true;
        return;
    }
    memcpy(q->sql + used, text, strlen(text) + 1);
}

static void q_param(query_t *q, const char *text, db_param_t p)
{
    if (q->n == DB_MAX_PARAMS) {
        q->overflow = true;
        return;
    }
    q_add(q, text);
    q->params[q->n++] = p;
}

/* "AND <column> IN (the caller's hotels)" for staff limited to some. */
static void q_scope(query_t *q, const auth_principal_t *p, const char *column)
{
    if (p->hotel_count == 0)
        return;
    char head[96];
    snprintf(head, sizeof head, " AND %s IN (", column);
    q_add(q, head);
    for (int i = 0; i < p->hotel_count; i++)
        q_param(q, i ? ", ?" : "?", DB_STR(p->hotels[i]));
    q_add(q, ")");
}

static int respond_db_unavailable(http_request_t *req)
{
    http_response_header(req, "Retry-After", "1");
    return http_respond_error(req, 503, "INTERNAL_ERROR", NULL,
                              "the database is unavailable; retry shortly");
}

static db_t *acquire(inv_app_t *app, db_pool_t **pool)
{
    *pool = inv_store_pool(app->store);
    return *pool ? db_pool_acquire(*pool) : NULL;
}

/* ids of bookings: [A-Za-z0-9_-], 1..40 (safe in a URL path). */
static bool booking_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > BOOKING_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)id[i]) && id[i] != '_' && id[i] != '-')
            return false;
    return true;
}

/* --------------------------------------------------------- guests -- */

/* The guest's first and last name from guest_enc (AAD: the booking id);
 * false when absent or it does not decrypt. */
static bool guest_names(inv_app_t *app, const db_result_t *res, size_t row, size_t col,
                        const char *booking_id, char first[NAME_MAX], char last[NAME_MAX])
{
    size_t len = 0;
    const void *blob = db_result_bytes(res, row, col, &len);
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    if (!blob || len == 0 ||
        crypto_decrypt(app->guest_key, blob, len, booking_id, strlen(booking_id), &plain,
                       &plain_len) != 0)
        return false;
    bool ok = false;
    /* plain is not NUL-terminated: parse a bounded copy */
    char *text = malloc(plain_len + 1);
    if (text) {
        memcpy(text, plain, plain_len);
        text[plain_len] = '\0';
        struct json_object *g = json_tokener_parse(text);
        struct json_object *f, *l;
        if (g && json_object_object_get_ex(g, "firstName", &f) &&
            json_object_object_get_ex(g, "lastName", &l)) {
            snprintf(first, NAME_MAX, "%s", json_object_get_string(f));
            snprintf(last, NAME_MAX, "%s", json_object_get_string(l));
            ok = true;
        }
        json_object_put(g);
        crypto_wipe(text, plain_len);
        free(text);
    }
    crypto_wipe(plain, plain_len);
    free(plain);
    return ok;
}

/* -------------------------------------------------------- bookings -- */

#define BOOKING_COLUMNS                                                                            \
    "b.booking_id, b.status, b.vendor, b.hotel_id, b.room_type_id, b.check_in, b.check_out, "      \
    "b.adults, b.children, b.total_price, b.currency, b.confirmation_number, b.reservation_id, "   \
    "b.payment_status, b.error_code, b.created_at, b.updated_at, b.guest_enc, "                    \
    "b.payment_auth_id, b.error_message"

enum {
    C_ID,
    C_STATUS,
    C_VENDOR,
    C_HOTEL,
    C_ROOM,
    C_IN,
    C_OUT,
    C_ADULTS,
    C_CHILDREN,
    C_TOTAL,
    C_CURRENCY,
    C_CONF,
    C_RES,
    C_PAY,
    C_ERR,
    C_CREATED,
    C_UPDATED,
    C_GUEST,
    C_AUTH,
    C_ERRMSG
};

static void add_int_cell(struct json_object *o, const char *key, const db_result_t *res, size_t row,
                         size_t col)
{
    int64_t v;
    json_object_object_add(
        o, key, db_result_int64(res, row, col, &v) == 0 ? json_object_new_int64(v) : NULL);
}

static void add_money(struct json_object *o, const char *key, const char *decimal,
                      const char *currency)
{
    int64_t minor;
    json_object_object_add(o, key,
                           decimal && currency &&
                                   money_from_decimal_text(decimal, currency, &minor) == 0
                               ? json_object_new_int64(minor)
                               : NULL);
}

/* One AdminBookingSummary (last: the guest's last name, or NULL). */
static struct json_object *booking_summary(const db_result_t *res, size_t row, const char *last)
{
    struct json_object *o = json_object_new_object();
    admin_add_text(o, "bookingId", db_result_text(res, row, C_ID));
    admin_add_text(o, "status", db_result_text(res, row, C_STATUS));
    admin_add_text(o, "vendor", db_result_text(res, row, C_VENDOR));
    admin_add_text(o, "hotelId", db_result_text(res, row, C_HOTEL));
    admin_add_text(o, "roomTypeId", db_result_text(res, row, C_ROOM));
    admin_add_text(o, "checkIn", db_result_text(res, row, C_IN));
    admin_add_text(o, "checkOut", db_result_text(res, row, C_OUT));
    add_int_cell(o, "adults", res, row, C_ADULTS);
    add_int_cell(o, "children", res, row, C_CHILDREN);
    add_money(o, "amount", db_result_text(res, row, C_TOTAL), db_result_text(res, row, C_CURRENCY));
    admin_add_text(o, "currency", db_result_text(res, row, C_CURRENCY));
    admin_add_text(o, "confirmationNumber", db_result_text(res, row, C_CONF));
    admin_add_text(o, "reservationId", db_result_text(res, row, C_RES));
    admin_add_text(o, "paymentStatus", db_result_text(res, row, C_PAY));
    admin_add_text(o, "guestLastName", last);
    admin_add_text(o, "errorCode", db_result_text(res, row, C_ERR));
    admin_add_time(o, "createdAt", db_result_text(res, row, C_CREATED));
    admin_add_time(o, "updatedAt", db_result_text(res, row, C_UPDATED));
    return o;
}

typedef struct search {
    const char *booking_id, *confirmation, *last_name, *hotel_id, *status, *from, *to;
    int64_t limit, offset;
} search_t;

static int query_int(http_request_t *req, const char *name, int64_t min, int64_t max, int64_t def,
                     int64_t *out)
{
    const char *v = http_request_query(req, name);
    *out = def;
    if (!v)
        return 0;
    char *end = NULL;
    long long n = strtoll(v, &end, 10);
    if (!*v || *end || n < min || n > max) {
        char msg[128];
        snprintf(msg, sizeof msg, "%s must be an integer between %lld and %lld", name,
                 (long long)min, (long long)max);
        http_respond_error(req, 400, "VALIDATION_ERROR", name, msg);
        return -1;
    }
    *out = n;
    return 0;
}

/* A query text parameter of at most max bytes without control characters. */
static int query_text(http_request_t *req, const char *name, size_t max, const char **out)
{
    *out = http_request_query(req, name);
    if (!*out)
        return 0;
    size_t n = strlen(*out);
    bool ok = n > 0 && n <= max;
    for (size_t i = 0; ok && i < n; i++)
        ok = (unsigned char)(*out)[i] >= 0x20 && (*out)[i] != 0x7f;
    if (ok)
        return 0;
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be 1 to %zu characters without control characters", name,
             max);
    http_respond_error(req, 400, "VALIDATION_ERROR", name, msg);
    return -1;
}

static int query_date(http_request_t *req, const char *name, const char **out)
{
    *out = http_request_query(req, name);
    dates_day_t d;
    if (!*out || dates_parse_iso(*out, &d) == 0)
        return 0;
    char msg[96];
    snprintf(msg, sizeof msg, "%s must be a date YYYY-MM-DD", name);
    http_respond_error(req, 400, "VALIDATION_ERROR", name, msg);
    return -1;
}

static int parse_search(http_request_t *req, search_t *s)
{
    memset(s, 0, sizeof *s);
    if (query_text(req, "bookingId", BOOKING_ID_MAX, &s->booking_id) != 0 ||
        query_text(req, "confirmationNumber", 64, &s->confirmation) != 0 ||
        query_text(req, "lastName", 100, &s->last_name) != 0 ||
        query_text(req, "hotelId", 64, &s->hotel_id) != 0 ||
        query_text(req, "status", 16, &s->status) != 0 || query_date(req, "from", &s->from) != 0 ||
        query_date(req, "to", &s->to) != 0 ||
        query_int(req, "limit", 1, PAGE_MAX, PAGE_DEFAULT, &s->limit) != 0 ||
        query_int(req, "offset", 0, OFFSET_MAX, 0, &s->offset) != 0)
        return -1;
    static const char *const STATUSES[] = {"pending", "confirmed", "cancelled", "failed"};
    bool known = !s->status;
    for (size_t i = 0; !known && i < 4; i++)
        known = strcmp(s->status, STATUSES[i]) == 0;
    if (!known) {
        http_respond_error(req, 400, "VALIDATION_ERROR", "status",
                           "status must be pending, confirmed, cancelled or failed");
        return -1;
    }
    if (s->from && s->to && strcmp(s->from, s->to) > 0) {
        http_respond_error(req, 400, "VALIDATION_ERROR", "to", "to must not be before from");
        return -1;
    }
    return 0;
}

int admin_bookings_search(http_request_t *req, void *ctx)
{
    inv_app_t *app = ctx;
    search_t s;
    if (parse_search(req, &s) != 0)
        return 0;
    query_t q = {.sql = "SELECT " BOOKING_COLUMNS " FROM booking b WHERE 1 = 1"};
    if (s.booking_id)
        q_param(&q, " AND b.booking_id = ?", DB_STR(s.booking_id));
    if (s.confirmation)
        q_param(&q, " AND b.confirmation_number = ?", DB_STR(s.confirmation));
    if (s.hotel_id)
        q_param(&q, " AND b.hotel_id = ?", DB_STR(s.hotel_id));
    if (s.status)
        q_param(&q, " AND b.status = ?", DB_STR(s.status));
    if (s.to)
        q_param(&q, " AND b.check_in <= ?", DB_STR(s.to));
    if (s.from)
        q_param(&q, " AND b.check_out > ?", DB_STR(s.from));
    q_scope(&q, http_request_principal(req), "b.hotel_id");
    q_add(&q, " ORDER BY b.created_at DESC, b.id DESC LIMIT ? OFFSET ?");
    /* a name search reads a window of candidates and pages after matching */
    bool by_name = s.last_name != NULL;
    q.params[q.n++] = DB_INT(by_name ? ADMIN_NAME_SEARCH_MAX + 1 : s.limit);
    q.params[q.n++] = DB_INT(by_name ? 0 : s.offset);
    if (q.overflow)
        return http_respond_error(req, 400, "VALIDATION_ERROR", NULL, "too many filters");
    db_pool_t *pool;
    db_t *db = acquire(app, &pool);
    if (!db)
        return respond_db_unavailable(req);
    db_result_t *res = NULL;
    int rc;
    if (db_query(db, q.sql, q.params, q.n, &res) != DB_OK) {
        rc = respond_db_unavailable(req);
    } else {
        struct json_object *items = json_object_new_array();
        size_t rows = db_result_rows(res), matched = 0;
        bool truncated = by_name && rows > ADMIN_NAME_SEARCH_MAX;
        for (size_t i = 0; i < rows && i < (size_t)ADMIN_NAME_SEARCH_MAX; i++) {
            char first[NAME_MAX], last[NAME_MAX];
            bool named =
                guest_names(app, res, i, C_GUEST, db_result_text(res, i, C_ID), first, last);
            if (by_name && (!named || strcasecmp(last, s.last_name) != 0))
                continue;
            if (by_name && (matched++ < (size_t)s.offset ||
                            json_object_array_length(items) >= (size_t)s.limit))
                continue;
            json_object_array_add(items, booking_summary(res, i, named ? last : NULL));
            crypto_wipe(first, sizeof first);
        }
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "items", items);
        json_object_object_add(o, "limit", json_object_new_int64(s.limit));
        json_object_object_add(o, "offset", json_object_new_int64(s.offset));
        json_object_object_add(o, "truncated", json_object_new_boolean(truncated));
        rc = http_respond_json(req, 200, o);
        json_object_put(o);
    }
    db_result_free(res);
    db_pool_release(pool, db);
    return rc;
}

/* ------------------------------------------------------ one booking -- */

/* The booking row of the path's id when the caller may see it: 0 with res
 * (caller frees), or answered (404, 503). */
static int load_booking(http_request_t *req, db_t *db, db_result_t **res)
{
    const char *id = http_request_param(req, "bookingId");
    *res = NULL;
    if (!booking_id_valid(id))
        return http_respond_error(req, 404, "NOT_FOUND", "bookingId", "no such booking"), -1;
    db_param_t p[] = {DB_STR(id)};
    if (db_query(db, "SELECT " BOOKING_COLUMNS " FROM booking b WHERE b.booking_id = ?", p, 1,
                 res) != DB_OK) {
        db_result_free(*res);
        *res = NULL;
        respond_db_unavailable(req);
        return -1;
    }
    if (db_result_rows(*res) == 1 &&
        auth_principal_may_see_hotel(http_request_principal(req), db_result_text(*res, 0, C_HOTEL)))
        return 0;
    db_result_free(*res);
    *res = NULL;
    http_respond_error(req, 404, "NOT_FOUND", "bookingId", "no such booking");
    return -1;
}

static struct json_object *steps_json(db_t *db, const char *id)
{
    db_param_t p[] = {DB_STR(id)};
    db_result_t *res = NULL;
    struct json_object *arr = json_object_new_array();
    if (db_query(db,
                 "SELECT step, outcome, detail, created_at FROM saga_step_log WHERE "
                 "booking_id = ? ORDER BY id",
                 p, 1, &res) == DB_OK)
        for (size_t i = 0; i < db_result_rows(res); i++) {
            struct json_object *o = json_object_new_object();
            admin_add_text(o, "step", db_result_text(res, i, 0));
            admin_add_text(o, "outcome", db_result_text(res, i, 1));
            admin_add_text(o, "detail", db_result_text(res, i, 2));
            admin_add_time(o, "at", db_result_text(res, i, 3));
            json_object_array_add(arr, o);
        }
    db_result_free(res);
    return arr;
}

static struct json_object *saga_json(db_t *db, const char *id)
{
    db_param_t p[] = {DB_STR(id)};
    db_result_t *res = NULL;
    struct json_object *o = NULL;
    if (db_query(db,
                 "SELECT state, current_step, compensating, attempts, updated_at FROM "
                 "saga_instance WHERE booking_id = ?",
                 p, 1, &res) == DB_OK &&
        db_result_rows(res) == 1) {
        o = json_object_new_object();
        admin_add_text(o, "state", db_result_text(res, 0, 0));
        admin_add_text(o, "currentStep", db_result_text(res, 0, 1));
        int64_t c = 0;
        db_result_int64(res, 0, 2, &c);
        json_object_object_add(o, "compensating", json_object_new_boolean(c != 0));
        add_int_cell(o, "attempts", res, 0, 3);
        admin_add_time(o, "updatedAt", db_result_text(res, 0, 4));
    }
    db_result_free(res);
    return o;
}

static struct json_object *events_json(db_t *db, const char *id)
{
    db_param_t p[] = {DB_STR(id)};
    db_result_t *res = NULL;
    struct json_object *arr = json_object_new_array();
    if (db_query(db,
                 "SELECT event_id, event_type, topic, created_at, published_at, payload FROM "
                 "outbox WHERE aggregate_id = ? ORDER BY id",
                 p, 1, &res) == DB_OK)
        for (size_t i = 0; i < db_result_rows(res); i++) {
            struct json_object *o = json_object_new_object();
            admin_add_text(o, "eventId", db_result_text(res, i, 0));
            admin_add_text(o, "type", db_result_text(res, i, 1));
            admin_add_text(o, "topic", db_result_text(res, i, 2));
            admin_add_time(o, "createdAt", db_result_text(res, i, 3));
            admin_add_time(o, "publishedAt", db_result_text(res, i, 4));
            const char *payload = db_result_text(res, i, 5);
            json_object_object_add(o, "payload", payload ? json_tokener_parse(payload) : NULL);
            json_object_array_add(arr, o);
        }
    db_result_free(res);
    return arr;
}

#define COMPENSATION_COLUMNS                                                                       \
    "id, booking_id, hotel_id, action, state, attempts, alerted_at, last_error, reason, amount, "  \
    "currency, next_attempt_at, done_at, created_at, updated_at"

static struct json_object *compensation_of(const db_result_t *res, size_t row)
{
    struct json_object *o = json_object_new_object();
    admin_add_text(o, "compensationId", db_result_text(res, row, 0));
    admin_add_text(o, "bookingId", db_result_text(res, row, 1));
    admin_add_text(o, "hotelId", db_result_text(res, row, 2));
    admin_add_text(o, "action", db_result_text(res, row, 3));
    admin_add_text(o, "state", db_result_text(res, row, 4));
    add_int_cell(o, "attempts", res, row, 5);
    json_object_object_add(
        o, "stuck",
        json_object_new_boolean(db_result_text(res, row, 6) &&
                                strcmp(db_result_text(res, row, 4), "pending") == 0));
    admin_add_text(o, "lastError", db_result_text(res, row, 7));
    admin_add_text(o, "reason", db_result_text(res, row, 8));
    add_int_cell(o, "amount", res, row, 9);
    admin_add_text(o, "currency", db_result_text(res, row, 10));
    admin_add_time(o, "nextAttemptAt", db_result_text(res, row, 11));
    admin_add_time(o, "alertedAt", db_result_text(res, row, 6));
    admin_add_time(o, "doneAt", db_result_text(res, row, 12));
    admin_add_time(o, "createdAt", db_result_text(res, row, 13));
    admin_add_time(o, "updatedAt", db_result_text(res, row, 14));
    return o;
}

static struct json_object *compensations_of_booking(db_t *db, const char *id)
{
    db_param_t p[] = {DB_STR(id)};
    db_result_t *res = NULL;
    struct json_object *arr = json_object_new_array();
    if (db_query(db,
                 "SELECT " COMPENSATION_COLUMNS " FROM compensation_task WHERE booking_id = ? "
                 "ORDER BY id",
                 p, 1, &res) == DB_OK)
        for (size_t i = 0; i < db_result_rows(res); i++)
            json_object_array_add(arr, compensation_of(res, i));
    db_result_free(res);
    return arr;
}

/* Our payment state, and the gateway's when it can be asked. */
static struct json_object *payment_json(inv_app_t *app, const db_result_t *res)
{
    struct json_object *o = json_object_new_object();
    admin_add_text(o, "status", db_result_text(res, 0, C_PAY));
    const char *auth = db_result_text(res, 0, C_AUTH);
    admin_add_text(o, "authId", auth);
    struct json_object *gw = NULL;
    pay_payment_t p;
    pay_error_t e;
    if (app->pay && auth && *auth && payment_get(app->pay, auth, &p, &e) == PAY_OK) {
        gw = json_object_new_object();
        json_object_object_add(gw, "status", json_object_new_string(pay_status_name(p.status)));
        json_object_object_add(gw, "amount", json_object_new_int64(p.amount));
        json_object_object_add(gw, "amountCaptured", json_object_new_int64(p.amount_received));
        json_object_object_add(gw, "amountRefunded", json_object_new_int64(p.amount_refunded));
        json_object_object_add(gw, "currency", json_object_new_string(p.currency));
    }
    json_object_object_add(o, "gateway", gw);
    return o;
}

int admin_booking_get(http_request_t *req, void *ctx)
{
    inv_app_t *app = ctx;
    db_pool_t *pool;
    db_t *db = acquire(app, &pool);
    if (!db)
        return respond_db_unavailable(req);
    db_result_t *res;
    if (load_booking(req, db, &res) != 0) {
        db_pool_release(pool, db);
        return 0;
    }
    const char *id = db_result_text(res, 0, C_ID);
    char first[NAME_MAX], last[NAME_MAX];
    bool named = guest_names(app, res, 0, C_GUEST, id, first, last);
    struct json_object *o = booking_summary(res, 0, named ? last : NULL);
    struct json_object *guest = NULL;
    if (named) {
        guest = json_object_new_object();
        json_object_object_add(guest, "firstName", json_object_new_string(first));
        json_object_object_add(guest, "lastName", json_object_new_string(last));
    }
    json_object_object_add(o, "guest", guest);
    admin_add_text(o, "error", db_result_text(res, 0, C_ERRMSG));
    json_object_object_add(o, "saga", saga_json(db, id));
    json_object_object_add(o, "steps", steps_json(db, id));
    json_object_object_add(o, "events", events_json(db, id));
    json_object_object_add(o, "compensations", compensations_of_booking(db, id));
    db_pool_release(pool, db);
    json_object_object_add(o, "payment", payment_json(app, res));
    db_result_free(res);
    int rc = http_respond_json(req, 200, o);
    json_object_put(o);
    return rc;
}

/* ------------------------------------------- through booking-svc -- */

/* Forwards booking-svc's answer: its status and JSON body as they are; a
 * transport failure or an answer that is not ours is 502. */
static int forward(http_request_t *req, http_client_err_t e, const http_client_response_t *r)
{
    struct json_object *o = e == HTTP_CLIENT_OK && r->body ? json_tokener_parse(r->body) : NULL;
    int rc;
    if (!o || !json_object_is_type(o, json_type_object) || r->status == 401 || r->status == 403) {
        log_kv(LOG_LEVEL_WARN, "booking-svc did not answer the console", "error",
               e == HTTP_CLIENT_OK ? "unexpected answer" : http_client_err_name(e), NULL);
        rc = http_respond_error(req, 502, "BOOKING_SVC_UNAVAILABLE", NULL,
                                "booking-svc could not be reached; nothing was changed by this "
                                "request, retry shortly");
    } else {
        if (r->retry_after_ms > 0) {
            char v[24];
            snprintf(v, sizeof v, "%ld", (r->retry_after_ms + 999) / 1000);
            http_response_header(req, "Retry-After", v);
        }
        rc = http_respond_json(req, r->status, o);
    }
    json_object_put(o);
    return rc;
}

int admin_booking_cancel(http_request_t *req, void *ctx)
{
    inv_app_t *app = ctx;
    db_pool_t *pool;
    db_t *db = acquire(app, &pool);
    if (!db)
        return respond_db_unavailable(req);
    db_result_t *res;
    if (load_booking(req, db, &res) != 0) {
        db_pool_release(pool, db);
        return 0;
    }
    char id[BOOKING_ID_MAX + 1], hotel[AUTH_HOTEL_ID_MAX + 1];
    snprintf(id, sizeof id, "%s", db_result_text(res, 0, C_ID));
    snprintf(hotel, sizeof hotel, "%s", db_result_text(res, 0, C_HOTEL));
    db_result_free(res);
    struct json_object *body = http_request_json_object(req);
    const char *reason = NULL;
    json_error_t err;
    int rc;
    if (!body) {
        rc = 0;
    } else if (json_get_text(body, "reason", true, 1, 255, &reason, &err) != 0) {
        rc = http_respond_error(req, 400, "VALIDATION_ERROR", err.field, err.message);
    } else {
        struct json_object *fwd = json_object_new_object();
        json_object_object_add(fwd, "reason", json_object_new_string(reason));
        char path[96];
        snprintf(path, sizeof path, "/internal/bookings/%s/cancel", id);
        http_client_response_t r;
        http_client_err_t e = http_client_post_json(app->booking_svc, path, NULL,
                                                    json_object_to_json_string(fwd), &r);
        if (e == HTTP_CLIENT_OK && r.status == 200)
            http_audit(db, req, "booking.cancel", hotel, id, json_object_to_json_string(fwd));
        rc = forward(req, e, &r);
        http_client_response_clear(&r);
        json_object_put(fwd);
    }
    json_object_put(body);
    db_pool_release(pool, db);
    return rc;
}

/* ---------------------------------------------------- compensations -- */

int admin_compensations_list(http_request_t *req, void *ctx)
{
    inv_app_t *app = ctx;
    const char *state = http_request_query(req, "state"), *hotel = NULL;
    int64_t limit;
    if (query_text(req, "hotelId", 64, &hotel) != 0 ||
        query_int(req, "limit", 1, COMPENSATIONS_MAX, COMPENSATIONS_DEFAULT, &limit) != 0)
        return 0;
    if (!state)
        state = "pending";
    query_t q = {.sql = "SELECT " COMPENSATION_COLUMNS " FROM compensation_task WHERE "};
    if (strcmp(state, "pending") == 0)
        q_add(&q, "state = 'pending'");
    else if (strcmp(state, "stuck") == 0)
        q_add(&q, "state = 'pending' AND alerted_at IS NOT NULL");
    else if (strcmp(state, "all") == 0)
        q_add(&q, "1 = 1");
    else
        return http_respond_error(req, 400, "VALIDATION_ERROR", "state",
                                  "state must be pending, stuck or all");
    if (hotel)
        q_param(&q, " AND hotel_id = ?", DB_STR(hotel));
    q_scope(&q, http_request_principal(req), "hotel_id");
    q_add(&q, strcmp(state, "all") == 0 ? " ORDER BY id DESC LIMIT ?"
                                        : " ORDER BY next_attempt_at, id LIMIT ?");
    q.params[q.n++] = DB_INT(limit);
    db_pool_t *pool;
    db_t *db = acquire(app, &pool);
    if (!db)
        return respond_db_unavailable(req);
    db_result_t *res = NULL;
    int rc;
    if (q.overflow || db_query(db, q.sql, q.params, q.n, &res) != DB_OK) {
        rc = respond_db_unavailable(req);
    } else {
        struct json_object *list = json_object_new_array();
        for (size_t i = 0; i < db_result_rows(res); i++)
            json_object_array_add(list, compensation_of(res, i));
        rc = http_respond_json(req, 200, list);
        json_object_put(list);
    }
    db_result_free(res);
    db_pool_release(pool, db);
    return rc;
}

/* The task of the path's id when the caller may see it: 0 with its row
 * (COMPENSATION_COLUMNS), or answered. A task of no hotel is for staff of
 * every hotel. */
static int load_compensation(http_request_t *req, db_t *db, db_result_t **res)
{
    const char *id = http_request_param(req, "compensationId");
    size_t n = id ? strlen(id) : 0;
    bool digits = n > 0 && n <= 19;
    for (size_t i = 0; digits && i < n; i++)
        digits = isdigit((unsigned char)id[i]);
    *res = NULL;
    if (!digits) {
        http_respond_error(req, 400, "VALIDATION_ERROR", "compensationId",
                           "compensationId must be the task's number");
        return -1;
    }
    db_param_t p[] = {DB_STR(id)};
    if (db_query(db, "SELECT " COMPENSATION_COLUMNS " FROM compensation_task WHERE id = ?", p, 1,
                 res) != DB_OK) {
        db_result_free(*res);
        *res = NULL;
        respond_db_unavailable(req);
        return -1;
    }
    const auth_principal_t *who = http_request_principal(req);
    const char *hotel = db_result_rows(*res) == 1 ? db_result_text(*res, 0, 2) : NULL;
    if (db_result_rows(*res) == 1 &&
        (hotel ? auth_principal_may_see_hotel(who, hotel) : auth_principal_all_hotels(who)))
        return 0;
    db_result_free(*res);
    *res = NULL;
    http_respond_error(req, 404, "NOT_FOUND", "compensationId", "no such compensation");
    return -1;
}

int admin_compensation_retry(http_request_t *req, void *ctx)
{
    inv_app_t *app = ctx;
    db_pool_t *pool;
    db_t *db = acquire(app, &pool);
    if (!db)
        return respond_db_unavailable(req);
    db_result_t *res;
    if (load_compensation(req, db, &res) != 0) {
        db_pool_release(pool, db);
        return 0;
    }
    char id[24], booking[BOOKING_ID_MAX + 1], hotel[AUTH_HOTEL_ID_MAX + 1], detail[96];
    snprintf(id, sizeof id, "%s", db_result_text(res, 0, 0));
    snprintf(booking, sizeof booking, "%s", db_result_text(res, 0, 1));
    const char *h = db_result_text(res, 0, 2);
    snprintf(hotel, sizeof hotel, "%s", h ? h : "");
    snprintf(detail, sizeof detail, "{\"compensationId\":\"%s\",\"action\":\"%s\"}", id,
             db_result_text(res, 0, 3));
    db_result_free(res);
    char path[96];
    snprintf(path, sizeof path, "/internal/compensations/%s/retry", id);
    http_client_response_t r;
    http_client_err_t e = http_client_post_json(app->booking_svc, path, NULL, "{}", &r);
    int rc;
    if (e == HTTP_CLIENT_OK && r.status == 200) {
        http_audit(db, req, "compensation.retry", hotel[0] ? hotel : NULL, booking, detail);
        db_param_t p[] = {DB_STR(id)};
        if (db_query(db, "SELECT " COMPENSATION_COLUMNS " FROM compensation_task WHERE id = ?", p,
                     1, &res) == DB_OK &&
            db_result_rows(res) == 1) {
            struct json_object *o = compensation_of(res, 0);
            rc = http_respond_json(req, 200, o);
            json_object_put(o);
        } else {
            rc = forward(req, e, &r);
        }
        db_result_free(res);
    } else {
        rc = forward(req, e, &r);
    }
    http_client_response_clear(&r);
    db_pool_release(pool, db);
    return rc;
}

/* --------------------------------------------------- reconciliation -- */

int admin_reconciliation(http_request_t *req, void *ctx)
{
    inv_app_t *app = ctx;
    const char *hotel = http_request_query(req, "hotelId");
    const char *from = http_request_query(req, "from"), *to = http_request_query(req, "to");
    const char *ignore = http_request_query(req, "ignoreOtherChannels");
    json_error_t jerr;
    if (inv_query_check_id("hotelId", hotel, &jerr) != 0)
        return http_respond_error(req, 400, "VALIDATION_ERROR", jerr.field, jerr.message);
    dates_day_t first, last, probe;
    char why[512];
    if (!from || !to || dates_validate_range(from, to, &first, &last, why, sizeof why) != 0)
        return http_respond_error(req, 400, "VALIDATION_ERROR",
                                  !from || dates_parse_iso(from, &probe) != 0 ? "from" : "to",
                                  from && to ? why : "from and to are required (YYYY-MM-DD)");
    if (ignore && strcmp(ignore, "true") != 0 && strcmp(ignore, "false") != 0)
        return http_respond_error(req, 400, "VALIDATION_ERROR", "ignoreOtherChannels",
                                  "ignoreOtherChannels must be true or false");
    if (!auth_principal_may_see_hotel(http_request_principal(req), hotel) ||
        pms_keystore_presence(app->keystore, pms_connector_vendor(app->pms), hotel) == PMS_KEY_NONE)
        return http_respond_error(req, 404, "HOTEL_NOT_FOUND", "hotelId", "no such hotel");
    if (!app->pay)
        return http_respond_error(req, 503, "RECONCILE_SOURCE_FAILED", NULL,
                                  "no payment gateway is configured (PAYMENT_API_KEY)");
    db_pool_t *pool;
    db_t *db = acquire(app, &pool);
    if (!db)
        return respond_db_unavailable(req);
    reconcile_source_t src = {.hotel_id = hotel,
                              .from = first,
                              .to = last,
                              .db = db,
                              .pms = app->pms_reconcile ? app->pms_reconcile : app->pms,
                              .pay = app->pay,
                              .ignore_other_channels = ignore && strcmp(ignore, "true") == 0};
    reconcile_report_t rep;
    reconcile_err_t re = reconcile_run(&src, &rep, why, sizeof why);
    db_pool_release(pool, db);
    int rc;
    if (re == RECONCILE_OK) {
        struct json_object *o = reconcile_report_json(&rep);
        rc = o ? http_respond_json(req, 200, o)
               : http_respond_error(req, 500, "INTERNAL_ERROR", NULL, "out of memory");
        json_object_put(o);
    } else if (re == RECONCILE_ERR_INVALID) {
        rc = http_respond_error(req, 400, "VALIDATION_ERROR", "from", why);
    } else {
        char msg[600];
        snprintf(msg, sizeof msg, "a ledger could not be read: %s", why);
        rc = http_respond_error(req, 502, "RECONCILE_SOURCE_FAILED", NULL, msg);
    }
    reconcile_report_free(&rep);
    return rc;
}
