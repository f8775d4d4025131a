/*
 * toss_store.c — payments, billing keys and their timers (see toss_store.h).
 *
 * One mutex guards everything; payments live in a growing array (a sandbox
 * holds thousands at most). Keys are random base32 ids; transaction keys are
 * unique per approval and per cancel, as at Toss.
 */
#include "toss_store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/crypto.h"

#define KST_OFFSET_S (9 * 3600)
#define API_VERSION "2022-11-16"
#define DEFAULT_ORDER_NAME "숙박 예약"
#define CANCEL_REASON_MAX 200

typedef enum {
    ST_READY,
    ST_IN_PROGRESS,
    ST_WAITING_FOR_DEPOSIT,
    ST_DONE,
    ST_CANCELED,
    ST_PARTIAL_CANCELED,
    ST_ABORTED,
    ST_EXPIRED,
} pstatus_t;

static const char *const STATUS_NAMES[] = {"READY",   "IN_PROGRESS", "WAITING_FOR_DEPOSIT",
                                           "DONE",    "CANCELED",    "PARTIAL_CANCELED",
                                           "ABORTED", "EXPIRED"};

typedef enum { AQ_READY, AQ_REQUESTED, AQ_COMPLETED, AQ_CANCEL_REQUESTED, AQ_CANCELED } acquire_t;

static const char *const ACQUIRE_NAMES[] = {"READY", "REQUESTED", "COMPLETED", "CANCEL_REQUESTED",
                                            "CANCELED"};

typedef enum { M_CARD, M_EASY_PAY, M_VIRTUAL_ACCOUNT } method_t;

typedef struct cancel {
    int64_t amount;
    int64_t refundable_after; /* balance left after this cancel */
    char reason[CANCEL_REASON_MAX + 1];
    char tx_key[TOSS_KEY_MAX + 1];
    int64_t at_ms;
    bool after_acquisition; /* a refund (money acquired) rather than a void */
    bool from_console;
} cancel_t;

typedef struct payment {
    char key[TOSS_KEY_MAX + 1];
    char order_id[TOSS_ORDER_ID_MAX + 1];
    char order_name[101];
    bool billing;
    method_t method;
    char easy_pay[32];
    pstatus_t status;
    acquire_t acquire;
    int64_t total, balance;
    int64_t tax_free;     /* taxFreeAmount of the payment request (0 unless stated) */
    bool tax_free_stated; /* the request (window or billing charge) carried taxFreeAmount */
    int64_t requested_ms, authenticated_ms, approved_ms, acquire_requested_ms;
    char last_tx[TOSS_KEY_MAX + 1];
    char approval_tx[TOSS_KEY_MAX + 1];
    char decline_with[TOSS_CODE_MAX];
    char failure_code[TOSS_CODE_MAX];
    char failure_message[256];
    char card_number[24];
    char approve_no[16];
    cancel_t *cancels;
    size_t cancel_count;
} payment_t;

typedef struct billing {
    char auth_key[TOSS_KEY_MAX + 1];
    char customer_key[301];
    char billing_key[TOSS_KEY_MAX + 1];
    char decline_with[TOSS_CODE_MAX];
    int64_t authenticated_ms;
    bool issued, deleted;
} billing_t;

struct toss_store {
    pthread_mutex_t mu;
    toss_store_config_t cfg;
    char mid[16];
    payment_t *payments;
    size_t count, cap;
    billing_t *billings;
    size_t billing_count, billing_cap;
    json_object *events; /* pending webhook events (array) */
};

/* ------------------------------------------------------------ helpers -- */

void toss_time_text(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000) + KST_OFFSET_S;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S+09:00", &tm);
}

void toss_result_clear(toss_result_t *r)
{
    json_object_put(r->body);
    r->body = NULL;
}

static void fail(toss_result_t *r, int status, const char *code, const char *message)
{
    r->status = status;
    snprintf(r->code, sizeof r->code, "%s", code);
    snprintf(r->message, sizeof r->message, "%s", message);
}

static void ok(toss_result_t *r, json_object *body)
{
    r->status = 200;
    r->body = body;
}

/* A random id of letters and digits: prefix + base32. */
static void new_key(const char *prefix, char *out, size_t size)
{
    if (crypto_random_id(prefix, out, size) != 0)
        snprintf(out, size, "%s%lld", prefix, (long long)clock_wall_ms());
}

