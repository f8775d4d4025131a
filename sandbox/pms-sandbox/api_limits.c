/*
 * api_limits.c — per-property request limit and counters (see api_limits.h).
 * A property's entry is made on its first request and lives until the
 * sandbox stops (the seed names a handful of properties); its bucket is made
 * lazily too, so changing the limit only has to drop the buckets.
 */
#include "api_limits.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ratelimit.h"

#define PROPERTY_MAX_LEN 64
#define METHOD_MAX_LEN 32

typedef struct method_count {
    char name[METHOD_MAX_LEN + 1];
    long count;
} method_count_t;

typedef struct property_meter {
    char id[PROPERTY_MAX_LEN + 1];
    ratelimit_t *bucket; /* NULL: not made yet, or no limit */
    method_count_t methods[API_LIMITS_MAX_METHODS];
    size_t method_count;
    long rate_limited;
    struct property_meter *next;
} property_meter_t;

struct api_limits {
    pthread_mutex_t mu; /* guards everything below */
    double per_second;  /* 0: no limit */
    double burst;
    const clock_source_t *clock;
    property_meter_t *properties;
};

/* ------------------------------------------------------------ lifecycle -- */

/* Normalises a limit as the header says: off, or a rate with a burst >= 1. */
static void store_limit(api_limits_t *l, double per_second, double burst)
{
    l->per_second = per_second > 0 ? per_second : 0;
    l->burst = l->per_second <= 0 ? 0 : burst >= 1 ? burst : fmax(1, l->per_second);
}

api_limits_t *api_limits_new(double per_second, double burst, const clock_source_t *clock)
{
    api_limits_t *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    pthread_mutex_init(&l->mu, NULL);
    l->clock = clock ? clock : clock_source_system();
    store_limit(l, per_second, burst);
    return l;
}

/* Drops every bucket so the next request makes a full one; lock held. */
static void drop_buckets_locked(api_limits_t *l)
{
    for (property_meter_t *p = l->properties; p; p = p->next) {
        ratelimit_free(p->bucket);
        p->bucket = NULL;
    }
}

void api_limits_free(api_limits_t *l)
{
    if (!l)
        return;
    for (property_meter_t *p = l->properties, *next; p; p = next) {
        next = p->next;
        ratelimit_free(p->bucket);
        free(p);
    }
    pthread_mutex_destroy(&l->mu);
    free(l);
}

void api_limits_set(api_limits_t *l, double per_second, double burst)
{
    pthread_mutex_lock(&l->mu);
    store_limit(l, per_second, burst);
    drop_buckets_locked(l);
    pthread_mutex_unlock(&l->mu);
}

void api_limits_get(api_limits_t *l, double *per_second, double *burst)
{
    pthread_mutex_lock(&l->mu);
    *per_second = l->per_second;
    *burst = l->burst;
    pthread_mutex_unlock(&l->mu);
}

/* ------------------------------------------------------------- counting -- */

/* The property's entry, made on first use; NULL on OOM. Lock held. */
static property_meter_t *meter_locked(api_limits_t *l, const char *property, bool create)
{
    property_meter_t *p = l->properties;
    while (p && strcmp(p->id, property) != 0)
        p = p->next;
    if (!p && create && (p = calloc(1, sizeof *p))) {
        snprintf(p->id, sizeof p->id, "%s", property);
        p->next = l->properties;
        l->properties = p;
    }
    return p;
}

/* Adds one to the method's counter (methods beyond the table are not counted:
 * the sandbox has fewer). Lock held. */
static void count_method_locked(property_meter_t *p, const char *method)
{
    for (size_t i = 0; i < p->method_count; i++)
        if (strcmp(p->methods[i].name, method) == 0) {
            p->methods[i].count++;
            return;
        }
    if (p->method_count < API_LIMITS_MAX_METHODS) {
        method_count_t *m = &p->methods[p->method_count++];
        snprintf(m->name, sizeof m->name, "%s", method);
        m->count = 1;
    }
}

bool api_limits_admit(api_limits_t *l, const char *property, const char *method,
                      long *retry_after_s)
{
    *retry_after_s = 0;
    bool ok = true;
    pthread_mutex_lock(&l->mu);
    property_meter_t *p = meter_locked(l, property, true);
    if (p) {
        count_method_locked(p, method);
        if (l->per_second > 0 && !p->bucket)
            p->bucket = ratelimit_new(l->per_second, l->burst, l->clock);
        int64_t wait_ms = 0;
        if (p->bucket && !ratelimit_try(p->bucket, &wait_ms)) {
            ok = false;
            p->rate_limited++;
            *retry_after_s = wait_ms <= 1000 ? 1 : (long)((wait_ms + 999) / 1000);
        }
    }
    pthread_mutex_unlock(&l->mu);
    return ok;
}

/* -------------------------------------------------------------- reports -- */

/* Adds one property's counters to the two maps; lock held. */
static void add_meter_json(json_object *requests, json_object *limited, const char *id,
                           const property_meter_t *p)
{
    json_object *methods = json_object_new_object();
    for (size_t i = 0; p && i < p->method_count; i++)
        json_object_object_add(methods, p->methods[i].name,
                               json_object_new_int64(p->methods[i].count));
    json_object_object_add(requests, id, methods);
    json_object_object_add(limited, id, json_object_new_int64(p ? p->rate_limited : 0));
}

json_object *api_limits_stats_json(api_limits_t *l, const char *property)
{
    json_object *o = json_object_new_object();
    json_object *requests = json_object_new_object(), *limited = json_object_new_object();
    if (!o || !requests || !limited) {
        json_object_put(o);
        json_object_put(requests);
        json_object_put(limited);
        return NULL;
    }
    pthread_mutex_lock(&l->mu);
    if (property) {
        add_meter_json(requests, limited, property, meter_locked(l, property, false));
    } else {
        for (property_meter_t *p = l->properties; p; p = p->next)
            if (p->method_count > 0)
                add_meter_json(requests, limited, p->id, p);
    }
    pthread_mutex_unlock(&l->mu);
    json_object_object_add(o, "requests", requests);
    json_object_object_add(o, "rateLimited", limited);
    return o;
}

/* Zeroes the counters; lock held. */
static void clear_stats_locked(api_limits_t *l)
{
    for (property_meter_t *p = l->properties; p; p = p->next) {
        p->method_count = 0;
        p->rate_limited = 0;
    }
}

void api_limits_clear_stats(api_limits_t *l)
{
    pthread_mutex_lock(&l->mu);
    clear_stats_locked(l);
    pthread_mutex_unlock(&l->mu);
}

void api_limits_reset(api_limits_t *l)
{
    pthread_mutex_lock(&l->mu);
    clear_stats_locked(l);
    drop_buckets_locked(l);
    pthread_mutex_unlock(&l->mu);
}
