/*
 * fetch.c — cache-first reads with single-flight fills and stale fallback
 * (fetch.h).
 */
#include "fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/log.h"
#include "rate_plans.h"
#include "singleflight.h"

#define FILL_POLL_INTERVAL_MS 50

static const inv_key_family_t FRESH_FAMILY[] = {INV_KEY_INVENTORY, INV_KEY_RATE};
static const inv_key_family_t SHADOW_FAMILY[] = {INV_KEY_INVENTORY_SHADOW, INV_KEY_RATE_SHADOW};

const char *inv_kind_name(inv_kind_t kind)
{
    return kind == INV_KIND_INVENTORY ? "inventory" : "rates";
}

const char *inv_source_name(inv_source_t source)
{
    static const char *const names[] = {"cache", "pms", "stale-cache"};
    return names[source];
}

void inv_nights_free(inv_nights_t *n)
{
    if (n) {
        for (int i = 0; n->items && i < n->count; i++)
            free(n->items[i].plans);
        free(n->items);
        n->items = NULL;
        n->count = 0;
    }
}

void inv_room_types_free(inv_room_types_t *rt)
{
    if (rt) {
        free(rt->json);
        rt->json = NULL;
    }
}

static int ttl_of(const inv_app_t *app, inv_kind_t kind)
{
    return kind == INV_KIND_INVENTORY ? app->settings.inventory_ttl_s : app->settings.rate_ttl_s;
}

/* ------------------------------------------------------ value codecs -- */

/* Decodes a cached value into a night; 0, or -1 when absent or malformed. */
static int decode_night(inv_kind_t kind, const char *value, inv_night_t *night)
{
    if (!value)
        return -1;
    if (kind == INV_KIND_INVENTORY)
        return inv_value_parse_night(value, &night->available, &night->total,
                                     &night->count_unknown);
    if (inv_value_parse_rate(value, &night->amount, night->currency) != 0)
        return -1;
    const char *plans = inv_value_rate_plans(value);
    free(night->plans);
    night->plans = plans ? strdup(plans) : NULL;
    return 0;
}

/* Encodes a PMS night (and its plans JSON, may be NULL) for the cache:
 * malloc'd, or NULL. */
static char *encode_night(inv_kind_t kind, const pms_night_t *n, const char *currency,
                          const char *plans)
{
    char out[INV_VALUE_MAX];
    if (kind == INV_KIND_INVENTORY && n->count_unknown)
        return inv_value_format_bookable(n->available > 0, out, sizeof out) == 0 ? strdup(out)
                                                                                  : NULL;
    if (kind == INV_KIND_INVENTORY) {
        int total = n->total > n->available ? n->total : n->available;
        return inv_value_format_availability(n->available < 0 ? 0 : n->available, total, out,
                                             sizeof out) == 0
                   ? strdup(out)
                   : NULL;
    }
    if (plans)
        return inv_value_format_rate_plans(n->rate, currency, plans);
    return inv_value_format_rate(n->rate, currency, out, sizeof out) == 0 ? strdup(out) : NULL;
}

static void night_from_pms(inv_kind_t kind, const pms_night_t *n, const char *currency,
                           const char *plans, inv_night_t *out)
{
    free(out->plans);
    out->plans = plans ? strdup(plans) : NULL;
    out->date = n->date;
    out->count_unknown = n->count_unknown;
    out->available = n->available < 0 ? 0 : n->count_unknown && n->available > 1 ? 1 : n->available;
    out->total = n->count_unknown                 ? 0
                 : n->total > out->available ? n->total
                                             : out->available;
    out->amount = n->rate;
    snprintf(out->currency, sizeof out->currency, "%s", kind == INV_KIND_RATES ? currency : "");
}

/* Writes nights (with each night's plans JSON when plans is not NULL), fresh
 * and shadow keys, each unless its generation moved from the one in gens. */
