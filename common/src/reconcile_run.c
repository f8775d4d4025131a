/*
 * reconcile_run.c — reading the three ledgers for reconcile_compare
 * (reconcile.h): the booking table for the hotel and check-in range, the
 * PMS's reservations for the same range (then each confirmed one of ours
 * read for its total, which the PMS's list leaves out), and each booking's
 * payment from the gateway.
 *
 * Only the columns the comparison needs are read: the guest's (encrypted)
 * details and the card token never leave the database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/money.h"
#include "common/reconcile.h"

typedef struct ledgers {
    reconcile_booking_t *bookings;
    size_t booking_count;
    pms_reservation_list_t reservations;
    pay_payment_t *payments;
    size_t payment_count;
} ledgers_t;

static void ledgers_free(ledgers_t *l)
{
    free(l->bookings);
    pms_reservation_list_free(&l->reservations);
    free(l->payments);
}

/* Copies a cell (NULL → "") into dst of dst_size bytes. */
static void cell(const db_result_t *res, size_t row, size_t col, char *dst, size_t dst_size)
{
    const char *v = db_result_text(res, row, col);
    snprintf(dst, dst_size, "%s", v ? v : "");
}

/* The hotel's bookings of the range into l. Returns RECONCILE_OK or an error
 * with why filled. */
static reconcile_err_t read_bookings(const reconcile_source_t *src, ledgers_t *l, char *why,
                                     size_t why_size)
{
    char from[DATES_ISO_LEN + 1], to[DATES_ISO_LEN + 1];
    dates_format_iso(src->from, from);
    dates_format_iso(src->to, to);
    db_param_t p[] = {DB_STR(pms_connector_vendor(src->pms)), DB_STR(src->hotel_id), DB_STR(from),
                      DB_STR(to)};
    db_result_t *res = NULL;
    if (db_query(src->db,
                 "SELECT b.booking_id, b.status, b.reservation_id, b.payment_auth_id, "
                 "b.total_price, b.currency, b.check_in, b.cancel_fee, "
                 "COALESCE(p.provider, 'stripe') FROM booking b "
                 "LEFT JOIN booking_payment p ON p.booking_id = b.booking_id "
                 "WHERE b.vendor = ? AND b.hotel_id = ? AND b.check_in BETWEEN ? AND ? "
                 /* bookings made on another channel took no money of ours: the PMS's alone */
                 "AND b.source = 'checkout' ORDER BY b.check_in, b.booking_id",
                 p, 4, &res) != DB_OK) {
        snprintf(why, why_size, "the booking table: %s", db_error(src->db));
        return RECONCILE_ERR_DB;
    }
    size_t n = db_result_rows(res);
    reconcile_err_t rc = RECONCILE_OK;
    if (n > RECONCILE_MAX_BOOKINGS) {
        snprintf(why, why_size, "more than %d bookings in the range: narrow it",
                 RECONCILE_MAX_BOOKINGS);
        rc = RECONCILE_ERR_INVALID;
    } else if (n > 0 && !(l->bookings = calloc(n, sizeof *l->bookings))) {
        snprintf(why, why_size, "out of memory");
        rc = RECONCILE_ERR_MEMORY;
    }
    for (size_t i = 0; rc == RECONCILE_OK && i < n; i++) {
        reconcile_booking_t *b = &l->bookings[i];
        cell(res, i, 0, b->booking_id, sizeof b->booking_id);
        cell(res, i, 1, b->status, sizeof b->status);
        cell(res, i, 2, b->reservation_id, sizeof b->reservation_id);
        cell(res, i, 3, b->payment_auth_id, sizeof b->payment_auth_id);
        cell(res, i, 5, b->currency, sizeof b->currency);
        cell(res, i, 8, b->provider, sizeof b->provider);
        if (money_from_decimal_text(db_result_text(res, i, 4), b->currency, &b->amount) != 0 ||
            dates_parse_iso(db_result_text(res, i, 6), &b->check_in) != 0) {
            snprintf(why, why_size, "booking %s: unreadable total or check-in", b->booking_id);
            rc = RECONCILE_ERR_DB;
        }
        const char *fee = db_result_text(res, i, 7);
        if (!fee || money_from_decimal_text(fee, b->currency, &b->cancel_fee) != 0)
            b->cancel_fee = 0;
        l->booking_count = i + 1;
    }
    db_result_free(res);
    return rc;
}

