/*
 * store.c — SQL for booking, saga_instance and saga_step_log (see store.h).
 * Every statement is prepared with bound parameters (db.h); times are
 * DATETIME(3) in UTC (the session's time zone).
 */
#include "store.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "common/money.h"

/* ------------------------------------------------------------ helpers -- */

static void copy_cell(const db_result_t *res, size_t row, size_t col, char *out, size_t size)
{
    const char *v = db_result_text(res, row, col);
    snprintf(out, size, "%s", v ? v : "");
}

/* "2025-11-01 09:30:00.123" (MariaDB) → "2025-11-01T09:30:00.123Z"; "" stays "". */
static void db_time_to_rfc3339(const char *text, char out[DATES_RFC3339_LEN + 1])
{
    int64_t ms;
    if (text && *text && dates_parse_rfc3339(text, &ms) == 0)
        dates_format_rfc3339(ms, out);
    else
        out[0] = '\0';
}

/* Unix ms → "2025-11-01 09:30:00.123" for a DATETIME(3) parameter. */
static void unix_ms_to_db_time(int64_t ms, char out[DATES_RFC3339_LEN + 1])
{
    dates_format_rfc3339(ms, out);
    char *t = strchr(out, 'T');
    if (t)
        *t = ' ';
    char *z = strchr(out, 'Z');
    if (z)
        *z = '\0';
}

static db_param_t opt_str(const char *s)
{
    return (s && *s) ? DB_STR(s) : DB_NULL;
}

static int check(db_t *db, db_err_t rc, const char *what)
{
    if (rc == DB_OK)
        return 0;
    log_kv(LOG_LEVEL_ERROR, "booking store statement failed", "what", what, "error", db_error(db),
           NULL);
    return -1;
}

int store_amount_from_decimal(const char *text, const char *currency, int64_t *out)
{
    char buf[48];
    if (!text || strlen(text) >= sizeof buf)
        return -1;
    snprintf(buf, sizeof buf, "%s", text);
    char *dot = strchr(buf, '.');
    if (dot) { /* DECIMAL(15,2) pads: "250000.00" is 250000 KRW */
        size_t n = strlen(buf);
        while (n > 0 && buf[n - 1] == '0' && &buf[n - 1] > dot)
            buf[--n] = '\0';
        if (buf[n - 1] == '.')
            buf[n - 1] = '\0';
    }
    return money_from_decimal_text(buf, currency, out);
}

/* ------------------------------------------------------------ booking -- */

int store_booking_update(db_t *db, const booking_record_t *rec)
{
    char expires[DATES_RFC3339_LEN + 1] = "";
    if (rec->hold_expires_at_ms > 0)
        unix_ms_to_db_time(rec->hold_expires_at_ms, expires);
    db_param_t p[] = {DB_STR(rec->status),
                      opt_str(rec->hold_id),
                      opt_str(expires),
                      opt_str(rec->payment_auth_id),
                      opt_str(rec->payment_status),
                      opt_str(rec->reservation_id),
                      opt_str(rec->confirmation_number),
                      opt_str(rec->error_code),
                      opt_str(rec->error_message),
                      DB_STR(rec->booking_id)};
    return check(db,
                 db_exec(db,
                         "UPDATE booking SET status = ?, hold_id = ?, hold_expires_at = ?, "
                         "payment_auth_id = ?, payment_status = ?, reservation_id = ?, "
                         "confirmation_number = ?, error_code = ?, error_message = ? "
                         "WHERE booking_id = ?",
                         p, sizeof p / sizeof p[0], NULL, NULL),
                 "update booking");
}

