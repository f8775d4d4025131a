/*
 * pay_store.c — the sandbox ledger and its state machine (see pay_store.h).
 *
 * Objects live in creation-ordered arrays (the ledger lists them in order)
 * with a chained hash index by id for lookups. One mutex guards it all:
 * every operation is a few field updates, so contention is not a concern.
 */
#include "pay_store.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/crypto.h"

#define INDEX_BUCKETS 1024
#define INITIAL_CAPACITY 64
#define ISO_TIME_LEN 32

typedef struct index_node {
    struct index_node *next;
    const char *id; /* points into the object */
    void *object;
} index_node_t;

typedef struct object_list {
    void **items;
    size_t count, cap;
    index_node_t *buckets[INDEX_BUCKETS];
} object_list_t;

struct pay_store {
    pthread_mutex_t mu; /* guards both lists and every object in them */
    object_list_t intents;
    object_list_t refunds;
    int64_t auth_ttl_s;
};

static const char *const STATUS_TEXT[] = {
    [PI_REQUIRES_PAYMENT_METHOD] = "requires_payment_method",
    [PI_REQUIRES_CONFIRMATION] = "requires_confirmation",
    [PI_REQUIRES_CAPTURE] = "requires_capture",
    [PI_SUCCEEDED] = "succeeded",
    [PI_CANCELED] = "canceled",
};

const char *pi_status_text(pi_status_t s)
{
    return STATUS_TEXT[s];
}

/* ---------------------------------------------------------- object lists -- */

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void *list_find(const object_list_t *l, const char *id)
{
    for (index_node_t *n = l->buckets[hash(id) % INDEX_BUCKETS]; n; n = n->next)
        if (strcmp(n->id, id) == 0)
            return n->object;
    return NULL;
}

/* Appends an object whose id is `id` (owned by the object). 0 or -1. */
static int list_add(object_list_t *l, const char *id, void *object)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : INITIAL_CAPACITY;
        void **items = realloc(l->items, cap * sizeof *items);
        if (!items)
            return -1;
        l->items = items;
        l->cap = cap;
    }
    index_node_t *n = malloc(sizeof *n);
    if (!n)
        return -1;
    n->id = id;
    n->object = object;
    n->next = l->buckets[hash(id) % INDEX_BUCKETS];
    l->buckets[hash(id) % INDEX_BUCKETS] = n;
    l->items[l->count++] = object;
    return 0;
}

