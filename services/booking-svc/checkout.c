/*
 * checkout.c — the checkout endpoint: validation, degraded mode,
 * Idempotency-Key, then saga_checkout (see checkout.h).
 */
#include "checkout.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/degraded_keys.h"
#include "common/log.h"
#include "common/money.h"
#include "common/auth.h"
#include "idempotency.h"
#include "payment_route.h"
#include "saga.h"

#define CHECKOUT_MAX_GUESTS 20
#define SANDBOX_VENDOR "sandbox"
#define IDEMPOTENCY_KEY_MAX 255
#define IDEMPOTENCY_POLL_MS 50

/* ---------------------------------------------------------- validation -- */

static int fail(json_error_t *err, const char *field, const char *message)
{
    snprintf(err->field, sizeof err->field, "%s", field);
    snprintf(err->message, sizeof err->message, "%s", message);
    return -1;
}

/* Every text field of a checkout ends up in the PMS, the payment gateway, the
 * database or a log line: control characters (a NUL included) are refused in
 * all of them, naming the field. */
static int copy_string(struct json_object *o, const char *path, size_t min, size_t max, char *out,
                       size_t size, json_error_t *err)
{
    const char *v;
    if (json_get_text(o, path, true, min, max, &v, err) != 0)
        return -1;
    snprintf(out, size, "%s", v);
    return 0;
}

/* Ids become Redis keys and URL parameters (inventory-svc's rule): no
 * braces, colons or spaces. */
static bool id_shaped(const char *s)
{
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_-.", *p))
            return false;
    return *s != '\0';
}

/* local@domain.tld with no spaces: the shape, not deliverability. */
static bool email_shaped(const char *s)
{
    const char *at = strchr(s, '@');
    if (!at || at == s || strchr(at + 1, '@'))
        return false;
    const char *dot = strrchr(at, '.');
    if (!dot || dot == at + 1 || dot[1] == '\0')
        return false;
    for (const char *p = s; *p; p++)
        if (isspace((unsigned char)*p) || *p == ',' || *p == ';' || *p == '<' || *p == '>')
            return false;
    return true;
}

/* +82-10-1234-5678: digits with + ( ) - . and spaces, 7 to 15 digits. */
static bool phone_shaped(const char *s)
{
    int digits = 0;
    for (const char *p = s; *p; p++) {
        if (isdigit((unsigned char)*p))
            digits++;
        else if (!strchr("+-() .", *p) || (*p == '+' && p != s))
            return false;
    }
    return digits >= 7 && digits <= 15;
}

static int parse_stay(struct json_object *body, booking_request_t *out, json_error_t *err)
{
    const char *in, *outd;
    if (json_get_text(body, "checkIn", true, 1, 32, &in, err) != 0 ||
        json_get_text(body, "checkOut", true, 1, 32, &outd, err) != 0)
        return -1;
    char why[128];
    if (dates_validate_stay(in, outd, &out->check_in, &out->check_out, &out->nights, why,
                            sizeof why) != 0)
        return fail(err, strncmp(why, "checkOut", 8) == 0 ? "checkOut" : "checkIn", why);
    if (out->check_in < dates_today_utc() - 1)
        return fail(err, "checkIn", "checkIn must not be in the past");
    if (out->nights > PMS_MAX_NIGHTS)
        return fail(err, "checkOut", "the stay is too long");
    dates_format_iso(out->check_in, out->check_in_text);
    dates_format_iso(out->check_out, out->check_out_text);
    return 0;
}

static int parse_guest(struct json_object *body, booking_request_t *out, json_error_t *err)
{
    struct json_object *g;
    if (json_get_object(body, "guestInfo", true, &g, err) != 0 ||
        copy_string(body, "guestInfo.firstName", 1, 100, out->first_name, sizeof out->first_name,
                    err) != 0 ||
        copy_string(body, "guestInfo.lastName", 1, 100, out->last_name, sizeof out->last_name,
                    err) != 0 ||
        copy_string(body, "guestInfo.email", 3, 254, out->email, sizeof out->email, err) != 0 ||
        copy_string(body, "guestInfo.phone", 7, 32, out->phone, sizeof out->phone, err) != 0)
        return -1;
    if (!email_shaped(out->email))
        return fail(err, "guestInfo.email", "guestInfo.email must be an e-mail address");
    if (!phone_shaped(out->phone))
        return fail(err, "guestInfo.phone",
                    "guestInfo.phone must be a phone number (7 to 15 digits, optional +)");
    return 0;
}