int store_booking_load(db_t *db, const char *booking_id, booking_record_t *rec)
{
    char id[BOOKING_ID_MAX]; /* booking_id may point into *rec */
    snprintf(id, sizeof id, "%s", booking_id);
    memset(rec, 0, sizeof *rec);
    db_param_t p[] = {DB_STR(id)};
    db_result_t *res = NULL;
    if (check(db,
              db_query(db,
                       "SELECT b.booking_id, b.vendor, b.hotel_id, b.room_type_id, "
                       "DATE_FORMAT(b.check_in, '%Y-%m-%d'), DATE_FORMAT(b.check_out, '%Y-%m-%d'), "
                       "b.adults, b.children, b.status, b.hold_id, b.hold_expires_at, "
                       "b.payment_auth_id, b.payment_status, b.reservation_id, "
                       "b.confirmation_number, b.total_price, b.currency, b.error_code, "
                       "b.error_message, b.created_at, b.updated_at, s.state, s.current_step, "
                       "b.token_hash, b.rate_plan_id, b.rooms, b.cancel_policy, b.cancel_fee, "
                       "b.refunded_amount, b.tax_amount, b.tax_free_amount "
                       "FROM booking b LEFT JOIN saga_instance s ON s.booking_id = b.booking_id "
                       "WHERE b.booking_id = ?",
                       p, 1, &res),
              "load booking") != 0)
        return -1;
    if (db_result_rows(res) == 0) {
        db_result_free(res);
        return 1;
    }
    int64_t v;
    copy_cell(res, 0, 0, rec->booking_id, sizeof rec->booking_id);
    copy_cell(res, 0, 1, rec->vendor, sizeof rec->vendor);
    copy_cell(res, 0, 2, rec->hotel_id, sizeof rec->hotel_id);
    copy_cell(res, 0, 3, rec->room_type_id, sizeof rec->room_type_id);
    copy_cell(res, 0, 4, rec->check_in_text, sizeof rec->check_in_text);
    copy_cell(res, 0, 5, rec->check_out_text, sizeof rec->check_out_text);
    dates_parse_iso(rec->check_in_text, &rec->check_in);
    dates_parse_iso(rec->check_out_text, &rec->check_out);
    rec->adults = db_result_int64(res, 0, 6, &v) == 0 ? (int)v : 0;
    rec->children = db_result_int64(res, 0, 7, &v) == 0 ? (int)v : 0;
    copy_cell(res, 0, 8, rec->status, sizeof rec->status);
    copy_cell(res, 0, 9, rec->hold_id, sizeof rec->hold_id);
    const char *exp = db_result_text(res, 0, 10);
    if (!exp || dates_parse_rfc3339(exp, &rec->hold_expires_at_ms) != 0)
        rec->hold_expires_at_ms = 0;
    copy_cell(res, 0, 11, rec->payment_auth_id, sizeof rec->payment_auth_id);
    copy_cell(res, 0, 12, rec->payment_status, sizeof rec->payment_status);
    copy_cell(res, 0, 13, rec->reservation_id, sizeof rec->reservation_id);
    copy_cell(res, 0, 14, rec->confirmation_number, sizeof rec->confirmation_number);
    copy_cell(res, 0, 16, rec->currency, sizeof rec->currency);
    if (store_amount_from_decimal(db_result_text(res, 0, 15), rec->currency, &rec->amount) != 0)
        rec->amount = 0;
    copy_cell(res, 0, 17, rec->error_code, sizeof rec->error_code);
    copy_cell(res, 0, 18, rec->error_message, sizeof rec->error_message);
    db_time_to_rfc3339(db_result_text(res, 0, 19), rec->created_at);
    if (dates_parse_rfc3339(rec->created_at, &rec->created_ms) != 0)
        rec->created_ms = 0;
    db_time_to_rfc3339(db_result_text(res, 0, 20), rec->updated_at);
    copy_cell(res, 0, 21, rec->saga_state, sizeof rec->saga_state);
    copy_cell(res, 0, 22, rec->current_step, sizeof rec->current_step);
    copy_cell(res, 0, 23, rec->token_hash, sizeof rec->token_hash);
    copy_cell(res, 0, 24, rec->rate_plan_id, sizeof rec->rate_plan_id);
    rec->rooms = db_result_int64(res, 0, 25, &v) == 0 && v > 0 ? (int)v : 1;
    copy_cell(res, 0, 26, rec->cancel_policy, sizeof rec->cancel_policy);
    if (!db_result_text(res, 0, 27) ||
        store_amount_from_decimal(db_result_text(res, 0, 27), rec->currency, &rec->cancel_fee) != 0)
        rec->cancel_fee = -1;
    if (!db_result_text(res, 0, 28) ||
        store_amount_from_decimal(db_result_text(res, 0, 28), rec->currency,
                                  &rec->refunded_amount) != 0)
        rec->refunded_amount = -1;
    if (!db_result_text(res, 0, 29) ||
        store_amount_from_decimal(db_result_text(res, 0, 29), rec->currency, &rec->tax_amount) != 0)
        rec->tax_amount = -1;
    if (!db_result_text(res, 0, 30) ||
        store_amount_from_decimal(db_result_text(res, 0, 30), rec->currency,
                                  &rec->tax_free_amount) != 0)
        rec->tax_free_amount = -1;
    db_result_free(res);
    return 0;
}

