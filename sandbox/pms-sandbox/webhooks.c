/*
 * webhooks.c — event formatting, signing, the bounded delivery queue and its
 * thread (see webhooks.h).
 */
#include "webhooks.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/dates.h"
#include "common/http_client.h"
#include "common/json.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/trace.h"

#define EVENT_ID_LEN 40
#define EVENT_TYPE_LEN 24
#define LAST_ERROR_LEN 128
#define NS_PER_MS 1000000LL
#define MS_PER_S 1000
#define RATE_PLAN_ID "base"

typedef enum {
    DELIVERY_PENDING = 0,
    DELIVERY_DELIVERED = 1,
    DELIVERY_FAILED = 2,
    DELIVERY_DROPPED = 3,
} delivery_state_t;

/* One event to one URL; owned by the queue (or by the thread while in flight). */
typedef struct delivery {
    struct delivery *next;
    uint64_t seq;
    char event_id[EVENT_ID_LEN];
    char event_type[EVENT_TYPE_LEN];
    char hotel_id[SEED_ID_MAX_LEN + 1];
    char *url;
    char *body;
    size_t body_len;
    int attempts;
    int last_status;
    char last_error[LAST_ERROR_LEN];
    int64_t next_attempt_ms; /* monotonic */
    int64_t created_wall_ms;
    bool traced;           /* the change came from a request with a trace context: */
    trace_context_t trace; /* its deliveries carry that trace's traceparent */
} delivery_t;

/* What the history keeps of a finished delivery (no body). */
typedef struct delivery_record {
    uint64_t seq;
    char event_id[EVENT_ID_LEN];
    char event_type[EVENT_TYPE_LEN];
    char hotel_id[SEED_ID_MAX_LEN + 1];
    char url[WEBHOOKS_URL_MAX_LEN + 1]; /* without the query string */
    delivery_state_t state;
    int attempts;
    int last_status;
    char last_error[LAST_ERROR_LEN];
    int64_t created_wall_ms;
    int64_t finished_wall_ms;
} delivery_record_t;

typedef struct subscription {
    char id[WEBHOOKS_ID_LEN];
    char property_id[SEED_ID_MAX_LEN + 1];
    char object[SEED_ID_MAX_LEN + 1];
    char action[SEED_ID_MAX_LEN + 1];
    char url[WEBHOOKS_URL_MAX_LEN + 1];
} subscription_t;

typedef struct hotel_switch {
    char property_id[SEED_ID_MAX_LEN + 1];
    bool enabled;
} hotel_switch_t;

struct webhooks {
    /* configuration, read-only after webhooks_new */
    char *url;
    char *secret;
    int max_attempts;
    size_t queue_max;
    int64_t backoff_base_ms;
    int64_t backoff_max_ms;
    http_client_t *client; /* used by the delivery thread only */

    pthread_mutex_t lock; /* guards every field below */
    pthread_cond_t wake;  /* new work, or stop */
    delivery_t *queue;    /* pending deliveries, oldest first */
    size_t queued;
    delivery_t *in_flight;
    uint64_t generation; /* bumped by reset: an in-flight delivery of an older one is dropped */
    uint64_t next_seq;
    uint64_t next_subscription;
    delivery_record_t history[WEBHOOKS_HISTORY_MAX]; /* ring, newest at history_next - 1 */
    size_t history_next;
    size_t history_count;
    uint64_t delivered, failed, dropped, suppressed;
    subscription_t subscriptions[WEBHOOKS_MAX_SUBSCRIPTIONS];
    size_t subscription_count;
    hotel_switch_t hotels[SEED_MAX_HOTELS];
    size_t hotel_count;
    bool running;
    bool stopping;
    pthread_t thread;

    metric_t *outcomes;
    metric_t *queue_depth;
};

/* ------------------------------------------------------------ events -- */

static const char *event_type_name(ledger_event_type_t type)
{
    switch (type) {
    case LEDGER_EVENT_INVENTORY:
        return "inventory_update";
    case LEDGER_EVENT_RATE:
        return "rate_update";
    case LEDGER_EVENT_BOOKING_CONFIRMED:
        return "booking_confirm";
    case LEDGER_EVENT_BOOKING_CANCELED:
        return "booking_cancel";
    }
    return "room_update";
}

