/*
 * toss_api.c — routes and request pipeline of the toss-sandbox (see
 * toss_api.h and README.md).
 */
#include "toss_api.h"

#include <json-c/json.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/crypto.h"
#include "common/dates.h"
#include "common/json.h"
#include "common/log.h"
#include "idempotency.h"
#include "sandbox_faults.h"
#include "toss_webhooks.h"

#define JSON_TYPE "application/json"
#define TOSS_IDEMPOTENCY_KEY_MAX 300
#define TEST_KEY_PREFIX "test_"
#define ORDER_ID_MIN 6
#define ORDER_ID_MAX 64
#define TRANSACTIONS_DEFAULT_LIMIT 100
#define TRANSACTIONS_MAX_LIMIT 5000

typedef struct route_ctx route_ctx_t;
typedef void (*op_fn)(toss_api_t *api, http_request_t *req, json_object *body, bool english,
                      toss_result_t *r);

typedef struct endpoint {
    const char *method;
    const char *pattern;
    const char *op; /* fault and stats name */
    op_fn fn;
} endpoint_t;

struct route_ctx {
    toss_api_t *api;
    const endpoint_t *endpoint;
    int index;
};

struct toss_api {
    char *secret_key;
    toss_store_t *store;
    idem_store_t *idem;
    sandbox_faults_t *faults;
    toss_webhooks_t *webhooks;
    route_ctx_t *routes;
    pthread_mutex_t stats_mu; /* guards the counters */
    long *requests;
    long replays;
};

/* ------------------------------------------------------------ answers -- */

static int send_json(http_request_t *req, int status, json_object *o)
{
    size_t len = 0;
    const char *text = json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    return http_respond(req, status, JSON_TYPE, text, len);
}

static json_object *error_json(const char *code, const char *message)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "code", json_object_new_string(code));
    json_object_object_add(o, "message", json_object_new_string(message));
    return o;
}

static int send_error(http_request_t *req, int status, const char *code, const char *message)
{
    json_object *o = error_json(code, message);
    int rc = send_json(req, status, o);
    json_object_put(o);
    return rc;
}

/* An injected fault's answer, in Toss' words. */
static void fault_error(http_request_t *req, int status, const char *message, long retry_after_s,
                        void *ctx)
{
    (void)message;
    (void)retry_after_s;
    (void)ctx;
    if (status == 429)
        send_error(req, 429, "TOO_MANY_REQUESTS", "요청량이 초과되었습니다. 잠시 후 다시 시도해주세요.");
    else if (status == 409)
        send_error(req, 409, "IDEMPOTENT_REQUEST_PROCESSING",
                   "이전 멱등 요청이 처리중입니다. 잠시 후 다시 시도해주세요.");
    else if (status >= 500)
        send_error(req, status, "FAILED_INTERNAL_SYSTEM_PROCESSING",
                   "내부 시스템 처리 작업이 실패했습니다. 잠시 후 다시 시도해주세요.");
    else if (status == 403)
        send_error(req, 403, "REJECT_CARD_COMPANY", "결제 승인이 거절되었습니다.");
    else
        send_error(req, status, "PROVIDER_ERROR",
                   "일시적인 오류가 발생했습니다. 잠시 후 다시 시도해주세요.");
}

/* ---------------------------------------------------------- test codes -- */