int store_booking_set_refund(db_t *db, const booking_record_t *rec)
{
    char fee[32], refunded[32];
    if (money_to_decimal_text(rec->cancel_fee, rec->currency, fee, sizeof fee) != 0 ||
        money_to_decimal_text(rec->refunded_amount, rec->currency, refunded, sizeof refunded) != 0)
        return -1;
    db_param_t p[] = {DB_STR(fee), DB_STR(refunded), DB_STR(rec->booking_id)};
    return check(db,
                 db_exec(db,
                         "UPDATE booking SET cancel_fee = ?, refunded_amount = ? WHERE "
                         "booking_id = ?",
                         p, 3, NULL, NULL),
                 "set refund");
}

int store_cancel_policy_find(db_t *db, const char *vendor, const char *hotel_id,
                             const char *rate_plan_id, char *out, size_t size)
{
    out[0] = '\0';
    db_param_t p[] = {DB_STR(vendor), DB_STR(hotel_id), DB_STR(rate_plan_id)};
    db_result_t *res = NULL;
    if (check(db,
              db_query(db,
                       "SELECT policy FROM cancellation_policy WHERE vendor = ? AND hotel_id = ? "
                       "AND rate_plan_id IN (?, '*') ORDER BY rate_plan_id = '*' LIMIT 1",
                       p, 3, &res),
              "find cancel policy") != 0)
        return -1;
    int found = db_result_rows(res) > 0;
    if (found)
        copy_cell(res, 0, 0, out, size);
    db_result_free(res);
    return found;
}

/* --------------------------------------------------------------- saga -- */

int store_step(db_t *db, const char *booking_id, const char *step, const char *outcome,
               const char *detail)
{
    char d[BOOKING_MESSAGE_MAX];
    if (detail)
        snprintf(d, sizeof d, "%s", detail);
    db_param_t p[] = {DB_STR(booking_id), DB_STR(step), DB_STR(outcome),
                      detail ? DB_STR(d) : DB_NULL};
    return check(db,
                 db_exec(db,
                         "INSERT INTO saga_step_log (booking_id, step, outcome, detail) "
                         "VALUES (?, ?, ?, ?)",
                         p, 4, NULL, NULL),
                 "insert step");
}

int store_saga_set(db_t *db, const char *booking_id, const char *state, const char *current_step)
{
    db_param_t p[] = {opt_str(state), opt_str(state), opt_str(current_step), DB_STR(booking_id)};
    return check(db,
                 db_exec(db,
                         "UPDATE saga_instance SET "
                         "compensating = (COALESCE(?, state) IN ('compensating', "
                         "'compensation_pending')), state = COALESCE(?, state), "
                         "current_step = COALESCE(?, current_step) WHERE booking_id = ?",
                         p, 4, NULL, NULL),
                 "update saga");
}

int store_saga_clear_data(db_t *db, const char *booking_id)
{
    db_param_t p[] = {DB_STR(booking_id)};
    return check(
        db,
        db_exec(db, "UPDATE saga_instance SET data = NULL WHERE booking_id = ?", p, 1, NULL, NULL),
        "clear saga data");
}

char *store_saga_data(db_t *db, const char *booking_id)
{
    db_param_t p[] = {DB_STR(booking_id)};
    db_result_t *res = NULL;
    if (check(db, db_query(db, "SELECT data FROM saga_instance WHERE booking_id = ?", p, 1, &res),
              "saga data") != 0)
        return NULL;
    char *out = NULL;
    if (db_result_rows(res) == 1 && db_result_text(res, 0, 0))
        out = strdup(db_result_text(res, 0, 0));
    db_result_free(res);
    return out;
}