/* Frees every node and, through free_object, every object. */
static void list_clear(object_list_t *l, void (*free_object)(void *))
{
    for (size_t b = 0; b < INDEX_BUCKETS; b++) {
        for (index_node_t *n = l->buckets[b], *next; n; n = next) {
            next = n->next;
            free(n);
        }
        l->buckets[b] = NULL;
    }
    for (size_t i = 0; i < l->count; i++)
        free_object(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->count = l->cap = 0;
}

/* ------------------------------------------------------------- objects -- */

void pay_intent_clear(pay_intent_t *pi)
{
    free(pi->description);
    free(pi->metadata_json);
    memset(pi, 0, sizeof *pi);
}

void pay_refund_clear(pay_refund_t *r)
{
    free(r->metadata_json);
    memset(r, 0, sizeof *r);
}

static void free_intent(void *p)
{
    pay_intent_clear(p);
    free(p);
}

static void free_refund(void *p)
{
    pay_refund_clear(p);
    free(p);
}

/* Deep copy for the caller. */
static store_rc_t copy_intent(pay_intent_t *dst, const pay_intent_t *src)
{
    *dst = *src;
    dst->description = src->description ? strdup(src->description) : NULL;
    dst->metadata_json = strdup(src->metadata_json);
    if ((src->description && !dst->description) || !dst->metadata_json) {
        pay_intent_clear(dst);
        return STORE_NO_MEMORY;
    }
    return STORE_OK;
}

static store_rc_t copy_refund(pay_refund_t *dst, const pay_refund_t *src)
{
    *dst = *src;
    dst->metadata_json = strdup(src->metadata_json);
    return dst->metadata_json ? STORE_OK : STORE_NO_MEMORY;
}

static int64_t now_s(void)
{
    return clock_wall_ms() / 1000;
}

/* Stripe cancels an uncaptured authorisation once it expires. Caller holds
 * the lock. */
static void expire_if_due(pay_intent_t *pi, int64_t now)
{
    if (pi->status == PI_REQUIRES_CAPTURE && now >= pi->expires_at_s) {
        pi->status = PI_CANCELED;
        pi->canceled_at_s = pi->expires_at_s;
        pi->amount_capturable = 0;
        snprintf(pi->cancellation_reason, sizeof pi->cancellation_reason, "automatic");
    }
}

/* The intent `id` with expiry applied, or NULL. Caller holds the lock. */
static pay_intent_t *find_intent(pay_store_t *st, const char *id)
{
    pay_intent_t *pi = list_find(&st->intents, id);
    if (pi)
        expire_if_due(pi, now_s());
    return pi;
}

/* -------------------------------------------------------------- store -- */

pay_store_t *pay_store_new(int64_t auth_ttl_s)
{
    pay_store_t *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    pthread_mutex_init(&st->mu, NULL);
    st->auth_ttl_s = auth_ttl_s > 0 ? auth_ttl_s : PAY_DEFAULT_AUTH_TTL_S;
    return st;
}

void pay_store_free(pay_store_t *st)
{
    if (!st)
        return;
    pay_store_reset(st);
    pthread_mutex_destroy(&st->mu);
    free(st);
}

void pay_store_reset(pay_store_t *st)
{
    pthread_mutex_lock(&st->mu);
    list_clear(&st->intents, free_intent);
    list_clear(&st->refunds, free_refund);
    pthread_mutex_unlock(&st->mu);
}

/* Builds a new intent from the parameters (not yet stored). */
static pay_intent_t *intent_new(const pay_store_t *st, const pi_create_params_t *p)
{
    pay_intent_t *pi = calloc(1, sizeof *pi);
    if (!pi)
        return NULL;
    char secret[PAY_OBJECT_ID_LEN];
    if (crypto_random_id("pi_", pi->id, sizeof pi->id) != 0 ||
        crypto_random_id("", secret, sizeof secret) != 0)
        goto fail;
    snprintf(pi->client_secret, sizeof pi->client_secret, "%s_secret_%s", pi->id, secret);
    pi->amount = p->amount;
    snprintf(pi->currency, sizeof pi->currency, "%s", p->currency);
    pi->manual_capture = p->manual_capture;
    pi->created_s = now_s();
    pi->expires_at_s = pi->created_s + st->auth_ttl_s;
    snprintf(pi->booking_id, sizeof pi->booking_id, "%s", p->booking_id ? p->booking_id : "");
    pi->description = p->description ? strdup(p->description) : NULL;
    pi->metadata_json = strdup(p->metadata_json ? p->metadata_json : "{}");
    if ((p->description && !pi->description) || !pi->metadata_json)
        goto fail;
    pi->card = p->card;
    pi->status = p->card ? PI_REQUIRES_CONFIRMATION : PI_REQUIRES_PAYMENT_METHOD;
    if (p->card && crypto_random_id("pm_", pi->payment_method, sizeof pi->payment_method) != 0)
        goto fail;
    return pi;
fail:
    free_intent(pi);
    return NULL;
}

/* Confirms with the card: an authorisation (or a decline) with its charge. */
static int intent_confirm(pay_intent_t *pi)
{
    if (crypto_random_id("ch_", pi->charge_id, sizeof pi->charge_id) != 0)
        return -1;
    if (!pi->card->approved) {
        pi->status = PI_REQUIRES_PAYMENT_METHOD;
        pi->payment_method[0] = '\0'; /* Stripe clears it after a failed attempt */
    } else if (pi->manual_capture) {
        pi->status = PI_REQUIRES_CAPTURE;
        pi->amount_capturable = pi->amount;
    } else {
        pi->status = PI_SUCCEEDED;
        pi->amount_received = pi->amount;
    }
    return 0;
}

store_rc_t pay_store_create(pay_store_t *st, const pi_create_params_t *p, pay_intent_t *out)
{
    memset(out, 0, sizeof *out);
    pay_intent_t *pi = intent_new(st, p);
    if (!pi || (p->confirm && p->card && intent_confirm(pi) != 0)) {
        if (pi)
            free_intent(pi);
        return STORE_NO_MEMORY;
    }
    pthread_mutex_lock(&st->mu);
    if (list_add(&st->intents, pi->id, pi) != 0) {
        pthread_mutex_unlock(&st->mu);
        free_intent(pi);
        return STORE_NO_MEMORY;
    }
    store_rc_t rc = copy_intent(out, pi);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

store_rc_t pay_store_get(pay_store_t *st, const char *id, pay_intent_t *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&st->mu);
    pay_intent_t *pi = find_intent(st, id);
    store_rc_t rc = pi ? copy_intent(out, pi) : STORE_NOT_FOUND;
    pthread_mutex_unlock(&st->mu);
    return rc;
}

/* Decides and makes one state change of an intent (the store's lock held):
 * STORE_OK when made, or why it was refused. */
typedef store_rc_t (*intent_change_fn)(pay_intent_t *pi, const void *arg);

/* Runs `change` on intent `id` under the lock and copies the intent as it
 * then is to `out`, also when the change was refused (the caller's error
 * names the intent's state). STORE_NOT_FOUND for an unknown id. */
static store_rc_t change_intent(pay_store_t *st, const char *id, intent_change_fn change,
                                const void *arg, pay_intent_t *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&st->mu);
    store_rc_t rc = STORE_NOT_FOUND;
    pay_intent_t *pi = find_intent(st, id);
    if (pi) {
        rc = change(pi, arg);
        store_rc_t copied = copy_intent(out, pi);
        if (copied != STORE_OK)
            rc = copied;
    }
    pthread_mutex_unlock(&st->mu);
    return rc;
}