/* TossPayments-Test-Code: the codes the sandbox knows, with Toss' statuses. */
static const struct {
    const char *code;
    int status;
    const char *message;
} TEST_CODES[] = {
    {"REJECT_CARD_PAYMENT", 403, "한도초과 혹은 잔액부족으로 결제에 실패했습니다."},
    {"REJECT_CARD_COMPANY", 403, "결제 승인이 거절되었습니다."},
    {"FDS_ERROR", 403, "[토스페이먼츠] 위험거래가 감지되어 결제가 제한됩니다."},
    {"EXCEED_MAX_AUTH_COUNT", 403, "최대 인증 횟수를 초과했습니다."},
    {"INVALID_PASSWORD", 403, "결제 비밀번호가 일치하지 않습니다."},
    {"INVALID_CARD_EXPIRATION", 400, "카드 정보를 다시 확인해주세요. (유효기간)"},
    {"INVALID_STOPPED_CARD", 400, "정지된 카드 입니다."},
    {"INVALID_CARD_LOST_OR_STOLEN", 400, "분실 혹은 도난 카드입니다."},
    {"INVALID_CARD_NUMBER", 400, "카드번호를 다시 확인해주세요."},
    {"EXCEED_MAX_DAILY_PAYMENT_COUNT", 400, "하루 결제 가능 횟수를 초과했습니다."},
    {"EXCEED_MAX_PAYMENT_AMOUNT", 400, "하루 결제 가능 금액을 초과했습니다."},
    {"BELOW_MINIMUM_AMOUNT", 400, "신용카드는 결제금액이 100원 이상이어야 합니다."},
    {"NOT_FOUND_PAYMENT_SESSION", 404, "결제 시간이 만료되어 결제 진행 데이터가 존재하지 않습니다."},
    {"ALREADY_PROCESSED_PAYMENT", 400, "이미 처리된 결제 입니다."},
    {"ALREADY_CANCELED_PAYMENT", 400, "이미 취소된 결제 입니다."},
    {"DUPLICATED_ORDER_ID", 400, "이미 승인 및 취소가 진행된 중복된 주문번호 입니다."},
    {"PROVIDER_ERROR", 400, "일시적인 오류가 발생했습니다. 잠시 후 다시 시도해주세요."},
    {"CARD_PROCESSING_ERROR", 400, "카드사에서 오류가 발생했습니다."},
    {"FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING", 500, "결제가 완료되지 않았어요. 다시 시도해주세요."},
    {"FAILED_INTERNAL_SYSTEM_PROCESSING", 500, "내부 시스템 처리 작업이 실패했습니다. 잠시 후 다시 시도해주세요."},
    {"UNKNOWN_PAYMENT_ERROR", 500, "결제에 실패했어요. 같은 문제가 반복된다면 은행이나 카드사로 문의해주세요."},
    {"COMMON_ERROR", 500, "일시적인 오류가 발생했습니다. 잠시 후 다시 시도해주세요."},
    {"FORBIDDEN_CONSECUTIVE_REQUEST", 403, "반복적인 요청은 허용되지 않습니다. 잠시 후 다시 시도해주세요."},
    {"FORBIDDEN_REQUEST", 403, "허용되지 않은 요청입니다."},
    {"NOT_CANCELABLE_AMOUNT", 403, "취소 할 수 없는 금액 입니다."},
    {"NOT_CANCELABLE_PAYMENT", 403, "취소 할 수 없는 결제 입니다."},
    {"EXCEED_MAX_REFUND_DUE", 403, "환불 가능한 기간이 지났습니다."},
    {"FAILED_REFUND_PROCESS", 500, "은행 응답시간 지연이나 일시적인 오류로 환불요청에 실패했습니다."},
    {"NOT_FOUND_PAYMENT", 404, "존재하지 않는 결제 정보 입니다."},
    {"UNAUTHORIZED_KEY", 401, "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다."},
    {"INVALID_REQUEST", 400, "잘못된 요청입니다."},
    {"INVALID_API_KEY", 400, "잘못된 시크릿키 연동 정보 입니다."},
    {"IDEMPOTENT_REQUEST_PROCESSING", 409, "이전 멱등 요청이 처리중입니다. 잠시 후 다시 시도해주세요."},
};

/* ---------------------------------------------------------- operations -- */

/* An amount: a JSON number, whole won (a KRW amount has no fraction). */
static int get_amount(json_object *body, const char *name, bool required, int64_t *out,
                      toss_result_t *r)
{
    json_object *v = NULL;
    *out = -1;
    if (!json_object_object_get_ex(body, name, &v) || json_object_is_type(v, json_type_null)) {
        if (!required)
            return 0;
        snprintf(r->message, sizeof r->message, "%s 는 필수 파라미터입니다.", name);
    } else if (json_object_is_type(v, json_type_int)) {
        *out = json_object_get_int64(v);
        if (*out > 0 && *out <= 100000000000LL)
            return 0;
        snprintf(r->message, sizeof r->message, "%s 는 0보다 큰 금액이어야 합니다.", name);
    } else if (json_object_is_type(v, json_type_double)) {
        double d = json_object_get_double(v);
        if (d > 0 && d <= 1e11 && floor(d) == d) {
            *out = (int64_t)d;
            return 0;
        }
        snprintf(r->message, sizeof r->message, "%s 는 원 단위 정수여야 합니다.", name);
    } else {
        snprintf(r->message, sizeof r->message, "%s 는 숫자여야 합니다.", name);
    }
    r->status = 400;
    snprintf(r->code, sizeof r->code, "INVALID_REQUEST");
    return -1;
}