static json_object *jstr(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

static json_object *jtime(int64_t ms)
{
    if (ms <= 0)
        return NULL;
    char t[32];
    toss_time_text(ms, t);
    return json_object_new_string(t);
}

/* vat = round((amount − taxFree) / 11), supplied = amount − vat. */
static int64_t vat_of(int64_t amount)
{
    return (amount + 5) / 11;
}

static const char *method_text(method_t m, bool english)
{
    switch (m) {
    case M_EASY_PAY:
        return english ? "EASY_PAY" : "간편결제";
    case M_VIRTUAL_ACCOUNT:
        return english ? "VIRTUAL_ACCOUNT" : "가상계좌";
    default:
        return english ? "CARD" : "카드";
    }
}

/* ------------------------------------------------------------ lookups -- */

static payment_t *by_key(toss_store_t *st, const char *key)
{
    for (size_t i = 0; key && i < st->count; i++)
        if (strcmp(st->payments[i].key, key) == 0)
            return &st->payments[i];
    return NULL;
}

/* The latest payment of an orderId. */
static payment_t *by_order(toss_store_t *st, const char *order_id)
{
    for (size_t i = st->count; order_id && i > 0; i--)
        if (strcmp(st->payments[i - 1].order_id, order_id) == 0)
            return &st->payments[i - 1];
    return NULL;
}

static payment_t *add_payment(toss_store_t *st)
{
    if (st->count == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 64;
        payment_t *p = realloc(st->payments, cap * sizeof *p);
        if (!p)
            return NULL;
        st->payments = p;
        st->cap = cap;
    }
    payment_t *p = &st->payments[st->count++];
    memset(p, 0, sizeof *p);
    return p;
}

/* ------------------------------------------------------------ the JSON -- */

static json_object *cancel_json(const cancel_t *c)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "transactionKey", jstr(c->tx_key));
    json_object_object_add(o, "cancelReason", jstr(c->reason));
    json_object_object_add(o, "taxExemptionAmount", json_object_new_int(0));
    json_object_object_add(o, "canceledAt", jtime(c->at_ms));
    json_object_object_add(o, "transferDiscountAmount", json_object_new_int(0));
    json_object_object_add(o, "easyPayDiscountAmount", json_object_new_int(0));
    json_object_object_add(o, "receiptKey", NULL);
    json_object_object_add(o, "cancelAmount", json_object_new_int64(c->amount));
    json_object_object_add(o, "taxFreeAmount", json_object_new_int(0));
    json_object_object_add(o, "refundableAmount", json_object_new_int64(c->refundable_after));
    json_object_object_add(o, "cardDiscountAmount", json_object_new_int(0));
    json_object_object_add(o, "cancelStatus", jstr("DONE"));
    json_object_object_add(o, "cancelRequestId", NULL);
    return o;
}

static json_object *card_json(const payment_t *p, bool english)
{
    json_object *c = json_object_new_object();
    json_object_object_add(c, "issuerCode", jstr("71"));
    json_object_object_add(c, "acquirerCode", jstr("71"));
    json_object_object_add(c, "number", jstr(p->card_number));
    json_object_object_add(c, "installmentPlanMonths", json_object_new_int(0));
    json_object_object_add(c, "isInterestFree", json_object_new_boolean(0));
    json_object_object_add(c, "interestPayer", NULL);
    json_object_object_add(c, "approveNo", jstr(p->approve_no[0] ? p->approve_no : "00000000"));
    json_object_object_add(c, "useCardPoint", json_object_new_boolean(0));
    json_object_object_add(c, "cardType", jstr(english ? "CREDIT" : "신용"));
    json_object_object_add(c, "ownerType", jstr(english ? "PERSONAL" : "개인"));
    json_object_object_add(c, "acquireStatus", jstr(ACQUIRE_NAMES[p->acquire]));
    json_object_object_add(c, "amount", json_object_new_int64(p->total));
    return c;
}

static json_object *payment_json(const toss_store_t *st, const payment_t *p, bool english)
{
    bool authenticated = p->status != ST_READY;
    bool card = authenticated && p->method != M_VIRTUAL_ACCOUNT;
    /* the tax-free part stays tax-free as the balance shrinks */
    int64_t tax_free = p->tax_free < p->balance ? p->tax_free : p->balance;
    int64_t vat = vat_of(p->balance - tax_free);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "mId", jstr(st->mid));
    json_object_object_add(o, "lastTransactionKey", jstr(p->last_tx[0] ? p->last_tx : NULL));
    json_object_object_add(o, "paymentKey", jstr(p->key));
    json_object_object_add(o, "orderId", jstr(p->order_id));
    json_object_object_add(o, "orderName", jstr(p->order_name));
    json_object_object_add(o, "taxExemptionAmount", json_object_new_int(0));
    json_object_object_add(o, "status", jstr(STATUS_NAMES[p->status]));
    json_object_object_add(o, "requestedAt", jtime(p->requested_ms));
    json_object_object_add(o, "approvedAt", jtime(p->approved_ms));
    json_object_object_add(o, "useEscrow", json_object_new_boolean(0));
    json_object_object_add(o, "cultureExpense", json_object_new_boolean(0));
    json_object_object_add(o, "card", card ? card_json(p, english) : NULL);
    json_object *va = NULL;
    if (authenticated && p->method == M_VIRTUAL_ACCOUNT) {
        va = json_object_new_object();
        json_object_object_add(va, "accountType", jstr(english ? "NORMAL" : "일반"));
        json_object_object_add(va, "accountNumber", jstr("X6666012345678"));
        json_object_object_add(va, "bankCode", jstr("20"));
        json_object_object_add(va, "customerName", jstr("홍길동"));
        json_object_object_add(va, "depositorName", jstr("홍길동"));
        json_object_object_add(va, "dueDate", jtime(p->requested_ms + 7 * 24 * 3600 * 1000LL));
        json_object_object_add(va, "refundStatus", jstr("NONE"));
        json_object_object_add(va, "expired", json_object_new_boolean(0));
        json_object_object_add(va, "settlementStatus", jstr("INCOMPLETED"));
        json_object_object_add(va, "refundReceiveAccount", NULL);
    }
    json_object_object_add(o, "virtualAccount", va);
    json_object_object_add(o, "transfer", NULL);
    json_object_object_add(o, "mobilePhone", NULL);
    json_object_object_add(o, "giftCertificate", NULL);
    json_object_object_add(o, "cashReceipt", NULL);
    json_object_object_add(o, "cashReceipts", NULL);
    json_object_object_add(o, "discount", NULL);
    json_object *cancels = NULL;
    if (p->cancel_count) {
        cancels = json_object_new_array();
        for (size_t i = 0; i < p->cancel_count; i++)
            json_object_array_add(cancels, cancel_json(&p->cancels[i]));
    }
    json_object_object_add(o, "cancels", cancels);
    json_object_object_add(o, "secret", NULL);
    json_object_object_add(o, "type", jstr(p->billing ? "BILLING" : "NORMAL"));
    json_object *ep = NULL;
    if (authenticated && p->method == M_EASY_PAY) {
        ep = json_object_new_object();
        json_object_object_add(ep, "provider", jstr(p->easy_pay));
        json_object_object_add(ep, "amount", json_object_new_int(0));
        json_object_object_add(ep, "discountAmount", json_object_new_int(0));
    }
    json_object_object_add(o, "easyPay", ep);
    json_object_object_add(o, "easyPayAmount", json_object_new_int(0));
    json_object_object_add(o, "easyPayDiscountAmount", json_object_new_int(0));
    json_object_object_add(o, "country", jstr("KR"));
    json_object *failure = NULL;
    if (p->failure_code[0]) {
        failure = json_object_new_object();
        json_object_object_add(failure, "code", jstr(p->failure_code));
        json_object_object_add(failure, "message", jstr(p->failure_message));
    }
    json_object_object_add(o, "failure", failure);
    json_object_object_add(o, "isPartialCancelable",
                           json_object_new_boolean(p->status != ST_WAITING_FOR_DEPOSIT));
    json_object *receipt = NULL, *checkout = json_object_new_object();
    char url[256];
    if (p->approved_ms > 0) {
        receipt = json_object_new_object();
        snprintf(url, sizeof url,
                 "https://dashboard.tosspayments.com/receipt/redirection?transactionId=%s&ref=PX",
                 p->last_tx);
        json_object_object_add(receipt, "url", jstr(url));
    }
    json_object_object_add(o, "receipt", receipt);
    snprintf(url, sizeof url, "https://api.tosspayments.com/v1/payments/%s/checkout", p->key);
    json_object_object_add(checkout, "url", jstr(url));
    json_object_object_add(o, "checkout", checkout);
    json_object_object_add(o, "currency", jstr("KRW"));
    json_object_object_add(o, "totalAmount", json_object_new_int64(p->total));
    json_object_object_add(o, "balanceAmount", json_object_new_int64(p->balance));
    json_object_object_add(o, "suppliedAmount", json_object_new_int64(p->balance - vat));
    json_object_object_add(o, "vat", json_object_new_int64(vat));
    json_object_object_add(o, "taxFreeAmount", json_object_new_int64(tax_free));
    json_object_object_add(o, "metadata", NULL);
    json_object_object_add(o, "method", authenticated ? jstr(method_text(p->method, english)) : NULL);
    json_object_object_add(o, "version", jstr(API_VERSION));
    json_object_object_add(o, "transactionKey", NULL);
    json_object_object_add(o, "foreignEasyPay", NULL);
    return o;
}

