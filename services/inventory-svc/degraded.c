/*
 * degraded.c — the degraded-mode manager (degraded.h).
 *
 * Three kinds of state, three owners:
 * - a hotel's automatic state comes from this replica's breakers; only the
 *   replica whose breaker is open writes `lodging:degraded:{hotel}`, with a
 *   TTL it refreshes, and deletes it when the breaker closes. Replicas whose
 *   breaker for that hotel is closed never touch it, so one replica's healthy
 *   view cannot hide another's open breaker.
 * - the operator's hotel switch is written to Redis by the PUT itself and
 *   read from Redis by every GET: Redis is the truth, shared by replicas.
 * - the operator's platform switch is kept in memory, written to
 *   `lodging:degraded:admin` and read back every probe interval (as before
 *   hotels had their own state), and published in `lodging:degraded`.
 * The index set `lodging:degraded:hotels` lets a listing find the hotels
 * without SCAN; a member is removed when neither of the hotel's keys is
 * left, and the listing skips members whose keys expired.
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
#include "degraded_hotels.h"

#define MAX_OPEN_BREAKERS 64
#define BREAKER_NAME_MAX 160
#define ADMIN_DEFAULT_REASON "turned on by an administrator"

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
    /* hotels whose breaker closed: their automatic key is still to delete */
    char cleared[MAX_OPEN_BREAKERS][PMS_ID_MAX];
    size_t cleared_count;
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
    /* hotels whose gauge is 1; touched by the writer thread only */
    char (*gauged)[PMS_ID_MAX];
    size_t gauged_count;
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
    d->gauge = metrics_gauge("inventory_degraded_mode",
                             "1 while a hotel's checkouts are refused (hotel=\"*\": every hotel's)",
                             1, "hotel");
    metrics_gauge_set(d->gauge, 0, DEGRADED_PLATFORM_LABEL);
    d->gauged = calloc(DEGRADED_MAX_LISTED_HOTELS, sizeof *d->gauged);
    if (!d->gauged) {
        degraded_free(d);
        return NULL;
    }
    d->dirty = true;
    return d;
}

void degraded_free(degraded_t *d)
{
    if (!d)
        return;
    degraded_stop(d);
    redis_client_free(d->redis);
    free(d->gauged);
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

/* The platform state as JSON (caller holds the lock); the caller owns it. */
static struct json_object *state_json_locked(const degraded_t *d)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "degraded", json_object_new_boolean(d->admin_on));
    if (!d->admin_on)
        return o;
    json_object_object_add(o, "reason", json_object_new_string(d->admin_reason));
    json_object_object_add(o, "since", json_object_new_string(d->admin_since));
    json_object_object_add(o, "source", json_object_new_string("admin"));
    return o;
}

/* Marks the state changed and wakes the writer (caller holds the lock). */
static void changed_locked(degraded_t *d)
{
    d->dirty = true;
    metrics_gauge_set(d->gauge, d->admin_on ? 1 : 0, DEGRADED_PLATFORM_LABEL);
    pthread_cond_broadcast(&d->wake);
}

bool degraded_is_on(degraded_t *d)
{
    pthread_mutex_lock(&d->mu);
    bool on = d->admin_on;
    pthread_mutex_unlock(&d->mu);
    return on;
}

void degraded_set_admin(degraded_t *d, bool on, const char *reason)
{
    char text[DEGRADED_REASON_MAX];
    snprintf(text, sizeof text, "%s",
             on ? (reason && *reason ? reason : ADMIN_DEFAULT_REASON) : "");
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
    char err[256];
    if (ev && cloudevent_send(d->producer, d->alerts_topic, b->name, ev, NULL, NULL, err,
                              sizeof err) != 0)
        log_kv(LOG_LEVEL_ERROR, "cannot queue the breaker alert", "error", err, NULL);
    cloudevent_free(ev);
}

/* Is a breaker of this hotel still open here? (caller holds the lock) */
static bool hotel_open_locked(const degraded_t *d, const char *hotel)
{
    for (size_t i = 0; i < d->open_count; i++)
        if (strcmp(d->open[i].hotel, hotel) == 0)
            return true;
    return false;
}