static json_object *date_json(dates_day_t day)
{
    char text[DATES_ISO_LEN + 1];
    dates_format_iso(day, text);
    return json_object_new_string(text);
}

static json_object *nights_json(const ledger_event_t *ev)
{
    json_object *arr = json_object_new_array();
    for (int i = 0; i < ev->night_count; i++) {
        const ledger_night_t *n = &ev->nights[i];
        json_object *o = json_object_new_object();
        json_object_object_add(o, "date", date_json(n->date));
        if (ev->type == LEDGER_EVENT_RATE) {
            json_object_object_add(o, "amount", json_object_new_int64(n->rate_minor));
            json_object_object_add(o, "currency", json_object_new_string(ev->currency));
        } else {
            json_object_object_add(o, "available", json_object_new_int(n->available));
            json_object_object_add(o, "total", json_object_new_int(n->total));
        }
        json_object_array_add(arr, o);
    }
    return arr;
}

json_object *webhooks_event_json(const ledger_event_t *ev, const char *event_id,
                                 const char *timestamp)
{
    json_object *data = json_object_new_object();
    if (ev->type == LEDGER_EVENT_INVENTORY || ev->type == LEDGER_EVENT_RATE) {
        json_object_object_add(data, "roomTypeId", json_object_new_string(ev->room_type_id));
        if (ev->type == LEDGER_EVENT_RATE)
            json_object_object_add(data, "ratePlanId", json_object_new_string(RATE_PLAN_ID));
        json_object_object_add(data, "from", date_json(ev->first));
        json_object_object_add(data, "to", date_json(ev->last));
        if (ev->nights)
            json_object_object_add(data, "nights", nights_json(ev));
    } else {
        const ledger_reservation_t *r = ev->reservation;
        json_object_object_add(data, "reservationId", json_object_new_string(r->reservation_id));
        json_object_object_add(data, "roomTypeId", json_object_new_string(r->room_type_id));
        json_object_object_add(data, "checkIn", date_json(r->start));
        json_object_object_add(data, "checkOut", date_json(r->end));
        /* The platform's spelling (proto/events/pms-booking-changed.schema.json). */
        json_object_object_add(data, "status",
                               json_object_new_string(ev->type == LEDGER_EVENT_BOOKING_CONFIRMED
                                                          ? "confirmed"
                                                          : "cancelled"));
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "eventId", json_object_new_string(event_id));
    json_object_object_add(o, "eventType", json_object_new_string(event_type_name(ev->type)));
    json_object_object_add(o, "vendor", json_object_new_string("cloudbeds"));
    json_object_object_add(o, "hotelId", json_object_new_string(ev->property_id));
    json_object_object_add(o, "timestamp", json_object_new_string(timestamp));
    json_object_object_add(o, "data", data);
    return o;
}

int webhooks_sign(const char *secret, int64_t unix_s, const char *body, size_t len, char *out,
                  size_t out_size)
{
    char prefix[32];
    int plen = snprintf(prefix, sizeof prefix, "%lld.", (long long)unix_s);
    char *payload = malloc((size_t)plen + len + 1);
    if (!payload)
        return -1;
    memcpy(payload, prefix, (size_t)plen);
    memcpy(payload + plen, body, len);
    char hex[CRYPTO_SHA256_HEX_LEN + 1];
    int rc = crypto_hmac_sha256_hex(secret, strlen(secret), payload, (size_t)plen + len, hex);
    free(payload);
    if (rc != 0)
        return -1;
    int n = snprintf(out, out_size, "t=%lld,v1=%s", (long long)unix_s, hex);
    return n > 0 && (size_t)n < out_size ? 0 : -1;
}

/* --------------------------------------------------------- lifecycle -- */