/* Whether a reservation was made by our checkout (its reference is a booking). */
static bool is_ours(const ledgers_t *l, const pms_reservation_t *r)
{
    for (size_t i = 0; i < l->booking_count; i++)
        if (strcmp(l->bookings[i].reservation_id, r->reservation_id) == 0 ||
            (*r->reference && strcmp(l->bookings[i].booking_id, r->reference) == 0))
            return true;
    return false;
}

/* The PMS's reservations of the range, with the totals of our confirmed
 * ones (the only ones whose amount is compared). */
static reconcile_err_t read_reservations(const reconcile_source_t *src, ledgers_t *l, char *why,
                                         size_t why_size)
{
    pms_error_t e;
    if (pms_list_reservations(src->pms, src->hotel_id, src->from, src->to, &l->reservations, &e) !=
        PMS_OK) {
        snprintf(why, why_size, "the PMS's reservations: %s (%s)", e.message, pms_err_name(e.code));
        return RECONCILE_ERR_PMS;
    }
    for (size_t i = 0; i < l->reservations.count; i++) {
        pms_reservation_t *r = &l->reservations.items[i];
        if (r->status != PMS_RES_CONFIRMED || !is_ours(l, r))
            continue;
        pms_reservation_t full;
        if (pms_get_reservation(src->pms, src->hotel_id, r->reservation_id, &full, &e) != PMS_OK) {
            snprintf(why, why_size, "PMS reservation %s: %s (%s)", r->reservation_id, e.message,
                     pms_err_name(e.code));
            return RECONCILE_ERR_PMS;
        }
        r->total = full.total;
        memcpy(r->currency, full.currency, sizeof r->currency);
    }
    return RECONCILE_OK;
}

/* Each booking's payment as the gateway has it now; a payment the gateway
 * does not know is left out (the comparison then calls it missing). */
static reconcile_err_t read_payments(const reconcile_source_t *src, ledgers_t *l, char *why,
                                     size_t why_size)
{
    if (l->booking_count == 0)
        return RECONCILE_OK;
    if (!(l->payments = calloc(l->booking_count, sizeof *l->payments))) {
        snprintf(why, why_size, "out of memory");
        return RECONCILE_ERR_MEMORY;
    }
    for (size_t i = 0; i < l->booking_count; i++) {
        const char *id = l->bookings[i].payment_auth_id;
        if (!*id)
            continue;
        bool toss = strcmp(l->bookings[i].provider, "toss") == 0;
        if (toss && !src->toss) {
            snprintf(why, why_size, "payment %s is Toss Payments': no Toss connector configured",
                     id);
            return RECONCILE_ERR_PAYMENT;
        }
        pay_error_t e;
        pay_err_t rc =
            payment_get(toss ? src->toss : src->pay, id, &l->payments[l->payment_count], &e);
        if (rc == PAY_ERR_NOT_FOUND)
            continue;
        if (rc != PAY_OK) {
            snprintf(why, why_size, "payment %s: %s (%s)", id, e.message, pay_err_name(rc));
            return RECONCILE_ERR_PAYMENT;
        }
        l->payment_count++;
    }
    return RECONCILE_OK;
}

reconcile_err_t reconcile_run(const reconcile_source_t *src, reconcile_report_t *out, char *why,
                              size_t why_size)
{
    memset(out, 0, sizeof *out);
    if (why_size)
        why[0] = '\0';
    if (!src || !src->hotel_id || !*src->hotel_id || !src->db || !src->pms || !src->pay ||
        src->to < src->from) {
        snprintf(why, why_size, "a hotel, a check-in range and the three ledgers are required");
        return RECONCILE_ERR_INVALID;
    }
    snprintf(out->hotel_id, sizeof out->hotel_id, "%s", src->hotel_id);
    out->from = src->from;
    out->to = src->to;
    ledgers_t l = {0};
    reconcile_err_t rc = read_bookings(src, &l, why, why_size);
    if (rc == RECONCILE_OK)
        rc = read_reservations(src, &l, why, why_size);
    if (rc == RECONCILE_OK)
        rc = read_payments(src, &l, why, why_size);
    if (rc == RECONCILE_OK) {
        reconcile_input_t in = {.bookings = l.bookings,
                                .booking_count = l.booking_count,
                                .reservations = l.reservations.items,
                                .reservation_count = l.reservations.count,
                                .payments = l.payments,
                                .payment_count = l.payment_count,
                                .ignore_other_channels = src->ignore_other_channels,
                                .now_s = clock_wall_ms() / 1000};
        if (reconcile_compare(&in, out) != 0) {
            snprintf(why, why_size, "out of memory");
            rc = RECONCILE_ERR_MEMORY;
        }
    }
    ledgers_free(&l);
    return rc;
}
