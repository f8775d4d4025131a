/*
 * stripe_json.c — Stripe-shaped JSON for the sandbox (see stripe_json.h).
 * Field lists follow Stripe's API reference for the PaymentIntent, Charge,
 * Refund and Error objects.
 */
#include "stripe_json.h"

#include <stdio.h>
#include <string.h>

#include "common/clock.h"

#define DOC_URL_PREFIX "https://stripe.com/docs/error-codes/"
#define LOG_URL_PREFIX "https://dashboard.stripe.com/test/logs/"

static json_object *str_or_null(const char *s)
{
    return s && s[0] ? json_object_new_string(s) : NULL;
}

static json_object *metadata(const char *text)
{
    json_object *o = text ? json_tokener_parse(text) : NULL;
    return o ? o : json_object_new_object();
}

/* The intent's last_payment_error: the decline the card met, or null. */
static json_object *last_payment_error(const pay_intent_t *pi)
{
    if (!pi->card || pi->card->approved || pi->status != PI_REQUIRES_PAYMENT_METHOD)
        return NULL;
    stripe_error_spec_t e = {.type = "card_error",
                             .code = pi->card->code,
                             .decline_code = pi->card->decline_code,
                             .param = pi->card->param,
                             .message = pi->card->message,
                             .charge = pi->charge_id};
    json_object *wrapper = stripe_json_error(&e, NULL, NULL), *inner = NULL;
    json_object_object_get_ex(wrapper, "error", &inner);
    json_object_get(inner);
    json_object_put(wrapper);
    json_object_object_del(inner, "request_log_url");
    return inner;
}

static json_object *card_options(void)
{
    json_object *card = json_object_new_object();
    json_object_object_add(card, "installments", NULL);
    json_object_object_add(card, "mandate_options", NULL);
    json_object_object_add(card, "network", NULL);
    json_object_object_add(card, "request_three_d_secure", json_object_new_string("automatic"));
    json_object *o = json_object_new_object();
    json_object_object_add(o, "card", card);
    return o;
}

/* Adds the always-null fields of a PaymentIntent. */
static void add_nulls(json_object *o, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        json_object_object_add(o, names[i], NULL);
}

json_object *stripe_json_payment_intent(const pay_intent_t *pi, bool expand_charge)
{
    static const char *const nulls_a[] = {"application", "application_fee_amount",
                                          "automatic_payment_methods", NULL};
    static const char *const nulls_b[] = {"customer", NULL};
    static const char *const nulls_c[] = {"next_action", "on_behalf_of", NULL};
    static const char *const nulls_d[] = {"processing",
                                          "receipt_email",
                                          "review",
                                          "setup_future_usage",
                                          "shipping",
                                          "source",
                                          "statement_descriptor",
                                          "statement_descriptor_suffix",
                                          NULL};
    json_object *o = json_object_new_object();
    json_object *details = json_object_new_object();
    json_object_object_add(details, "tip", json_object_new_object());
    json_object_object_add(o, "id", json_object_new_string(pi->id));
    json_object_object_add(o, "object", json_object_new_string("payment_intent"));
    json_object_object_add(o, "amount", json_object_new_int64(pi->amount));
    json_object_object_add(o, "amount_capturable", json_object_new_int64(pi->amount_capturable));
    json_object_object_add(o, "amount_details", details);
    json_object_object_add(o, "amount_received", json_object_new_int64(pi->amount_received));
    add_nulls(o, nulls_a);
    json_object_object_add(o, "canceled_at",
                           pi->canceled_at_s ? json_object_new_int64(pi->canceled_at_s) : NULL);
    json_object_object_add(o, "cancellation_reason", str_or_null(pi->cancellation_reason));
    json_object_object_add(o, "capture_method",
                           json_object_new_string(pi->manual_capture ? "manual" : "automatic"));
    json_object_object_add(o, "client_secret", json_object_new_string(pi->client_secret));
    json_object_object_add(o, "confirmation_method", json_object_new_string("automatic"));
    json_object_object_add(o, "created", json_object_new_int64(pi->created_s));
    json_object_object_add(o, "currency", json_object_new_string(pi->currency));
    add_nulls(o, nulls_b);
    json_object_object_add(o, "description", str_or_null(pi->description));
    json_object_object_add(o, "invoice", NULL);
    json_object_object_add(o, "last_payment_error", last_payment_error(pi));
    json_object_object_add(o, "latest_charge",
                           !pi->charge_id[0] ? NULL
                           : expand_charge   ? stripe_json_charge(pi)
                                             : json_object_new_string(pi->charge_id));
    json_object_object_add(o, "livemode", json_object_new_boolean(0));
    json_object_object_add(o, "metadata", metadata(pi->metadata_json));
    add_nulls(o, nulls_c);
    json_object_object_add(o, "payment_method", str_or_null(pi->payment_method));
    json_object_object_add(o, "payment_method_configuration_details", NULL);
    json_object_object_add(o, "payment_method_options", card_options());
    json_object *types = json_object_new_array();
    json_object_array_add(types, json_object_new_string("card"));
    json_object_object_add(o, "payment_method_types", types);
    add_nulls(o, nulls_d);
    json_object_object_add(o, "status", json_object_new_string(pi_status_text(pi->status)));
    json_object_object_add(o, "transfer_data", NULL);
    json_object_object_add(o, "transfer_group", NULL);
    return o;
}