webhooks_t *webhooks_new(const webhooks_config_t *cfg)
{
    webhooks_t *wh = calloc(1, sizeof *wh);
    if (!wh)
        return NULL;
    wh->url = cfg->url && *cfg->url ? strdup(cfg->url) : NULL;
    wh->secret = strdup(cfg->secret ? cfg->secret : WEBHOOKS_DEFAULT_SECRET);
    wh->max_attempts = cfg->max_attempts > 0 ? cfg->max_attempts : WEBHOOKS_DEFAULT_MAX_ATTEMPTS;
    wh->queue_max = cfg->queue_max > 0 ? cfg->queue_max : WEBHOOKS_DEFAULT_QUEUE_MAX;
    wh->backoff_base_ms =
        cfg->backoff_base_ms > 0 ? cfg->backoff_base_ms : WEBHOOKS_DEFAULT_BACKOFF_BASE_MS;
    wh->backoff_max_ms =
        cfg->backoff_max_ms > 0 ? cfg->backoff_max_ms : WEBHOOKS_DEFAULT_BACKOFF_MAX_MS;
    http_client_config_t cc = {
        .base_url = "",
        .total_timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : WEBHOOKS_DEFAULT_TIMEOUT_MS,
        .user_agent = "pms-sandbox-webhooks/1.0"};
    wh->client = http_client_new(&cc);
    pthread_mutex_init(&wh->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&wh->wake, &attr);
    pthread_condattr_destroy(&attr);
    wh->outcomes = metrics_counter("pms_sandbox_webhook_deliveries_total",
                                   "Webhook deliveries by outcome", 1, "outcome");
    wh->queue_depth =
        metrics_gauge("pms_sandbox_webhook_queue_depth", "Webhook deliveries waiting", 0);
    if ((cfg->url && *cfg->url && !wh->url) || !wh->secret || !wh->client) {
        webhooks_free(wh);
        return NULL;
    }
    return wh;
}

static void delivery_free(delivery_t *d)
{
    if (!d)
        return;
    free(d->url);
    free(d->body);
    free(d);
}

static void queue_clear_locked(webhooks_t *wh)
{
    while (wh->queue) {
        delivery_t *d = wh->queue;
        wh->queue = d->next;
        delivery_free(d);
    }
    wh->queued = 0;
    metrics_gauge_set(wh->queue_depth, 0.0);
}

void webhooks_free(webhooks_t *wh)
{
    if (!wh)
        return;
    webhooks_stop(wh);
    queue_clear_locked(wh);
    http_client_free(wh->client);
    if (wh->secret)
        crypto_wipe(wh->secret, strlen(wh->secret));
    free(wh->secret);
    free(wh->url);
    pthread_cond_destroy(&wh->wake);
    pthread_mutex_destroy(&wh->lock);
    free(wh);
}

void webhooks_reset(webhooks_t *wh, const seed_t *seed)
{
    pthread_mutex_lock(&wh->lock);
    queue_clear_locked(wh);
    wh->generation++;
    wh->history_next = wh->history_count = 0;
    wh->delivered = wh->failed = wh->dropped = wh->suppressed = 0;
    wh->subscription_count = 0;
    wh->hotel_count = 0;
    for (size_t i = 0; i < seed_hotel_count(seed) && i < SEED_MAX_HOTELS; i++) {
        const seed_hotel_t *h = seed_hotel_at(seed, i);
        hotel_switch_t *s = &wh->hotels[wh->hotel_count++];
        snprintf(s->property_id, sizeof s->property_id, "%s", h->id);
        s->enabled = h->webhooks_enabled;
    }
    pthread_mutex_unlock(&wh->lock);
}

int webhooks_set_enabled(webhooks_t *wh, const char *property_id, bool enabled)
{
    int rc = -1;
    pthread_mutex_lock(&wh->lock);
    for (size_t i = 0; i < wh->hotel_count; i++)
        if (strcmp(wh->hotels[i].property_id, property_id) == 0) {
            wh->hotels[i].enabled = enabled;
            rc = 0;
        }
    pthread_mutex_unlock(&wh->lock);
    return rc;
}

static bool hotel_enabled_locked(const webhooks_t *wh, const char *property_id)
{
    for (size_t i = 0; i < wh->hotel_count; i++)
        if (strcmp(wh->hotels[i].property_id, property_id) == 0)
            return wh->hotels[i].enabled;
    return true;
}

/* ----------------------------------------------------------- history -- */

/* Copies `url` without its query string (which could carry a token). */
static void url_for_display(const char *url, char *out, size_t size)
{
    size_t n = strcspn(url, "?#");
    snprintf(out, size, "%.*s", (int)n, url);
}