/* A PAYMENT_STATUS_CHANGED webhook for p (not for billing approvals). */
static void emit(toss_store_t *st, const payment_t *p)
{
    json_object *e = json_object_new_object();
    json_object_object_add(e, "eventType", jstr("PAYMENT_STATUS_CHANGED"));
    /* Toss writes webhook times without an offset, with fractions */
    time_t t = (time_t)(clock_wall_ms() / 1000) + KST_OFFSET_S;
    struct tm tm;
    gmtime_r(&t, &tm);
    char when[40];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    char full[48];
    snprintf(full, sizeof full, "%s.%06d", when, (int)(clock_wall_ms() % 1000) * 1000);
    json_object_object_add(e, "createdAt", jstr(full));
    json_object_object_add(e, "data", payment_json(st, p, false));
    json_object_array_add(st->events, e);
}

/* ------------------------------------------------------------- timers -- */

static void expire(payment_t *p)
{
    p->status = ST_EXPIRED;
    snprintf(p->failure_code, sizeof p->failure_code, "EXPIRED_PAYMENT");
    snprintf(p->failure_message, sizeof p->failure_message, "결제 유효 시간이 만료되었습니다.");
}

/* Caller holds the lock. */
static void tick_locked(toss_store_t *st)
{
    int64_t now = clock_wall_ms();
    for (size_t i = 0; i < st->count; i++) {
        payment_t *p = &st->payments[i];
        if (p->status == ST_READY && now - p->requested_ms >= st->cfg.window_ttl_ms) {
            expire(p);
            emit(st, p);
        } else if (p->status == ST_IN_PROGRESS &&
                   now - p->authenticated_ms >= st->cfg.confirm_limit_ms) {
            expire(p);
            emit(st, p);
        } else if ((p->status == ST_DONE || p->status == ST_PARTIAL_CANCELED) &&
                   p->method != M_VIRTUAL_ACCOUNT) {
            if (p->acquire == AQ_READY && !st->cfg.manual_settlement &&
                now - p->approved_ms >= st->cfg.acquire_after_ms) {
                p->acquire = AQ_REQUESTED;
                p->acquire_requested_ms = now;
            }
            if (p->acquire == AQ_REQUESTED &&
                now - p->acquire_requested_ms >= st->cfg.complete_after_ms)
                p->acquire = AQ_COMPLETED;
        }
    }
}

void toss_store_tick(toss_store_t *st)
{
    pthread_mutex_lock(&st->mu);
    tick_locked(st);
    pthread_mutex_unlock(&st->mu);
}

/* ---------------------------------------------------------- lifecycle -- */

toss_store_t *toss_store_new(const toss_store_config_t *cfg)
{
    toss_store_t *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    pthread_mutex_init(&st->mu, NULL);
    st->cfg = *cfg;
    snprintf(st->mid, sizeof st->mid, "%s", cfg->mid ? cfg->mid : "tlodging01");
    st->events = json_object_new_array();
    return st;
}