/* Letters, digits and the characters of `extra`, min..max long. */
static bool chars_ok(const char *s, size_t min, size_t max, const char *extra)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr(extra, s[i]))
            return false;
    return true;
}

static bool has(struct json_object *o, const char *key)
{
    return json_object_object_get_ex(o, key, NULL);
}

/* A field of the other provider's shape is refused, naming it. */
static int refuse_foreign(struct json_object *p, const char *const *fields, const char *provider,
                          json_error_t *err)
{
    for (int i = 0; fields[i]; i++)
        if (has(p, fields[i])) {
            char field[64], msg[160];
            snprintf(field, sizeof field, "payment.%s", fields[i]);
            snprintf(msg, sizeof msg, "payment.%s is not used with payment.provider %s",
                     fields[i], provider);
            return fail(err, field, msg);
        }
    return 0;
}

static int parse_stripe_payment(struct json_object *body, struct json_object *p,
                                booking_request_t *out, json_error_t *err)
{
    static const char *const foreign[] = {"paymentKey", "orderId", "billingKey", "customerKey",
                                          NULL};
    if (refuse_foreign(p, foreign, BOOKING_PROVIDER_STRIPE, err) != 0 ||
        copy_string(body, "payment.cardToken", 1, 255, out->card_token, sizeof out->card_token,
                    err) != 0 ||
        copy_string(body, "payment.currency", 3, 3, out->currency, sizeof out->currency, err) != 0)
        return -1;
    if (!money_currency_known(out->currency))
        return fail(err, "payment.currency",
                    "payment.currency must be an upper-case ISO 4217 code (e.g. KRW)");
    return 0;
}

/* Toss: the payment window's redirect (paymentKey, orderId) or a saved card
 * (billingKey, customerKey). Toss takes KRW here; a virtual account is
 * refused before anything is asked of Toss. */
static int parse_toss_payment(struct json_object *body, struct json_object *p,
                              booking_request_t *out, json_error_t *err)
{
    static const char *const foreign[] = {"cardToken", NULL};
    if (refuse_foreign(p, foreign, BOOKING_PROVIDER_TOSS, err) != 0)
        return -1;
    snprintf(out->currency, sizeof out->currency, "KRW");
    if (has(p, "currency") &&
        (copy_string(body, "payment.currency", 3, 3, out->currency, sizeof out->currency, err) !=
             0 ||
         strcmp(out->currency, "KRW") != 0))
        return fail(err, "payment.currency", "payment.currency must be KRW with Toss Payments");
    if (has(p, "method")) {
        const char *m;
        if (json_get_text(body, "payment.method", true, 1, 32, &m, err) != 0)
            return -1;
        if (strcmp(m, "가상계좌") == 0 || strcmp(m, "VIRTUAL_ACCOUNT") == 0)
            return fail(err, "payment.method",
                        "가상계좌(무통장입금)는 입금 전까지 객실을 확보할 수 없어 사용할 수 "
                        "없습니다. 카드나 간편결제로 결제해 주세요. (a virtual account cannot back "
                        "a room hold)");
    }
    if (has(p, "orderId")) {
        if (copy_string(body, "payment.orderId", 1, PAY_ORDER_ID_MAX, out->order_id,
                        sizeof out->order_id, err) != 0)
            return -1;
        if (!payment_order_id_valid(out->order_id))
            return fail(err, "payment.orderId",
                        "payment.orderId must be 6..64 characters of A-Z, a-z, 0-9, - and _");
    }
    if (has(p, "billingKey")) {
        if (has(p, "paymentKey"))
            return fail(err, "payment.paymentKey",
                        "payment.paymentKey and payment.billingKey exclude each other");
        if (copy_string(body, "payment.billingKey", 1, PAY_KEY_MAX, out->billing_key,
                        sizeof out->billing_key, err) != 0 ||
            copy_string(body, "payment.customerKey", 2, 300, out->customer_key,
                        sizeof out->customer_key, err) != 0)
            return -1;
        if (!chars_ok(out->billing_key, 1, PAY_KEY_MAX, "-_="))
            return fail(err, "payment.billingKey",
                        "payment.billingKey must be letters, digits, - _ =");
        if (!chars_ok(out->customer_key, 2, 300, "-_=.@"))
            return fail(err, "payment.customerKey",
                        "payment.customerKey must be 2..300 of letters, digits, - _ = . @");
        return 0;
    }
    if (copy_string(body, "payment.paymentKey", 1, PAY_ID_MAX - 1, out->payment_key,
                    sizeof out->payment_key, err) != 0)
        return -1;
    /* kept as the booking's payment id (at most 64 characters there) */
    if (!chars_ok(out->payment_key, 1, 64, "_"))
        return fail(err, "payment.paymentKey",
                    "payment.paymentKey must be 1..64 letters, digits or _");
    if (!out->order_id[0])
        return fail(err, "payment.orderId",
                    "payment.orderId is required with payment.paymentKey (the orderId the "
                    "payment window was opened with)");
    return 0;
}