static void history_add_locked(webhooks_t *wh, const delivery_t *d, delivery_state_t state)
{
    delivery_record_t *rec = &wh->history[wh->history_next];
    wh->history_next = (wh->history_next + 1) % WEBHOOKS_HISTORY_MAX;
    if (wh->history_count < WEBHOOKS_HISTORY_MAX)
        wh->history_count++;
    memset(rec, 0, sizeof *rec);
    rec->seq = d->seq;
    memcpy(rec->event_id, d->event_id, sizeof rec->event_id);
    memcpy(rec->event_type, d->event_type, sizeof rec->event_type);
    memcpy(rec->hotel_id, d->hotel_id, sizeof rec->hotel_id);
    url_for_display(d->url, rec->url, sizeof rec->url);
    rec->state = state;
    rec->attempts = d->attempts;
    rec->last_status = d->last_status;
    memcpy(rec->last_error, d->last_error, sizeof rec->last_error);
    rec->created_wall_ms = d->created_wall_ms;
    rec->finished_wall_ms = clock_wall_ms();
    const char *outcome = state == DELIVERY_DELIVERED ? "delivered"
                          : state == DELIVERY_FAILED  ? "failed"
                                                      : "dropped";
    metrics_counter_inc(wh->outcomes, outcome);
}

/* ------------------------------------------------------------- queue -- */

/* Drops the oldest pending delivery to make room (a stuck receiver must not
 * grow the queue without bound). */
static void drop_oldest_locked(webhooks_t *wh)
{
    delivery_t *d = wh->queue;
    if (!d)
        return;
    wh->queue = d->next;
    wh->queued--;
    wh->dropped++;
    history_add_locked(wh, d, DELIVERY_DROPPED);
    log_kv(LOG_LEVEL_WARN, "webhook queue full: dropped the oldest delivery", "eventId",
           d->event_id, "eventType", d->event_type, "hotelId", d->hotel_id, NULL);
    delivery_free(d);
}

static void enqueue_locked(webhooks_t *wh, delivery_t *d)
{
    while (wh->queued >= wh->queue_max)
        drop_oldest_locked(wh);
    delivery_t **tail = &wh->queue;
    while (*tail)
        tail = &(*tail)->next;
    d->next = NULL;
    *tail = d;
    wh->queued++;
    metrics_gauge_set(wh->queue_depth, (double)wh->queued);
    pthread_cond_signal(&wh->wake);
}

/* A new delivery of `body` to `url`. NULL on OOM. */
static delivery_t *delivery_new(webhooks_t *wh, const char *url, const char *body,
                                const char *event_id, const char *event_type, const char *hotel_id)
{
    delivery_t *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->url = strdup(url);
    d->body = strdup(body);
    if (!d->url || !d->body) {
        delivery_free(d);
        return NULL;
    }
    d->body_len = strlen(body);
    d->seq = ++wh->next_seq;
    snprintf(d->event_id, sizeof d->event_id, "%s", event_id);
    snprintf(d->event_type, sizeof d->event_type, "%s", event_type);
    snprintf(d->hotel_id, sizeof d->hotel_id, "%s", hotel_id);
    d->next_attempt_ms = clock_now_ms();
    d->created_wall_ms = clock_wall_ms();
    const trace_context_t *trace = trace_current();
    if (trace) {
        d->traced = true;
        d->trace = *trace;
    }
    return d;
}

void webhooks_on_ledger_event(const ledger_event_t *event, void *ctx)
{
    webhooks_t *wh = ctx;
    char event_id[EVENT_ID_LEN];
    char timestamp[DATES_RFC3339_LEN + 1];
    if (crypto_random_id("evt_", event_id, sizeof event_id) != 0)
        return;
    dates_format_rfc3339(clock_wall_ms(), timestamp);
    json_object *o = webhooks_event_json(event, event_id, timestamp);
    char *body = json_to_string_dup(o);
    json_object_put(o);
    if (!body)
        return;
    const char *type = event_type_name(event->type);
    pthread_mutex_lock(&wh->lock);
    if (!hotel_enabled_locked(wh, event->property_id)) {
        wh->suppressed++;
    } else {
        if (wh->url) {
            delivery_t *d = delivery_new(wh, wh->url, body, event_id, type, event->property_id);
            if (d)
                enqueue_locked(wh, d);
        }
        for (size_t i = 0; i < wh->subscription_count; i++) {
            const subscription_t *s = &wh->subscriptions[i];
            if (strcmp(s->property_id, event->property_id) != 0)
                continue;
            delivery_t *d = delivery_new(wh, s->url, body, event_id, type, event->property_id);
            if (d)
                enqueue_locked(wh, d);
        }
    }
    pthread_mutex_unlock(&wh->lock);
    free(body);
}

