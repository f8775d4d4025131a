/*
 * toss_webhooks.c — webhook deliveries with Toss' retry schedule (see
 * toss_webhooks.h). One thread wakes every TICK_MS: it applies the store's
 * timers (so an expiry produces its webhook without any request), takes the
 * new events, and sends every delivery that is due.
 */
#include "toss_webhooks.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/http_client.h"
#include "common/log.h"

#define TICK_MS 50
#define MAX_RETRIES 7
#define MAX_DELIVERIES 4096
#define URL_MAX 512
#define DELIVERY_TIMEOUT_MS 5000

/* Minutes after the first attempt's failure, then after each retry's. */
static const int RETRY_MINUTES[MAX_RETRIES] = {1, 4, 16, 64, 256, 1024, 4096};

typedef struct delivery {
    char id[48]; /* tosspayments-webhook-transmission-id */
    char *body;
    char event_type[32];
    char payment_key[TOSS_KEY_MAX + 1];
    char status[24];
    int attempts;
    int64_t due_ms;
    bool delivered, given_up;
} delivery_t;

struct toss_webhooks {
    toss_store_t *store;
    pthread_mutex_t mu; /* guards everything below */
    pthread_cond_t wake;
    char url[URL_MAX];
    int64_t minute_ms;
    delivery_t *items;
    size_t count;
    long failed_attempts;
    bool stopping;
    pthread_t thread;
};

static void queue_events(toss_webhooks_t *w, json_object *events)
{
    size_t n = json_object_array_length(events);
    pthread_mutex_lock(&w->mu);
    for (size_t i = 0; i < n && w->url[0]; i++) {
        if (w->count >= MAX_DELIVERIES)
            break;
        json_object *e = json_object_array_get_idx(events, i), *data, *v;
        delivery_t *d = &w->items[w->count++];
        memset(d, 0, sizeof *d);
        if (crypto_random_id("whtrans_", d->id, sizeof d->id) != 0)
            snprintf(d->id, sizeof d->id, "whtrans_%zu", w->count);
        d->body = strdup(json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
        if (json_object_object_get_ex(e, "eventType", &v))
            snprintf(d->event_type, sizeof d->event_type, "%s", json_object_get_string(v));
        if (json_object_object_get_ex(e, "data", &data)) {
            if (json_object_object_get_ex(data, "paymentKey", &v))
                snprintf(d->payment_key, sizeof d->payment_key, "%s", json_object_get_string(v));
            if (json_object_object_get_ex(data, "status", &v))
                snprintf(d->status, sizeof d->status, "%s", json_object_get_string(v));
        }
        d->due_ms = clock_now_ms();
    }
    pthread_mutex_unlock(&w->mu);
}

/* One POST; true when answered 200. */
static bool post(const char *url, const delivery_t *d)
{
    /* "http://host:port" + "/path" */
    const char *path = strchr(url + (strncmp(url, "https://", 8) == 0 ? 8 : 7), '/');
    char base[URL_MAX];
    snprintf(base, sizeof base, "%.*s", path ? (int)(path - url) : (int)strlen(url), url);
    http_client_config_t cc = {.base_url = base, .total_timeout_ms = DELIVERY_TIMEOUT_MS,
                               .user_agent = "TossPayments-Webhook"};
    http_client_t *c = http_client_new(&cc);
    if (!c)
        return false;
    char h_time[96], h_count[96], h_id[96], when[32];
    toss_time_text(clock_wall_ms(), when);
    snprintf(h_time, sizeof h_time, "tosspayments-webhook-transmission-time: %s", when);
    snprintf(h_count, sizeof h_count, "tosspayments-webhook-transmission-retried-count: %d",
             d->attempts);
    snprintf(h_id, sizeof h_id, "tosspayments-webhook-transmission-id: %s", d->id);
    const char *headers[] = {h_time, h_count, h_id, NULL};
    http_client_response_t r;
    http_client_err_t rc = http_client_post_json(c, path ? path : "/", headers, d->body, &r);
    bool ok = rc == HTTP_CLIENT_OK && r.status == 200;
    http_client_response_clear(&r);
    http_client_free(c);
    return ok;
}

static void deliver_due(toss_webhooks_t *w)
{
    for (;;) {
        pthread_mutex_lock(&w->mu);
        delivery_t *d = NULL;
        int64_t now = clock_now_ms();
        for (size_t i = 0; i < w->count && !d; i++)
            if (!w->items[i].delivered && !w->items[i].given_up && w->items[i].due_ms <= now)
                d = &w->items[i];
        char url[URL_MAX];
        snprintf(url, sizeof url, "%s", w->url);
        delivery_t copy = d ? *d : (delivery_t){0};
        pthread_mutex_unlock(&w->mu);
        if (!d || !url[0])
            return;
        bool ok = copy.body && post(url, &copy);
        pthread_mutex_lock(&w->mu);
        /* the table may have been reset meanwhile: find the delivery again */
        for (size_t i = 0; i < w->count; i++) {
            delivery_t *x = &w->items[i];
            if (strcmp(x->id, copy.id) != 0)
                continue;
            if (ok) {
                x->delivered = true;
            } else {
                w->failed_attempts++;
                if (x->attempts >= MAX_RETRIES)
                    x->given_up = true;
                else
                    x->due_ms = clock_now_ms() + RETRY_MINUTES[x->attempts] * w->minute_ms;
            }
            x->attempts++;
        }
        pthread_mutex_unlock(&w->mu);
        log_kv(ok ? LOG_LEVEL_INFO : LOG_LEVEL_WARN, "toss webhook delivery", "id", copy.id,
               "eventType", copy.event_type, "outcome", ok ? "delivered" : "failed", NULL);
    }
}

static void *run(void *arg)
{
    toss_webhooks_t *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += TICK_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&w->wake, &w->mu, &until);
        if (w->stopping)
            break;
        pthread_mutex_unlock(&w->mu);
        toss_store_tick(w->store);
        json_object *events = toss_store_take_events(w->store);
        queue_events(w, events);
        json_object_put(events);
        deliver_due(w);
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

toss_webhooks_t *toss_webhooks_new(toss_store_t *store, const char *url, int64_t minute_ms)
{
    toss_webhooks_t *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->items = calloc(MAX_DELIVERIES, sizeof *w->items);
    if (!w->items) {
        free(w);
        return NULL;
    }
    w->store = store;
    w->minute_ms = minute_ms > 0 ? minute_ms : 60000;
    snprintf(w->url, sizeof w->url, "%s", url ? url : "");
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->wake, NULL);
    if (pthread_create(&w->thread, NULL, run, w) != 0) {
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->mu);
        free(w->items);
        free(w);
        return NULL;
    }
    return w;
}