static int parse_payment(struct json_object *body, const char *default_provider,
                         booking_request_t *out, json_error_t *err)
{
    struct json_object *p;
    int64_t amount;
    if (json_get_object(body, "payment", true, &p, err) != 0)
        return -1;
    if (has(p, "provider")) {
        if (copy_string(body, "payment.provider", 1, sizeof out->provider - 1, out->provider,
                        sizeof out->provider, err) != 0)
            return -1;
        if (!booking_provider_known(out->provider))
            return fail(err, "payment.provider", "payment.provider must be stripe or toss");
    } else {
        snprintf(out->provider, sizeof out->provider, "%s",
                 default_provider && default_provider[0] ? default_provider
                                                         : BOOKING_PROVIDER_STRIPE);
    }
    if (json_get_int64(body, "payment.amount", true, 1, MONEY_MAX_MINOR, 0, &amount, err) != 0)
        return -1;
    out->amount = amount;
    return strcmp(out->provider, BOOKING_PROVIDER_TOSS) == 0
               ? parse_toss_payment(body, p, out, err)
               : parse_stripe_payment(body, p, out, err);
}

int checkout_parse(struct json_object *body, const char *served_vendor, booking_request_t *out,
                   json_error_t *err)
{
    return checkout_parse_with(body, served_vendor, BOOKING_PROVIDER_STRIPE, out, err);
}