/* ---------------------------------------------------------- delivery -- */

/* Unlinks and returns the pending delivery due first, or NULL; *wait_ms says
 * how long until the next one is due (-1: none pending). */
static delivery_t *take_due_locked(webhooks_t *wh, int64_t now, int64_t *wait_ms)
{
    delivery_t **best = NULL;
    for (delivery_t **p = &wh->queue; *p; p = &(*p)->next)
        if (!best || (*p)->next_attempt_ms < (*best)->next_attempt_ms)
            best = p;
    *wait_ms = -1;
    if (!best)
        return NULL;
    if ((*best)->next_attempt_ms > now) {
        *wait_ms = (*best)->next_attempt_ms - now;
        return NULL;
    }
    delivery_t *d = *best;
    *best = d->next;
    d->next = NULL;
    wh->queued--;
    metrics_gauge_set(wh->queue_depth, (double)wh->queued);
    return d;
}

/* One signed POST. Fills the delivery's last status / error; true on 2xx. */
static bool send_once(webhooks_t *wh, delivery_t *d)
{
    char signature[WEBHOOKS_SIGNATURE_MAX_LEN];
    char sig_header[WEBHOOKS_SIGNATURE_MAX_LEN + 32];
    if (webhooks_sign(wh->secret, clock_wall_ms() / MS_PER_S, d->body, d->body_len, signature,
                      sizeof signature) != 0) {
        snprintf(d->last_error, sizeof d->last_error, "could not sign");
        return false;
    }
    snprintf(sig_header, sizeof sig_header, "x-pms-signature: %s", signature);
    const char *headers[] = {"Content-Type: application/json", sig_header, NULL};
    http_client_response_t resp;
    trace_set_current(d->traced ? &d->trace : NULL); /* http_client sends its traceparent */
    http_client_err_t err =
        http_client_request(wh->client, "POST", d->url, NULL, headers, d->body, d->body_len, &resp);
    trace_set_current(NULL);
    d->last_status = resp.status;
    d->last_error[0] = '\0';
    if (err != HTTP_CLIENT_OK)
        snprintf(d->last_error, sizeof d->last_error, "%s: %.100s", http_client_err_name(err),
                 resp.error);
    else if (resp.status < 200 || resp.status > 299)
        snprintf(d->last_error, sizeof d->last_error, "HTTP %d", resp.status);
    bool ok = err == HTTP_CLIENT_OK && resp.status >= 200 && resp.status <= 299;
    http_client_response_clear(&resp);
    return ok;
}

static int64_t backoff_ms(const webhooks_t *wh, int attempts)
{
    int64_t wait = wh->backoff_base_ms;
    for (int i = 1; i < attempts && wait < wh->backoff_max_ms; i++)
        wait *= 2;
    return wait < wh->backoff_max_ms ? wait : wh->backoff_max_ms;
}

/* Records the outcome of an attempt: finished, or back in the queue. */
static void settle_locked(webhooks_t *wh, delivery_t *d, bool ok)
{
    char url[WEBHOOKS_URL_MAX_LEN + 1];
    if (ok) {
        wh->delivered++;
        history_add_locked(wh, d, DELIVERY_DELIVERED);
        delivery_free(d);
    } else if (d->attempts >= wh->max_attempts) {
        wh->failed++;
        history_add_locked(wh, d, DELIVERY_FAILED);
        url_for_display(d->url, url, sizeof url);
        log_kv(LOG_LEVEL_WARN, "webhook delivery failed for good", "eventId", d->event_id, "url",
               url, "error", d->last_error, NULL);
        delivery_free(d);
    } else {
        d->next_attempt_ms = clock_now_ms() + backoff_ms(wh, d->attempts);
        enqueue_locked(wh, d);
    }
}