/* arg: the int64_t amount to capture, or -1 for all that is capturable. */
static store_rc_t capture_change(pay_intent_t *pi, const void *arg)
{
    int64_t amount = *(const int64_t *)arg;
    int64_t take = amount < 0 ? pi->amount_capturable : amount;
    if (pi->status != PI_REQUIRES_CAPTURE)
        return STORE_BAD_STATE;
    if (take > pi->amount_capturable)
        return STORE_BAD_AMOUNT;
    pi->amount_received = take;
    pi->amount_capturable = 0; /* the rest of the hold is released */
    pi->status = PI_SUCCEEDED;
    return STORE_OK;
}

store_rc_t pay_store_capture(pay_store_t *st, const char *id, int64_t amount, pay_intent_t *out)
{
    return change_intent(st, id, capture_change, &amount, out);
}

/* arg: the cancellation reason (char *), or NULL. */
static store_rc_t cancel_change(pay_intent_t *pi, const void *arg)
{
    const char *reason = arg;
    if (pi->status == PI_SUCCEEDED || pi->status == PI_CANCELED)
        return STORE_BAD_STATE;
    pi->status = PI_CANCELED;
    pi->canceled_at_s = now_s();
    pi->amount_capturable = 0;
    snprintf(pi->cancellation_reason, sizeof pi->cancellation_reason, "%s", reason ? reason : "");
    return STORE_OK;
}

store_rc_t pay_store_cancel(pay_store_t *st, const char *id, const char *reason, pay_intent_t *out)
{
    return change_intent(st, id, cancel_change, reason, out);
}

