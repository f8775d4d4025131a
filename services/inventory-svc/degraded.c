/*
 * degraded.c — the degraded-mode manager (degraded.h).
 */
#include "degraded.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/cloudevents.h"
#include "common/dates.h"
#include "common/json.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/redis.h"

#define MAX_OPEN_BREAKERS 64
#define BREAKER_NAME_MAX 160

typedef struct open_breaker {
    char name[BREAKER_NAME_MAX];
    char vendor[32];
    char hotel[PMS_ID_MAX];
    char since[DATES_RFC3339_LEN + 1];
} open_breaker_t;

struct degraded {
    pthread_mutex_t mu; /* guards everything below but the config */
    pthread_cond_t wake;
    bool admin_on;
    char admin_reason[DEGRADED_REASON_MAX];
    char admin_since[DATES_RFC3339_LEN + 1];
    open_breaker_t open[MAX_OPEN_BREAKERS]; /* breakers not CLOSED, oldest first */
    size_t open_count;
    bool dirty;       /* the Redis key is behind the state */
    bool admin_dirty; /* the admin key is behind the admin switch */
    unsigned admin_version;
    bool stop;
    bool running;
    pthread_t thread;
    pms_connector_t *pms;
    /* set at creation, read-only after */
    pthread_mutex_t redis_mu; /* guards redis (the writer thread, start-up) */
    redis_client_t *redis;
    kafka_producer_t *producer;
    char alerts_topic[160];
    char source[64];
    int breaker_open_ms;
    int probe_interval_ms;
    metric_t *gauge;
};

int degraded_parse_breaker_name(const char *name, char *vendor, size_t vendor_size, char *hotel,
                                size_t hotel_size)
{
    if (!name || strncmp(name, "pms:", 4) != 0)
        return -1;
    const char *v = name + 4, *colon = strchr(v, ':');
    if (!colon || colon == v || !colon[1] || (size_t)(colon - v) >= vendor_size ||
        strlen(colon + 1) >= hotel_size)
        return -1;
    snprintf(vendor, vendor_size, "%.*s", (int)(colon - v), v);
    snprintf(hotel, hotel_size, "%s", colon + 1);
    return 0;
}

degraded_t *degraded_new(const degraded_config_t *cfg)
{
    degraded_t *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    char err[128];
    d->redis = redis_client_new(cfg->redis_url, 300, 500, err, sizeof err);
    if (!d->redis) {
        log_error("degraded mode: bad REDIS_URL: %s", err);
        free(d);
        return NULL;
    }
    pthread_mutex_init(&d->mu, NULL);
    pthread_mutex_init(&d->redis_mu, NULL);
    pthread_cond_init(&d->wake, NULL);
    d->producer = cfg->producer;
    snprintf(d->alerts_topic, sizeof d->alerts_topic, "%s",
             cfg->alerts_topic ? cfg->alerts_topic : "ops.alerts");
    snprintf(d->source, sizeof d->source, "%s", cfg->source ? cfg->source : "/inventory-svc");
    d->breaker_open_ms = cfg->breaker_open_ms > 0 ? cfg->breaker_open_ms : BREAKER_OPEN_MS;
    d->probe_interval_ms =
        cfg->probe_interval_ms > 0 ? cfg->probe_interval_ms : DEGRADED_PROBE_INTERVAL_MS;
    d->gauge = metrics_gauge("lodging_degraded_mode",
                             "1 while writes are refused because the PMS is down", 0);
    metrics_gauge_set(d->gauge, 0);
    d->dirty = true;
    return d;
}

void degraded_free(degraded_t *d)
{
    if (!d)
        return;
    degraded_stop(d);
    redis_client_free(d->redis);
    pthread_mutex_destroy(&d->redis_mu);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->wake);
    free(d);
}

void degraded_set_connector(degraded_t *d, pms_connector_t *pms)
{
    pthread_mutex_lock(&d->mu);
    d->pms = pms;
    pthread_mutex_unlock(&d->mu);
}