int checkout_parse_with(struct json_object *body, const char *served_vendor,
                        const char *default_provider, booking_request_t *out, json_error_t *err)
{
    memset(out, 0, sizeof *out);
    int64_t adults, children;
    if (copy_string(body, "vendor", 1, 32, out->vendor, sizeof out->vendor, err) != 0)
        return -1;
    /* "sandbox" (openapi's Vendor) speaks the Cloudbeds wire format through
     * the same connector, as in inventory-svc */
    bool sandbox =
        strcmp(out->vendor, SANDBOX_VENDOR) == 0 && strcmp(served_vendor, "cloudbeds") == 0;
    if (!sandbox && (!pms_vendor_known(out->vendor) || strcmp(out->vendor, served_vendor) != 0)) {
        char msg[128];
        snprintf(msg, sizeof msg, "vendor must be %s or %s", served_vendor, SANDBOX_VENDOR);
        return fail(err, "vendor", msg);
    }
    if (copy_string(body, "hotelId", 1, 64, out->hotel_id, sizeof out->hotel_id, err) != 0)
        return -1;
    if (!id_shaped(out->hotel_id))
        return fail(err, "hotelId", "hotelId must be 1..64 characters of A-Z, a-z, 0-9, _ - .");
    if (copy_string(body, "roomTypeId", 1, 64, out->room_type_id, sizeof out->room_type_id, err) !=
        0)
        return -1;
    if (!id_shaped(out->room_type_id))
        return fail(err, "roomTypeId",
                    "roomTypeId must be 1..64 characters of A-Z, a-z, 0-9, _ - .");
    if (parse_stay(body, out, err) != 0 || parse_guest(body, out, err) != 0 ||
        json_get_int64(body, "adults", true, 1, CHECKOUT_MAX_GUESTS, 0, &adults, err) != 0 ||
        json_get_int64(body, "children", false, 0, CHECKOUT_MAX_GUESTS, 0, &children, err) != 0 ||
        parse_payment(body, default_provider, out, err) != 0)
        return -1;
    out->adults = (int)adults;
    out->children = (int)children;
    int64_t rooms;
    if (json_get_int64(body, "rooms", false, 1, BOOKING_MAX_ROOMS, 1, &rooms, err) != 0)
        return -1;
    out->rooms = (int)rooms;
    struct json_object *plan;
    if (json_object_object_get_ex(body, "ratePlanId", &plan) && plan) {
        if (copy_string(body, "ratePlanId", 1, 64, out->rate_plan_id, sizeof out->rate_plan_id,
                        err) != 0)
            return -1;
        if (!id_shaped(out->rate_plan_id))
            return fail(err, "ratePlanId",
                        "ratePlanId must be 1..64 characters of A-Z, a-z, 0-9, _ - .");
    }
    return 0;
}

/* -------------------------------------------------------- degraded mode -- */

/* Copies the reason of a stored degraded state into reason when it says
 * degraded; returns whether it does. */
static bool stored_state_degraded(const char *value, char *reason, size_t size)
{
    if (!value)
        return false;
    json_error_t je;
    struct json_object *o = json_parse_object(value, strlen(value), &je), *d, *why;
    bool degraded = o && json_object_object_get_ex(o, "degraded", &d) && json_object_get_boolean(d);
    if (degraded)
        snprintf(reason, size, "%s",
                 json_object_object_get_ex(o, "reason", &why) ? json_object_get_string(why)
                                                              : "PMS unavailable");
    json_object_put(o);
    return degraded;
}

/* Reads the platform key, then the hotel's two keys (one MGET: they share the
 * hotel's hash tag); the platform switch wins, then the operator's hotel
 * switch, then the hotel's breaker. Redis failing counts as "not degraded":
 * the PMS hold stays the authoritative guard. */
static bool redis_degraded(booking_app_t *app, const char *hotel_id, char *reason, size_t size)
{
    char auto_key[DEGRADED_KEY_MAX], admin_key[DEGRADED_KEY_MAX];
    const char *keys[] = {degraded_hotel_admin_key(admin_key, sizeof admin_key, hotel_id),
                          degraded_hotel_key(auto_key, sizeof auto_key, hotel_id)};
    char *platform = NULL, *hotel[2] = {NULL, NULL};
    redis_client_t *r = redis_pool_acquire(app->redis);
    redis_client_err_t rc = redis_get(r, DEGRADED_PLATFORM_KEY, &platform);
    bool degraded = rc == REDIS_CLIENT_OK && stored_state_degraded(platform, reason, size);
    if (rc == REDIS_CLIENT_OK && !degraded && redis_mget(r, keys, 2, hotel) == REDIS_CLIENT_OK)
        degraded = stored_state_degraded(hotel[0], reason, size) ||
                   stored_state_degraded(hotel[1], reason, size);
    redis_pool_release(app->redis, r);
    free(platform);
    redis_values_free(hotel, 2);
    return degraded;
}