static int store_nights(inv_app_t *app, inv_kind_t kind, const char *hotel_id,
                        const char *room_type_id, const inv_gens_t *gens,
                        const pms_nights_t *nights, char *const *plans)
{
    size_t n = nights->count;
    if (n == 0)
        return 0;
    int rc = -1;
    char(*fresh)[INV_KEY_MAX] = calloc(n, sizeof *fresh);
    char(*shadow)[INV_KEY_MAX] = calloc(n, sizeof *shadow);
    char **vals = calloc(n, sizeof *vals);
    const char **fk = calloc(n, sizeof *fk), **sk = calloc(n, sizeof *sk),
               **vp = calloc(n, sizeof *vp);
    dates_day_t *dates = calloc(n, sizeof *dates);
    if (!fresh || !shadow || !vals || !fk || !sk || !vp || !dates)
        goto done;
    for (size_t i = 0; i < n; i++) {
        const pms_night_t *night = &nights->items[i];
        if (inv_key_night(fresh[i], INV_KEY_MAX, FRESH_FAMILY[kind], hotel_id, room_type_id,
                          night->date) != 0 ||
            inv_key_night(shadow[i], INV_KEY_MAX, SHADOW_FAMILY[kind], hotel_id, room_type_id,
                          night->date) != 0 ||
            !(vals[i] = encode_night(kind, night, nights->currency, plans ? plans[i] : NULL)))
            goto done;
        fk[i] = fresh[i];
        sk[i] = shadow[i];
        vp[i] = vals[i];
        dates[i] = night->date;
    }
    int skipped = 0;
    rc = inv_cache_store_if(app, kind, hotel_id, room_type_id, gens, dates, sk, fk, vp, n,
                            app->settings.shadow_ttl_s, ttl_of(app, kind), &skipped);
    if (skipped > 0) {
        metrics_counter_add(app->metrics.superseded, (double)skipped, inv_kind_name(kind));
        log_kv(LOG_LEVEL_DEBUG, "PMS answer not cached: nights changed while it travelled",
               "hotelId", hotel_id, "roomTypeId", room_type_id, LOG_INT("nights", skipped), NULL);
    }
done:
    free(dates);
    free(fresh);
    free(shadow);
    for (size_t i = 0; vals && i < n; i++)
        free(vals[i]);
    free(vals);
    free(fk);
    free(sk);
    free(vp);
    return rc;
}

int inv_cache_store_nights(inv_app_t *app, inv_kind_t kind, const char *hotel_id,
                           const char *room_type_id, const inv_gens_t *gens,
                           const pms_nights_t *nights)
{
    /* A rate cached without its plans carries no taxes: it would read as
     * costing its rate alone, and the checkout would refuse the all-in
     * amount. Rates with taxes are left for the next read, which caches
     * them with their plans. */
    for (size_t i = 0; kind == INV_KIND_RATES && i < nights->count; i++)
        if (nights->items[i].taxes.count > 0 || nights->items[i].taxes.total > 0)
            return 0;
    return store_nights(app, kind, hotel_id, room_type_id, gens, nights, NULL);
}

int inv_cache_store_rate_plans(inv_app_t *app, const char *hotel_id, const char *room_type_id,
                               const inv_gens_t *gens, const pms_rate_plans_t *plans)
{
    pms_nights_t base;
    char **texts;
    if (inv_rate_plans_split(plans, &base, &texts) != 0)
        return -1;
    int rc = store_nights(app, INV_KIND_RATES, hotel_id, room_type_id, gens, &base, texts);
    inv_rate_plans_texts_free(texts, base.count);
    pms_nights_free(&base);
    return rc;
}

/* ------------------------------------------------------ single flight -- */

/* What a fill (one PMS call, or another replica's fill seen in the cache)
 * produced; shared read-only by every thread that joined the call. */
typedef struct fill_result {
    pms_err_t err;
    char message[256];
    pms_nights_t nights;
    char **plans; /* rates: each night's plans JSON (nights.count entries), or NULL */
} fill_result_t;