static void wait_locked(webhooks_t *wh, int64_t wait_ms)
{
    if (wait_ms < 0) {
        pthread_cond_wait(&wh->wake, &wh->lock);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t ns = (int64_t)ts.tv_nsec + (wait_ms % MS_PER_S) * NS_PER_MS;
    ts.tv_sec += (time_t)(wait_ms / MS_PER_S + ns / (NS_PER_MS * MS_PER_S));
    ts.tv_nsec = (long)(ns % (NS_PER_MS * MS_PER_S));
    pthread_cond_timedwait(&wh->wake, &wh->lock, &ts);
}

static void *delivery_thread(void *arg)
{
    webhooks_t *wh = arg;
    pthread_mutex_lock(&wh->lock);
    while (!wh->stopping) {
        int64_t wait_ms = -1;
        delivery_t *d = take_due_locked(wh, clock_now_ms(), &wait_ms);
        if (!d) {
            wait_locked(wh, wait_ms);
            continue;
        }
        uint64_t generation = wh->generation;
        wh->in_flight = d;
        pthread_mutex_unlock(&wh->lock);
        d->attempts++;
        bool ok = send_once(wh, d);
        pthread_mutex_lock(&wh->lock);
        wh->in_flight = NULL;
        if (generation != wh->generation)
            delivery_free(d); /* a reset happened meanwhile: forget it */
        else
            settle_locked(wh, d, ok);
    }
    pthread_mutex_unlock(&wh->lock);
    return NULL;
}

int webhooks_start(webhooks_t *wh)
{
    pthread_mutex_lock(&wh->lock);
    int rc = 0;
    if (!wh->running) {
        wh->stopping = false;
        rc = pthread_create(&wh->thread, NULL, delivery_thread, wh) == 0 ? 0 : -1;
        wh->running = rc == 0;
    }
    pthread_mutex_unlock(&wh->lock);
    return rc;
}

void webhooks_stop(webhooks_t *wh)
{
    pthread_mutex_lock(&wh->lock);
    bool running = wh->running;
    wh->stopping = true;
    wh->running = false;
    pthread_cond_broadcast(&wh->wake);
    pthread_mutex_unlock(&wh->lock);
    if (running)
        pthread_join(wh->thread, NULL);
}

/* ----------------------------------------------------- subscriptions -- */

int webhooks_subscribe(webhooks_t *wh, const char *property_id, const char *object,
                       const char *action, const char *url, char id_out[WEBHOOKS_ID_LEN])
{
    pthread_mutex_lock(&wh->lock);
    int rc = -1;
    if (wh->subscription_count < WEBHOOKS_MAX_SUBSCRIPTIONS) {
        subscription_t *s = &wh->subscriptions[wh->subscription_count++];
        snprintf(s->id, sizeof s->id, "sub_%llu", (unsigned long long)++wh->next_subscription);
        snprintf(s->property_id, sizeof s->property_id, "%s", property_id);
        snprintf(s->object, sizeof s->object, "%s", object);
        snprintf(s->action, sizeof s->action, "%s", action);
        snprintf(s->url, sizeof s->url, "%s", url);
        memcpy(id_out, s->id, WEBHOOKS_ID_LEN);
        rc = 0;
    }
    pthread_mutex_unlock(&wh->lock);
    return rc;
}

int webhooks_unsubscribe(webhooks_t *wh, const char *property_id, const char *subscription_id)
{
    pthread_mutex_lock(&wh->lock);
    int rc = -1;
    for (size_t i = 0; i < wh->subscription_count; i++) {
        subscription_t *s = &wh->subscriptions[i];
        if (strcmp(s->id, subscription_id) != 0 || strcmp(s->property_id, property_id) != 0)
            continue;
        memmove(s, s + 1, (wh->subscription_count - i - 1) * sizeof *s);
        wh->subscription_count--;
        rc = 0;
        break;
    }
    pthread_mutex_unlock(&wh->lock);
    return rc;
}

static json_object *pair_json(const char *k1, const char *v1, const char *k2, const char *v2)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, k1, json_object_new_string(v1));
    json_object_object_add(o, k2, json_object_new_string(v2));
    return o;
}