static void forget(toss_webhooks_t *w)
{
    for (size_t i = 0; i < w->count; i++)
        free(w->items[i].body);
    w->count = 0;
    w->failed_attempts = 0;
}

void toss_webhooks_free(toss_webhooks_t *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    forget(w);
    free(w->items);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

void toss_webhooks_set_url(toss_webhooks_t *w, const char *url)
{
    pthread_mutex_lock(&w->mu);
    snprintf(w->url, sizeof w->url, "%s", url ? url : "");
    pthread_mutex_unlock(&w->mu);
}

void toss_webhooks_reset(toss_webhooks_t *w)
{
    pthread_mutex_lock(&w->mu);
    forget(w);
    pthread_mutex_unlock(&w->mu);
}

json_object *toss_webhooks_stats(toss_webhooks_t *w)
{
    json_object *o = json_object_new_object(), *list = json_object_new_array();
    long delivered = 0, pending = 0, given_up = 0;
    pthread_mutex_lock(&w->mu);
    json_object_object_add(o, "url", json_object_new_string(w->url));
    for (size_t i = 0; i < w->count; i++) {
        const delivery_t *d = &w->items[i];
        delivered += d->delivered;
        given_up += d->given_up;
        pending += !d->delivered && !d->given_up;
        json_object *x = json_object_new_object();
        json_object_object_add(x, "id", json_object_new_string(d->id));
        json_object_object_add(x, "eventType", json_object_new_string(d->event_type));
        json_object_object_add(x, "paymentKey", json_object_new_string(d->payment_key));
        json_object_object_add(x, "status", json_object_new_string(d->status));
        json_object_object_add(x, "attempts", json_object_new_int(d->attempts));
        json_object_object_add(x, "delivered", json_object_new_boolean(d->delivered));
        json_object_array_add(list, x);
    }
    json_object_object_add(o, "failedAttempts", json_object_new_int64(w->failed_attempts));
    pthread_mutex_unlock(&w->mu);
    json_object_object_add(o, "delivered", json_object_new_int64(delivered));
    json_object_object_add(o, "pending", json_object_new_int64(pending));
    json_object_object_add(o, "givenUp", json_object_new_int64(given_up));
    json_object_object_add(o, "deliveries", list);
    return o;
}