static int get_text(json_object *body, const char *name, bool required, size_t max,
                    const char **out, toss_result_t *r)
{
    json_object *v = NULL;
    *out = NULL;
    if (!json_object_object_get_ex(body, name, &v) || json_object_is_type(v, json_type_null)) {
        if (!required)
            return 0;
        snprintf(r->message, sizeof r->message, "%s 는 필수 파라미터입니다.", name);
    } else if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0 ||
               (size_t)json_object_get_string_len(v) > max) {
        snprintf(r->message, sizeof r->message, "%s 는 1~%zu자의 문자열이어야 합니다.", name, max);
    } else {
        *out = json_object_get_string(v);
        return 0;
    }
    r->status = 400;
    snprintf(r->code, sizeof r->code, "INVALID_REQUEST");
    return -1;
}

/* orderId: 6–64 letters, digits, '-' and '_' (what the checkout may use). */
static bool order_id_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < ORDER_ID_MIN || n > ORDER_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

static void bad_order_id(toss_result_t *r)
{
    r->status = 400;
    snprintf(r->code, sizeof r->code, "INVALID_ORDER_ID");
    snprintf(r->message, sizeof r->message,
             "주문번호는 영문 대소문자, 숫자, 특수문자(-, _)로 6자 이상 64자 이하여야 합니다.");
}

/* taxFreeAmount (optional): a whole number of won, 0..amount; -1 when absent. */
static int get_tax_free(json_object *body, int64_t amount, int64_t *out, toss_result_t *r)
{
    json_object *v = NULL;
    *out = -1;
    if (!json_object_object_get_ex(body, "taxFreeAmount", &v) ||
        json_object_is_type(v, json_type_null))
        return 0;
    double d = json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)
                   ? json_object_get_double(v)
                   : -1;
    if (d >= 0 && d <= (double)amount && floor(d) == d) {
        *out = (int64_t)d;
        return 0;
    }
    r->status = 400;
    snprintf(r->code, sizeof r->code, "INVALID_REQUEST");
    snprintf(r->message, sizeof r->message,
             "taxFreeAmount 는 0 이상 결제 금액 이하의 원 단위 정수여야 합니다.");
    return -1;
}

static void op_confirm(toss_api_t *api, http_request_t *req, json_object *body, bool english,
                       toss_result_t *r)
{
    (void)req;
    const char *key, *order;
    int64_t amount;
    /* paymentKey, orderId and amount: the taxable / tax-free split is the
     * payment request's (the window's), not the approval's */
    if (get_text(body, "paymentKey", true, 200, &key, r) ||
        get_text(body, "orderId", true, 64, &order, r) ||
        get_amount(body, "amount", true, &amount, r))
        return;
    if (!order_id_valid(order))
        return bad_order_id(r);
    toss_store_confirm(api->store, key, order, amount, english, r);
}

static void op_get(toss_api_t *api, http_request_t *req, json_object *body, bool english,
                   toss_result_t *r)
{
    (void)body;
    toss_store_get(api->store, http_request_param(req, "paymentKey"), english, r);
}

static void op_get_by_order(toss_api_t *api, http_request_t *req, json_object *body, bool english,
                            toss_result_t *r)
{
    (void)body;
    toss_store_get_by_order(api->store, http_request_param(req, "orderId"), english, r);
}

static void op_cancel(toss_api_t *api, http_request_t *req, json_object *body, bool english,
                      toss_result_t *r)
{
    const char *reason, *currency;
    int64_t amount, refundable;
    if (get_text(body, "cancelReason", true, 200, &reason, r) ||
        get_amount(body, "cancelAmount", false, &amount, r) ||
        get_amount(body, "refundableAmount", false, &refundable, r) ||
        get_text(body, "currency", false, 3, &currency, r))
        return;
    if (currency && strcmp(currency, "KRW") != 0) {
        r->status = 400;
        snprintf(r->code, sizeof r->code, "INVALID_REQUEST");
        snprintf(r->message, sizeof r->message, "결제 통화와 취소 통화가 다릅니다.");
        return;
    }
    toss_store_cancel(api->store, http_request_param(req, "paymentKey"), reason, amount,
                      refundable, english, r);
}

static void op_settle(toss_api_t *api, http_request_t *req, json_object *body, bool english,
                      toss_result_t *r)
{
    (void)req;
    (void)english;
    const char *key;
    if (get_text(body, "paymentKey", true, 200, &key, r))
        return;
    toss_store_settle(api->store, key, r);
}

