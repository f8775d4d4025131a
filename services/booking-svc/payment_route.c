/*
 * payment_route.c — a booking's payment provider (see payment_route.h).
 */
#include "payment_route.h"

#include <stdio.h>
#include <string.h>

bool booking_provider_known(const char *provider)
{
    return provider &&
           (strcmp(provider, BOOKING_PROVIDER_STRIPE) == 0 ||
            strcmp(provider, BOOKING_PROVIDER_TOSS) == 0);
}

payment_connector_t *booking_pay(const booking_app_t *app, const char *provider)
{
    if (provider && strcmp(provider, BOOKING_PROVIDER_TOSS) == 0)
        return app->toss;
    return app->pay;
}

static void cell(const db_result_t *res, size_t col, char *out, size_t size)
{
    const char *v = db_result_text(res, 0, col);
    snprintf(out, size, "%s", v ? v : "");
}

int booking_payment_load(db_t *db, const char *booking_id, booking_payment_t *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->provider, sizeof out->provider, BOOKING_PROVIDER_STRIPE);
    db_param_t p[] = {DB_STR(booking_id)};
    db_result_t *res = NULL;
    if (db_query(db,
                 "SELECT provider, order_id, method, easy_pay FROM booking_payment "
                 "WHERE booking_id = ?",
                 p, 1, &res) != DB_OK)
        return -1;
    int rc = 1;
    if (db_result_rows(res) > 0) {
        cell(res, 0, out->provider, sizeof out->provider);
        cell(res, 1, out->order_id, sizeof out->order_id);
        cell(res, 2, out->method, sizeof out->method);
        cell(res, 3, out->easy_pay, sizeof out->easy_pay);
        rc = 0;
    }
    db_result_free(res);
    return rc;
}

int booking_payment_find_booking(db_t *db, const char *payment_id, char *booking_id, size_t size)
{
    db_param_t p[] = {DB_STR(payment_id)};
    db_result_t *res = NULL;
    if (db_query(db, "SELECT booking_id FROM booking WHERE payment_auth_id = ? LIMIT 1", p, 1,
                 &res) != DB_OK)
        return -1;
    int rc = 1;
    if (db_result_rows(res) > 0) {
        const char *v = db_result_text(res, 0, 0);
        snprintf(booking_id, size, "%s", v ? v : "");
        rc = 0;
    }
    db_result_free(res);
    return rc;
}

int booking_payment_set_method(db_t *db, const char *booking_id, const char *method,
                               const char *easy_pay)
{
    db_param_t p[] = {DB_STR(method && method[0] ? method : NULL),
                      DB_STR(easy_pay && easy_pay[0] ? easy_pay : NULL), DB_STR(booking_id)};
    return db_exec(db, "UPDATE booking_payment SET method = ?, easy_pay = ? WHERE booking_id = ?",
                   p, 3, NULL, NULL) == DB_OK
               ? 0
               : -1;
}

static bool is(const char *a, const char *b)
{
    return a && strcmp(a, b) == 0;
}

const char *booking_pay_error_code(pay_err_t e, const char *vendor_code)
{
    if (is(vendor_code, "VIRTUAL_ACCOUNT_REFUSED"))
        return "VIRTUAL_ACCOUNT_NOT_ACCEPTED";
    if (is(vendor_code, "AMOUNT_MISMATCH") || is(vendor_code, "ORDER_ID_MISMATCH") ||
        is(vendor_code, "TAX_FREE_MISMATCH"))
        return "PAYMENT_MISMATCH";
    if (is(vendor_code, "NOT_FOUND_PAYMENT_SESSION") || is(vendor_code, "EXPIRED_PAYMENT"))
        return "SESSION_EXPIRED";
    switch (e) {
    case PAY_ERR_INSUFFICIENT_FUNDS:
        return "INSUFFICIENT_FUNDS";
    case PAY_ERR_CARD_DECLINED:
        return "CARD_DECLINED";
    case PAY_ERR_EXPIRED_CARD:
        return "EXPIRED_CARD";
    case PAY_ERR_INCORRECT_CVC:
        return "INCORRECT_CVC";
    case PAY_ERR_PROCESSING:
    case PAY_ERR_TRANSIENT:
    case PAY_ERR_UNAVAILABLE:
    case PAY_ERR_RATE_LIMITED:
    case PAY_ERR_IDEMPOTENCY:
        return "PROVIDER_UNAVAILABLE";
    case PAY_ERR_STATE:
        return "PAYMENT_NOT_APPROVABLE";
    default:
        return NULL;
    }
}

const char *booking_pay_guest_message(pay_err_t e, const char *vendor_code)
{
    const char *code = booking_pay_error_code(e, vendor_code);
    if (is(code, "VIRTUAL_ACCOUNT_NOT_ACCEPTED"))
        return "가상계좌(무통장입금)는 입금 전까지 객실을 확보할 수 없어 사용할 수 없습니다. "
               "카드나 간편결제로 다시 결제해 주세요.";
    if (is(code, "PAYMENT_MISMATCH"))
        return "결제 정보가 예약 내용과 일치하지 않습니다. 결제창에서 다시 결제해 주세요.";
    if (is(code, "SESSION_EXPIRED"))
        return "결제 가능 시간(10분)이 지났습니다. 결제창에서 다시 결제해 주세요.";
    if (is(code, "INSUFFICIENT_FUNDS"))
        return "카드 한도를 초과했거나 잔액이 부족합니다. 다른 카드나 결제 수단으로 다시 "
               "시도해 주세요.";
    if (is(code, "CARD_DECLINED"))
        return "카드사에서 결제를 거절했습니다. 다른 카드나 결제 수단으로 다시 시도해 주세요.";
    if (is(code, "EXPIRED_CARD"))
        return "카드 유효기간이 지났거나 잘못 입력되었습니다. 카드 정보를 확인하거나 다른 카드로 "
               "결제해 주세요.";
    if (is(code, "INCORRECT_CVC"))
        return "카드 보안코드(CVC)가 올바르지 않습니다. 확인 후 다시 결제해 주세요.";
    if (is(code, "PROVIDER_UNAVAILABLE"))
        return "결제사와 연결이 원활하지 않아 결제를 완료하지 못했습니다. 승인된 금액이 있다면 "
               "자동으로 취소됩니다. 잠시 후 다시 시도해 주세요.";
    if (is(code, "PAYMENT_NOT_APPROVABLE"))
        return "이미 처리되었거나 취소된 결제입니다. 결제창에서 다시 결제해 주세요.";
    return "결제를 처리하지 못했습니다. 다른 결제 수단으로 다시 시도해 주세요.";
}