static void forget_all(toss_store_t *st)
{
    for (size_t i = 0; i < st->count; i++)
        free(st->payments[i].cancels);
    st->count = 0;
    st->billing_count = 0;
    json_object_put(st->events);
    st->events = json_object_new_array();
}

void toss_store_free(toss_store_t *st)
{
    if (!st)
        return;
    forget_all(st);
    free(st->payments);
    free(st->billings);
    json_object_put(st->events);
    pthread_mutex_destroy(&st->mu);
    free(st);
}

void toss_store_reset(toss_store_t *st)
{
    pthread_mutex_lock(&st->mu);
    forget_all(st);
    pthread_mutex_unlock(&st->mu);
}

json_object *toss_store_take_events(toss_store_t *st)
{
    pthread_mutex_lock(&st->mu);
    json_object *e = st->events;
    st->events = json_object_new_array();
    pthread_mutex_unlock(&st->mu);
    return e;
}

/* ------------------------------------------------------------- window -- */

/* An orderId already approved (or cancelled after approval) cannot be paid again. */
static bool order_used(toss_store_t *st, const char *order_id)
{
    for (size_t i = 0; i < st->count; i++) {
        const payment_t *p = &st->payments[i];
        if (strcmp(p->order_id, order_id) == 0 && p->approved_ms > 0)
            return true;
    }
    return false;
}

static method_t method_from_text(const char *m)
{
    if (m && (strcmp(m, "간편결제") == 0 || strcmp(m, "EASY_PAY") == 0))
        return M_EASY_PAY;
    if (m && (strcmp(m, "가상계좌") == 0 || strcmp(m, "VIRTUAL_ACCOUNT") == 0))
        return M_VIRTUAL_ACCOUNT;
    return M_CARD;
}

void toss_store_window(toss_store_t *st, const toss_window_t *w, toss_result_t *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_lock(&st->mu);
    tick_locked(st);
    payment_t *p = NULL;
    if (order_used(st, w->order_id)) {
        fail(r, 400, "DUPLICATED_ORDER_ID", "이미 승인 및 취소가 진행된 중복된 주문번호 입니다.");
    } else if (!(p = add_payment(st))) {
        fail(r, 500, "FAILED_INTERNAL_SYSTEM_PROCESSING", "내부 시스템 처리 작업이 실패했습니다.");
    } else {
        int64_t now = clock_wall_ms();
        new_key("tlodg", p->key, sizeof p->key);
        snprintf(p->order_id, sizeof p->order_id, "%s", w->order_id);
        snprintf(p->order_name, sizeof p->order_name, "%s",
                 w->order_name ? w->order_name : DEFAULT_ORDER_NAME);
        p->method = method_from_text(w->method);
        snprintf(p->easy_pay, sizeof p->easy_pay, "%s",
                 w->easy_pay ? w->easy_pay : (p->method == M_EASY_PAY ? "토스페이" : ""));
        p->total = p->balance = w->amount;
        p->tax_free = w->tax_free > 0 ? w->tax_free : 0;
        p->tax_free_stated = w->tax_free >= 0;
        p->requested_ms = now - w->authenticated_ago_ms - 1000;
        p->authenticated_ms = now - w->authenticated_ago_ms;
        p->status = w->not_authenticated ? ST_READY : ST_IN_PROGRESS;
        snprintf(p->decline_with, sizeof p->decline_with, "%s",
                 w->decline_with ? w->decline_with : "");
        snprintf(p->card_number, sizeof p->card_number, "43301234****123*");
        json_object *o = json_object_new_object();
        json_object_object_add(o, "paymentType", jstr("NORMAL"));
        json_object_object_add(o, "paymentKey", jstr(p->key));
        json_object_object_add(o, "orderId", jstr(p->order_id));
        json_object_object_add(o, "amount", json_object_new_int64(p->total));
        snprintf(r->object_id, sizeof r->object_id, "%s", p->key);
        ok(r, o);
    }
    pthread_mutex_unlock(&st->mu);
}

/* ------------------------------------------------------------ approval -- */

/* A decline chosen at the window: its HTTP status and message. */
static int decline_status(const char *code, const char **message)
{
    static const struct {
        const char *code;
        int status;
        const char *message;
    } table[] = {
        {"REJECT_CARD_PAYMENT", 403, "한도초과 혹은 잔액부족으로 결제에 실패했습니다."},
        {"REJECT_CARD_COMPANY", 403, "결제 승인이 거절되었습니다."},
        {"INVALID_CARD_EXPIRATION", 400, "카드 정보를 다시 확인해주세요. (유효기간)"},
        {"INVALID_STOPPED_CARD", 400, "정지된 카드 입니다."},
        {"EXCEED_MAX_DAILY_PAYMENT_COUNT", 400, "하루 결제 가능 횟수를 초과했습니다."},
        {"EXCEED_MAX_PAYMENT_AMOUNT", 400, "하루 결제 가능 금액을 초과했습니다."},
        {"FDS_ERROR", 403, "[토스페이먼츠] 위험거래가 감지되어 결제가 제한됩니다."},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].code, code) == 0) {
            *message = table[i].message;
            return table[i].status;
        }
    *message = "결제 승인이 거절되었습니다.";
    return 403;
}

static void approve(toss_store_t *st, payment_t *p, int64_t now)
{
    p->status = p->method == M_VIRTUAL_ACCOUNT ? ST_WAITING_FOR_DEPOSIT : ST_DONE;
    p->approved_ms = now;
    p->acquire = AQ_READY;
    new_key("txrd", p->approval_tx, sizeof p->approval_tx);
    snprintf(p->last_tx, sizeof p->last_tx, "%s", p->approval_tx);
    snprintf(p->approve_no, sizeof p->approve_no, "%08d", (int)(now % 100000000));
    (void)st;
}