static void op_billing_issue(toss_api_t *api, http_request_t *req, json_object *body, bool english,
                             toss_result_t *r)
{
    (void)req;
    const char *auth, *customer;
    if (get_text(body, "authKey", true, 300, &auth, r) ||
        get_text(body, "customerKey", true, 300, &customer, r))
        return;
    toss_store_billing_issue(api->store, auth, customer, english, r);
}

static void op_billing_charge(toss_api_t *api, http_request_t *req, json_object *body,
                              bool english, toss_result_t *r)
{
    const char *customer, *order, *name;
    int64_t amount, tax_free;
    if (get_amount(body, "amount", true, &amount, r) ||
        get_text(body, "customerKey", true, 300, &customer, r) ||
        get_text(body, "orderId", true, 64, &order, r) ||
        get_text(body, "orderName", true, 100, &name, r) ||
        get_tax_free(body, amount, &tax_free, r))
        return;
    if (!order_id_valid(order))
        return bad_order_id(r);
    toss_store_billing_charge_split(api->store, http_request_param(req, "billingKey"), customer,
                                    order, name, amount, tax_free, english, r);
}

static void op_billing_delete(toss_api_t *api, http_request_t *req, json_object *body,
                              bool english, toss_result_t *r)
{
    (void)body;
    (void)english;
    toss_store_billing_delete(api->store, http_request_param(req, "billingKey"), r);
}

/* "2024-01-01" or "2024-01-01T00:00:00" (Korea time) → Unix ms; -1 when bad. */
static int64_t kst_ms(const char *text, bool end_of_day)
{
    dates_day_t d;
    char day[DATES_ISO_LEN + 1];
    if (!text || strlen(text) < DATES_ISO_LEN)
        return -1;
    memcpy(day, text, DATES_ISO_LEN);
    day[DATES_ISO_LEN] = '\0';
    if (dates_parse_iso(day, &d) != 0)
        return -1;
    int64_t secs = (int64_t)d * 86400 - 9 * 3600;
    int h = 0, m = 0, s = 0;
    if (text[DATES_ISO_LEN] == 'T' && sscanf(text + DATES_ISO_LEN + 1, "%d:%d:%d", &h, &m, &s) >= 2)
        secs += h * 3600 + m * 60 + s;
    else if (end_of_day)
        secs += 86399;
    return secs * 1000 + (end_of_day ? 999 : 0);
}

static void op_transactions(toss_api_t *api, http_request_t *req, json_object *body, bool english,
                            toss_result_t *r)
{
    (void)body;
    (void)english;
    int64_t from = kst_ms(http_request_query(req, "startDate"), false);
    int64_t to = kst_ms(http_request_query(req, "endDate"), true);
    const char *lim = http_request_query(req, "limit");
    int limit = lim ? atoi(lim) : TRANSACTIONS_DEFAULT_LIMIT;
    if (from < 0 || to < 0 || limit < 1 || limit > TRANSACTIONS_MAX_LIMIT) {
        r->status = 400;
        snprintf(r->code, sizeof r->code, "INVALID_REQUEST");
        snprintf(r->message, sizeof r->message,
                 "startDate, endDate 는 필수이며 limit 는 1~5000 이어야 합니다.");
        return;
    }
    toss_store_transactions(api->store, from, to, limit, r);
}

/* The router takes the first route that matches: specific paths first. */
static const endpoint_t ENDPOINTS[] = {
    {"POST", "/v1/payments/confirm", "payments.confirm", op_confirm},
    {"GET", "/v1/payments/orders/:orderId", "payments.getByOrderId", op_get_by_order},
    {"GET", "/v1/payments/:paymentKey", "payments.get", op_get},
    {"POST", "/v1/payments/:paymentKey/cancel", "payments.cancel", op_cancel},
    {"POST", "/v1/settlements", "settlements.request", op_settle},
    {"POST", "/v1/billing/authorizations/issue", "billing.issue", op_billing_issue},
    {"POST", "/v1/billing/:billingKey", "billing.charge", op_billing_charge},
    {"DELETE", "/v1/billing/:billingKey", "billing.delete", op_billing_delete},
    {"GET", "/v1/transactions", "transactions.list", op_transactions},
};
#define ENDPOINT_COUNT (sizeof ENDPOINTS / sizeof ENDPOINTS[0])

/* ----------------------------------------------------------- pipeline -- */