int store_lease_renew(db_t *db, const char *booking_id, const char *owner, int lease_s)
{
    /* one conditional write: fence changes on every write, so a row that
     * matched always counts as affected (same values in the same millisecond
     * would otherwise report 0, which must not read as "lease lost"). Only a
     * live lease is extended: the keeper renews from a snapshot of the
     * running sagas, and reviving the lease of one that has just ended would
     * refuse the guest's cancel of the booking just confirmed ("being
     * changed") until it lapsed. A lease that lapsed unrenewed is lost, as
     * another process may take it. */
    db_param_t u[] = {DB_INT(lease_s), DB_STR(booking_id), DB_STR(owner)};
    uint64_t n = 0;
    if (check(db,
              db_exec(db,
                      "UPDATE saga_instance SET fence = fence + 1, "
                      "locked_until = NOW(3) + INTERVAL ? SECOND "
                      "WHERE booking_id = ? AND locked_by = ? AND locked_until > NOW(3)",
                      u, 3, &n, NULL),
              "renew lease") != 0)
        return -1;
    return n >= 1 ? 1 : 0;
}

int store_saga_advance(db_t *db, const booking_record_t *rec, const char *owner, int lease_s,
                       const char *state, const char *current_step, bool update_booking,
                       bool finish)
{
    /* The saga row (lease, state, step) and, when asked, the booking row in
     * one statement, conditional on the lease: 0 rows = lost. */
    static const char saga_set[] =
        "s.fence = s.fence + 1, "
        "s.compensating = (COALESCE(?, s.state) IN ('compensating', 'compensation_pending')), "
        "s.state = COALESCE(?, s.state), s.current_step = COALESCE(?, s.current_step), ";
    static const char lease_keep[] = "s.locked_until = NOW(3) + INTERVAL ? SECOND";
    static const char lease_end[] =
        "s.locked_until = NOW(3) + INTERVAL 0 * ? SECOND, s.data = NULL";
    static const char booking_set[] =
        ", b.status = ?, b.hold_id = ?, b.hold_expires_at = ?, b.payment_auth_id = ?, "
        "b.payment_status = ?, b.reservation_id = ?, b.confirmation_number = ?, "
        "b.error_code = ?, b.error_message = ?";
    char sql[1024];
    snprintf(sql, sizeof sql,
             "UPDATE saga_instance s%s SET %s%s%s WHERE s.booking_id = ? AND s.locked_by = ?",
             update_booking ? " JOIN booking b ON b.booking_id = s.booking_id" : "", saga_set,
             finish ? lease_end : lease_keep, update_booking ? booking_set : "");
    char expires[DATES_RFC3339_LEN + 1] = "";
    if (rec->hold_expires_at_ms > 0)
        unix_ms_to_db_time(rec->hold_expires_at_ms, expires);
    db_param_t p[16];
    size_t n = 0;
    p[n++] = opt_str(state);
    p[n++] = opt_str(state);
    p[n++] = opt_str(current_step);
    p[n++] = DB_INT(lease_s);
    if (update_booking) {
        p[n++] = DB_STR(rec->status);
        p[n++] = opt_str(rec->hold_id);
        p[n++] = opt_str(expires);
        p[n++] = opt_str(rec->payment_auth_id);
        p[n++] = opt_str(rec->payment_status);
        p[n++] = opt_str(rec->reservation_id);
        p[n++] = opt_str(rec->confirmation_number);
        p[n++] = opt_str(rec->error_code);
        p[n++] = opt_str(rec->error_message);
    }
    p[n++] = DB_STR(rec->booking_id);
    p[n++] = DB_STR(owner);
    uint64_t affected = 0;
    if (check(db, db_exec(db, sql, p, n, &affected, NULL), "advance saga") != 0)
        return -1;
    return affected >= 1 ? 1 : 0;
}