/* The state as JSON (caller holds the lock). */
static struct json_object *state_json_locked(const degraded_t *d)
{
    struct json_object *o = json_object_new_object();
    bool on = d->admin_on || d->open_count > 0;
    json_object_object_add(o, "degraded", json_object_new_boolean(on));
    if (!on)
        return o;
    char reason[DEGRADED_REASON_MAX + 64];
    const char *since = d->admin_since, *source = "admin";
    if (d->admin_on) {
        snprintf(reason, sizeof reason, "%s", d->admin_reason);
    } else {
        const open_breaker_t *b = &d->open[0];
        int n = snprintf(reason, sizeof reason, "PMS circuit open for hotel %s (%s)", b->hotel,
                         b->vendor);
        if (d->open_count > 1 && n > 0 && (size_t)n < sizeof reason)
            snprintf(reason + n, sizeof reason - (size_t)n, " and %zu more hotel(s)",
                     d->open_count - 1);
        since = b->since;
        source = "breaker";
    }
    json_object_object_add(o, "reason", json_object_new_string(reason));
    json_object_object_add(o, "since", json_object_new_string(since));
    json_object_object_add(o, "source", json_object_new_string(source));
    return o;
}

/* Marks the state changed (caller holds the lock). */
static void changed_locked(degraded_t *d)
{
    d->dirty = true;
    metrics_gauge_set(d->gauge, d->admin_on || d->open_count > 0 ? 1 : 0);
    pthread_cond_broadcast(&d->wake);
}

struct json_object *degraded_to_json(degraded_t *d)
{
    pthread_mutex_lock(&d->mu);
    struct json_object *o = state_json_locked(d);
    pthread_mutex_unlock(&d->mu);
    return o;
}

bool degraded_is_on(degraded_t *d)
{
    pthread_mutex_lock(&d->mu);
    bool on = d->admin_on || d->open_count > 0;
    pthread_mutex_unlock(&d->mu);
    return on;
}

void degraded_set_admin(degraded_t *d, bool on, const char *reason)
{
    char text[DEGRADED_REASON_MAX];
    snprintf(text, sizeof text, "%s",
             on ? (reason && *reason ? reason : "turned on by an administrator") : "");
    pthread_mutex_lock(&d->mu);
    if (on && !d->admin_on)
        dates_now_rfc3339(d->admin_since);
    d->admin_on = on;
    memcpy(d->admin_reason, text, sizeof text);
    d->admin_dirty = true;
    d->admin_version++;
    changed_locked(d);
    pthread_mutex_unlock(&d->mu);
    log_kv(LOG_LEVEL_WARN, on ? "degraded mode on (admin)" : "degraded mode admin switch off",
           "reason", on ? text : NULL, NULL);
}

/* Publishes lodging.ops.breaker.opened (asynchronously: we are on a request thread). */
static void send_breaker_alert(degraded_t *d, const open_breaker_t *b)
{
    if (!d->producer)
        return;
    struct json_object *data = json_object_new_object();
    char message[256];
    snprintf(message, sizeof message, "PMS circuit opened for hotel %s (%s): degraded mode on",
             b->hotel, b->vendor);
    json_object_object_add(data, "alert", json_object_new_string("breaker.opened"));
    json_object_object_add(data, "severity", json_object_new_string("warning"));
    json_object_object_add(data, "message", json_object_new_string(message));
    json_object_object_add(data, "breaker", json_object_new_string(b->name));
    if (pms_vendor_known(b->vendor)) /* the schema's vendor enum */
        json_object_object_add(data, "vendor", json_object_new_string(b->vendor));
    json_object_object_add(data, "hotelId", json_object_new_string(b->hotel));
    int open_s = d->breaker_open_ms / 1000;
    json_object_object_add(data, "openForSeconds", json_object_new_int(open_s > 0 ? open_s : 1));
    cloudevent_t *ev = cloudevent_new("lodging.ops.breaker.opened", d->source, b->name, data);
    char *json = ev ? cloudevent_to_json(ev) : NULL;
    char err[256];
    if (json) {
        kafka_header_t h[CLOUDEVENT_HEADER_COUNT];
        cloudevent_kafka_headers(ev, h);
        if (kafka_producer_send(d->producer, d->alerts_topic, b->name, strlen(b->name), json,
                                strlen(json), h, CLOUDEVENT_HEADER_COUNT, NULL, NULL, err,
                                sizeof err) != 0)
            log_kv(LOG_LEVEL_ERROR, "cannot queue the breaker alert", "error", err, NULL);
    }
    free(json);
    cloudevent_free(ev);
}

