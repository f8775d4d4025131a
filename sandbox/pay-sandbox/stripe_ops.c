/*
 * stripe_ops.c — Stripe's PaymentIntent and Refund operations over the
 * sandbox ledger (see stripe_ops.h). Error codes and messages follow
 * Stripe's: parameter_unknown, parameter_missing, parameter_invalid_integer,
 * resource_missing, payment_intent_unexpected_state, charge_already_refunded,
 * amount_too_large, and card errors from the test tokens.
 */
#include "stripe_ops.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/money.h"
#include "test_tokens.h"

#define INVALID_REQUEST "invalid_request_error"
#define STRIPE_MAX_AMOUNT 99999999LL /* eight digits, Stripe's card charge limit */
#define METADATA_PREFIX "metadata["
#define METADATA_MAX_KEYS 50
#define METADATA_KEY_MAX 40
#define METADATA_VALUE_MAX 500
#define DESCRIPTION_MAX 1000
#define MESSAGE_MAX 512
#define TOKEN_PARAM "payment_method_data[card][token]"

/* ------------------------------------------------------------- answers -- */

void answer_clear(answer_t *ans)
{
    json_object_put(ans->body);
    memset(ans, 0, sizeof *ans);
}

void answer_error(answer_t *ans, int status, const stripe_error_spec_t *e, const char *request_id,
                  json_object *payment_intent)
{
    ans->status = status;
    ans->body = stripe_json_error(e, request_id, payment_intent);
    ans->outcome = e->decline_code ? e->decline_code : e->code ? e->code : e->type;
}

static void answer_ok(answer_t *ans, json_object *body, const char *id)
{
    ans->status = 200;
    ans->body = body;
    ans->saveable = true;
    ans->outcome = "ok";
    snprintf(ans->object_id, sizeof ans->object_id, "%s", id);
}