/* Adds a refund of `amount` to pi. Caller holds the lock. */
static store_rc_t add_refund(pay_store_t *st, pay_intent_t *pi, int64_t amount, const char *reason,
                             const char *metadata_json, pay_refund_t *out)
{
    pay_refund_t *r = calloc(1, sizeof *r);
    if (!r || crypto_random_id("re_", r->id, sizeof r->id) != 0 ||
        !(r->metadata_json = strdup(metadata_json ? metadata_json : "{}"))) {
        if (r)
            free_refund(r);
        return STORE_NO_MEMORY;
    }
    snprintf(r->payment_intent, sizeof r->payment_intent, "%s", pi->id);
    snprintf(r->charge_id, sizeof r->charge_id, "%s", pi->charge_id);
    snprintf(r->currency, sizeof r->currency, "%s", pi->currency);
    snprintf(r->reason, sizeof r->reason, "%s", reason ? reason : "");
    r->amount = amount;
    r->created_s = now_s();
    if (list_add(&st->refunds, r->id, r) != 0) {
        free_refund(r);
        return STORE_NO_MEMORY;
    }
    pi->amount_refunded += amount;
    return copy_refund(out, r);
}

store_rc_t pay_store_refund(pay_store_t *st, const char *payment_intent, int64_t amount,
                            const char *reason, const char *metadata_json, pay_refund_t *out,
                            pay_intent_t *pi_out)
{
    memset(out, 0, sizeof *out);
    if (pi_out)
        memset(pi_out, 0, sizeof *pi_out);
    pthread_mutex_lock(&st->mu);
    store_rc_t rc = STORE_NOT_FOUND;
    pay_intent_t *pi = find_intent(st, payment_intent);
    if (pi) {
        int64_t left = pi->amount_received - pi->amount_refunded;
        int64_t take = amount < 0 ? left : amount;
        if (pi->status != PI_SUCCEEDED)
            rc = STORE_BAD_STATE;
        else if (left == 0)
            rc = STORE_ALREADY_REFUNDED;
        else if (take > left)
            rc = STORE_BAD_AMOUNT;
        else
            rc = add_refund(st, pi, take, reason, metadata_json, out);
        if (pi_out && copy_intent(pi_out, pi) != STORE_OK)
            rc = STORE_NO_MEMORY;
    }
    pthread_mutex_unlock(&st->mu);
    return rc;
}

store_rc_t pay_store_get_refund(pay_store_t *st, const char *id, pay_refund_t *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&st->mu);
    pay_refund_t *r = list_find(&st->refunds, id);
    store_rc_t rc = r ? copy_refund(out, r) : STORE_NOT_FOUND;
    pthread_mutex_unlock(&st->mu);
    return rc;
}

/* ------------------------------------------------------------- ledger -- */

static json_object *iso_time(int64_t unix_s)
{
    char text[ISO_TIME_LEN];
    time_t t = (time_t)unix_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_object_new_string(text);
}

static void upper3(char out[4], const char *in)
{
    for (int i = 0; i < 3; i++)
        out[i] = (char)(in[i] >= 'a' && in[i] <= 'z' ? in[i] - 'a' + 'A' : in[i]);
    out[3] = '\0';
}

/* Adds `value` to totals[currency][field]. */
static void add_total(json_object *totals, const char *currency, const char *field, int64_t value)
{
    json_object *cur = NULL, *v = NULL;
    if (!json_object_object_get_ex(totals, currency, &cur)) {
        cur = json_object_new_object();
        json_object_object_add(cur, "authorized", json_object_new_int64(0));
        json_object_object_add(cur, "captured", json_object_new_int64(0));
        json_object_object_add(cur, "refunded", json_object_new_int64(0));
        json_object_object_add(totals, currency, cur);
    }
    json_object_object_get_ex(cur, field, &v);
    json_object_set_int64(v, json_object_get_int64(v) + value);
}