static void count(toss_api_t *api, int index, bool replay)
{
    pthread_mutex_lock(&api->stats_mu);
    if (replay)
        api->replays++;
    else
        api->requests[index]++;
    pthread_mutex_unlock(&api->stats_mu);
}

/* Basic base64(secretKey + ":"): true when it is ours; otherwise answered. */
static bool authorized(toss_api_t *api, http_request_t *req, bool *test_key)
{
    const char *h = http_request_header(req, "Authorization");
    *test_key = false;
    if (!h || strncasecmp(h, "Basic ", 6) != 0) {
        send_error(req, 401, "UNAUTHORIZED_KEY", "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.");
        return false;
    }
    size_t len = 0;
    uint8_t *raw = crypto_base64_decode(h + 6, &len);
    char *text = raw ? calloc(1, len + 1) : NULL;
    if (text)
        memcpy(text, raw, len);
    char *colon = text ? strchr(text, ':') : NULL;
    bool ok = false;
    if (!colon) {
        /* the trailing colon (empty password) is part of Toss' format */
        send_error(req, 400, "INCORRECT_BASIC_AUTH_FORMAT",
                   "잘못된 요청입니다. ':' 를 포함해 인코딩해주세요.");
    } else {
        *colon = '\0';
        ok = crypto_equal_constant_time(text, strlen(text), api->secret_key,
                                        strlen(api->secret_key)) &&
             colon[1] == '\0';
        if (!ok)
            send_error(req, 401, "UNAUTHORIZED_KEY",
                       "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.");
        *test_key = strncmp(api->secret_key, TEST_KEY_PREFIX, strlen(TEST_KEY_PREFIX)) == 0;
    }
    if (raw) {
        crypto_wipe(raw, len);
        free(raw);
    }
    if (text) {
        crypto_wipe(text, len);
        free(text);
    }
    return ok;
}

/* TossPayments-Test-Code: answered with that error (test keys only). */
static bool test_code(http_request_t *req, bool test_key)
{
    const char *code = http_request_header(req, "TossPayments-Test-Code");
    if (!code || !test_key)
        return false;
    for (size_t i = 0; i < sizeof TEST_CODES / sizeof TEST_CODES[0]; i++)
        if (strcmp(TEST_CODES[i].code, code) == 0) {
            send_error(req, TEST_CODES[i].status, TEST_CODES[i].code, TEST_CODES[i].message);
            return true;
        }
    send_error(req, 400, "INVALID_TEST_CODE", "테스트 코드가 올바르지 않습니다.");
    return true;
}

/* Idempotency-Key: true when answered (replay, 409, bad key); *reserved
 * when this request runs under the key. Scope: method, path, key. */
static bool idempotency_gate(toss_api_t *api, http_request_t *req, int index, const char *key,
                             char *scope, size_t scope_size, bool *reserved)
{
    *reserved = false;
    if (strlen(key) > TOSS_IDEMPOTENCY_KEY_MAX || !key[0]) {
        send_error(req, 400, "INVALID_IDEMPOTENCY_KEY", "멱등키는 300자 이하여야 합니다.");
        return true;
    }
    snprintf(scope, scope_size, "%s %.300s %s", http_request_method(req), http_request_path(req),
             key);
    idem_result_t stored;
    switch (idem_begin(api->idem, scope, "", &stored)) {
    case IDEM_NEW:
        *reserved = true;
        return false;
    case IDEM_REPLAY:
        count(api, index, true);
        http_respond(req, stored.status, JSON_TYPE, stored.body, stored.body_len);
        idem_result_clear(&stored);
        return true;
    case IDEM_IN_FLIGHT:
        send_error(req, 409, "IDEMPOTENT_REQUEST_PROCESSING",
                   "이전 멱등 요청이 처리중입니다. 잠시 후 다시 시도해주세요.");
        return true;
    default:
        send_error(req, 500, "FAILED_INTERNAL_SYSTEM_PROCESSING",
                   "내부 시스템 처리 작업이 실패했습니다.");
        return true;
    }
}

static bool english_wanted(http_request_t *req)
{
    const char *lang = http_request_header(req, "Accept-Language");
    return lang && strncasecmp(lang, "en", 2) == 0;
}