void degraded_on_breaker_change(const char *name, breaker_state_t from, breaker_state_t to,
                                void *ctx)
{
    degraded_t *d = ctx;
    open_breaker_t b = {0};
    snprintf(b.name, sizeof b.name, "%s", name);
    if (degraded_parse_breaker_name(name, b.vendor, sizeof b.vendor, b.hotel, sizeof b.hotel) !=
        0) {
        snprintf(b.vendor, sizeof b.vendor, "unknown");
        snprintf(b.hotel, sizeof b.hotel, "%s", name);
    }
    dates_now_rfc3339(b.since);
    bool alert = false;
    pthread_mutex_lock(&d->mu);
    size_t i = 0;
    while (i < d->open_count && strcmp(d->open[i].name, name) != 0)
        i++;
    if (to == BREAKER_CLOSED && i < d->open_count) {
        memmove(&d->open[i], &d->open[i + 1], (d->open_count - i - 1) * sizeof d->open[0]);
        d->open_count--;
        changed_locked(d);
    } else if (to == BREAKER_OPEN && i == d->open_count && i < MAX_OPEN_BREAKERS) {
        d->open[d->open_count++] = b;
        alert = true;
        changed_locked(d);
    }
    pthread_mutex_unlock(&d->mu);
    log_kv(to == BREAKER_CLOSED ? LOG_LEVEL_INFO : LOG_LEVEL_WARN, "PMS circuit breaker changed",
           "breaker", name, "from", breaker_state_name(from), "to", breaker_state_name(to), NULL);
    if (alert && from == BREAKER_CLOSED)
        send_breaker_alert(d, &b);
}

/* Runs one command on the manager's connection; 0 or -1. */
static int redis_run(degraded_t *d, int argc, const char **argv, char **str_out)
{
    pthread_mutex_lock(&d->redis_mu);
    int rc = redis_command_argv(d->redis, argc, argv, NULL, str_out) == REDIS_CLIENT_OK ? 0 : -1;
    pthread_mutex_unlock(&d->redis_mu);
    return rc;
}

/* Writes the combined state to lodging:degraded; 0 or -1. */
static int write_state(degraded_t *d, const char *json)
{
    const char *argv[] = {"SET", DEGRADED_REDIS_KEY, json};
    return redis_run(d, 3, argv, NULL);
}

/* The admin switch is shared through DEGRADED_ADMIN_KEY, so every replica
 * (and a restarted one) sees it: a pending local change is written there,
 * otherwise the key is read and adopted. Called with d->mu held; releases it
 * during Redis I/O. */