int store_saga_advance_call(db_t *db, const booking_record_t *rec, const store_advance_t *a)
{
    if (a->row_count > STORE_ADVANCE_STEPS)
        return -1;
    char expires[DATES_RFC3339_LEN + 1] = "";
    if (rec->hold_expires_at_ms > 0)
        unix_ms_to_db_time(rec->hold_expires_at_ms, expires);
    char details[STORE_ADVANCE_STEPS][BOOKING_MESSAGE_MAX];
    db_param_t p[40];
    size_t n = 0;
    p[n++] = DB_STR(rec->booking_id);
    p[n++] = DB_STR(a->owner);
    p[n++] = DB_INT(a->lease_s);
    p[n++] = opt_str(a->state);
    p[n++] = opt_str(a->current_step);
    p[n++] = DB_INT(a->finish);
    p[n++] = DB_INT(a->update_booking);
    p[n++] = DB_STR(rec->status);
    p[n++] = opt_str(rec->hold_id);
    p[n++] = opt_str(expires);
    p[n++] = opt_str(rec->payment_auth_id);
    p[n++] = opt_str(rec->payment_status);
    p[n++] = opt_str(rec->reservation_id);
    p[n++] = opt_str(rec->confirmation_number);
    p[n++] = opt_str(rec->error_code);
    p[n++] = opt_str(rec->error_message);
    for (size_t i = 0; i < STORE_ADVANCE_STEPS; i++) {
        const store_step_row_t *r = i < a->row_count ? &a->rows[i] : NULL;
        if (r && r->detail)
            snprintf(details[i], sizeof details[i], "%s", r->detail);
        p[n++] = r ? DB_STR(r->step) : DB_NULL;
        p[n++] = r ? DB_STR(r->outcome) : DB_NULL;
        p[n++] = r && r->detail ? DB_STR(details[i]) : DB_NULL;
    }
    bool ev = a->event_payload != NULL;
    p[n++] = ev ? DB_STR(a->event_id) : DB_NULL;
    p[n++] = ev ? DB_STR(a->aggregate_type) : DB_NULL;
    p[n++] = ev ? DB_STR(a->topic) : DB_NULL;
    p[n++] = ev ? DB_STR(a->event_type) : DB_NULL;
    p[n++] = ev ? DB_STR(a->event_payload) : DB_NULL;
    bool idem = a->idem_key != NULL;
    p[n++] = idem ? DB_STR(a->idem_scope) : DB_NULL;
    p[n++] = idem ? DB_STR(a->idem_key) : DB_NULL;
    p[n++] = idem ? DB_INT(a->idem_status) : DB_NULL;
    p[n++] = idem ? DB_STR(a->idem_body) : DB_NULL;
    db_err_t e =
        db_exec(db,
                "CALL saga_advance(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                p, n, NULL, NULL);
    if (e == DB_ERR_QUERY && db_errno(db) == DB_ERRNO_SIGNAL)
        return 0; /* SQLSTATE 45000 'saga lease lost': rolled back */
    return check(db, e, "advance saga (procedure)") == 0 ? 1 : -1;
}

/* The step rows as saga_open takes them: [{"step","outcome","detail"?}, …]. */
static char *steps_json(const store_step_row_t *rows, size_t count)
{
    struct json_object *a = json_object_new_array();
    if (!a)
        return NULL;
    for (size_t i = 0; i < count; i++) {
        struct json_object *o = json_object_new_object();
        if (!o || json_object_array_add(a, o) != 0) {
            json_object_put(o);
            json_object_put(a);
            return NULL;
        }
        json_object_object_add(o, "step", json_object_new_string(rows[i].step));
        json_object_object_add(o, "outcome", json_object_new_string(rows[i].outcome));
        if (rows[i].detail) {
            char d[BOOKING_MESSAGE_MAX]; /* the column's size, as store_steps cuts it */
            snprintf(d, sizeof d, "%s", rows[i].detail);
            json_object_object_add(o, "detail", json_object_new_string(d));
        }
    }
    char *text = json_to_string_dup(a);
    json_object_put(a);
    return text;
}

int store_saga_open_call(db_t *db, const booking_record_t *rec, const store_open_t *o)
{
    char price[32], tax[32], tax_free[32];
    if (money_to_decimal_text(rec->amount, rec->currency, price, sizeof price) != 0 ||
        (rec->tax_amount >= 0 &&
         money_to_decimal_text(rec->tax_amount, rec->currency, tax, sizeof tax) != 0) ||
        (rec->tax_free_amount >= 0 && money_to_decimal_text(rec->tax_free_amount, rec->currency,
                                                            tax_free, sizeof tax_free) != 0))
        return -1;
    char *steps = o->row_count ? steps_json(o->rows, o->row_count) : NULL;
    if (o->row_count && !steps)
        return -1;
    bool ev = o->event_payload != NULL;
    bool idem = o->idem_key != NULL;
    db_param_t p[] = {DB_STR(rec->booking_id),
                      DB_STR(rec->vendor),
                      DB_STR(rec->hotel_id),
                      DB_STR(rec->room_type_id),
                      DB_STR(rec->check_in_text),
                      DB_STR(rec->check_out_text),
                      DB_INT(rec->adults),
                      DB_INT(rec->children),
                      DB_STR(price),
                      DB_STR(rec->currency),
                      DB_BLOB(o->guest_enc, o->guest_len),
                      DB_STR(rec->token_hash[0] ? rec->token_hash : NULL),
                      opt_str(rec->rate_plan_id),
                      DB_INT(rec->rooms > 0 ? rec->rooms : 1),
                      opt_str(rec->cancel_policy),
                      rec->tax_amount >= 0 ? DB_STR(tax) : DB_NULL,
                      rec->tax_free_amount >= 0 ? DB_STR(tax_free) : DB_NULL,
                      DB_STR(rec->current_step[0] ? rec->current_step : "inventory_check"),
                      opt_str(o->saga_data),
                      DB_STR(o->owner),
                      DB_INT(o->lease_s),
                      DB_STR(o->provider),
                      DB_STR(o->order_id && o->order_id[0] ? o->order_id : NULL),
                      steps ? DB_STR(steps) : DB_NULL,
                      idem ? DB_STR(o->idem_scope) : DB_NULL,
                      idem ? DB_STR(o->idem_key) : DB_NULL,
                      ev ? DB_STR(o->event_id) : DB_NULL,
                      ev ? DB_STR(o->aggregate_type) : DB_NULL,
                      ev ? DB_STR(o->topic) : DB_NULL,
                      ev ? DB_STR(o->event_type) : DB_NULL,
                      ev ? DB_STR(o->event_payload) : DB_NULL};
    db_err_t e = db_exec(db,
                         "CALL saga_open(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                         "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         p, sizeof p / sizeof p[0], NULL, NULL);
    free(steps);
    if (e == DB_ERR_QUERY && db_errno(db) == DB_ERRNO_SIGNAL)
        return 1; /* SQLSTATE 45000 'payment order id taken': rolled back */
    return check(db, e, "open saga (procedure)");
}

int store_steps(db_t *db, const char *booking_id, const store_step_row_t *rows, size_t count)
{
    if (count == 0)
        return 0;
    if (count > STORE_STEPS_MAX)
        return -1;
    static const char head[] =
        "INSERT INTO saga_step_log (booking_id, step, outcome, detail) VALUES ";
    char sql[sizeof head + STORE_STEPS_MAX * 16];
    char details[STORE_STEPS_MAX][BOOKING_MESSAGE_MAX];
    db_param_t p[STORE_STEPS_MAX * 4];
    size_t off = (size_t)snprintf(sql, sizeof sql, "%s", head);
    for (size_t i = 0; i < count; i++) {
        off += (size_t)snprintf(sql + off, sizeof sql - off, i ? ", (?, ?, ?, ?)" : "(?, ?, ?, ?)");
        if (rows[i].detail)
            snprintf(details[i], sizeof details[i], "%s", rows[i].detail);
        p[i * 4] = DB_STR(booking_id);
        p[i * 4 + 1] = DB_STR(rows[i].step);
        p[i * 4 + 2] = DB_STR(rows[i].outcome);
        p[i * 4 + 3] = rows[i].detail ? DB_STR(details[i]) : DB_NULL;
    }
    return check(db, db_exec(db, sql, p, count * 4, NULL, NULL), "insert steps");
}

int store_lease_take(db_t *db, const char *booking_id, const char *owner, int lease_s)
{
    db_param_t p[] = {DB_STR(owner), DB_INT(lease_s), DB_STR(booking_id)};
    uint64_t n = 0;
    if (check(db,
              db_exec(db,
                      "UPDATE saga_instance SET locked_by = ?, "
                      "locked_until = NOW(3) + INTERVAL ? SECOND, attempts = attempts + 1 "
                      "WHERE booking_id = ? AND (locked_until IS NULL OR locked_until <= NOW(3))",
                      p, 3, &n, NULL),
              "take lease") != 0)
        return -1;
    return n == 1 ? 1 : 0;
}

int store_lease_release(db_t *db, const char *booking_id, const char *owner)
{
    db_param_t p[] = {DB_STR(booking_id), DB_STR(owner)};
    return check(db,
                 db_exec(db,
                         "UPDATE saga_instance SET locked_until = NOW(3) "
                         "WHERE booking_id = ? AND locked_by = ?",
                         p, 2, NULL, NULL),
                 "release lease");
}

int store_step_flags(db_t *db, const char *booking_id, store_step_flags_t *out)
{
    memset(out, 0, sizeof *out);
    bool hold_failed = false, hold_failed_in_doubt = false;
    db_param_t p[] = {DB_STR(booking_id)};
    db_result_t *res = NULL;
    if (check(db,
              db_query(db,
                       "SELECT step, outcome, detail FROM saga_step_log WHERE booking_id = ? "
                       "AND outcome IN ('started', 'succeeded', 'failed') ORDER BY id",
                       p, 1, &res),
              "step flags") != 0)
        return -1;
    for (size_t i = 0; i < db_result_rows(res); i++) {
        const char *step = db_result_text(res, i, 0), *outcome = db_result_text(res, i, 1);
        bool ok = outcome && strcmp(outcome, "succeeded") == 0;
        bool failed = outcome && strcmp(outcome, "failed") == 0;
        const char *detail = db_result_text(res, i, 2);
        if (!step)
            continue;
        if (strcmp(step, "hold") == 0 && failed)
            hold_failed = true,
            hold_failed_in_doubt = detail && strncmp(detail, "in doubt", 8) == 0;
        if (failed)
            continue;
        bool *started = NULL, *succeeded = NULL;
        if (strcmp(step, "hold") == 0)
            started = &out->hold_started, succeeded = &out->hold_succeeded;
        else if (strcmp(step, "preauth") == 0)
            started = &out->preauth_started, succeeded = &out->preauth_succeeded;
        else if (strcmp(step, "confirm") == 0)
            started = &out->confirm_started, succeeded = &out->confirm_succeeded;
        else if (strcmp(step, "capture") == 0 || strcmp(step, "retry_capture") == 0)
            started = &out->capture_started, succeeded = &out->capture_succeeded;
        if (started) {
            *started = true;
            if (ok)
                *succeeded = true;
        }
    }
    db_result_free(res);
    out->hold_in_doubt =
        out->hold_started && !out->hold_succeeded && (!hold_failed || hold_failed_in_doubt);
    return 0;
}

static int action_index(char list[][32], size_t n, const char *action)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], action) == 0)
            return (int)i;
    return -1;
}