static int handle_endpoint(http_request_t *req, void *ctx)
{
    const route_ctx_t *rc = ctx;
    toss_api_t *api = rc->api;
    const char *op = rc->endpoint->op;
    count(api, rc->index, false);
    bool test_key;
    if (!authorized(api, req, &test_key) || test_code(req, test_key))
        return 0;
    bool post = strcmp(rc->endpoint->method, "POST") == 0;
    json_object *body = NULL;
    if (post) {
        size_t len = 0;
        const char *text = http_request_body(req, &len);
        json_error_t je;
        body = len ? json_parse_object(text, len, &je) : json_object_new_object();
        if (!body)
            return send_error(req, 400, "INVALID_REQUEST", "잘못된 요청입니다. (JSON)");
    }
    const char *key = post ? http_request_header(req, "Idempotency-Key") : NULL;
    char scope[TOSS_IDEMPOTENCY_KEY_MAX + 400];
    bool reserved = false;
    if (key && idempotency_gate(api, req, rc->index, key, scope, sizeof scope, &reserved)) {
        json_object_put(body);
        return 0;
    }
    /* before the work: an injected error means nothing was done */
    if (sandbox_faults_apply(api->faults, req, op, fault_error, api)) {
        if (reserved)
            idem_abandon(api->idem, scope);
        json_object_put(body);
        return 0;
    }
    toss_result_t r = {0};
    rc->endpoint->fn(api, req, body, english_wanted(req), &r);
    json_object_put(body);
    json_object *answer = r.status == 200 ? json_object_get(r.body) : error_json(r.code, r.message);
    size_t len = 0;
    const char *text = answer ? json_object_to_json_string_length(
                                    answer, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
                                    &len)
                              : "";
    /* The first answer of an executed request is the one replayed (errors
     * too: Toss advises against re-keying a request that answered an error). */
    if (reserved)
        idem_finish(api->idem, scope, r.status, text, len);
    char status[16];
    snprintf(status, sizeof status, "%d", r.status);
    log_kv(LOG_LEVEL_INFO, "toss request", "op", op, "status", status, "code",
           r.status == 200 ? "ok" : r.code, "object", r.object_id[0] ? r.object_id : NULL, NULL);
    int result = 0;
    if (!sandbox_faults_apply_after(api->faults, req, op, fault_error, api))
        result = http_respond(req, r.status, JSON_TYPE, text, len);
    json_object_put(answer);
    toss_result_clear(&r);
    return result;
}

static int handle_unknown(http_request_t *req, void *ctx)
{
    (void)ctx;
    return send_error(req, 404, "NOT_FOUND", "존재하지 않는 API 입니다.");
}

/* -------------------------------------------------------- control API -- */

static int respond_result(http_request_t *req, toss_result_t *r)
{
    int rc = r->status == 200 ? send_json(req, 200, r->body)
                              : send_error(req, r->status, r->code, r->message);
    toss_result_clear(r);
    return rc;
}

/* POST /_sandbox/window: the browser's payment window. */
static int handle_window(http_request_t *req, void *ctx)
{
    toss_api_t *api = ctx;
    json_object *body = http_request_json_object(req);
    if (!body)
        return 0;
    json_error_t err = {0};
    const char *order = NULL, *name = NULL, *method = NULL, *easy = NULL, *decline = NULL;
    int64_t amount = 0, ago_s = 0;
    bool ready = false;
    int bad = json_get_string(body, "orderId", true, 1, 200, &order, &err) ||
              json_get_int64(body, "amount", true, 1, 100000000000LL, 0, &amount, &err) ||
              json_get_string(body, "orderName", false, 1, 100, &name, &err) ||
              json_get_string(body, "method", false, 1, 32, &method, &err) ||
              json_get_string(body, "easyPay", false, 1, 32, &easy, &err) ||
              json_get_string(body, "declineWith", false, 1, 63, &decline, &err) ||
              json_get_int64(body, "authenticatedSecondsAgo", false, 0, 86400, 0, &ago_s, &err) ||
              json_get_bool(body, "notAuthenticated", false, false, &ready, &err);
    /* taxFreeAmount, as requestPayment takes it: whole won, 0..amount */
    toss_result_t tr = {0};
    int64_t tax_free = -1;
    if (!bad && get_tax_free(body, amount, &tax_free, &tr) != 0) {
        bad = 1;
        snprintf(err.field, sizeof err.field, "taxFreeAmount");
        snprintf(err.message, sizeof err.message,
                 "taxFreeAmount: a whole number of won from 0 to amount");
    }
    if (!bad && !order_id_valid(order)) {
        bad = 1;
        snprintf(err.field, sizeof err.field, "orderId");
        snprintf(err.message, sizeof err.message,
                 "orderId: 6-64 letters, digits, '-' or '_' (Toss' rule)");
    }
    int rc;
    if (bad) {
        rc = http_respond_error(req, 400, "VALIDATION_ERROR", err.field, err.message);
    } else {
        toss_window_t w = {.order_id = order,
                           .order_name = name,
                           .amount = amount,
                           .method = method,
                           .easy_pay = easy,
                           .decline_with = decline,
                           .authenticated_ago_ms = ago_s * 1000,
                           .not_authenticated = ready,
                           .tax_free = tax_free};
        toss_result_t r;
        toss_store_window(api->store, &w, &r);
        rc = respond_result(req, &r);
    }
    json_object_put(body);
    return rc;
}