static void fill_result_free(void *p)
{
    fill_result_t *r = p;
    if (r) {
        inv_rate_plans_texts_free(r->plans, r->nights.count);
        pms_nights_free(&r->nights);
        free(r);
    }
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Another replica holds the fill lock: wait (bounded by CACHE_FILL_WAIT_MS,
 * and only while the lock exists) for its answer to land in the cache. True
 * when every night of the span arrived (copied into r). lock NULL: one look
 * at the cache, no waiting. */
static bool await_other_replica(inv_app_t *app, inv_kind_t kind, const char *hotel_id,
                                const char *room_type_id, dates_day_t first, int count,
                                const char *lock, fill_result_t *r)
{
    inv_keys_t *keys =
        inv_keys_nights(FRESH_FAMILY[kind], hotel_id, room_type_id, first, (size_t)count);
    char **vals = calloc((size_t)count, sizeof *vals);
    r->nights.items = calloc((size_t)count, sizeof *r->nights.items);
    r->plans = kind == INV_KIND_RATES ? calloc((size_t)count, sizeof *r->plans) : NULL;
    bool complete = false, last_look = lock == NULL;
    int64_t deadline = clock_now_ms() + app->settings.fill_wait_ms;
    while (keys && vals && r->nights.items && !complete && clock_now_ms() < deadline) {
        if (!last_look)
            sleep_ms(FILL_POLL_INTERVAL_MS);
        if (inv_cache_mget(app, keys, vals) != 0)
            break;
        complete = true;
        for (int i = 0; i < count; i++) {
            inv_night_t night = {0};
            if (decode_night(kind, vals[i], &night) != 0) {
                complete = false;
                continue;
            }
            r->nights.items[i] = (pms_night_t){.date = first + i,
                                               .available = night.available,
                                               .total = night.total,
                                               .rate = night.amount};
            memcpy(r->nights.currency, night.currency, sizeof r->nights.currency);
            if (r->plans) {
                free(r->plans[i]);
                r->plans[i] = night.plans;
            } else {
                free(night.plans);
            }
        }
        redis_values_free(vals, (size_t)count);
        if (complete || last_look)
            break; /* a last look found nothing: the other fill ended without an answer */
        /* the lock gone: the other fill has ended, and its answer may have
         * landed between the read above and the lock's release — one more
         * read before fetching ourselves */
        last_look = !inv_cache_exists(app, lock);
    }
    if (complete) {
        r->nights.count = (size_t)count;
    } else {
        inv_rate_plans_texts_free(r->plans, (size_t)count);
        r->plans = NULL;
        pms_nights_free(&r->nights);
    }
    free(vals);
    inv_keys_free(keys);
    return complete;
}

/* The leader's work: the cross-replica lock, then one PMS call for the span,
 * written to the cache. Never NULL except on OOM. */
static fill_result_t *fill_leader(inv_app_t *app, inv_kind_t kind, const char *hotel_id,
                                  const char *room_type_id, dates_day_t first, int count,
                                  bool redis_ok)
{
    fill_result_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    char lock[INV_KEY_MAX];
    bool locked = false;
    if (redis_ok &&
        inv_key_lock(lock, sizeof lock, inv_kind_name(kind), hotel_id, room_type_id, first,
                     first + count - 1) == 0 &&
        inv_cache_lock(app, lock, app->settings.fill_lock_ttl_s, &locked) == 0 &&
        /* locked: another replica's fill may have ended between our cache
         * miss and the lock — one look before asking the PMS again */
        await_other_replica(app, kind, hotel_id, room_type_id, first, count,
                            locked ? NULL : lock, r)) {
        if (locked)
            inv_cache_del(app, (const char *[]){lock}, 1, NULL);
        metrics_counter_inc(app->metrics.coalesced, inv_kind_name(kind));
        return r;
    }
    /* read before the PMS is asked: a change announced while its answer
     * travels moves it, and the answer is then not cached over the change */
    inv_gens_t gens = {0};
    bool cache = redis_ok &&
                 inv_cache_generations(app, kind, hotel_id, room_type_id, first, count, &gens) == 0;
    const char *vendor = pms_hotel_vendor(app->pms, hotel_id);
    pms_error_t e = {0};
    int64_t t0 = clock_now_ms();
    pms_rate_plans_t plans = {0};
    if (kind == INV_KIND_INVENTORY) {
        r->err = pms_get_inventory(app->pms, hotel_id, room_type_id, first, count, &r->nights, &e);
    } else {
        /* every plan of every night in the one rate key of the night */
        r->err = pms_get_rate_plans(app->pms, hotel_id, room_type_id, first, count, &plans, &e);
        if (r->err == PMS_OK && inv_rate_plans_split(&plans, &r->nights, &r->plans) != 0)
            r->err = PMS_ERR_TRANSIENT; /* out of memory */
        pms_rate_plans_free(&plans);
    }
    metrics_histogram_observe(app->metrics.pms_fetch, (double)(clock_now_ms() - t0) / 1000.0,
                              vendor, inv_kind_name(kind));
    if (r->err == PMS_OK) {
        if (cache)
            store_nights(app, kind, hotel_id, room_type_id, &gens, &r->nights, r->plans);
    } else {
        snprintf(r->message, sizeof r->message, "%s", e.message);
        metrics_counter_inc(app->metrics.pms_errors, vendor, inv_kind_name(kind),
                            pms_err_name(r->err));
    }
    inv_gens_free(&gens);
    if (locked)
        inv_cache_del(app, (const char *[]){lock}, 1, NULL);
    return r;
}

/* Fills the unknown nights of out from one coalesced fill of
 * [span_first, span_first + span_count). Returns the fill's PMS outcome. */
static pms_err_t fill_span(inv_app_t *app, inv_kind_t kind, const char *hotel_id,
                           const char *room_type_id, dates_day_t span_first, int span_count,
                           bool redis_ok, inv_nights_t *out, bool *known, char *msg,
                           size_t msg_size)
{
    char key[INV_KEY_MAX + 64];
    snprintf(key, sizeof key, "%d:%s:%s:%d:%d", (int)kind, hotel_id, room_type_id, (int)span_first,
             span_count);
    bool leader = false;
    sf_call_t *call = sf_join(app->flights, key, &leader);
    if (!call) {
        snprintf(msg, msg_size, "out of memory");
        return PMS_ERR_TRANSIENT;
    }
    if (leader)
        sf_complete(
            app->flights, call,
            fill_leader(app, kind, hotel_id, room_type_id, span_first, span_count, redis_ok),
            fill_result_free);
    else
        metrics_counter_inc(app->metrics.coalesced, inv_kind_name(kind));
    const fill_result_t *r = sf_wait(app->flights, call);
    pms_err_t err = r ? r->err : PMS_ERR_TRANSIENT;
    if (r && r->err == PMS_OK) {
        for (size_t i = 0; i < r->nights.count; i++) {
            long idx = (long)r->nights.items[i].date - (long)out->items[0].date;
            if (idx < 0 || idx >= out->count || known[idx])
                continue;
            night_from_pms(kind, &r->nights.items[i], r->nights.currency,
                           r->plans ? r->plans[i] : NULL, &out->items[idx]);
            known[idx] = true;
        }
    } else {
        snprintf(msg, msg_size, "%s", r ? r->message : "out of memory");
    }
    sf_release(app->flights, call);
    return err;
}

/* ---------------------------------------------------------- fallback -- */

/* Fills unknown nights from the shadow keys; true when none is left unknown.
 * *first_unknown receives the first night still unknown. */
static bool fill_from_shadow(inv_app_t *app, inv_kind_t kind, const char *hotel_id,
                             const char *room_type_id, inv_nights_t *out, bool *known,
                             dates_day_t *first_unknown)
{
    size_t n = (size_t)out->count;
    inv_keys_t *keys =
        inv_keys_nights(SHADOW_FAMILY[kind], hotel_id, room_type_id, out->items[0].date, n);
    char **vals = calloc(n, sizeof *vals);
    if (keys && vals && inv_cache_mget(app, keys, vals) == 0) {
        for (size_t i = 0; i < n; i++)
            if (!known[i] && decode_night(kind, vals[i], &out->items[i]) == 0)
                known[i] = true;
        redis_values_free(vals, n);
    }
    free(vals);
    inv_keys_free(keys);
    for (size_t i = 0; i < n; i++) {
        if (!known[i]) {
            *first_unknown = out->items[i].date;
            return false;
        }
    }
    return true;
}

static inv_fetch_status_t status_of_pms_error(pms_err_t e)
{
    if (e == PMS_ERR_NOT_FOUND)
        return INV_FETCH_NOT_FOUND;
    if (e == PMS_ERR_REJECTED || e == PMS_ERR_INVALID)
        return INV_FETCH_REJECTED;
    return INV_FETCH_UNAVAILABLE;
}

/* ------------------------------------------------------------- nights -- */

/* The cache's hit and miss counters for a read of total nights. */
static void count_reads(inv_app_t *app, inv_kind_t kind, int hits, int total)
{
    if (kind == INV_KIND_INVENTORY) {
        metrics_series_add(app->metrics.inventory_hits, hits);
        metrics_series_add(app->metrics.inventory_misses, total - hits);
    } else {
        metrics_counter_add(app->metrics.cache_hits, hits, inv_kind_name(kind));
        metrics_counter_add(app->metrics.cache_misses, total - hits, inv_kind_name(kind));
    }
}

/* Step 1: one MGET of the fresh keys into out (dates set for every night).
 * Returns the hits; *miss_first / *miss_last span the misses (-1 when none);
 * *redis_ok says whether Redis answered. -1 on OOM. counted: the hits and
 * misses go to the metrics (a probe that may be read again does not). */
static int read_fresh(inv_app_t *app, inv_kind_t kind, const char *hotel_id,
                      const char *room_type_id, inv_nights_t *out, bool *known, bool *redis_ok,
                      int *miss_first, int *miss_last, bool counted)
{
    size_t n = (size_t)out->count;
    dates_day_t first = out->items[0].date;
    inv_keys_t *keys = inv_keys_nights(FRESH_FAMILY[kind], hotel_id, room_type_id, first, n);
    char **vals = calloc(n, sizeof *vals);
    int hits = -1;
    *miss_first = *miss_last = -1;
    if (keys && vals) {
        *redis_ok = inv_cache_mget(app, keys, vals) == 0;
        hits = 0;
        for (int i = 0; i < out->count; i++) {
            if (decode_night(kind, vals[i], &out->items[i]) == 0) {
                known[i] = true;
                hits++;
            } else {
                *miss_first = *miss_first < 0 ? i : *miss_first;
                *miss_last = i;
            }
        }
        redis_values_free(vals, n);
        if (counted)
            count_reads(app, kind, hits, out->count);
    }
    free(vals);
    inv_keys_free(keys);
    return hits;
}

/* Step 4: the PMS failed with err (details in msg): serve the shadow copies
 * or say which night is known nowhere. */
static inv_fetch_status_t serve_stale(inv_app_t *app, inv_kind_t kind, const char *hotel_id,
                                      const char *room_type_id, pms_err_t err, inv_nights_t *out,
                                      bool *known, char *msg, size_t msg_size)
{
    dates_day_t missing = out->items[0].date;
    if (fill_from_shadow(app, kind, hotel_id, room_type_id, out, known, &missing)) {
        out->source = INV_SOURCE_STALE;
        metrics_counter_inc(app->metrics.stale, inv_kind_name(kind));
        log_kv(LOG_LEVEL_WARN, "PMS failing: serving last known values", "kind",
               inv_kind_name(kind), "hotelId", hotel_id, "roomTypeId", room_type_id, "error",
               pms_err_name(err), NULL);
        return INV_FETCH_OK;
    }
    char day[DATES_ISO_LEN + 1], reason[256];
    dates_format_iso(missing, day);
    snprintf(reason, sizeof reason, "%s", msg);
    if (err == PMS_ERR_RATE_LIMITED) {
        snprintf(msg, msg_size, "PMS busy (%s) and nothing cached for %s", reason, day);
        return INV_FETCH_BUSY;
    }
    snprintf(msg, msg_size, "PMS unavailable (%s) and nothing cached for %s", reason, day);
    return INV_FETCH_UNAVAILABLE;
}

bool inv_fetch_nights_cached(inv_app_t *app, inv_kind_t kind, const char *hotel_id,
                             const char *room_type_id, dates_day_t first, int count,
                             inv_nights_t *out)
{
    memset(out, 0, sizeof *out);
    bool *known = count > 0 ? calloc((size_t)count, sizeof *known) : NULL;
    out->items = count > 0 ? calloc((size_t)count, sizeof *out->items) : NULL;
    out->count = count;
    bool redis_ok = false;
    int miss_first = -1, miss_last = -1, hits = -1;
    if (known && out->items) {
        for (int i = 0; i < count; i++)
            out->items[i].date = first + i;
        hits = read_fresh(app, kind, hotel_id, room_type_id, out, known, &redis_ok, &miss_first,
                          &miss_last, false);
    }
    free(known);
    if (hits == count && count > 0)
        count_reads(app, kind, hits, count); /* a miss is counted by the read that follows */
    if (hits != count || count <= 0) {
        inv_nights_free(out);
        return false;
    }
    out->source = INV_SOURCE_CACHE;
    return true;
}

inv_fetch_status_t inv_fetch_nights(inv_app_t *app, inv_kind_t kind, const char *hotel_id,
                                    const char *room_type_id, dates_day_t first, int count,
                                    inv_nights_t *out, char *msg, size_t msg_size)
{
    memset(out, 0, sizeof *out);
    bool *known = calloc((size_t)count, sizeof *known);
    out->items = calloc((size_t)count, sizeof *out->items);
    out->count = count;
    inv_fetch_status_t status = INV_FETCH_UNAVAILABLE;
    bool redis_ok = false;
    int miss_first = -1, miss_last = -1, hits = -1;
    if (known && out->items) {
        for (int i = 0; i < count; i++)
            out->items[i].date = first + i;
        hits = read_fresh(app, kind, hotel_id, room_type_id, out, known, &redis_ok, &miss_first,
                          &miss_last, true);
    }
    if (hits < 0) {
        snprintf(msg, msg_size, "out of memory");
        goto done;
    }
    if (hits == count) {
        out->source = INV_SOURCE_CACHE;
        status = INV_FETCH_OK;
        goto done;
    }
    int span = miss_last - miss_first + 1;
    /* Rates: the day after the read too, in the same PMS call. A stay whose
     * rates a guest reads is read again with its departure day when it is
     * booked (the closed-to-departure rule), and that day would otherwise
     * cost the checkout a PMS call of its own. */
    if (kind == INV_KIND_RATES && miss_last == count - 1 && span < PMS_MAX_NIGHTS)
        span++;
    pms_err_t err = fill_span(app, kind, hotel_id, room_type_id, first + miss_first, span,
                              redis_ok, out, known, msg, msg_size);
    bool all = true;
    for (int i = 0; i < count; i++)
        all = all && known[i];
    if (err == PMS_OK && all) {
        out->source = INV_SOURCE_PMS;
        status = INV_FETCH_OK;
        goto done;
    }
    if (err == PMS_OK)
        snprintf(msg, msg_size, "the PMS answered without some nights");
    status = status_of_pms_error(err);
    if (status == INV_FETCH_UNAVAILABLE)
        status = serve_stale(app, kind, hotel_id, room_type_id, err, out, known, msg, msg_size);
done:
    if (status != INV_FETCH_OK)
        inv_nights_free(out);
    free(known);
    return status;
}

/* --------------------------------------------------------- room types -- */

char *inv_room_types_to_json(const pms_room_types_t *rt)
{
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; arr && i < rt->count; i++) {
        const pms_room_type_t *t = &rt->items[i];
        struct json_object *o = json_object_new_object(), *photos = json_object_new_array();
        json_object_object_add(o, "roomTypeId", json_object_new_string(t->id));
        json_object_object_add(o, "name", json_object_new_string(t->name));
        json_object_object_add(o, "maxOccupancy",
                               json_object_new_int(t->max_occupancy > 0 ? t->max_occupancy : 1));
        json_object_object_add(o, "totalRooms",
                               json_object_new_int(t->total_rooms > 0 ? t->total_rooms : 0));
        /* the guests the rate includes, where the PMS prices occupancy */
        if (t->adults_included > 0) {
            json_object_object_add(o, "adultsIncluded", json_object_new_int(t->adults_included));
            json_object_object_add(o, "childrenIncluded",
                                   json_object_new_int(t->children_included));
        }
        for (size_t p = 0; p < t->photo_count; p++)
            json_object_array_add(photos, json_object_new_string(t->photos[p]));
        json_object_object_add(o, "photos", photos);
        json_object_array_add(arr, o);
    }
    char *text = arr ? json_to_string_dup(arr) : NULL;
    json_object_put(arr);
    return text;
}