void toss_store_confirm(toss_store_t *st, const char *payment_key, const char *order_id,
                        int64_t amount, bool english, toss_result_t *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_lock(&st->mu);
    tick_locked(st);
    payment_t *p = by_key(st, payment_key);
    if (!p || p->billing || p->status == ST_READY || p->status == ST_EXPIRED) {
        fail(r, 404, "NOT_FOUND_PAYMENT_SESSION",
             "결제 시간이 만료되어 결제 진행 데이터가 존재하지 않습니다.");
    } else if (strcmp(p->order_id, order_id) != 0) {
        fail(r, 400, "INVALID_REQUEST", "주문번호가 결제 정보와 일치하지 않습니다.");
    } else if (p->status != ST_IN_PROGRESS) {
        fail(r, 400, "ALREADY_PROCESSED_PAYMENT", "이미 처리된 결제 입니다.");
    } else if (amount != p->total) {
        /* Toss' code for an amount that differs from the authenticated one is
         * not documented; INVALID_REQUEST is the closest documented code */
        fail(r, 400, "INVALID_REQUEST", "결제 금액이 인증된 금액과 일치하지 않습니다.");
    } else if (p->decline_with[0]) {
        const char *message;
        int status = decline_status(p->decline_with, &message);
        p->status = ST_ABORTED;
        snprintf(p->failure_code, sizeof p->failure_code, "%s", p->decline_with);
        snprintf(p->failure_message, sizeof p->failure_message, "%s", message);
        fail(r, status, p->decline_with, message);
        emit(st, p);
    } else {
        /* the taxable / tax-free split is the payment request's (the
         * window's): confirm takes paymentKey, orderId and amount only */
        approve(st, p, clock_wall_ms());
        emit(st, p);
        ok(r, payment_json(st, p, english));
    }
    if (p)
        snprintf(r->object_id, sizeof r->object_id, "%s", p->key);
    pthread_mutex_unlock(&st->mu);
}

/* ------------------------------------------------------------- lookups -- */