/* POST /_sandbox/billing-auth: the billing-key window. */
static int handle_billing_auth(http_request_t *req, void *ctx)
{
    toss_api_t *api = ctx;
    json_object *body = http_request_json_object(req);
    if (!body)
        return 0;
    json_error_t err = {0};
    const char *customer = NULL, *decline = NULL;
    int rc;
    if (json_get_string(body, "customerKey", true, 2, 300, &customer, &err) ||
        json_get_string(body, "declineWith", false, 1, 63, &decline, &err)) {
        rc = http_respond_error(req, 400, "VALIDATION_ERROR", err.field, err.message);
    } else {
        toss_result_t r;
        toss_store_billing_auth(api->store, customer, decline, &r);
        rc = respond_result(req, &r);
    }
    json_object_put(body);
    return rc;
}

static int handle_acquire(http_request_t *req, void *ctx)
{
    toss_api_t *api = ctx;
    toss_result_t r;
    toss_store_force_acquire(api->store, http_request_param(req, "paymentKey"), &r);
    return respond_result(req, &r);
}

/* Optional body {"cancelAmount": N} (default: the whole balance). */
static int handle_console_cancel(http_request_t *req, void *ctx)
{
    toss_api_t *api = ctx;
    size_t len = 0;
    http_request_body(req, &len);
    int64_t amount = 0;
    if (len > 0) {
        json_object *body = http_request_json_object(req);
        if (!body)
            return 0;
        json_error_t err = {0};
        int bad = json_get_int64(body, "cancelAmount", false, 1, 100000000000LL, 0, &amount, &err);
        json_object_put(body);
        if (bad)
            return http_respond_error(req, 400, "VALIDATION_ERROR", err.field, err.message);
    }
    toss_result_t r;
    toss_store_console_cancel(api->store, http_request_param(req, "paymentKey"), amount, &r);
    return respond_result(req, &r);
}

static int handle_webhook_url(http_request_t *req, void *ctx)
{
    toss_api_t *api = ctx;
    json_object *body = http_request_json_object(req);
    if (!body)
        return 0;
    json_error_t err = {0};
    const char *url = NULL;
    int rc;
    if (json_get_string(body, "url", true, 0, 500, &url, &err) ||
        (url[0] && strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
        rc = http_respond_error(req, 400, "VALIDATION_ERROR", "url",
                                err.message[0] ? err.message : "url: http(s)://host:port/path");
    } else {
        toss_webhooks_set_url(api->webhooks, url);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "url", json_object_new_string(url));
        rc = http_respond_json(req, 200, o);
        json_object_put(o);
    }
    json_object_put(body);
    return rc;
}

static int handle_reset(http_request_t *req, void *ctx)
{
    toss_api_t *api = ctx;
    toss_store_reset(api->store);
    toss_webhooks_reset(api->webhooks);
    idem_clear(api->idem);
    sandbox_faults_clear(api->faults);
    pthread_mutex_lock(&api->stats_mu);
    memset(api->requests, 0, ENDPOINT_COUNT * sizeof *api->requests);
    api->replays = 0;
    pthread_mutex_unlock(&api->stats_mu);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "reset", json_object_new_boolean(1));
    int rc = http_respond_json(req, 200, o);
    json_object_put(o);
    return rc;
}