static void action_remove(char list[][32], size_t *n, const char *action)
{
    int i = action_index(list, *n, action);
    if (i < 0)
        return;
    memmove(list[i], list[i + 1], (*n - (size_t)i - 1) * sizeof list[0]);
    (*n)--;
}

static void action_add(char list[][32], size_t *n, const char *action)
{
    if (action_index(list, *n, action) >= 0 || *n >= STORE_MAX_ACTIONS)
        return;
    snprintf(list[*n], sizeof list[0], "%s", action);
    (*n)++;
}

int store_compensations(db_t *db, const char *booking_id, store_compensations_t *out)
{
    memset(out, 0, sizeof *out);
    db_param_t p[] = {DB_STR(booking_id)};
    db_result_t *res = NULL;
    if (check(db,
              db_query(db,
                       "SELECT step, outcome FROM saga_step_log WHERE booking_id = ? AND outcome "
                       "IN ('compensated', 'compensation_failed') ORDER BY id",
                       p, 1, &res),
              "compensations") != 0)
        return -1;
    for (size_t i = 0; i < db_result_rows(res); i++) {
        const char *step = db_result_text(res, i, 0), *outcome = db_result_text(res, i, 1);
        if (!step || !outcome)
            continue;
        if (strcmp(outcome, "compensated") == 0) {
            action_remove(out->pending, &out->pending_count, step);
            action_add(out->done, &out->done_count, step);
        } else {
            action_add(out->pending, &out->pending_count, step);
        }
    }
    db_result_free(res);
    return 0;
}