int inv_cache_store_room_types(inv_app_t *app, const char *hotel_id, const char *json)
{
    char fresh[INV_KEY_MAX], shadow[INV_KEY_MAX];
    if (inv_key_rooms(fresh, sizeof fresh, hotel_id, false) != 0 ||
        inv_key_rooms(shadow, sizeof shadow, hotel_id, true) != 0)
        return -1;
    const char *fk[] = {fresh}, *sk[] = {shadow}, *v[] = {json};
    return inv_cache_set_many(app, sk, v, 1, app->settings.shadow_ttl_s) == 0 &&
                   inv_cache_set_many(app, fk, v, 1, app->settings.rooms_ttl_s) == 0
               ? 0
               : -1;
}

typedef struct rooms_result {
    pms_err_t err;
    char message[256];
    char *json;
} rooms_result_t;

static void rooms_result_free(void *p)
{
    rooms_result_t *r = p;
    if (r) {
        free(r->json);
        free(r);
    }
}

static rooms_result_t *rooms_leader(inv_app_t *app, const char *hotel_id)
{
    rooms_result_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    const char *vendor = pms_hotel_vendor(app->pms, hotel_id);
    pms_room_types_t rt = {0};
    pms_error_t e = {0};
    int64_t t0 = clock_now_ms();
    r->err = pms_get_room_types(app->pms, hotel_id, &rt, &e);
    metrics_histogram_observe(app->metrics.pms_fetch, (double)(clock_now_ms() - t0) / 1000.0,
                              vendor, "room_types");
    if (r->err == PMS_OK) {
        r->json = inv_room_types_to_json(&rt);
        if (!r->json) {
            r->err = PMS_ERR_TRANSIENT;
            snprintf(r->message, sizeof r->message, "out of memory");
        } else {
            inv_cache_store_room_types(app, hotel_id, r->json);
        }
    } else {
        snprintf(r->message, sizeof r->message, "%s", e.message);
        metrics_counter_inc(app->metrics.pms_errors, vendor, "room_types", pms_err_name(r->err));
    }
    pms_room_types_free(&rt);
    return r;
}