static json_object *intent_ledger_row(const pay_intent_t *pi)
{
    char currency[4];
    upper3(currency, pi->currency);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_string(pi->id));
    json_object_object_add(o, "status", json_object_new_string(pi_status_text(pi->status)));
    json_object_object_add(o, "amount", json_object_new_int64(pi->amount));
    json_object_object_add(o, "amountCapturable", json_object_new_int64(pi->amount_capturable));
    json_object_object_add(o, "amountCaptured", json_object_new_int64(pi->amount_received));
    json_object_object_add(o, "amountRefunded", json_object_new_int64(pi->amount_refunded));
    json_object_object_add(o, "currency", json_object_new_string(currency));
    json_object_object_add(o, "bookingId",
                           pi->booking_id[0] ? json_object_new_string(pi->booking_id) : NULL);
    json_object_object_add(
        o, "cancellationReason",
        pi->cancellation_reason[0] ? json_object_new_string(pi->cancellation_reason) : NULL);
    json_object_object_add(
        o, "declineCode",
        pi->card && !pi->card->approved ? json_object_new_string(pi->card->decline_code) : NULL);
    json_object_object_add(o, "createdAt", iso_time(pi->created_s));
    return o;
}

json_object *pay_store_ledger(pay_store_t *st)
{
    json_object *intents = json_object_new_array(), *refunds = json_object_new_array();
    json_object *totals = json_object_new_object();
    int64_t open = 0, captured = 0, canceled = 0, failed = 0;
    int64_t now = now_s();
    pthread_mutex_lock(&st->mu);
    for (size_t i = 0; i < st->intents.count; i++) {
        pay_intent_t *pi = st->intents.items[i];
        expire_if_due(pi, now);
        char currency[4];
        upper3(currency, pi->currency);
        json_object_array_add(intents, intent_ledger_row(pi));
        open += pi->status == PI_REQUIRES_CAPTURE;
        captured += pi->status == PI_SUCCEEDED;
        canceled += pi->status == PI_CANCELED;
        failed += pi->status == PI_REQUIRES_PAYMENT_METHOD && pi->card && !pi->card->approved;
        if (pi->status == PI_REQUIRES_CAPTURE)
            add_total(totals, currency, "authorized", pi->amount_capturable);
        add_total(totals, currency, "captured", pi->amount_received);
        add_total(totals, currency, "refunded", pi->amount_refunded);
    }
    for (size_t i = 0; i < st->refunds.count; i++) {
        const pay_refund_t *r = st->refunds.items[i];
        char currency[4];
        upper3(currency, r->currency);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_string(r->id));
        json_object_object_add(o, "paymentIntent", json_object_new_string(r->payment_intent));
        json_object_object_add(o, "amount", json_object_new_int64(r->amount));
        json_object_object_add(o, "currency", json_object_new_string(currency));
        json_object_object_add(o, "createdAt", iso_time(r->created_s));
        json_object_array_add(refunds, o);
    }
    size_t intent_count = st->intents.count, refund_count = st->refunds.count;
    pthread_mutex_unlock(&st->mu);

    json_object *summary = json_object_new_object();
    json_object_object_add(summary, "paymentIntents", json_object_new_int64((int64_t)intent_count));
    json_object_object_add(summary, "openAuthorizations", json_object_new_int64(open));
    json_object_object_add(summary, "captured", json_object_new_int64(captured));
    json_object_object_add(summary, "canceled", json_object_new_int64(canceled));
    json_object_object_add(summary, "declined", json_object_new_int64(failed));
    json_object_object_add(summary, "refunds", json_object_new_int64((int64_t)refund_count));
    json_object_object_add(summary, "amountsByCurrency", totals);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "paymentIntents", intents);
    json_object_object_add(o, "refunds", refunds);
    json_object_object_add(o, "summary", summary);
    return o;
}