int store_due_sagas(db_t *db, char ids[][BOOKING_ID_MAX], int max)
{
    db_param_t p[] = {DB_INT(max)};
    db_result_t *res = NULL;
    if (check(db,
              db_query(db,
                       "SELECT booking_id FROM saga_instance WHERE state IN ('running', "
                       "'compensating') AND (locked_until IS NULL OR locked_until < NOW(3)) "
                       "ORDER BY created_at LIMIT ?",
                       p, 1, &res),
              "due sagas") != 0)
        return -1;
    int n = (int)db_result_rows(res);
    for (int i = 0; i < n; i++)
        copy_cell(res, (size_t)i, 0, ids[i], BOOKING_ID_MAX);
    db_result_free(res);
    return n;
}

int store_rival_holds(db_t *db, const booking_record_t *rec, char ids[][BOOKING_ID_MAX], int max)
{
    if (max > STORE_RIVALS_MAX)
        max = STORE_RIVALS_MAX;
    db_param_t p[] = {DB_STR(rec->vendor),
                      DB_STR(rec->hotel_id),
                      DB_STR(rec->room_type_id),
                      DB_STR(rec->booking_id),
                      DB_STR(rec->check_out_text),
                      DB_STR(rec->check_in_text),
                      DB_INT(max)};
    db_result_t *res = NULL;
    if (check(db,
              db_query(db,
                       "SELECT booking_id FROM booking WHERE vendor = ? AND hotel_id = ? AND "
                       "room_type_id = ? AND booking_id <> ? AND status = 'pending' AND hold_id "
                       "IS NOT NULL AND check_in < ? AND check_out > ? LIMIT ?",
                       p, sizeof p / sizeof p[0], &res),
              "rival holds") != 0)
        return -1;
    int n = (int)db_result_rows(res);
    for (int i = 0; i < n; i++)
        copy_cell(res, (size_t)i, 0, ids[i], BOOKING_ID_MAX);
    db_result_free(res);
    return n;
}