static int handle_ledger(http_request_t *req, void *ctx)
{
    toss_api_t *api = ctx;
    json_object *o = toss_store_ledger(api->store);
    json_object *requests = json_object_new_object();
    pthread_mutex_lock(&api->stats_mu);
    for (size_t i = 0; i < ENDPOINT_COUNT; i++)
        json_object_object_add(requests, ENDPOINTS[i].op, json_object_new_int64(api->requests[i]));
    long replays = api->replays;
    pthread_mutex_unlock(&api->stats_mu);
    json_object *stats = json_object_new_object();
    json_object_object_add(stats, "requests", requests);
    json_object_object_add(stats, "idempotentReplays", json_object_new_int64(replays));
    json_object_object_add(stats, "idempotencyKeys",
                           json_object_new_int64((int64_t)idem_count(api->idem)));
    json_object_object_add(o, "stats", stats);
    json_object_object_add(o, "webhooks", toss_webhooks_stats(api->webhooks));
    int rc = http_respond_json(req, 200, o);
    json_object_put(o);
    return rc;
}

/* ---------------------------------------------------------- lifecycle -- */

toss_api_t *toss_api_new(const toss_api_config_t *cfg)
{
    toss_api_t *api = calloc(1, sizeof *api);
    if (!api)
        return NULL;
    pthread_mutex_init(&api->stats_mu, NULL);
    api->secret_key = strdup(cfg->secret_key ? cfg->secret_key : TOSS_SANDBOX_DEFAULT_SECRET_KEY);
    api->store = toss_store_new(&cfg->store);
    api->idem = idem_store_new(cfg->idempotency_ttl_s);
    api->faults = sandbox_faults_new();
    api->routes = calloc(ENDPOINT_COUNT, sizeof *api->routes);
    api->requests = calloc(ENDPOINT_COUNT, sizeof *api->requests);
    api->webhooks = api->store ? toss_webhooks_new(api->store, cfg->webhook_url,
                                                   cfg->webhook_minute_ms)
                               : NULL;
    if (!api->secret_key || !api->store || !api->idem || !api->faults || !api->routes ||
        !api->requests || !api->webhooks) {
        toss_api_free(api);
        return NULL;
    }
    for (size_t i = 0; i < ENDPOINT_COUNT; i++)
        api->routes[i] = (route_ctx_t){api, &ENDPOINTS[i], (int)i};
    return api;
}

void toss_api_free(toss_api_t *api)
{
    if (!api)
        return;
    toss_webhooks_free(api->webhooks);
    if (api->secret_key)
        crypto_wipe(api->secret_key, strlen(api->secret_key));
    free(api->secret_key);
    toss_store_free(api->store);
    idem_store_free(api->idem);
    sandbox_faults_free(api->faults);
    free(api->routes);
    free(api->requests);
    pthread_mutex_destroy(&api->stats_mu);
    free(api);
}

int toss_api_routes(toss_api_t *api, http_server_t *srv)
{
    static const char *const catch_all[] = {"/v1/:a", "/v1/:a/:b", "/v1/:a/:b/:c",
                                            "/v1/:a/:b/:c/:d"};
    static const char *const methods[] = {"GET", "POST", "DELETE"};
    int rc = 0;
    for (size_t i = 0; i < ENDPOINT_COUNT; i++)
        rc |= http_server_route(srv, ENDPOINTS[i].method, ENDPOINTS[i].pattern, AUTH_RULE_OPEN,
                                handle_endpoint, &api->routes[i]);
    rc |= sandbox_faults_routes(api->faults, srv);
    rc |= http_server_route(srv, "POST", "/_sandbox/window", AUTH_RULE_OPEN, handle_window, api);
    rc |= http_server_route(srv, "POST", "/_sandbox/billing-auth", AUTH_RULE_OPEN,
                            handle_billing_auth, api);
    rc |= http_server_route(srv, "POST", "/_sandbox/payments/:paymentKey/acquire", AUTH_RULE_OPEN,
                            handle_acquire, api);
    rc |= http_server_route(srv, "POST", "/_sandbox/payments/:paymentKey/console-cancel",
                            AUTH_RULE_OPEN, handle_console_cancel, api);
    rc |= http_server_route(srv, "POST", "/_sandbox/webhook", AUTH_RULE_OPEN, handle_webhook_url,
                            api);
    rc |= http_server_route(srv, "POST", "/_sandbox/reset", AUTH_RULE_OPEN, handle_reset, api);
    rc |= http_server_route(srv, "GET", "/_sandbox/ledger", AUTH_RULE_OPEN, handle_ledger, api);
    for (size_t p = 0; p < sizeof catch_all / sizeof catch_all[0]; p++)
        for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++)
            rc |= http_server_route(srv, methods[m], catch_all[p], AUTH_RULE_OPEN, handle_unknown,
                                    NULL);
    return rc ? -1 : 0;
}