static void answer_payment(toss_store_t *st, payment_t *p, bool english, toss_result_t *r)
{
    if (!p) {
        fail(r, 404, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.");
        return;
    }
    snprintf(r->object_id, sizeof r->object_id, "%s", p->key);
    ok(r, payment_json(st, p, english));
}

void toss_store_get(toss_store_t *st, const char *payment_key, bool english, toss_result_t *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_lock(&st->mu);
    tick_locked(st);
    answer_payment(st, by_key(st, payment_key), english, r);
    pthread_mutex_unlock(&st->mu);
}

void toss_store_get_by_order(toss_store_t *st, const char *order_id, bool english,
                             toss_result_t *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_lock(&st->mu);
    tick_locked(st);
    answer_payment(st, by_order(st, order_id), english, r);
    pthread_mutex_unlock(&st->mu);
}

/* -------------------------------------------------------------- cancel -- */

/* Appends a cancel of `amount` to p. Caller holds the lock. */
static int apply_cancel(payment_t *p, int64_t amount, const char *reason, bool console)
{
    cancel_t *c = realloc(p->cancels, (p->cancel_count + 1) * sizeof *c);
    if (!c)
        return -1;
    p->cancels = c;
    c = &p->cancels[p->cancel_count++];
    memset(c, 0, sizeof *c);
    c->amount = amount;
    p->balance -= amount;
    c->refundable_after = p->balance;
    snprintf(c->reason, sizeof c->reason, "%s", reason);
    new_key("txcn", c->tx_key, sizeof c->tx_key);
    c->at_ms = clock_wall_ms();
    c->after_acquisition = p->acquire == AQ_REQUESTED || p->acquire == AQ_COMPLETED;
    c->from_console = console;
    snprintf(p->last_tx, sizeof p->last_tx, "%s", c->tx_key);
    p->status = p->balance == 0 ? ST_CANCELED : ST_PARTIAL_CANCELED;
    if (p->balance == 0 && c->after_acquisition)
        p->acquire = AQ_CANCELED;
    return 0;
}

void toss_store_cancel(toss_store_t *st, const char *payment_key, const char *reason,
                       int64_t cancel_amount, int64_t refundable_amount, bool english,
                       toss_result_t *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_lock(&st->mu);
    tick_locked(st);
    payment_t *p = by_key(st, payment_key);
    int64_t amount = p && cancel_amount < 0 ? p->balance : cancel_amount;
    if (!p) {
        fail(r, 404, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.");
    } else if (p->status == ST_CANCELED) {
        fail(r, 400, "ALREADY_CANCELED_PAYMENT", "이미 취소된 결제 입니다.");
    } else if (p->status != ST_DONE && p->status != ST_PARTIAL_CANCELED &&
               p->status != ST_WAITING_FOR_DEPOSIT) {
        fail(r, 403, "NOT_CANCELABLE_PAYMENT", "취소 할 수 없는 결제 입니다.");
    } else if (refundable_amount >= 0 && refundable_amount != p->balance) {
        fail(r, 400, "NOT_MATCHES_REFUNDABLE_AMOUNT",
             "잔액 결과가 일치하지 않습니다. 환불 가능 금액을 확인해주세요.");
    } else if (amount <= 0 || amount > p->balance) {
        fail(r, 403, "NOT_CANCELABLE_AMOUNT", "취소 할 수 없는 금액 입니다.");
    } else if (p->status == ST_WAITING_FOR_DEPOSIT && amount != p->balance) {
        fail(r, 403, "NOT_ALLOWED_PARTIAL_REFUND_WAITING_DEPOSIT",
             "입금 대기중인 결제는 부분 환불이 불가합니다.");
    } else if (apply_cancel(p, amount, reason, false) != 0) {
        fail(r, 500, "FAILED_INTERNAL_SYSTEM_PROCESSING", "내부 시스템 처리 작업이 실패했습니다.");
    } else {
        if (!p->billing)
            emit(st, p);
        ok(r, payment_json(st, p, english));
    }
    if (p)
        snprintf(r->object_id, sizeof r->object_id, "%s", p->key);
    pthread_mutex_unlock(&st->mu);
}

void toss_store_console_cancel(toss_store_t *st, const char *payment_key, int64_t amount,
                               toss_result_t *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_lock(&st->mu);
    tick_locked(st);
    payment_t *p = by_key(st, payment_key);
    if (!p || (p->status != ST_DONE && p->status != ST_PARTIAL_CANCELED)) {
        fail(r, 404, "NOT_FOUND_PAYMENT", "취소할 승인 결제가 없습니다.");
    } else if (amount > p->balance) {
        fail(r, 403, "NOT_CANCELABLE_AMOUNT", "취소 할 수 없는 금액 입니다.");
    } else if (apply_cancel(p, amount > 0 ? amount : p->balance, "상점관리자 취소", true) != 0) {
        fail(r, 500, "FAILED_INTERNAL_SYSTEM_PROCESSING", "내부 시스템 처리 작업이 실패했습니다.");
    } else {
        emit(st, p);
        ok(r, payment_json(st, p, false));
    }
    pthread_mutex_unlock(&st->mu);
}

/* --------------------------------------------------------- acquisition -- */

void toss_store_settle(toss_store_t *st, const char *payment_key, toss_result_t *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_lock(&st->mu);
    tick_locked(st);
    payment_t *p = by_key(st, payment_key);
    if (!st->cfg.manual_settlement) {
        fail(r, 403, "FORBIDDEN_REQUEST", "수동 정산 계약이 되어 있지 않은 상점입니다.");
    } else if (!p) {
        fail(r, 404, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.");
    } else if (p->status != ST_DONE || p->method == M_VIRTUAL_ACCOUNT) {
        fail(r, 403, "NOT_CANCELABLE_PAYMENT", "정산을 요청할 수 없는 결제 입니다.");
    } else {
        if (p->acquire == AQ_READY) {
            p->acquire = AQ_REQUESTED;
            p->acquire_requested_ms = clock_wall_ms();
        }
        json_object *o = json_object_new_object();
        json_object_object_add(o, "result", json_object_new_boolean(1));
        ok(r, o);
    }
    if (p)
        snprintf(r->object_id, sizeof r->object_id, "%s", p->key);
    pthread_mutex_unlock(&st->mu);
}

void toss_store_force_acquire(toss_store_t *st, const char *payment_key, toss_result_t *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_lock(&st->mu);
    payment_t *p = by_key(st, payment_key);
    if (!p || (p->status != ST_DONE && p->status != ST_PARTIAL_CANCELED)) {
        fail(r, 404, "NOT_FOUND_PAYMENT", "매입할 승인 결제가 없습니다.");
    } else {
        p->acquire = AQ_COMPLETED;
        p->acquire_requested_ms = clock_wall_ms();
        ok(r, payment_json(st, p, false));
    }
    pthread_mutex_unlock(&st->mu);
}

/* ------------------------------------------------------------- billing -- */

static billing_t *add_billing(toss_store_t *st)
{
    if (st->billing_count == st->billing_cap) {
        size_t cap = st->billing_cap ? st->billing_cap * 2 : 16;
        billing_t *b = realloc(st->billings, cap * sizeof *b);
        if (!b)
            return NULL;
        st->billings = b;
        st->billing_cap = cap;
    }
    billing_t *b = &st->billings[st->billing_count++];
    memset(b, 0, sizeof *b);
    return b;
}

void toss_store_billing_auth(toss_store_t *st, const char *customer_key, const char *decline_with,
                             toss_result_t *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_lock(&st->mu);
    billing_t *b = add_billing(st);
    if (!b) {
        fail(r, 500, "FAILED_INTERNAL_SYSTEM_PROCESSING", "내부 시스템 처리 작업이 실패했습니다.");
    } else {
        new_key("bau", b->auth_key, sizeof b->auth_key);
        snprintf(b->customer_key, sizeof b->customer_key, "%s", customer_key);
        snprintf(b->decline_with, sizeof b->decline_with, "%s", decline_with ? decline_with : "");
        b->authenticated_ms = clock_wall_ms();
        json_object *o = json_object_new_object();
        json_object_object_add(o, "authKey", jstr(b->auth_key));
        json_object_object_add(o, "customerKey", jstr(b->customer_key));
        ok(r, o);
    }
    pthread_mutex_unlock(&st->mu);
}

static json_object *billing_json(const toss_store_t *st, const billing_t *b, bool english)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "mId", jstr(st->mid));
    json_object_object_add(o, "customerKey", jstr(b->customer_key));
    json_object_object_add(o, "authenticatedAt", jtime(b->authenticated_ms));
    json_object_object_add(o, "method", jstr(english ? "CARD" : "카드"));
    json_object_object_add(o, "billingKey", jstr(b->billing_key));
    json_object *card = json_object_new_object();
    json_object_object_add(card, "issuerCode", jstr("71"));
    json_object_object_add(card, "acquirerCode", jstr("71"));
    json_object_object_add(card, "number", jstr("43301234****123*"));
    json_object_object_add(card, "cardType", jstr(english ? "CREDIT" : "신용"));
    json_object_object_add(card, "ownerType", jstr(english ? "PERSONAL" : "개인"));
    json_object_object_add(o, "card", card);
    return o;
}

void toss_store_billing_issue(toss_store_t *st, const char *auth_key, const char *customer_key,
                              bool english, toss_result_t *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_lock(&st->mu);
    billing_t *b = NULL;
    for (size_t i = 0; i < st->billing_count && !b; i++)
        if (strcmp(st->billings[i].auth_key, auth_key) == 0)
            b = &st->billings[i];
    if (!b || b->issued) {
        fail(r, 404, "NOT_FOUND_BILLING_AUTH_KEY", "존재하지 않는 빌링 인증 키 입니다.");
    } else if (strcmp(b->customer_key, customer_key) != 0) {
        fail(r, 400, "NOT_MATCHES_CUSTOMER_KEY", "빌링 인증 고객키와 결제 요청 고객키가 일치하지 않습니다.");
    } else {
        b->issued = true;
        new_key("", b->billing_key, sizeof b->billing_key);
        /* a billing key charges the card: it is a credential, never logged */
        ok(r, billing_json(st, b, english));
    }
    pthread_mutex_unlock(&st->mu);
}

static billing_t *billing_by_key(toss_store_t *st, const char *billing_key)
{
    for (size_t i = 0; i < st->billing_count; i++)
        if (st->billings[i].issued && !st->billings[i].deleted &&
            strcmp(st->billings[i].billing_key, billing_key) == 0)
            return &st->billings[i];
    return NULL;
}

void toss_store_billing_charge(toss_store_t *st, const char *billing_key,
                               const char *customer_key, const char *order_id,
                               const char *order_name, int64_t amount, bool english,
                               toss_result_t *r)
{
    toss_store_billing_charge_split(st, billing_key, customer_key, order_id, order_name, amount, -1,
                                    english, r);
}

void toss_store_billing_charge_split(toss_store_t *st, const char *billing_key,
                                     const char *customer_key, const char *order_id,
                                     const char *order_name, int64_t amount, int64_t tax_free,
                                     bool english, toss_result_t *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_lock(&st->mu);
    tick_locked(st);
    billing_t *b = billing_by_key(st, billing_key);
    payment_t *p = NULL;
    if (!b) {
        fail(r, 404, "NOT_FOUND_BILLING", "존재하지 않는 빌링키 입니다.");
    } else if (strcmp(b->customer_key, customer_key) != 0) {
        fail(r, 400, "NOT_MATCHES_CUSTOMER_KEY", "빌링 인증 고객키와 결제 요청 고객키가 일치하지 않습니다.");
    } else if (order_used(st, order_id)) {
        fail(r, 400, "DUPLICATED_ORDER_ID", "이미 승인 및 취소가 진행된 중복된 주문번호 입니다.");
    } else if (amount < 100) {
        fail(r, 400, "BELOW_MINIMUM_AMOUNT", "신용카드는 결제금액이 100원 이상이어야 합니다.");
    } else if (!(p = add_payment(st))) {
        fail(r, 500, "FAILED_INTERNAL_SYSTEM_PROCESSING", "내부 시스템 처리 작업이 실패했습니다.");
    } else {
        int64_t now = clock_wall_ms();
        new_key("tlodb", p->key, sizeof p->key);
        snprintf(p->order_id, sizeof p->order_id, "%s", order_id);
        snprintf(p->order_name, sizeof p->order_name, "%s",
                 order_name ? order_name : DEFAULT_ORDER_NAME);
        p->billing = true;
        p->method = M_CARD;
        p->total = p->balance = amount;
        p->tax_free = tax_free > 0 ? tax_free : 0;
        p->tax_free_stated = tax_free >= 0;
        p->requested_ms = p->authenticated_ms = now;
        snprintf(p->card_number, sizeof p->card_number, "43301234****123*");
        snprintf(r->object_id, sizeof r->object_id, "%s", p->key);
        if (b->decline_with[0]) {
            const char *message;
            int status = decline_status(b->decline_with, &message);
            p->status = ST_ABORTED;
            snprintf(p->failure_code, sizeof p->failure_code, "%s", b->decline_with);
            snprintf(p->failure_message, sizeof p->failure_message, "%s", message);
            fail(r, status, b->decline_with, message);
        } else {
            /* no PAYMENT_STATUS_CHANGED for billing approvals, as at Toss */
            approve(st, p, now);
            ok(r, payment_json(st, p, english));
        }
    }
    pthread_mutex_unlock(&st->mu);
}

void toss_store_billing_delete(toss_store_t *st, const char *billing_key, toss_result_t *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_lock(&st->mu);
    billing_t *b = billing_by_key(st, billing_key);
    if (!b) {
        fail(r, 404, "NOT_FOUND_BILLING", "존재하지 않는 빌링키 입니다.");
    } else {
        b->deleted = true;
        ok(r, NULL);
    }
    pthread_mutex_unlock(&st->mu);
}

/* --------------------------------------------------------- transactions -- */

static json_object *transaction_json(const toss_store_t *st, const payment_t *p, const char *key,
                                     int64_t amount, int64_t at_ms, const char *status)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "mId", jstr(st->mid));
    json_object_object_add(o, "transactionKey", jstr(key));
    json_object_object_add(o, "paymentKey", jstr(p->key));
    json_object_object_add(o, "orderId", jstr(p->order_id));
    json_object_object_add(o, "method", jstr(method_text(p->method, false)));
    json_object_object_add(o, "customerKey", NULL);
    json_object_object_add(o, "useEscrow", json_object_new_boolean(0));
    json_object_object_add(o, "receiptUrl", NULL);
    json_object_object_add(o, "status", jstr(status));
    json_object_object_add(o, "transactionAt", jtime(at_ms));
    json_object_object_add(o, "currency", jstr("KRW"));
    json_object_object_add(o, "amount", json_object_new_int64(amount));
    return o;
}