json_object *webhooks_subscriptions_json(webhooks_t *wh, const char *property_id)
{
    json_object *arr = json_object_new_array();
    pthread_mutex_lock(&wh->lock);
    for (size_t i = 0; i < wh->subscription_count; i++) {
        const subscription_t *s = &wh->subscriptions[i];
        if (strcmp(s->property_id, property_id) != 0)
            continue;
        json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_string(s->id));
        json_object_object_add(o, "key", pair_json("type", "property", "id", s->property_id));
        json_object_object_add(o, "event", pair_json("entity", s->object, "action", s->action));
        json_object_object_add(o, "owner", pair_json("type", "client", "id", "pms-sandbox"));
        json_object_object_add(o, "subscriptionType", json_object_new_string("endpoint"));
        json_object *data = json_object_new_object();
        json_object_object_add(data, "endpoint", json_object_new_string(s->url));
        json_object_object_add(o, "subscriptionData", data);
        json_object_array_add(arr, o);
    }
    pthread_mutex_unlock(&wh->lock);
    return arr;
}

/* ------------------------------------------------------------ report -- */

static const char *state_name(delivery_state_t state)
{
    switch (state) {
    case DELIVERY_PENDING:
        return "pending";
    case DELIVERY_DELIVERED:
        return "delivered";
    case DELIVERY_FAILED:
        return "failed";
    case DELIVERY_DROPPED:
        return "dropped";
    }
    return "unknown";
}

static json_object *delivery_json(const char *event_id, const char *event_type,
                                  const char *hotel_id, const char *url, const char *state,
                                  int attempts, int last_status, const char *last_error,
                                  int64_t created_ms)
{
    char created[DATES_RFC3339_LEN + 1];
    dates_format_rfc3339(created_ms, created);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "eventId", json_object_new_string(event_id));
    json_object_object_add(o, "eventType", json_object_new_string(event_type));
    json_object_object_add(o, "hotelId", json_object_new_string(hotel_id));
    json_object_object_add(o, "url", json_object_new_string(url));
    json_object_object_add(o, "state", json_object_new_string(state));
    json_object_object_add(o, "attempts", json_object_new_int(attempts));
    json_object_object_add(o, "lastStatus", last_status ? json_object_new_int(last_status) : NULL);
    json_object_object_add(o, "lastError", *last_error ? json_object_new_string(last_error) : NULL);
    json_object_object_add(o, "createdAt", json_object_new_string(created));
    return o;
}

static json_object *pending_json(const delivery_t *d, const char *state)
{
    char url[WEBHOOKS_URL_MAX_LEN + 1];
    url_for_display(d->url, url, sizeof url);
    return delivery_json(d->event_id, d->event_type, d->hotel_id, url, state, d->attempts,
                         d->last_status, d->last_error, d->created_wall_ms);
}

json_object *webhooks_deliveries_json(webhooks_t *wh)
{
    json_object *list = json_object_new_array();
    json_object *o = json_object_new_object();
    pthread_mutex_lock(&wh->lock);
    if (wh->in_flight)
        json_object_array_add(list, pending_json(wh->in_flight, "delivering"));
    for (const delivery_t *d = wh->queue; d; d = d->next)
        json_object_array_add(list, pending_json(d, state_name(DELIVERY_PENDING)));
    for (size_t i = 0; i < wh->history_count; i++) {
        size_t at = (wh->history_next + WEBHOOKS_HISTORY_MAX - 1 - i) % WEBHOOKS_HISTORY_MAX;
        const delivery_record_t *r = &wh->history[at];
        json_object_array_add(list, delivery_json(r->event_id, r->event_type, r->hotel_id, r->url,
                                                  state_name(r->state), r->attempts, r->last_status,
                                                  r->last_error, r->created_wall_ms));
    }
    json_object_object_add(o, "queued",
                           json_object_new_int64((int64_t)wh->queued + (wh->in_flight ? 1 : 0)));
    json_object_object_add(o, "delivered", json_object_new_int64((int64_t)wh->delivered));
    json_object_object_add(o, "failed", json_object_new_int64((int64_t)wh->failed));
    json_object_object_add(o, "dropped", json_object_new_int64((int64_t)wh->dropped));
    json_object_object_add(o, "suppressed", json_object_new_int64((int64_t)wh->suppressed));
    pthread_mutex_unlock(&wh->lock);
    json_object_object_add(o, "deliveries", list);
    return o;
}