json_object *stripe_json_charge(const pay_intent_t *pi)
{
    bool approved = pi->card && pi->card->approved;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_string(pi->charge_id));
    json_object_object_add(o, "object", json_object_new_string("charge"));
    json_object_object_add(o, "amount", json_object_new_int64(pi->amount));
    json_object_object_add(o, "amount_captured", json_object_new_int64(pi->amount_received));
    json_object_object_add(o, "amount_refunded", json_object_new_int64(pi->amount_refunded));
    json_object_object_add(o, "captured", json_object_new_boolean(pi->status == PI_SUCCEEDED));
    json_object_object_add(o, "created", json_object_new_int64(pi->created_s));
    json_object_object_add(o, "currency", json_object_new_string(pi->currency));
    json_object_object_add(o, "failure_code",
                           approved || !pi->card ? NULL : json_object_new_string(pi->card->code));
    json_object_object_add(o, "failure_message",
                           approved || !pi->card ? NULL
                                                 : json_object_new_string(pi->card->message));
    json_object_object_add(o, "livemode", json_object_new_boolean(0));
    json_object_object_add(o, "metadata", metadata(pi->metadata_json));
    json_object_object_add(o, "paid", json_object_new_boolean(approved));
    json_object_object_add(o, "payment_intent", json_object_new_string(pi->id));
    json_object_object_add(o, "refunded",
                           json_object_new_boolean(pi->amount_received > 0 &&
                                                   pi->amount_refunded == pi->amount_received));
    json_object_object_add(o, "status", json_object_new_string(approved ? "succeeded" : "failed"));
    return o;
}

json_object *stripe_json_refund(const pay_refund_t *r)
{
    char txn[2 * PAY_OBJECT_ID_LEN];
    snprintf(txn, sizeof txn, "txn_%s", r->id + 3);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_string(r->id));
    json_object_object_add(o, "object", json_object_new_string("refund"));
    json_object_object_add(o, "amount", json_object_new_int64(r->amount));
    json_object_object_add(o, "balance_transaction", json_object_new_string(txn));
    json_object_object_add(o, "charge", json_object_new_string(r->charge_id));
    json_object_object_add(o, "created", json_object_new_int64(r->created_s));
    json_object_object_add(o, "currency", json_object_new_string(r->currency));
    json_object_object_add(o, "metadata", metadata(r->metadata_json));
    json_object_object_add(o, "payment_intent", json_object_new_string(r->payment_intent));
    json_object_object_add(o, "reason", str_or_null(r->reason));
    json_object_object_add(o, "receipt_number", NULL);
    json_object_object_add(o, "source_transfer_reversal", NULL);
    json_object_object_add(o, "status", json_object_new_string("succeeded"));
    json_object_object_add(o, "transfer_reversal", NULL);
    return o;
}

json_object *stripe_json_error(const stripe_error_spec_t *e, const char *request_id,
                               json_object *payment_intent)
{
    json_object *err = json_object_new_object();
    if (e->charge && e->charge[0])
        json_object_object_add(err, "charge", json_object_new_string(e->charge));
    if (e->code) {
        char doc[128];
        int n = snprintf(doc, sizeof doc, DOC_URL_PREFIX "%s", e->code);
        for (int i = (int)strlen(DOC_URL_PREFIX); i < n && i < (int)sizeof doc; i++)
            if (doc[i] == '_')
                doc[i] = '-';
        json_object_object_add(err, "code", json_object_new_string(e->code));
        if (e->decline_code)
            json_object_object_add(err, "decline_code", json_object_new_string(e->decline_code));
        json_object_object_add(err, "doc_url", json_object_new_string(doc));
    }
    json_object_object_add(err, "message", json_object_new_string(e->message ? e->message : ""));
    if (e->param)
        json_object_object_add(err, "param", json_object_new_string(e->param));
    if (payment_intent)
        json_object_object_add(err, "payment_intent", payment_intent);
    if (request_id) {
        char url[160];
        snprintf(url, sizeof url, LOG_URL_PREFIX "%s?t=%lld", request_id,
                 (long long)(clock_wall_ms() / 1000));
        json_object_object_add(err, "request_log_url", json_object_new_string(url));
    }
    json_object_object_add(err, "type", json_object_new_string(e->type));
    json_object *o = json_object_new_object();
    json_object_object_add(o, "error", err);
    return o;
}