void toss_store_transactions(toss_store_t *st, int64_t from_ms, int64_t to_ms, int limit,
                             toss_result_t *r)
{
    memset(r, 0, sizeof *r);
    json_object *arr = json_object_new_array();
    pthread_mutex_lock(&st->mu);
    for (size_t i = 0; i < st->count && (int)json_object_array_length(arr) < limit; i++) {
        const payment_t *p = &st->payments[i];
        if (p->approved_ms <= 0)
            continue;
        if (p->approved_ms >= from_ms && p->approved_ms <= to_ms)
            json_object_array_add(arr, transaction_json(st, p, p->approval_tx, p->total,
                                                        p->approved_ms, "DONE"));
        for (size_t c = 0; c < p->cancel_count; c++)
            if (p->cancels[c].at_ms >= from_ms && p->cancels[c].at_ms <= to_ms)
                json_object_array_add(arr, transaction_json(st, p, p->cancels[c].tx_key,
                                                            p->cancels[c].amount,
                                                            p->cancels[c].at_ms, "CANCELED"));
    }
    pthread_mutex_unlock(&st->mu);
    ok(r, arr);
}

/* -------------------------------------------------------------- ledger -- */

json_object *toss_store_ledger(toss_store_t *st)
{
    json_object *list = json_object_new_array();
    long counts[8] = {0}, approvals = 0, voids = 0, refunds = 0, acquired = 0;
    int64_t approved_amount = 0, canceled_amount = 0, kept_amount = 0;
    pthread_mutex_lock(&st->mu);
    tick_locked(st);
    for (size_t i = 0; i < st->count; i++) {
        const payment_t *p = &st->payments[i];
        counts[p->status]++;
        if (p->approved_ms > 0) {
            approvals++;
            approved_amount += p->total;
            kept_amount += p->balance;
        }
        if (p->acquire == AQ_REQUESTED || p->acquire == AQ_COMPLETED)
            acquired++;
        json_object *o = json_object_new_object();
        json_object_object_add(o, "paymentKey", jstr(p->key));
        json_object_object_add(o, "orderId", jstr(p->order_id));
        json_object_object_add(o, "type", jstr(p->billing ? "BILLING" : "NORMAL"));
        json_object_object_add(o, "method", jstr(method_text(p->method, true)));
        json_object_object_add(o, "status", jstr(STATUS_NAMES[p->status]));
        json_object_object_add(o, "acquireStatus", jstr(ACQUIRE_NAMES[p->acquire]));
        json_object_object_add(o, "totalAmount", json_object_new_int64(p->total));
        json_object_object_add(o, "balanceAmount", json_object_new_int64(p->balance));
        /* what the approval request said of the tax-free part (absent: nothing) */
        if (p->tax_free_stated)
            json_object_object_add(o, "taxFreeAmount", json_object_new_int64(p->tax_free));
        json_object *cancels = json_object_new_array();
        for (size_t c = 0; c < p->cancel_count; c++) {
            const cancel_t *x = &p->cancels[c];
            json_object *co = json_object_new_object();
            json_object_object_add(co, "transactionKey", jstr(x->tx_key));
            json_object_object_add(co, "cancelAmount", json_object_new_int64(x->amount));
            json_object_object_add(co, "kind", jstr(x->after_acquisition ? "refund" : "void"));
            json_object_object_add(co, "fromConsole", json_object_new_boolean(x->from_console));
            json_object_object_add(co, "cancelReason", jstr(x->reason));
            json_object_array_add(cancels, co);
            if (x->after_acquisition)
                refunds++;
            else
                voids++;
            canceled_amount += x->amount;
        }
        json_object_object_add(o, "cancels", cancels);
        json_object_array_add(list, o);
    }
    size_t total = st->count;
    pthread_mutex_unlock(&st->mu);
    json_object *s = json_object_new_object();
    json_object_object_add(s, "payments", json_object_new_int64((int64_t)total));
    for (int i = 0; i < 8; i++) {
        /* "inProgress", "done", ... in lower camel case */
        static const char *const names[] = {"ready",    "inProgress",      "waitingForDeposit",
                                            "done",     "canceled",        "partialCanceled",
                                            "aborted",  "expired"};
        json_object_object_add(s, names[i], json_object_new_int64(counts[i]));
    }
    json_object_object_add(s, "approvals", json_object_new_int64(approvals));
    /* approved and not fully cancelled: money the guest has paid us */
    json_object_object_add(s, "openApprovals",
                           json_object_new_int64(counts[ST_DONE] + counts[ST_PARTIAL_CANCELED]));
    json_object_object_add(s, "acquired", json_object_new_int64(acquired));
    json_object_object_add(s, "voids", json_object_new_int64(voids));
    json_object_object_add(s, "refunds", json_object_new_int64(refunds));
    json_object_object_add(s, "approvedAmount", json_object_new_int64(approved_amount));
    json_object_object_add(s, "canceledAmount", json_object_new_int64(canceled_amount));
    json_object_object_add(s, "keptAmount", json_object_new_int64(kept_amount));
    json_object *o = json_object_new_object();
    json_object_object_add(o, "payments", list);
    json_object_object_add(o, "summary", s);
    return o;
}