/* Queues the hotel's automatic key for deletion (caller holds the lock). */
static void cleared_add_locked(degraded_t *d, const char *hotel)
{
    for (size_t i = 0; i < d->cleared_count; i++)
        if (strcmp(d->cleared[i], hotel) == 0)
            return;
    if (d->cleared_count < MAX_OPEN_BREAKERS)
        snprintf(d->cleared[d->cleared_count++], PMS_ID_MAX, "%s", hotel);
}

/* A breaker opened again before its key was deleted: keep the key. */
static void cleared_remove_locked(degraded_t *d, const char *hotel)
{
    for (size_t i = 0; i < d->cleared_count; i++)
        if (strcmp(d->cleared[i], hotel) == 0) {
            memmove(&d->cleared[i], &d->cleared[i + 1],
                    (d->cleared_count - i - 1) * sizeof d->cleared[0]);
            d->cleared_count--;
            return;
        }
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
        if (!hotel_open_locked(d, b.hotel))
            cleared_add_locked(d, b.hotel);
        changed_locked(d);
    } else if (to == BREAKER_OPEN && i == d->open_count && i < MAX_OPEN_BREAKERS) {
        d->open[d->open_count++] = b;
        cleared_remove_locked(d, b.hotel);
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

/* Writes the platform state to lodging:degraded; 0 or -1. */
static int write_state(degraded_t *d, const char *json)
{
    const char *argv[] = {"SET", DEGRADED_PLATFORM_KEY, json};
    return redis_run(d, 3, argv, NULL);
}

/* The admin switch is shared through DEGRADED_PLATFORM_ADMIN_KEY, so every replica
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
        const char *set[] = {"SET", DEGRADED_PLATFORM_ADMIN_KEY, json},
                   *del[] = {"DEL", DEGRADED_PLATFORM_ADMIN_KEY};
        int rc = json[0] ? redis_run(d, 3, set, NULL) : redis_run(d, 2, del, NULL);
        pthread_mutex_lock(&d->mu);
        if (rc == 0 && version == d->admin_version)
            d->admin_dirty = false;
        return;
    }
    pthread_mutex_unlock(&d->mu);
    char *text = NULL;
    const char *get[] = {"GET", DEGRADED_PLATFORM_ADMIN_KEY};
    int rc = redis_run(d, 2, get, &text);
    struct json_object *o = text ? json_tokener_parse(text) : NULL;
    free(text);
    pthread_mutex_lock(&d->mu);
    if (rc == 0 && !d->admin_dirty) {
        struct json_object *v;
        bool on = o && json_object_object_get_ex(o, "degraded", &v) && json_object_get_boolean(v);
        const char *reason = on && json_object_object_get_ex(o, "reason", &v)
                                 ? json_object_get_string(v)
                                 : ADMIN_DEFAULT_REASON;
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

/* The automatic reason of a hotel's open breaker. */
static void breaker_reason(const open_breaker_t *b, char *out, size_t size)
{
    snprintf(out, size, "PMS circuit open for hotel %s (%s)", b->hotel, b->vendor);
}

/* Adds this replica's open breakers to a listing read from Redis (they may
 * not be written yet, or Redis may be down); returns the new count. */
static size_t merge_local_breakers(degraded_t *d, degraded_hotel_t *list, size_t n, size_t max)
{
    pthread_mutex_lock(&d->mu);
    for (size_t i = 0; i < d->open_count; i++) {
        const open_breaker_t *b = &d->open[i];
        size_t j = 0;
        while (j < n && strcmp(list[j].hotel, b->hotel) != 0)
            j++;
        if (j == n) {
            if (n == max)
                continue;
            memset(&list[n], 0, sizeof list[n]);
            snprintf(list[n].hotel, sizeof list[n].hotel, "%s", b->hotel);
            n++;
        }
        if (!list[j].automatic) {
            list[j].automatic = true;
            breaker_reason(b, list[j].auto_reason, sizeof list[j].auto_reason);
            snprintf(list[j].auto_since, sizeof list[j].auto_since, "%s", b->since);
        }
    }
    pthread_mutex_unlock(&d->mu);
    return n;
}

/* Every degraded hotel, Redis's view merged with ours, into a malloc'd array
 * the caller frees; *n its length. NULL on OOM. */
static degraded_hotel_t *list_hotels(degraded_t *d, size_t *n)
{
    degraded_hotel_t *list = calloc(DEGRADED_MAX_LISTED_HOTELS, sizeof *list);
    *n = 0;
    if (!list)
        return NULL;
    pthread_mutex_lock(&d->redis_mu);
    long found = degraded_hotels_list(d->redis, list, DEGRADED_MAX_LISTED_HOTELS);
    pthread_mutex_unlock(&d->redis_mu);
    *n = merge_local_breakers(d, list, found > 0 ? (size_t)found : 0, DEGRADED_MAX_LISTED_HOTELS);
    return list;
}

/* Sets inventory_degraded_mode{hotel} to 1 for the listed hotels and back to 0
 * for those no longer listed (writer thread only). */
static void refresh_gauges(degraded_t *d)
{
    size_t n = 0;
    degraded_hotel_t *list = list_hotels(d, &n);
    if (!list)
        return;
    for (size_t i = 0; i < d->gauged_count; i++) {
        size_t j = 0;
        while (j < n && strcmp(list[j].hotel, d->gauged[i]) != 0)
            j++;
        if (j == n)
            metrics_gauge_set(d->gauge, 0, d->gauged[i]);
    }
    for (size_t i = 0; i < n; i++) {
        metrics_gauge_set(d->gauge, 1, list[i].hotel);
        snprintf(d->gauged[i], PMS_ID_MAX, "%s", list[i].hotel);
    }
    d->gauged_count = n;
    free(list);
}

/* Publishes everything: the platform state, each open breaker's hotel key
 * (its TTL refreshed), the deletions of closed ones, then the gauges. Called
 * with d->mu held; releases it during Redis I/O. Returns 0, or -1 when a
 * write failed (the caller retries sooner). */
static int publish_locked(degraded_t *d)
{
    struct json_object *o = state_json_locked(d);
    char *json = json_to_string_dup(o);
    json_object_put(o);
    size_t open_n = d->open_count, cleared_n = d->cleared_count;
    open_breaker_t *open = malloc((open_n + 1) * sizeof *open);
    char(*cleared)[PMS_ID_MAX] = malloc((cleared_n + 1) * sizeof *cleared);
    if (open)
        memcpy(open, d->open, open_n * sizeof *open);
    if (cleared)
        memcpy(cleared, d->cleared, cleared_n * sizeof *cleared);
    d->dirty = false;
    pthread_mutex_unlock(&d->mu);
    int rc = json && open && cleared && write_state(d, json) == 0 ? 0 : -1;
    char reason[DEGRADED_REASON_MAX];
    pthread_mutex_lock(&d->redis_mu);
    for (size_t i = 0; open && i < open_n; i++) {
        breaker_reason(&open[i], reason, sizeof reason);
        if (degraded_hotels_write_auto(d->redis, open[i].hotel, reason, open[i].since,
                                       DEGRADED_HOTEL_TTL_S) != 0)
            rc = -1;
    }
    size_t done = 0;
    while (cleared && done < cleared_n && degraded_hotels_clear_auto(d->redis, cleared[done]) == 0)
        done++;
    pthread_mutex_unlock(&d->redis_mu);
    refresh_gauges(d);
    pthread_mutex_lock(&d->mu);
    /* the cleared hotels written off leave the queue; a failed one stays */
    for (size_t i = 0; cleared && i < done; i++)
        if (!hotel_open_locked(d, cleared[i]))
            cleared_remove_locked(d, cleared[i]);
    if (done < cleared_n)
        rc = -1;
    free(json);
    free(open);
    free(cleared);
    return rc;
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
            int rc = publish_locked(d);
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

/* ------------------------------------------------------- hotels' API -- */

int degraded_set_hotel_admin(degraded_t *d, const char *hotel_id, bool on, const char *reason)
{
    char text[DEGRADED_REASON_MAX], since[DATES_RFC3339_LEN + 1] = "";
    snprintf(text, sizeof text, "%s", reason && *reason ? reason : ADMIN_DEFAULT_REASON);
    degraded_hotel_t now;
    pthread_mutex_lock(&d->redis_mu);
    /* an "on" that is on already keeps its since */
    if (on && degraded_hotels_read(d->redis, hotel_id, &now) == 0 && now.admin)
        snprintf(since, sizeof since, "%s", now.admin_since);
    if (on && !since[0])
        dates_now_rfc3339(since);
    int rc = degraded_hotels_set_admin(d->redis, hotel_id, on, text, since);
    pthread_mutex_unlock(&d->redis_mu);
    if (rc != 0)
        return -1;
    pthread_mutex_lock(&d->mu);
    changed_locked(d); /* the writer refreshes the gauges */
    pthread_mutex_unlock(&d->mu);
    log_kv(LOG_LEVEL_WARN,
           on ? "degraded mode on for a hotel (admin)"
              : "degraded mode admin switch off for a hotel",
           "hotelId", hotel_id, "reason", on ? text : NULL, NULL);
    return 0;
}

/* A hotel's entry: {"hotelId","degraded"[,"reason","since","source"]}, the
 * platform switch first, then the operator's, then the breaker. */
static struct json_object *hotel_json(const degraded_hotel_t *h, const char *platform_reason,
                                      const char *platform_since)
{
    struct json_object *o = json_object_new_object();
    const char *reason = NULL, *since = NULL, *source = NULL;
    if (platform_reason) {
        reason = platform_reason, since = platform_since, source = "platform";
    } else if (h->admin) {
        reason = h->admin_reason, since = h->admin_since, source = "admin";
    } else if (h->automatic) {
        reason = h->auto_reason, since = h->auto_since, source = "breaker";
    }
    json_object_object_add(o, "hotelId", json_object_new_string(h->hotel));
    json_object_object_add(o, "degraded", json_object_new_boolean(source != NULL));
    if (!source)
        return o;
    json_object_object_add(o, "reason", json_object_new_string(reason));
    json_object_object_add(o, "since", json_object_new_string(since));
    json_object_object_add(o, "source", json_object_new_string(source));
    return o;
}

struct json_object *degraded_hotel_to_json(degraded_t *d, const char *hotel_id)
{
    degraded_hotel_t h;
    pthread_mutex_lock(&d->redis_mu);
    int rc = degraded_hotels_read(d->redis, hotel_id, &h);
    pthread_mutex_unlock(&d->redis_mu);
    if (rc != 0) /* Redis down: what this replica knows */
        log_kv(LOG_LEVEL_WARN, "degraded mode: cannot read the hotel's state from Redis", "hotelId",
               hotel_id, NULL);
    merge_local_breakers(d, &h, 1, 1);
    char reason[DEGRADED_REASON_MAX], since[DATES_RFC3339_LEN + 1];
    pthread_mutex_lock(&d->mu);
    bool platform = d->admin_on;
    snprintf(reason, sizeof reason, "%s", d->admin_reason);
    snprintf(since, sizeof since, "%s", d->admin_since);
    pthread_mutex_unlock(&d->mu);
    return hotel_json(&h, platform ? reason : NULL, since);
}

struct json_object *degraded_to_json(degraded_t *d)
{
    pthread_mutex_lock(&d->mu);
    struct json_object *o = state_json_locked(d);
    pthread_mutex_unlock(&d->mu);
    struct json_object *hotels = json_object_new_array();
    size_t n = 0;
    degraded_hotel_t *list = list_hotels(d, &n);
    for (size_t i = 0; list && i < n; i++)
        json_object_array_add(hotels, hotel_json(&list[i], NULL, NULL));
    free(list);
    json_object_object_add(o, "hotels", hotels);
    return o;
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