bool checkout_degraded(booking_app_t *app, const char *hotel_id, char *reason, size_t size)
{
    if (pms_breaker_state(app->pms, hotel_id) == BREAKER_OPEN) {
        snprintf(reason, size, "PMS circuit breaker open for %s", hotel_id);
        return true;
    }
    if (breaker_state(payment_connector_breaker(app->pay)) == BREAKER_OPEN) {
        snprintf(reason, size, "payment gateway circuit breaker open");
        return true;
    }
    return app->redis && redis_degraded(app, hotel_id, reason, size);
}

/* ---------------------------------------------------------- the handler -- */

static int respond_json_text(http_request_t *req, int status, const char *body)
{
    return http_respond(req, status, "application/json", body, strlen(body));
}

/* Takes the Idempotency-Key: 0 ours (go on), 1 answered already. */
static int idempotency_enter(http_request_t *req, booking_app_t *app, const char *key,
                             const char *hash)
{
    int64_t deadline = clock_now_ms() + app->idempotency_wait_ms;
    for (;;) {
        int status = 0;
        char *stored = NULL;
        db_t *db = db_pool_acquire(app->db);
        idem_outcome_t o = idempotency_begin(db, IDEMPOTENCY_SCOPE_CHECKOUT, key, hash,
                                             app->idempotency_ttl_h, &status, &stored);
        db_pool_release(app->db, db);
        switch (o) {
        case IDEM_NEW:
            return 0;
        case IDEM_REPLAY:
            http_response_header(req, "Idempotent-Replayed", "true");
            respond_json_text(req, status, stored);
            free(stored);
            return 1;
        case IDEM_MISMATCH:
            http_respond_error(req, 422, "IDEMPOTENCY_KEY_REUSED", "Idempotency-Key",
                               "Idempotency-Key가 다른 요청에 이미 사용되었습니다 (the "
                               "Idempotency-Key was used with a different request body)");
            return 1;
        case IDEM_ERROR:
            http_respond_error(req, 500, "INTERNAL_ERROR", NULL,
                               "내부 오류 (internal error: idempotency store unavailable)");
            return 1;
        case IDEM_IN_PROGRESS:
            break;
        }
        if (clock_now_ms() >= deadline) {
            http_respond_error(req, 409, "IDEMPOTENCY_IN_PROGRESS", "Idempotency-Key",
                               "같은 요청이 처리 중입니다 (a request with this Idempotency-Key is "
                               "still being processed; retry later)");
            return 1;
        }
        clock_source_system()->sleep_ms(NULL, IDEMPOTENCY_POLL_MS);
    }
}