static void sync_admin_locked(degraded_t *d)
{
    if (d->admin_dirty) {
        unsigned version = d->admin_version;
        char json[DEGRADED_REASON_MAX * 2 + 64] = "";
        if (d->admin_on) {
            struct json_object *o = json_object_new_object();
            json_object_object_add(o, "degraded", json_object_new_boolean(true));
            json_object_object_add(o, "reason", json_object_new_string(d->admin_reason));
            json_object_object_add(o, "since", json_object_new_string(d->admin_since));
            snprintf(json, sizeof json, "%s",
                     json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
            json_object_put(o);
        }
        pthread_mutex_unlock(&d->mu);
        const char *set[] = {"SET", DEGRADED_ADMIN_KEY, json}, *del[] = {"DEL", DEGRADED_ADMIN_KEY};
        int rc = json[0] ? redis_run(d, 3, set, NULL) : redis_run(d, 2, del, NULL);
        pthread_mutex_lock(&d->mu);
        if (rc == 0 && version == d->admin_version)
            d->admin_dirty = false;
        return;
    }
    pthread_mutex_unlock(&d->mu);
    char *text = NULL;
    const char *get[] = {"GET", DEGRADED_ADMIN_KEY};
    int rc = redis_run(d, 2, get, &text);
    struct json_object *o = text ? json_tokener_parse(text) : NULL;
    free(text);
    pthread_mutex_lock(&d->mu);
    if (rc == 0 && !d->admin_dirty) {
        struct json_object *v;
        bool on = o && json_object_object_get_ex(o, "degraded", &v) && json_object_get_boolean(v);
        const char *reason = on && json_object_object_get_ex(o, "reason", &v)
                                 ? json_object_get_string(v)
                                 : "turned on by an administrator";
        const char *since =
            on && json_object_object_get_ex(o, "since", &v) ? json_object_get_string(v) : "";
        if (on != d->admin_on || (on && strcmp(reason, d->admin_reason) != 0)) {
            d->admin_on = on;
            snprintf(d->admin_reason, sizeof d->admin_reason, "%s", on ? reason : "");
            snprintf(d->admin_since, sizeof d->admin_since, "%s", since);
            changed_locked(d);
        }
    }
    json_object_put(o);
}

/* One probe per half-open breaker: a successful call counts toward closing it. */
static void probe_half_open(pms_connector_t *pms, char (*hotels)[PMS_ID_MAX], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (pms_breaker_state(pms, hotels[i]) != BREAKER_HALF_OPEN)
            continue;
        pms_hotel_t h;
        pms_error_t e;
        pms_err_t rc = pms_get_hotel(pms, hotels[i], &h, &e);
        log_kv(LOG_LEVEL_DEBUG, "degraded mode: PMS probe", "hotelId", hotels[i], "outcome",
               pms_err_name(rc), NULL);
    }
}

static void *writer_main(void *arg)
{
    degraded_t *d = arg;
    int64_t next_write = 0;
    char hotels[MAX_OPEN_BREAKERS][PMS_ID_MAX];
    pthread_mutex_lock(&d->mu);
    while (!d->stop) {
        sync_admin_locked(d);
        if (d->dirty || clock_now_ms() >= next_write) {
            struct json_object *o = state_json_locked(d);
            char *json = json_to_string_dup(o);
            json_object_put(o);
            d->dirty = false;
            pthread_mutex_unlock(&d->mu);
            int rc = json ? write_state(d, json) : -1;
            free(json);
            pthread_mutex_lock(&d->mu);
            /* A failed write is retried at the next tick, not in a loop. */
            next_write = clock_now_ms() + (rc == 0 ? DEGRADED_REFRESH_MS : d->probe_interval_ms);
        }
        size_t n = 0;
        for (size_t i = 0; i < d->open_count; i++)
            memcpy(hotels[n++], d->open[i].hotel, PMS_ID_MAX);
        pms_connector_t *pms = d->pms;
        if (pms && n > 0) {
            pthread_mutex_unlock(&d->mu);
            probe_half_open(pms, hotels, n);
            pthread_mutex_lock(&d->mu);
        }
        if (d->stop || d->dirty)
            continue; /* a change arrived meanwhile: publish it now */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        int64_t ns = until.tv_nsec + (int64_t)d->probe_interval_ms * 1000000;
        until.tv_sec += (time_t)(ns / 1000000000);
        until.tv_nsec = (long)(ns % 1000000000);
        pthread_cond_timedwait(&d->wake, &d->mu, &until);
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

int degraded_start(degraded_t *d)
{
    pthread_mutex_lock(&d->mu);
    sync_admin_locked(d); /* an admin "on" from before a restart holds at once */
    d->stop = false;
    int rc = d->running ? 0 : pthread_create(&d->thread, NULL, writer_main, d);
    if (rc == 0)
        d->running = true;
    pthread_mutex_unlock(&d->mu);
    return rc == 0 ? 0 : -1;
}

void degraded_stop(degraded_t *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    bool running = d->running;
    d->stop = true;
    d->running = false;
    pthread_cond_broadcast(&d->wake);
    pthread_mutex_unlock(&d->mu);
    if (running)
        pthread_join(d->thread, NULL);
}