/* A coalesced PMS fetch of the room list into out->json; the PMS outcome. */
static pms_err_t fill_room_types(inv_app_t *app, const char *hotel_id, inv_room_types_t *out,
                                 char *msg, size_t msg_size)
{
    char flight[INV_KEY_MAX + 8];
    snprintf(flight, sizeof flight, "rooms:%s", hotel_id);
    bool leader = false;
    sf_call_t *call = sf_join(app->flights, flight, &leader);
    if (!call) {
        snprintf(msg, msg_size, "out of memory");
        return PMS_ERR_TRANSIENT;
    }
    if (leader)
        sf_complete(app->flights, call, rooms_leader(app, hotel_id), rooms_result_free);
    else
        metrics_counter_inc(app->metrics.coalesced, "room_types");
    const rooms_result_t *r = sf_wait(app->flights, call);
    pms_err_t err = r ? r->err : PMS_ERR_TRANSIENT;
    if (err == PMS_OK && !(out->json = strdup(r->json)))
        err = PMS_ERR_TRANSIENT;
    if (err != PMS_OK)
        snprintf(msg, msg_size, "%s", r && r->err != PMS_OK ? r->message : "out of memory");
    sf_release(app->flights, call);
    return err;
}

inv_fetch_status_t inv_fetch_room_types(inv_app_t *app, const char *hotel_id, inv_room_types_t *out,
                                        char *msg, size_t msg_size)
{
    memset(out, 0, sizeof *out);
    char key[INV_KEY_MAX];
    if (inv_key_rooms(key, sizeof key, hotel_id, false) != 0) {
        snprintf(msg, msg_size, "hotelId too long");
        return INV_FETCH_REJECTED;
    }
    if (inv_cache_get(app, key, &out->json) == 0 && out->json) {
        metrics_counter_inc(app->metrics.cache_hits, "room_types");
        out->source = INV_SOURCE_CACHE;
        return INV_FETCH_OK;
    }
    metrics_counter_inc(app->metrics.cache_misses, "room_types");
    pms_err_t err = fill_room_types(app, hotel_id, out, msg, msg_size);
    if (err == PMS_OK) {
        out->source = INV_SOURCE_PMS;
        return INV_FETCH_OK;
    }
    inv_fetch_status_t status = status_of_pms_error(err);
    if (status != INV_FETCH_UNAVAILABLE)
        return status;
    if (inv_key_rooms(key, sizeof key, hotel_id, true) == 0 &&
        inv_cache_get(app, key, &out->json) == 0 && out->json) {
        out->source = INV_SOURCE_STALE;
        metrics_counter_inc(app->metrics.stale, "room_types");
        log_kv(LOG_LEVEL_WARN, "PMS failing: serving last known room types", "hotelId", hotel_id,
               "error", pms_err_name(err), NULL);
        return INV_FETCH_OK;
    }
    char reason[256];
    snprintf(reason, sizeof reason, "%s", msg);
    snprintf(msg, msg_size, "PMS %s (%s) and no room types cached for hotel %s",
             err == PMS_ERR_RATE_LIMITED ? "busy" : "unavailable", reason, hotel_id);
    return err == PMS_ERR_RATE_LIMITED ? INV_FETCH_BUSY : INV_FETCH_UNAVAILABLE;
}