int store_rivals_pending(db_t *db, char ids[][BOOKING_ID_MAX], int n, bool *released)
{
    *released = false;
    if (n <= 0)
        return 0;
    if (n > STORE_RIVALS_MAX)
        n = STORE_RIVALS_MAX;
    char sql[128 + STORE_RIVALS_MAX * 3] = "SELECT status FROM booking WHERE booking_id IN (";
    db_param_t p[STORE_RIVALS_MAX];
    for (int i = 0; i < n; i++) {
        strcat(sql, i ? ",?" : "?");
        p[i] = DB_STR(ids[i]);
    }
    strcat(sql, ")");
    db_result_t *res = NULL;
    if (check(db, db_query(db, sql, p, (size_t)n, &res), "rivals pending") != 0)
        return -1;
    int pending = 0;
    for (size_t i = 0; i < db_result_rows(res); i++) {
        const char *st = db_result_text(res, i, 0);
        if (st && strcmp(st, "pending") == 0)
            pending++;
        else if (st && (strcmp(st, "failed") == 0 || strcmp(st, "cancelled") == 0))
            *released = true;
    }
    db_result_free(res);
    return pending;
}

struct json_object *store_steps_json(db_t *db, const char *booking_id)
{
    db_param_t p[] = {DB_STR(booking_id)};
    db_result_t *res = NULL;
    if (check(db,
              db_query(db,
                       "SELECT step, outcome, detail, created_at FROM saga_step_log "
                       "WHERE booking_id = ? ORDER BY id",
                       p, 1, &res),
              "steps") != 0)
        return NULL;
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; i < db_result_rows(res); i++) {
        struct json_object *o = json_object_new_object();
        const char *detail = db_result_text(res, i, 2);
        char at[DATES_RFC3339_LEN + 1];
        db_time_to_rfc3339(db_result_text(res, i, 3), at);
        json_object_object_add(o, "step", json_object_new_string(db_result_text(res, i, 0)));
        json_object_object_add(o, "outcome", json_object_new_string(db_result_text(res, i, 1)));
        if (detail)
            json_object_object_add(o, "detail", json_object_new_string(detail));
        json_object_object_add(o, "at", json_object_new_string(at));
        json_object_array_add(arr, o);
    }
    db_result_free(res);
    return arr;
}