int checkout_handle(http_request_t *req, void *ctx)
{
    booking_app_t *app = ctx;
    /* first, before any work a flood could multiply */
    if (client_limit_refuse_address(app->limits, req, &app->checkout_limit))
        return 0;
    if (!http_request_content_type_is_json(req))
        return http_respond_error(req, 415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type",
                                  "Content-Type must be application/json");
    struct json_object *body = http_request_json_object(req);
    if (!body)
        return 0; /* answered 400 */
    booking_request_t rq;
    json_error_t err;
    const char *key = http_request_header(req, "Idempotency-Key");
    char reason[256];
    /* the vendor a checkout names must be the one of its hotel (pms_config) */
    const char *hotel_hint = NULL;
    if (json_get_string(body, "hotelId", false, 1, 64, &hotel_hint, &err) != 0 ||
        (hotel_hint && !id_shaped(hotel_hint)))
        hotel_hint = NULL;
    const char *served = pms_hotel_vendor(app->pms, hotel_hint);
    if (checkout_parse_with(body, served, app->default_provider, &rq, &err) != 0) {
        json_object_put(body);
        crypto_wipe(&rq, sizeof rq);
        return http_respond_error(req, 400, "VALIDATION_ERROR", err.field, err.message);
    }
    if (!booking_pay(app, rq.provider)) {
        json_object_put(body);
        crypto_wipe(&rq, sizeof rq);
        return http_respond_error(req, 400, "VALIDATION_ERROR", "payment.provider",
                                  "payment.provider: this service does not take payments "
                                  "through that provider");
    }
    if (key && (strlen(key) < 1 || strlen(key) > IDEMPOTENCY_KEY_MAX)) {
        json_object_put(body);
        crypto_wipe(&rq, sizeof rq);
        return http_respond_error(req, 400, "VALIDATION_ERROR", "Idempotency-Key",
                                  "Idempotency-Key must be 1 to 255 characters");
    }
    char hash[CRYPTO_SHA256_HEX_LEN + 1] = "";
    char *canonical = json_to_string_dup(body);
    json_object_put(body);
    http_request_wipe_body(req); /* the raw bytes hold the card token and the guest */
    if (canonical) {
        crypto_sha256_hex(canonical, strlen(canonical), hash);
        crypto_wipe(canonical, strlen(canonical));
        free(canonical);
    }
    bool toss_down = strcmp(rq.provider, BOOKING_PROVIDER_TOSS) == 0 &&
                     breaker_state(payment_connector_breaker(app->toss)) == BREAKER_OPEN;
    if (toss_down)
        snprintf(reason, sizeof reason, "Toss Payments circuit breaker open");
    if (toss_down || checkout_degraded(app, rq.hotel_id, reason, sizeof reason)) {
        crypto_wipe(&rq, sizeof rq);
        saga_count_outcome("DEGRADED_MODE");
        char msg[384];
        snprintf(msg, sizeof msg, "Degraded Mode: 현재 예약이 불가능합니다. (%s)", reason);
        return http_respond_error(req, 503, "DEGRADED_MODE", NULL, msg);
    }
    if (key && idempotency_enter(req, app, key, hash) != 0) {
        crypto_wipe(&rq, sizeof rq);
        return 0;
    }
    /* The guest's key to this booking: only its hash is stored with the row. */
    char token[AUTH_BOOKING_TOKEN_LEN + 1];
    if (auth_booking_token_new(token, rq.token_hash) != 0) {
        crypto_wipe(&rq, sizeof rq);
        if (key) {
            db_t *db = db_pool_acquire(app->db);
            idempotency_abandon(db, IDEMPOTENCY_SCOPE_CHECKOUT, key);
            db_pool_release(app->db, db);
        }
        return http_respond_error(req, 500, "INTERNAL_ERROR", NULL, "내부 오류 (internal error)");
    }
    saga_result_t res;
    saga_checkout(app, &rq, key, &res);
    crypto_wipe(&rq, sizeof rq);
    struct json_object *o = saga_result_json(&res);
    int status = saga_result_status(&res);
    if (res.retry_after_s > 0) {
        char seconds[16];
        snprintf(seconds, sizeof seconds, "%d", res.retry_after_s);
        http_response_header(req, "Retry-After", seconds);
    }
    /* Nothing happened, or nothing that stays (the PMS was busy or down and
     * the booking was rolled back): the same key may run again. */
    if (key && (!res.booking_id[0] || res.retry_after_s > 0)) {
        db_t *db = db_pool_acquire(app->db);
        idempotency_abandon(db, IDEMPOTENCY_SCOPE_CHECKOUT, key);
        db_pool_release(app->db, db);
    } else if (key && !res.response_stored) {
        char *text = json_to_string_dup(o);
        db_t *db = db_pool_acquire(app->db);
        if (!text || idempotency_complete(db, IDEMPOTENCY_SCOPE_CHECKOUT, key, status, text) != 0)
            log_kv(LOG_LEVEL_ERROR, "could not store the idempotent response", "bookingId",
                   res.booking_id, NULL);
        db_pool_release(app->db, db);
        free(text);
    }
    /* Added after the idempotent copy was stored, so the token exists only in
     * this answer: a replay answers without it. */
    if (res.booking_id[0] && res.retry_after_s == 0) {
        json_object_object_add(o, "bookingToken", json_object_new_string(token));
        http_response_header(req, "Cache-Control", "no-store");
    }
    crypto_wipe(token, sizeof token);
    http_respond_json(req, status, o);
    json_object_put(o);
    return 0;
}