/* A 400 invalid_request_error for a parameter (never saved). */
static void invalid_param(answer_t *ans, const op_request_t *rq, const char *code,
                          const char *param, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void invalid_param(answer_t *ans, const op_request_t *rq, const char *code,
                          const char *param, const char *fmt, ...)
{
    char message[MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    stripe_error_spec_t e = {
        .type = INVALID_REQUEST, .code = code, .param = param, .message = message};
    answer_error(ans, 400, &e, rq->request_id, NULL);
}

/* The error when no intent has that id (404 on a path id, 400 on a body one). */
static void no_such_intent(answer_t *ans, const op_request_t *rq, int status, const char *param,
                           const char *id)
{
    char message[MESSAGE_MAX];
    snprintf(message, sizeof message, "No such payment_intent: '%.64s'", id);
    stripe_error_spec_t e = {
        .type = INVALID_REQUEST, .code = "resource_missing", .param = param, .message = message};
    answer_error(ans, status, &e, rq->request_id, NULL);
}

/* A wrong-state error, with the intent as Stripe attaches it. Saved. */
static void unexpected_state(answer_t *ans, const op_request_t *rq, const pay_intent_t *pi,
                             const char *message)
{
    stripe_error_spec_t e = {
        .type = INVALID_REQUEST, .code = "payment_intent_unexpected_state", .message = message};
    answer_error(ans, 400, &e, rq->request_id, stripe_json_payment_intent(pi, false));
    ans->saveable = true;
    snprintf(ans->object_id, sizeof ans->object_id, "%s", pi->id);
}

/* Stripe's 500 api_error: the sandbox ran out of memory (never saved). */
static void answer_out_of_memory(answer_t *ans, const op_request_t *rq)
{
    stripe_error_spec_t e = {.type = "api_error", .message = "out of memory"};
    answer_error(ans, 500, &e, rq->request_id, NULL);
}

/* Answers a capture or cancel of the path's intent as the store decided:
 * the changed intent, 404 for an unknown id, Stripe's wrong-state error
 * ("<refusal> because it has a status of <s>. Only a PaymentIntent with one
 * of the following statuses may be <done>: <statuses>.") or 500. */
static void answer_intent_change(answer_t *ans, const op_request_t *rq, store_rc_t rc,
                                 const pay_intent_t *pi, const char *refusal, const char *done,
                                 const char *statuses)
{
    char message[MESSAGE_MAX];
    switch (rc) {
    case STORE_OK:
        answer_ok(ans, stripe_json_payment_intent(pi, false), pi->id);
        break;
    case STORE_NOT_FOUND:
        no_such_intent(ans, rq, 404, "intent", rq->path_id);
        break;
    case STORE_BAD_STATE:
        snprintf(message, sizeof message,
                 "%s because it has a status of %s. Only a PaymentIntent with one of the "
                 "following statuses may be %s: %s.",
                 refusal, pi_status_text(pi->status), done, statuses);
        unexpected_state(ans, rq, pi, message);
        break;
    default:
        answer_out_of_memory(ans, rq);
    }
}

/* ---------------------------------------------------------- parameters -- */

/* Strict decimal integer (optional '-'), no spaces, no overflow. */
static bool parse_int64(const char *text, int64_t *out)
{
    if (!text || !*text || (!isdigit((unsigned char)*text) && *text != '-'))
        return false;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || *end || end == text || (text[0] == '-' && !text[1]))
        return false;
    *out = v;
    return true;
}

static bool parse_bool(const char *text, bool *out)
{
    if (strcmp(text, "true") == 0)
        *out = true;
    else if (strcmp(text, "false") == 0)
        *out = false;
    else
        return false;
    return true;
}

static bool is_metadata_key(const char *key)
{
    size_t n = strlen(key);
    return strncmp(key, METADATA_PREFIX, strlen(METADATA_PREFIX)) == 0 &&
           n > strlen("metadata[]") && key[n - 1] == ']';
}

/* The first parameter not in `allowed` (entries ending in '[' allow any key
 * with that prefix; "metadata[" allows metadata[<key>]), or NULL. */
static const char *first_unknown(const sandbox_form_t *f, const char *const *allowed)
{
    for (size_t i = 0; i < sandbox_form_field_count(f); i++) {
        const char *key = sandbox_form_field_key(f, i);
        bool known = false;
        for (int a = 0; allowed[a] && !known; a++) {
            size_t n = strlen(allowed[a]);
            if (strcmp(allowed[a], METADATA_PREFIX) == 0)
                known = is_metadata_key(key);
            else if (allowed[a][n - 1] == '[')
                known = strncmp(key, allowed[a], n) == 0;
            else
                known = strcmp(key, allowed[a]) == 0;
        }
        if (!known)
            return key;
    }
    return NULL;
}

/* Rejects unknown parameters; true when all are known. */
static bool known_params(const op_request_t *rq, const char *const *allowed, answer_t *ans)
{
    const char *bad = first_unknown(rq->form, allowed);
    if (bad)
        invalid_param(ans, rq, "parameter_unknown", bad, "Received unknown parameter: %.64s", bad);
    return bad == NULL;
}

/* metadata[k]=v pairs as a JSON object text (malloc'd). NULL when invalid
 * (ans filled) or out of memory (ans filled). */
static char *metadata_json(const op_request_t *rq, answer_t *ans)
{
    json_object *o = json_object_new_object();
    int keys = 0;
    for (size_t i = 0; i < sandbox_form_field_count(rq->form); i++) {
        const char *k = sandbox_form_field_key(rq->form, i);
        const char *v = sandbox_form_field_value(rq->form, i);
        if (!is_metadata_key(k))
            continue;
        size_t n = strlen(k) - strlen(METADATA_PREFIX) - 1;
        char name[METADATA_KEY_MAX + 1];
        if (n > METADATA_KEY_MAX || strlen(v) > METADATA_VALUE_MAX || ++keys > METADATA_MAX_KEYS) {
            invalid_param(ans, rq, "parameter_invalid_string", k,
                          "Metadata may have up to %d keys, each up to %d characters, with values "
                          "up to %d characters.",
                          METADATA_MAX_KEYS, METADATA_KEY_MAX, METADATA_VALUE_MAX);
            json_object_put(o);
            return NULL;
        }
        memcpy(name, k + strlen(METADATA_PREFIX), n);
        name[n] = '\0';
        json_object_object_add(o, name, json_object_new_string(v));
    }
    char *text = json_to_string_dup(o);
    json_object_put(o);
    if (!text)
        invalid_param(ans, rq, NULL, NULL, "out of memory");
    return text;
}

/* Reads an optional positive amount parameter; -1 when absent. False with
 * ans filled when malformed. */
static bool optional_amount(const op_request_t *rq, const char *param, int64_t *out, answer_t *ans)
{
    const char *text = sandbox_form_get(rq->form, param);
    *out = -1;
    if (!text)
        return true;
    if (!parse_int64(text, out)) {
        invalid_param(ans, rq, "parameter_invalid_integer", param, "Invalid integer: %.64s", text);
        return false;
    }
    if (*out < 1) {
        invalid_param(ans, rq, "parameter_invalid_integer", param,
                      "This value must be greater than or equal to 1.");
        return false;
    }
    return true;
}

/* -------------------------------------------------------------- create -- */

typedef struct create_params {
    int64_t amount;
    char currency[4];
    bool manual, confirm;
    const test_token_outcome_t *card;
} create_params_t;

static bool create_amount_and_currency(const op_request_t *rq, create_params_t *p, answer_t *ans)
{
    const char *amount = sandbox_form_get(rq->form, "amount");
    const char *currency = sandbox_form_get(rq->form, "currency");
    if (!amount) {
        invalid_param(ans, rq, "parameter_missing", "amount", "Missing required param: amount.");
        return false;
    }
    if (!parse_int64(amount, &p->amount)) {
        invalid_param(ans, rq, "parameter_invalid_integer", "amount", "Invalid integer: %.64s",
                      amount);
        return false;
    }
    if (p->amount < 1) {
        invalid_param(ans, rq, "parameter_invalid_integer", "amount",
                      "This value must be greater than or equal to 1.");
        return false;
    }
    if (p->amount > STRIPE_MAX_AMOUNT) {
        invalid_param(ans, rq, "amount_too_large", "amount",
                      "Amount must be no more than %lld in the currency's smallest unit.",
                      STRIPE_MAX_AMOUNT);
        return false;
    }
    if (!currency) {
        invalid_param(ans, rq, "parameter_missing", "currency",
                      "Missing required param: currency.");
        return false;
    }
    char upper[4] = {0};
    for (int i = 0; i < 3 && currency[0] && strlen(currency) == 3; i++)
        upper[i] = (char)toupper((unsigned char)currency[i]);
    if (!money_currency_known(upper)) {
        invalid_param(ans, rq, NULL, "currency",
                      "Invalid currency: %.16s. Stripe currently supports these currencies: usd, "
                      "krw, jpy, eur, gbp, ... (see https://stripe.com/docs/currencies)",
                      currency);
        return false;
    }
    for (int i = 0; i < 3; i++)
        p->currency[i] = (char)tolower((unsigned char)upper[i]);
    return true;
}

static bool create_flags(const op_request_t *rq, create_params_t *p, answer_t *ans)
{
    const char *capture = sandbox_form_get(rq->form, "capture_method");
    const char *names[] = {"confirm", "error_on_requires_action"};
    bool flags[2] = {false, false};
    for (int i = 0; i < 2; i++) {
        const char *text = sandbox_form_get(rq->form, names[i]);
        if (text && !parse_bool(text, &flags[i])) {
            invalid_param(ans, rq, "parameter_invalid_boolean", names[i], "Invalid boolean: %.32s",
                          text);
            return false;
        }
    }
    p->confirm = flags[0];
    if (capture && strcmp(capture, "manual") != 0 && strcmp(capture, "automatic") != 0 &&
        strcmp(capture, "automatic_async") != 0) {
        invalid_param(ans, rq, NULL, "capture_method",
                      "Invalid capture_method: must be one of automatic, automatic_async, or "
                      "manual");
        return false;
    }
    p->manual = capture && strcmp(capture, "manual") == 0;
    for (size_t i = 0; i < sandbox_form_field_count(rq->form); i++) {
        const char *v = sandbox_form_field_value(rq->form, i);
        if (strncmp(sandbox_form_field_key(rq->form, i), "payment_method_types[", 21) == 0 &&
            strcmp(v, "card") != 0) {
            invalid_param(ans, rq, "payment_intent_invalid_parameter", "payment_method_types",
                          "The payment method type \"%.32s\" is invalid. This sandbox supports "
                          "\"card\".",
                          v);
            return false;
        }
    }
    return true;
}

static bool create_card(const op_request_t *rq, create_params_t *p, answer_t *ans)
{
    const char *type = sandbox_form_get(rq->form, "payment_method_data[type]");
    const char *token = sandbox_form_get(rq->form, TOKEN_PARAM);
    if (type && strcmp(type, "card") != 0) {
        invalid_param(ans, rq, NULL, "payment_method_data[type]",
                      "Invalid payment_method_data[type]: this sandbox supports card");
        return false;
    }
    if (token && !type) {
        invalid_param(ans, rq, "parameter_missing", "payment_method_data[type]",
                      "Missing required param: payment_method_data[type].");
        return false;
    }
    if (type && !token) {
        invalid_param(ans, rq, "parameter_missing", TOKEN_PARAM,
                      "Missing required param: " TOKEN_PARAM ".");
        return false;
    }
    p->card = token ? test_token_lookup(token) : NULL;
    if (token && !p->card) {
        /* The token itself is not echoed: it may be a real card token. */
        invalid_param(ans, rq, "resource_missing", TOKEN_PARAM,
                      "No such token: the token is unknown to this sandbox (use tok_visa, "
                      "tok_chargeDeclined, ...)");
        return false;
    }
    if (p->confirm && !p->card) {
        stripe_error_spec_t e = {.type = INVALID_REQUEST,
                                 .code = "payment_intent_unexpected_state",
                                 .message = "You cannot confirm this PaymentIntent because it's "
                                            "missing a payment method. You can either update the "
                                            "PaymentIntent with a payment method and then confirm "
                                            "it again, or confirm it again directly with a payment "
                                            "method."};
        answer_error(ans, 400, &e, rq->request_id, NULL);
        return false;
    }
    return true;
}

void op_create_payment_intent(const op_request_t *rq, answer_t *ans)
{
    static const char *const allowed[] = {"amount",
                                          "currency",
                                          "capture_method",
                                          "confirm",
                                          "description",
                                          "error_on_requires_action",
                                          "payment_method_types[",
                                          "payment_method_data[type]",
                                          TOKEN_PARAM,
                                          METADATA_PREFIX,
                                          NULL};
    create_params_t p = {0};
    const char *description = sandbox_form_get(rq->form, "description");
    if (!known_params(rq, allowed, ans) || !create_amount_and_currency(rq, &p, ans) ||
        !create_flags(rq, &p, ans) || !create_card(rq, &p, ans))
        return;
    if (description && strlen(description) > DESCRIPTION_MAX) {
        invalid_param(ans, rq, "parameter_invalid_string", "description",
                      "description may be at most %d characters", DESCRIPTION_MAX);
        return;
    }
    char *metadata = metadata_json(rq, ans);
    if (!metadata)
        return;
    pi_create_params_t cp = {.amount = p.amount,
                             .currency = p.currency,
                             .manual_capture = p.manual,
                             .confirm = p.confirm,
                             .card = p.card,
                             .description = description,
                             .metadata_json = metadata,
                             .booking_id = sandbox_form_get(rq->form, "metadata[booking_id]")};
    pay_intent_t pi;
    store_rc_t rc = pay_store_create(rq->store, &cp, &pi);
    free(metadata);
    if (rc != STORE_OK) {
        answer_out_of_memory(ans, rq);
        return;
    }
    if (pi.card && !pi.card->approved && pi.charge_id[0]) {
        stripe_error_spec_t e = {.type = "card_error",
                                 .code = pi.card->code,
                                 .decline_code = pi.card->decline_code,
                                 .param = pi.card->param,
                                 .message = pi.card->message,
                                 .charge = pi.charge_id};
        answer_error(ans, 402, &e, rq->request_id, stripe_json_payment_intent(&pi, false));
        ans->saveable = true; /* the endpoint executed: a retry replays the decline */
        snprintf(ans->object_id, sizeof ans->object_id, "%s", pi.id);
    } else {
        answer_ok(ans, stripe_json_payment_intent(&pi, false), pi.id);
    }
    pay_intent_clear(&pi);
}

/* ------------------------------------------------- retrieve / capture -- */

void op_retrieve_payment_intent(const op_request_t *rq, answer_t *ans)
{
    bool expand = false;
    if (rq->expand) {
        if (strcmp(rq->expand, "latest_charge") != 0) {
            invalid_param(ans, rq, NULL, "expand", "This property cannot be expanded (%.64s).",
                          rq->expand);
            return;
        }
        expand = true;
    }
    pay_intent_t pi;
    if (pay_store_get(rq->store, rq->path_id, &pi) != STORE_OK) {
        no_such_intent(ans, rq, 404, "intent", rq->path_id);
        return;
    }
    answer_ok(ans, stripe_json_payment_intent(&pi, expand), pi.id);
    pay_intent_clear(&pi);
}

void op_capture_payment_intent(const op_request_t *rq, answer_t *ans)
{
    static const char *const allowed[] = {"amount_to_capture", METADATA_PREFIX, NULL};
    int64_t amount;
    if (!known_params(rq, allowed, ans) || !optional_amount(rq, "amount_to_capture", &amount, ans))
        return;
    pay_intent_t pi;
    store_rc_t rc = pay_store_capture(rq->store, rq->path_id, amount, &pi);
    if (rc == STORE_BAD_AMOUNT) {
        invalid_param(ans, rq, "amount_too_large", "amount_to_capture",
                      "The amount_to_capture (%lld) must be less than or equal to the "
                      "PaymentIntent's amount_capturable (%lld).",
                      (long long)amount, (long long)pi.amount_capturable);
        ans->saveable = true;
    } else {
        answer_intent_change(ans, rq, rc, &pi, "This PaymentIntent could not be captured",
                             "captured", "requires_capture");
    }
    pay_intent_clear(&pi);
}

/* -------------------------------------------------------------- cancel -- */

static bool reason_allowed(const char *reason, const char *const *reasons)
{
    for (int i = 0; reasons[i]; i++)
        if (strcmp(reason, reasons[i]) == 0)
            return true;
    return false;
}

void op_cancel_payment_intent(const op_request_t *rq, answer_t *ans)
{
    static const char *const allowed[] = {"cancellation_reason", NULL};
    static const char *const reasons[] = {"abandoned", "duplicate", "fraudulent",
                                          "requested_by_customer", NULL};
    if (!known_params(rq, allowed, ans))
        return;
    const char *reason = sandbox_form_get(rq->form, "cancellation_reason");
    if (reason && !reason_allowed(reason, reasons)) {
        invalid_param(ans, rq, NULL, "cancellation_reason",
                      "Invalid cancellation_reason: must be one of abandoned, duplicate, "
                      "fraudulent, or requested_by_customer");
        return;
    }
    pay_intent_t pi;
    store_rc_t rc = pay_store_cancel(rq->store, rq->path_id, reason, &pi);
    answer_intent_change(ans, rq, rc, &pi, "You cannot cancel this PaymentIntent", "canceled",
                         "requires_payment_method, requires_capture, requires_confirmation, "
                         "requires_action, processing");
    pay_intent_clear(&pi);
}

/* ------------------------------------------------------------- refunds -- */

/* Answers a refund the ledger refused. */
static void refund_refused(const op_request_t *rq, store_rc_t rc, const char *payment_intent,
                           int64_t amount, const pay_intent_t *pi, answer_t *ans)
{
    char message[MESSAGE_MAX];
    stripe_error_spec_t e = {.type = INVALID_REQUEST, .message = message};
    switch (rc) {
    case STORE_NOT_FOUND:
        no_such_intent(ans, rq, 400, "payment_intent", payment_intent);
        return;
    case STORE_BAD_STATE:
        snprintf(message, sizeof message,
                 "This PaymentIntent (status %s) does not have a successful charge to refund.",
                 pi_status_text(pi->status));
        unexpected_state(ans, rq, pi, message);
        return;
    case STORE_ALREADY_REFUNDED:
        snprintf(message, sizeof message, "Charge %s has already been refunded.", pi->charge_id);
        e.code = "charge_already_refunded";
        break;
    case STORE_BAD_AMOUNT:
        snprintf(message, sizeof message,
                 "Refund amount (%lld %s) is greater than unrefunded amount on charge (%lld %s)",
                 (long long)amount, pi->currency,
                 (long long)(pi->amount_received - pi->amount_refunded), pi->currency);
        e.param = "amount";
        break;
    default:
        answer_out_of_memory(ans, rq);
        return;
    }
    answer_error(ans, 400, &e, rq->request_id, NULL);
    ans->saveable = true;
}

void op_create_refund(const op_request_t *rq, answer_t *ans)
{
    static const char *const allowed[] = {"payment_intent", "amount", "reason", METADATA_PREFIX,
                                          NULL};
    static const char *const reasons[] = {"duplicate", "fraudulent", "requested_by_customer", NULL};
    int64_t amount;
    if (!known_params(rq, allowed, ans) || !optional_amount(rq, "amount", &amount, ans))
        return;
    const char *payment_intent = sandbox_form_get(rq->form, "payment_intent");
    const char *reason = sandbox_form_get(rq->form, "reason");
    if (!payment_intent) {
        invalid_param(ans, rq, "parameter_missing", "payment_intent",
                      "One of the following params should be provided for this request: "
                      "payment_intent or charge.");
        return;
    }
    if (reason && !reason_allowed(reason, reasons)) {
        invalid_param(ans, rq, NULL, "reason",
                      "Invalid reason: must be one of duplicate, fraudulent, or "
                      "requested_by_customer");
        return;
    }
    char *metadata = metadata_json(rq, ans);
    if (!metadata)
        return;
    pay_refund_t refund;
    pay_intent_t pi;
    store_rc_t rc =
        pay_store_refund(rq->store, payment_intent, amount, reason, metadata, &refund, &pi);
    free(metadata);
    if (rc == STORE_OK)
        answer_ok(ans, stripe_json_refund(&refund), refund.id);
    else
        refund_refused(rq, rc, payment_intent, amount, &pi, ans);
    pay_refund_clear(&refund);
    pay_intent_clear(&pi);
}

void op_retrieve_refund(const op_request_t *rq, answer_t *ans)
{
    pay_refund_t refund;
    if (pay_store_get_refund(rq->store, rq->path_id, &refund) != STORE_OK) {
        char message[MESSAGE_MAX];
        snprintf(message, sizeof message, "No such refund: '%.64s'", rq->path_id);
        stripe_error_spec_t e = {
            .type = INVALID_REQUEST, .code = "resource_missing", .param = "id", .message = message};
        answer_error(ans, 404, &e, rq->request_id, NULL);
        return;
    }
    answer_ok(ans, stripe_json_refund(&refund), refund.id);
    pay_refund_clear(&refund);
}
