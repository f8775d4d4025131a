/*
 * admin_onboard.c — the "add lodging product" flow over HTTP (see
 * admin_onboard.h): vendors, preview, save.
 */
#include "admin_onboard.h"

#include <ctype.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin_api.h"
#include "admin_hotels.h"
#include "cache.h"
#include "common/auth.h"
#include "common/dates.h"
#include "common/http_audit.h"
#include "common/json.h"
#include "common/log.h"
#include "common/money.h"
#include "common/pms_keys.h"
#include "fetch.h"
#include "query.h"
#include "store.h"

#define API_KEY_MAX 512
#define ROOM_TYPES_MAX 100
#define POLL_INTERVAL_MIN_S 30
#define POLL_INTERVAL_MAX_S 86400
#define POLL_INTERVAL_DEFAULT_S 300
/* A PMS budget spent by the preview just before is waited for this long at
 * most: the person clicking Save should not see PMS_BUSY for their own preview. */
#define BUDGET_PATIENCE_MS 10000
#define SAVE_ATTEMPTS 3

/* ------------------------------------------------------------ vendors -- */

/* What the dialog asks per vendor: the connector names the vendors, this
 * table says how people call their ids and credentials. */
typedef struct vendor_info {
    const char *vendor, *name, *hotel_id_label;
    bool per_hotel_key; /* false: credentials are platform-wide */
} vendor_info_t;

static const vendor_info_t VENDOR_INFO[] = {
    {"cloudbeds", "Cloudbeds", "Property ID", true},
    /* OHIP's integration user is the environment's (PMS_OPERA_USERNAME); a
     * hotel's own "username:password" may still be given as its key */
    {"opera", "Oracle OPERA Cloud (OHIP)", "Hotel code", false},
};

static const vendor_info_t *vendor_info(const char *vendor)
{
    for (size_t i = 0; i < sizeof VENDOR_INFO / sizeof *VENDOR_INFO; i++)
        if (strcmp(VENDOR_INFO[i].vendor, vendor) == 0)
            return &VENDOR_INFO[i];
    return NULL;
}

int admin_vendors_list(http_request_t *req, void *ctx)
{
    inv_app_t *app = ctx;
    struct json_object *list = json_object_new_array();
    for (const char *const *v = pms_vendors(); *v; v++) {
        const vendor_info_t *info = vendor_info(*v);
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "vendor", json_object_new_string(*v));
        json_object_object_add(o, "name", json_object_new_string(info ? info->name : *v));
        /* every vendor with a connector serves the hotels configured with it;
         * the deployment's default connector is the dialog's first choice */
        json_object_object_add(o, "active", json_object_new_boolean(1));
        json_object_object_add(
            o, "default", json_object_new_boolean(strcmp(*v, pms_connector_vendor(app->pms)) == 0));
        json_object_object_add(o, "hotelIdLabel",
                               json_object_new_string(info ? info->hotel_id_label : "Hotel ID"));
        struct json_object *creds = json_object_new_array();
        if (!info || info->per_hotel_key) {
            struct json_object *c = json_object_new_object();
            json_object_object_add(c, "field", json_object_new_string("apiKey"));
            json_object_object_add(c, "label", json_object_new_string("API key"));
            json_object_object_add(c, "secret", json_object_new_boolean(1));
            json_object_array_add(creds, c);
        }
        json_object_object_add(o, "credentials", creds);
        json_object_array_add(list, o);
    }
    int rc = http_respond_json(req, 200, list);
    json_object_put(list);
    return rc;
}

/* ------------------------------------------------------------ answers -- */

static int respond_json_error(http_request_t *req, int status, const char *code, const char *field,
                              const char *message, struct json_object *extra)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "success", json_object_new_boolean(0));
    json_object_object_add(o, "error", json_object_new_string(message));
    json_object_object_add(o, "errorCode", json_object_new_string(code));
    if (field)
        json_object_object_add(o, "field", json_object_new_string(field));
    if (extra) {
        json_object_object_foreach(extra, k, v)
        {
            json_object_object_add(o, k, json_object_get(v));
        }
    }
    int rc = http_respond_json(req, status, o);
    json_object_put(o);
    return rc;
}

int admin_respond_pms_error(http_request_t *req, inv_app_t *app, const char *hotel_id,
                            const pms_error_t *e)
{
    const char *breaker = breaker_state_name(pms_breaker_state(app->pms, hotel_id));
    struct json_object *extra = json_object_new_object();
    json_object_object_add(extra, "breakerState", json_object_new_string(breaker));
    if (e->http_status > 0)
        json_object_object_add(extra, "pmsStatus", json_object_new_int(e->http_status));
    char msg[512], retry[24];
    int status = 502;
    const char *code = "PMS_UNAVAILABLE", *field = NULL;
    long retry_s = e->retry_after_ms > 0 ? (long)((e->retry_after_ms + 999) / 1000) : 1;
    switch (e->code) {
    case PMS_ERR_NOT_FOUND:
        status = 404, code = "HOTEL_NOT_FOUND", field = "hotelId";
        snprintf(msg, sizeof msg, "The PMS does not know hotel %s: check the hotel's id (%s)",
                 hotel_id, e->message);
        break;
    case PMS_ERR_AUTH:
        status = 422, code = "PMS_AUTH_FAILED", field = "apiKey";
        snprintf(msg, sizeof msg, "The PMS refused the API key for hotel %s: check the key (%s)",
                 hotel_id, e->message);
        break;
    case PMS_ERR_RATE_LIMITED:
        status = 503, code = "PMS_BUSY";
        snprintf(msg, sizeof msg,
                 "The PMS's request budget for hotel %s is used up right now: try again in %ld s",
                 hotel_id, retry_s);
        break;
    case PMS_ERR_UNAVAILABLE:
        status = 503;
        snprintf(msg, sizeof msg,
                 "The PMS failed repeatedly, so calls to it are paused (breaker %s): try again "
                 "in %ld s",
                 breaker, retry_s);
        break;
    case PMS_ERR_PROTOCOL:
        code = "PMS_PROTOCOL_ERROR";
        snprintf(msg, sizeof msg, "The PMS answered something we cannot read: %s", e->message);
        break;
    case PMS_ERR_REJECTED:
    case PMS_ERR_INVALID:
        status = 400, code = "VALIDATION_ERROR", field = "hotelId";
        snprintf(msg, sizeof msg, "The PMS refused the request: %s", e->message);
        break;
    default:
        snprintf(msg, sizeof msg, "The PMS is down or too slow (%s after %d attempts); breaker %s",
                 e->message, e->attempts, breaker);
        break;
    }
    if (status == 503) {
        snprintf(retry, sizeof retry, "%ld", retry_s);
        http_response_header(req, "Retry-After", retry);
        json_object_object_add(extra, "retryAfterSeconds", json_object_new_int64(retry_s));
    }
    int rc = respond_json_error(req, status, code, field, msg, extra);
    json_object_put(extra);
    return rc;
}

/* ------------------------------------------------------- the request -- */

/* Who may onboard which hotel: an admin limited to some hotels, only those. */
static bool may_onboard(http_request_t *req, const char *hotel_id)
{
    if (auth_principal_may_see_hotel(http_request_principal(req), hotel_id))
        return true;
    http_respond_error(req, 403, "FORBIDDEN", "hotelId",
                       "you may onboard only the hotels your account is limited to");
    return false;
}

typedef struct target {
    const char *vendor, *hotel_id, *api_key; /* api_key NULL: the stored one */
} target_t;

/* vendor, hotelId and apiKey of a preview or save body. 0, or answered. */
static int parse_target(http_request_t *req, inv_app_t *app, struct json_object *body, target_t *t)
{
    json_error_t err;
    if (json_get_text(body, "vendor", true, 1, 32, &t->vendor, &err) != 0 ||
        json_get_string(body, "hotelId", true, 1, 64, &t->hotel_id, &err) != 0 ||
        inv_query_check_id("hotelId", t->hotel_id, &err) != 0 ||
        json_get_text(body, "apiKey", false, 1, API_KEY_MAX, &t->api_key, &err) != 0) {
        http_request_wipe_body(req);
        http_respond_error(req, 400, "VALIDATION_ERROR", err.field, err.message);
        return -1;
    }
    (void)app;
    if (!pms_vendor_known(t->vendor)) {
        char msg[160];
        snprintf(msg, sizeof msg, "this platform has no connector for that vendor (known: %s)",
                 "cloudbeds, opera");
        http_respond_error(req, 400, "UNKNOWN_VENDOR", "vendor", msg);
        return -1;
    }
    return 0;
}

/* A key is there to call the PMS with: the given one or a stored one. */
static bool have_key(http_request_t *req, inv_app_t *app, const target_t *t)
{
    const vendor_info_t *info = vendor_info(t->vendor);
    if (t->api_key || (info && !info->per_hotel_key))
        return true; /* given, or the vendor's credentials are the platform's */
    char key[API_KEY_MAX + 1];
    bool stored = inv_app_key_lookup(app, t->vendor, t->hotel_id, key, sizeof key) == 0;
    crypto_wipe(key, sizeof key);
    if (!stored)
        http_respond_error(req, 400, "VALIDATION_ERROR", "apiKey",
                           "apiKey is required: no key is stored for this hotel");
    return stored;
}

/* --------------------------------------------------------- PMS reads -- */

/* What the PMS says about a hotel: details, room types and the next
 * nights' availability and price of the room types wanted. */
typedef struct snapshot {
    pms_hotel_t hotel;
    pms_room_types_t rt;
    pms_nights_t *nights; /* parallel to rt.items; count 0 when not read */
    dates_day_t first;
    pms_setup_checks_t setup; /* the property settings the connector relies on */
} snapshot_t;

static void snapshot_free(snapshot_t *s)
{
    for (size_t i = 0; s->nights && i < s->rt.count; i++)
        pms_nights_free(&s->nights[i]);
    free(s->nights);
    pms_room_types_free(&s->rt);
    memset(s, 0, sizeof *s);
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Whether a budget refusal is worth waiting out (then waited). */
static bool wait_for_budget(const pms_error_t *e, int64_t deadline_ms)
{
    if (e->code != PMS_ERR_RATE_LIMITED)
        return false;
    int64_t wait = e->retry_after_ms > 0 ? e->retry_after_ms : 200;
    if (clock_now_ms() + wait > deadline_ms)
        return false;
    sleep_ms(wait);
    return true;
}

/* A night's price is what a guest pays: the average is over the nights the
 * PMS priced (OPERA prices only nights it sells: a closed night comes back
 * with no rate, 0, which is no price at all). 0 when none was priced. */
static int64_t average_price(const pms_nights_t *n)
{
    int64_t sum = 0, priced = 0;
    for (size_t i = 0; n && i < n->count; i++)
        if (n->items[i].rate > 0) {
            sum += n->items[i].rate;
            priced++;
        }
    return priced ? (sum + priced / 2) / priced : 0;
}

/* A price for the preview: null when the PMS stated none. */
static struct json_object *price_json(int64_t minor)
{
    return minor > 0 ? json_object_new_int64(minor) : NULL;
}

/* The hotel's details and room types. Runs with the request's key override. */
/* The connector of the vendor the admin named: the hotel has no pms_config
 * row yet to say it. */
static pms_connector_t *vendor_pms(inv_app_t *app, const char *vendor)
{
    pms_connector_t *c = pms_connector_for_vendor(app->pms, vendor);
    return c ? c : app->pms;
}

static pms_err_t snapshot_read_meta(inv_app_t *app, const char *vendor, const char *hotel_id,
                                    snapshot_t *s, int64_t deadline, pms_error_t *e)
{
    pms_connector_t *pms = vendor_pms(app, vendor);
    memset(s, 0, sizeof *s);
    s->first = dates_today_utc();
    pms_err_t rc;
    while ((rc = pms_get_hotel(pms, hotel_id, &s->hotel, e)) != PMS_OK &&
           wait_for_budget(e, deadline))
        ;
    if (rc != PMS_OK)
        return rc;
    while ((rc = pms_get_room_types(pms, hotel_id, &s->rt, e)) != PMS_OK &&
           wait_for_budget(e, deadline))
        ;
    if (rc != PMS_OK)
        return rc;
    /* never fails the read: a check the PMS could not answer is unknown */
    pms_error_t ce = {0};
    pms_check_setup(pms, hotel_id, &s->setup, &ce);
    s->nights = calloc(s->rt.count ? s->rt.count : 1, sizeof *s->nights);
    if (s->nights)
        return PMS_OK;
    e->code = PMS_ERR_TRANSIENT;
    snprintf(e->message, sizeof e->message, "out of memory");
    return PMS_ERR_TRANSIENT;
}

/* The next nights of the room types wanted (want NULL: all), each night's
 * total being the room type's number of rooms. */
static pms_err_t snapshot_read_nights(inv_app_t *app, const char *vendor, const char *hotel_id,
                                      const bool *want, snapshot_t *s, int64_t deadline,
                                      pms_error_t *e)
{
    pms_connector_t *pms = vendor_pms(app, vendor);
    for (size_t i = 0; i < s->rt.count; i++) {
        if (want && !want[i])
            continue;
        const pms_room_type_t *t = &s->rt.items[i];
        pms_err_t rc;
        while ((rc = pms_get_rates(pms, hotel_id, t->id, s->first, ADMIN_ONBOARD_NIGHTS,
                                   &s->nights[i], e)) != PMS_OK &&
               wait_for_budget(e, deadline))
            ;
        if (rc != PMS_OK)
            return rc;
        for (size_t k = 0; k < s->nights[i].count; k++) {
            pms_night_t *n = &s->nights[i].items[k];
            n->total = t->total_rooms > n->available ? t->total_rooms : n->available;
        }
    }
    return PMS_OK;
}

/* ----------------------------------------------------------- preview -- */

/* [{id, state, ok (null when unknown), message}] */
static struct json_object *setup_json(const pms_setup_checks_t *c)
{
    struct json_object *a = json_object_new_array();
    for (size_t i = 0; i < c->count; i++) {
        const pms_setup_check_t *k = &c->items[i];
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_string(k->id));
        json_object_object_add(o, "state", json_object_new_string(pms_setup_state_name(k->state)));
        json_object_object_add(o, "ok",
                               k->state == PMS_SETUP_UNKNOWN
                                   ? NULL
                                   : json_object_new_boolean(k->state == PMS_SETUP_OK));
        json_object_object_add(o, "message", json_object_new_string(k->message));
        json_object_array_add(a, o);
    }
    return a;
}

/* The first setting the PMS says is missing, or NULL. */
static const pms_setup_check_t *setup_missing(const pms_setup_checks_t *c)
{
    for (size_t i = 0; i < c->count; i++)
        if (c->items[i].state == PMS_SETUP_MISSING)
            return &c->items[i];
    return NULL;
}

static struct json_object *photos_json(const pms_room_type_t *t)
{
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; i < t->photo_count; i++) {
        struct json_object *p = json_object_new_object();
        json_object_object_add(p, "url", json_object_new_string(t->photos[i]));
        json_object_object_add(p, "caption", NULL);
        json_object_array_add(arr, p);
    }
    return arr;
}

static struct json_object *nights_json(const pms_nights_t *n)
{
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n->count; i++) {
        char day[DATES_ISO_LEN + 1];
        dates_format_iso(n->items[i].date, day);
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "date", json_object_new_string(day));
        json_object_object_add(o, "available", json_object_new_int(n->items[i].available));
        json_object_object_add(o, "total", json_object_new_int(n->items[i].total));
        json_object_object_add(o, "price", price_json(n->items[i].rate));
        json_object_array_add(arr, o);
    }
    return arr;
}

/* Whether a listing row exists (-1: the database could not say). */
static int listing_exists(inv_app_t *app, const char *vendor, const char *hotel_id)
{
    db_pool_t *pool = inv_store_pool(app->store);
    db_t *db = pool ? db_pool_acquire(pool) : NULL;
    if (!db)
        return -1;
    db_param_t p[] = {DB_STR(vendor), DB_STR(hotel_id)};
    db_result_t *res = NULL;
    int rc = -1;
    if (db_query(db, "SELECT 1 FROM listings WHERE vendor = ? AND hotel_id = ?", p, 2, &res) ==
        DB_OK)
        rc = db_result_rows(res) > 0;
    db_result_free(res);
    db_pool_release(pool, db);
    return rc;
}

static struct json_object *preview_json(inv_app_t *app, const target_t *t, const snapshot_t *s)
{
    const pms_hotel_t *h = &s->hotel;
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "vendor", json_object_new_string(t->vendor));
    json_object_object_add(o, "hotelId", json_object_new_string(t->hotel_id));
    json_object_object_add(o, "name", json_object_new_string(h->name));
    json_object_object_add(o, "address", json_object_new_string(h->address));
    json_object_object_add(o, "city", json_object_new_string(h->city));
    json_object_object_add(o, "country", json_object_new_string(h->country));
    bool located = h->latitude != 0 || h->longitude != 0;
    json_object_object_add(o, "latitude", located ? json_object_new_double(h->latitude) : NULL);
    json_object_object_add(o, "longitude", located ? json_object_new_double(h->longitude) : NULL);
    json_object_object_add(o, "currency", json_object_new_string(h->currency));
    json_object_object_add(o, "timezone", json_object_new_string(h->timezone));
    char from[DATES_ISO_LEN + 1], to[DATES_ISO_LEN + 1];
    dates_format_iso(s->first, from);
    dates_format_iso(s->first + ADMIN_ONBOARD_NIGHTS - 1, to);
    json_object_object_add(o, "from", json_object_new_string(from));
    json_object_object_add(o, "to", json_object_new_string(to));
    struct json_object *types = json_object_new_array();
    for (size_t i = 0; i < s->rt.count; i++) {
        const pms_room_type_t *rt = &s->rt.items[i];
        struct json_object *r = json_object_new_object();
        json_object_object_add(r, "roomTypeId", json_object_new_string(rt->id));
        json_object_object_add(r, "name", json_object_new_string(rt->name));
        json_object_object_add(r, "maxOccupancy", json_object_new_int(rt->max_occupancy));
        json_object_object_add(r, "totalRooms", json_object_new_int(rt->total_rooms));
        json_object_object_add(r, "photos", photos_json(rt));
        json_object_object_add(r, "averagePrice", price_json(average_price(&s->nights[i])));
        json_object_object_add(r, "nights", nights_json(&s->nights[i]));
        json_object_array_add(types, r);
    }
    json_object_object_add(o, "roomTypes", types);
    json_object_object_add(o, "setupChecks", setup_json(&s->setup));
    json_object_object_add(
        o, "onboarded", json_object_new_boolean(listing_exists(app, t->vendor, t->hotel_id) > 0));
    char key[API_KEY_MAX + 1];
    bool stored = pms_keystore_lookup(app->keystore, t->vendor, t->hotel_id, key, sizeof key) == 0;
    crypto_wipe(key, sizeof key);
    json_object_object_add(o, "keyStored", json_object_new_boolean(stored));
    return o;
}

int admin_pms_preview(http_request_t *req, void *ctx)
{
    inv_app_t *app = ctx;
    if (!admin_limit(req, app))
        return 0;
    struct json_object *body = http_request_json_object(req);
    if (!body)
        return 0;
    target_t t = {0};
    int rc = 0;
    if (parse_target(req, app, body, &t) != 0 || !may_onboard(req, t.hotel_id) ||
        !have_key(req, app, &t))
        goto done;
    inv_app_key_override(t.hotel_id, t.api_key);
    snapshot_t s;
    pms_error_t e = {0};
    int64_t deadline = clock_now_ms() + BUDGET_PATIENCE_MS;
    pms_err_t pe = snapshot_read_meta(app, t.vendor, t.hotel_id, &s, deadline, &e);
    if (pe == PMS_OK)
        pe = snapshot_read_nights(app, t.vendor, t.hotel_id, NULL, &s, deadline, &e);
    inv_app_key_override_clear();
    if (pe != PMS_OK) {
        rc = admin_respond_pms_error(req, app, t.hotel_id, &e);
    } else {
        struct json_object *o = preview_json(app, &t, &s);
        rc = http_respond_json(req, 200, o);
        json_object_put(o);
    }
    snapshot_free(&s);
done:
    if (t.api_key) /* json-c's copy of the key */
        crypto_wipe((char *)t.api_key, strlen(t.api_key));
    http_request_wipe_body(req);
    json_object_put(body);
    return rc;
}

/* -------------------------------------------------------------- save -- */

typedef struct listing_form {
    target_t t;
    const char *name, *address, *city, *country, *currency, *timezone;
    bool has_lat, has_lon;
    double lat, lon;
    size_t room_count;
    const char *room_ids[ROOM_TYPES_MAX];
    const char *room_names[ROOM_TYPES_MAX]; /* NULL: the PMS's */
    bool polling;
    int64_t interval_s;
} listing_form_t;

static int fail_field(json_error_t *err, const char *field, const char *fmt, const char *arg)
{
    snprintf(err->field, sizeof err->field, "%s", field);
    snprintf(err->message, sizeof err->message, fmt, field, arg ? arg : "");
    return -1;
}

/* An optional number in [min, max] (null = absent). */
static int get_coordinate(struct json_object *body, const char *key, double min, double max,
                          bool *has, double *out, json_error_t *err)
{
    struct json_object *v;
    *has = false;
    if (!json_object_object_get_ex(body, key, &v) || !v)
        return 0;
    if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
        return fail_field(err, key, "%s must be a number%s", NULL);
    *out = json_object_get_double(v);
    if (!isfinite(*out) || *out < min || *out > max)
        return fail_field(err, key, "%s is out of range%s", NULL);
    *has = true;
    return 0;
}

/* An optional text that may also be null. */
static int get_optional_text(struct json_object *body, const char *key, size_t max,
                             const char **out, json_error_t *err)
{
    struct json_object *v;
    *out = NULL;
    if (json_object_object_get_ex(body, key, &v) && !v)
        return 0;
    return json_get_text(body, key, false, 0, max, out, err);
}

static bool is_upper_code(const char *s, size_t len)
{
    if (strlen(s) != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isupper((unsigned char)s[i]))
            return false;
    return true;
}

static int parse_rooms(struct json_object *body, listing_form_t *f, json_error_t *err)
{
    struct json_object *arr;
    if (json_get_array(body, "roomTypes", true, &arr, err) != 0)
        return -1;
    size_t n = json_object_array_length(arr);
    if (n == 0 || n > ROOM_TYPES_MAX)
        return fail_field(err, "roomTypes", "%s must list 1 to 100 room types to sell%s", NULL);
    for (size_t i = 0; i < n; i++) {
        struct json_object *item = json_object_array_get_idx(arr, i);
        char path[64];
        snprintf(path, sizeof path, "roomTypes[%zu]", i);
        if (!json_object_is_type(item, json_type_object))
            return fail_field(err, path, "%s must be an object%s", NULL);
        json_error_t inner;
        if (json_get_string(item, "roomTypeId", true, 1, 64, &f->room_ids[i], &inner) != 0 ||
            inv_query_check_id("roomTypeId", f->room_ids[i], &inner) != 0 ||
            json_get_text(item, "name", false, 1, 255, &f->room_names[i], &inner) != 0) {
            snprintf(err->field, sizeof err->field, "%.20s.%.64s", path, inner.field);
            snprintf(err->message, sizeof err->message, "%.20s.%.160s", path, inner.message);
            return -1;
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(f->room_ids[k], f->room_ids[i]) == 0) {
                snprintf(path, sizeof path, "roomTypes[%zu].roomTypeId", i);
                return fail_field(err, path, "%s names room type %s twice", f->room_ids[i]);
            }
    }
    f->room_count = n;
    return 0;
}

/* Every field of the save body but vendor, hotelId and apiKey. 0 or -1. */
static int parse_form(struct json_object *body, listing_form_t *f, json_error_t *err)
{
    if (json_get_text(body, "name", true, 1, 255, &f->name, err) != 0 ||
        get_optional_text(body, "address", 512, &f->address, err) != 0 ||
        get_optional_text(body, "city", 128, &f->city, err) != 0 ||
        get_optional_text(body, "country", 2, &f->country, err) != 0 ||
        json_get_text(body, "currency", true, 3, 3, &f->currency, err) != 0 ||
        get_optional_text(body, "timezone", 64, &f->timezone, err) != 0 ||
        get_coordinate(body, "latitude", -90, 90, &f->has_lat, &f->lat, err) != 0 ||
        get_coordinate(body, "longitude", -180, 180, &f->has_lon, &f->lon, err) != 0)
        return -1;
    if (!is_upper_code(f->currency, 3) || !money_currency_known(f->currency))
        return fail_field(err, "currency", "%s must be an ISO 4217 code we know, e.g. KRW%s", NULL);
    if (f->country && *f->country && !is_upper_code(f->country, 2))
        return fail_field(err, "country", "%s must be an ISO 3166-1 alpha-2 code, e.g. KR%s", NULL);
    if (json_get_bool(body, "pollingEnabled", false, true, &f->polling, err) != 0 ||
        json_get_int64(body, "pollingIntervalSeconds", false, POLL_INTERVAL_MIN_S,
                       POLL_INTERVAL_MAX_S, POLL_INTERVAL_DEFAULT_S, &f->interval_s, err) != 0)
        return -1;
    return parse_rooms(body, f, err);
}

/* The PMS's index of each chosen room type into want/index. 0, or -1 with
 * the first unknown one named. */
static int match_rooms(const listing_form_t *f, const snapshot_t *s, bool *want, size_t *index,
                       json_error_t *err)
{
    for (size_t i = 0; i < f->room_count; i++) {
        size_t k = 0;
        while (k < s->rt.count && strcmp(s->rt.items[k].id, f->room_ids[i]) != 0)
            k++;
        if (k == s->rt.count) {
            char path[64];
            snprintf(path, sizeof path, "roomTypes[%zu].roomTypeId", i);
            return fail_field(err, path, "%s: the PMS has no room type %s for this hotel",
                              f->room_ids[i]);
        }
        want[k] = true;
        index[i] = k;
    }
    return 0;
}

/* ---- the transaction ---- */

typedef struct save_ctx {
    inv_app_t *app;
    http_request_t *req;
    const listing_form_t *f;
    const snapshot_t *s;
    const size_t *index;
    const inv_gens_t *gens; /* per room type of s and kind, read before its nights */
    const bool *gen_read;   /* false: Redis did not answer, nothing to warm */
    const uint8_t *blob;    /* NULL: keep the stored key */
    size_t blob_len;
    const char *key_id;
    bool created;
    int nights_saved;
} save_ctx_t;

static db_err_t upsert_listing(db_t *db, save_ctx_t *c)
{
    const listing_form_t *f = c->f;
    char lat[32], lon[32];
    snprintf(lat, sizeof lat, "%.6f", f->lat);
    snprintf(lon, sizeof lon, "%.6f", f->lon);
    db_param_t p[] = {DB_STR(f->t.vendor),
                      DB_STR(f->t.hotel_id),
                      DB_STR(f->name),
                      DB_STR(f->address && *f->address ? f->address : NULL),
                      DB_STR(f->city && *f->city ? f->city : NULL),
                      DB_STR(f->country && *f->country ? f->country : NULL),
                      f->has_lat ? DB_STR(lat) : DB_NULL,
                      f->has_lon ? DB_STR(lon) : DB_NULL,
                      DB_STR(f->currency),
                      DB_STR(f->timezone && *f->timezone ? f->timezone : NULL)};
    uint64_t affected = 0;
    /* the UNIQUE (vendor, hotel_id) key makes a second save of the same
     * hotel — or two at once — an update of the one row */
    db_err_t e = db_exec(db,
                         "INSERT INTO listings (vendor, hotel_id, name, address, city, country, "
                         "latitude, longitude, currency, timezone) VALUES (?, ?, ?, ?, ?, ?, ?, "
                         "?, ?, ?) ON DUPLICATE KEY UPDATE name = VALUES(name), "
                         "address = VALUES(address), city = VALUES(city), "
                         "country = VALUES(country), latitude = VALUES(latitude), "
                         "longitude = VALUES(longitude), currency = VALUES(currency), "
                         "timezone = VALUES(timezone), updated_at = CURRENT_TIMESTAMP(3)",
                         p, 10, &affected, NULL);
    c->created = e == DB_OK && affected == 1;
    return e;
}

static db_err_t upsert_room(db_t *db, save_ctx_t *c, size_t i)
{
    const listing_form_t *f = c->f;
    const pms_room_type_t *t = &c->s->rt.items[c->index[i]];
    const pms_nights_t *n = &c->s->nights[c->index[i]];
    struct json_object *photos = json_object_new_array();
    for (size_t k = 0; k < t->photo_count; k++)
        json_object_array_add(photos, json_object_new_string(t->photos[k]));
    char *photos_json = json_to_string_dup(photos);
    json_object_put(photos);
    char avg[32];
    if (!photos_json ||
        money_to_decimal_text(average_price(n), n->currency[0] ? n->currency : f->currency, avg,
                              sizeof avg) != 0) {
        free(photos_json);
        return DB_ERR_INVALID;
    }
    db_param_t p[] = {DB_STR(f->t.vendor),
                      DB_STR(f->t.hotel_id),
                      DB_STR(t->id),
                      DB_STR(f->room_names[i] ? f->room_names[i] : t->name),
                      DB_INT(t->max_occupancy > 0 ? t->max_occupancy : 1),
                      DB_INT(t->total_rooms > 0 ? t->total_rooms : 0),
                      DB_STR(avg),
                      DB_STR(photos_json)};
    db_err_t e = db_exec(db,
                         "INSERT INTO room_types (vendor, hotel_id, room_type_id, name, "
                         "max_occupancy, total_rooms, average_price, photos) VALUES (?, ?, ?, ?, "
                         "?, ?, ?, ?) ON DUPLICATE KEY UPDATE name = VALUES(name), "
                         "max_occupancy = VALUES(max_occupancy), "
                         "total_rooms = VALUES(total_rooms), "
                         "average_price = VALUES(average_price), photos = VALUES(photos)",
                         p, 8, NULL, NULL);
    free(photos_json);
    return e;
}

static db_err_t upsert_nights(db_t *db, save_ctx_t *c, size_t i)
{
    const listing_form_t *f = c->f;
    const char *room = c->s->rt.items[c->index[i]].id;
    const pms_nights_t *n = &c->s->nights[c->index[i]];
    const char *currency = n->currency[0] ? n->currency : f->currency;
    db_err_t e = DB_OK;
    for (size_t k = 0; e == DB_OK && k < n->count; k++) {
        char day[DATES_ISO_LEN + 1], price[32];
        dates_format_iso(n->items[k].date, day);
        if (money_to_decimal_text(n->items[k].rate, currency, price, sizeof price) != 0)
            return DB_ERR_INVALID;
        bool unknown = n->items[k].count_unknown; /* OPERA: bookable or not, no count */
        int available = n->items[k].available < 0 ? 0 : n->items[k].available;
        if (unknown && available > 1)
            available = 1;
        int total = unknown ? available
                    : n->items[k].total > available ? n->items[k].total
                                                    : available;
        db_param_t inv[] = {DB_STR(f->t.vendor), DB_STR(f->t.hotel_id), DB_STR(room),
                            DB_STR(day),         DB_INT(available),     DB_INT(total),
                            DB_INT(unknown ? 0 : 1)};
        e = db_exec(db,
                    "INSERT INTO room_inventory (vendor, hotel_id, room_type_id, stay_date, "
                    "available, total, count_known) VALUES (?, ?, ?, ?, ?, ?, ?) ON DUPLICATE "
                    "KEY UPDATE available = VALUES(available), total = VALUES(total), "
                    "count_known = VALUES(count_known), synced_at = CURRENT_TIMESTAMP(3)",
                    inv, 7, NULL, NULL);
        db_param_t rate[] = {DB_STR(f->t.vendor), DB_STR(f->t.hotel_id),
                             DB_STR(room),        DB_STR(INV_BASE_RATE_PLAN_ID),
                             DB_STR(day),         DB_STR(price),
                             DB_STR(currency)};
        /* a night the PMS did not price (OPERA: not for sale) has no price
         * to store: a row keeps its last known one, as the sync does */
        if (e == DB_OK && n->items[k].rate > 0)
            e = db_exec(db,
                        "INSERT INTO rate_plan (vendor, hotel_id, room_type_id, rate_plan_id, "
                        "stay_date, price, currency) VALUES (?, ?, ?, ?, ?, ?, ?) ON DUPLICATE "
                        "KEY UPDATE price = VALUES(price), currency = VALUES(currency), "
                        "synced_at = CURRENT_TIMESTAMP(3)",
                        rate, 7, NULL, NULL);
        if (e == DB_OK)
            c->nights_saved++;
    }
    return e;
}

/* Room types no longer chosen leave room_types with their nights. */
static db_err_t drop_unchosen(db_t *db, save_ctx_t *c)
{
    const listing_form_t *f = c->f;
    db_param_t p[] = {DB_STR(f->t.vendor), DB_STR(f->t.hotel_id)};
    db_result_t *res = NULL;
    db_err_t e = db_query(db,
                          "SELECT room_type_id FROM room_types WHERE vendor = ? AND hotel_id = ? "
                          "FOR UPDATE",
                          p, 2, &res);
    static const char *const DELETES[] = {
        "DELETE FROM room_types WHERE vendor = ? AND hotel_id = ? AND room_type_id = ?",
        "DELETE FROM room_inventory WHERE vendor = ? AND hotel_id = ? AND room_type_id = ?",
        "DELETE FROM rate_plan WHERE vendor = ? AND hotel_id = ? AND room_type_id = ?"};
    for (size_t r = 0; e == DB_OK && r < db_result_rows(res); r++) {
        const char *id = db_result_text(res, r, 0);
        bool chosen = false;
        for (size_t i = 0; i < f->room_count && !chosen; i++)
            chosen = strcmp(f->room_ids[i], id) == 0;
        db_param_t d[] = {DB_STR(f->t.vendor), DB_STR(f->t.hotel_id), DB_STR(id)};
        for (size_t k = 0; !chosen && e == DB_OK && k < 3; k++)
            e = db_exec(db, DELETES[k], d, 3, NULL, NULL);
    }
    db_result_free(res);
    return e;
}

static db_err_t upsert_config(db_t *db, save_ctx_t *c)
{
    const listing_form_t *f = c->f;
    /* turning polling on clears a stop (manual or after failures) and makes
     * the hotel due at once; off is a stop by hand */
    const char *sql_key =
        "INSERT INTO pms_config (vendor, hotel_id, api_key_enc, api_key_key_id, "
        "polling_enabled, polling_interval_seconds, stopped_reason) VALUES (?, ?, ?, ?, ?, ?, "
        "IF(?, NULL, 'manual')) ON DUPLICATE KEY UPDATE api_key_enc = VALUES(api_key_enc), "
        "api_key_key_id = VALUES(api_key_key_id), "
        "polling_interval_seconds = VALUES(polling_interval_seconds), "
        "error_count = IF(VALUES(polling_enabled) AND NOT polling_enabled, 0, error_count), "
        "next_sync_at = IF(VALUES(polling_enabled) AND NOT polling_enabled, NULL, "
        "IF(VALUES(polling_enabled), next_sync_at, NULL)), "
        "stopped_reason = VALUES(stopped_reason), polling_enabled = VALUES(polling_enabled)";
    const char *sql_keep =
        "INSERT INTO pms_config (vendor, hotel_id, polling_enabled, polling_interval_seconds, "
        "stopped_reason) VALUES (?, ?, ?, ?, IF(?, NULL, 'manual')) ON DUPLICATE KEY UPDATE "
        "polling_interval_seconds = VALUES(polling_interval_seconds), "
        "error_count = IF(VALUES(polling_enabled) AND NOT polling_enabled, 0, error_count), "
        "next_sync_at = IF(VALUES(polling_enabled) AND NOT polling_enabled, NULL, "
        "IF(VALUES(polling_enabled), next_sync_at, NULL)), "
        "stopped_reason = VALUES(stopped_reason), polling_enabled = VALUES(polling_enabled)";
    if (c->blob) {
        db_param_t p[] = {DB_STR(f->t.vendor), DB_STR(f->t.hotel_id), DB_BLOB(c->blob, c->blob_len),
                          DB_STR(c->key_id),   DB_INT(f->polling),    DB_INT(f->interval_s),
                          DB_INT(f->polling)};
        return db_exec(db, sql_key, p, 7, NULL, NULL);
    }
    db_param_t p[] = {DB_STR(f->t.vendor), DB_STR(f->t.hotel_id), DB_INT(f->polling),
                      DB_INT(f->interval_s), DB_INT(f->polling)};
    return db_exec(db, sql_keep, p, 5, NULL, NULL);
}

static char *audit_detail(const save_ctx_t *c)
{
    struct json_object *d = json_object_new_object();
    json_object_object_add(d, "vendor", json_object_new_string(c->f->t.vendor));
    json_object_object_add(d, "name", json_object_new_string(c->f->name));
    struct json_object *rooms = json_object_new_array();
    for (size_t i = 0; i < c->f->room_count; i++)
        json_object_array_add(rooms, json_object_new_string(c->f->room_ids[i]));
    json_object_object_add(d, "roomTypes", rooms);
    json_object_object_add(d, "keyChanged", json_object_new_boolean(c->blob != NULL));
    json_object_object_add(d, "pollingEnabled", json_object_new_boolean(c->f->polling));
    char *text = json_to_string_dup(d);
    json_object_put(d);
    return text;
}

/* The whole save in one transaction. DB_OK, or the error (rolled back). */
static db_err_t save_once(db_t *db, save_ctx_t *c)
{
    c->nights_saved = 0;
    db_err_t e = db_begin(db);
    if (e == DB_OK)
        e = upsert_listing(db, c);
    for (size_t i = 0; e == DB_OK && i < c->f->room_count; i++)
        e = upsert_room(db, c, i);
    if (e == DB_OK)
        e = drop_unchosen(db, c);
    for (size_t i = 0; e == DB_OK && i < c->f->room_count; i++)
        e = upsert_nights(db, c, i);
    if (e == DB_OK)
        e = upsert_config(db, c);
    if (e == DB_OK) {
        char *detail = audit_detail(c);
        if (http_audit(db, c->req, c->created ? "listing.create" : "listing.update",
                       c->f->t.hotel_id, NULL, detail) != 0)
            e = DB_ERR_QUERY;
        free(detail);
    }
    if (e == DB_OK)
        e = db_commit(db);
    if (e != DB_OK)
        db_rollback(db);
    return e;
}

static db_err_t save_all(save_ctx_t *c)
{
    db_pool_t *pool = inv_store_pool(c->app->store);
    db_t *db = pool ? db_pool_acquire(pool) : NULL;
    if (!db)
        return DB_ERR_CONNECT;
    db_err_t e = DB_OK;
    for (int attempt = 0; attempt < SAVE_ATTEMPTS; attempt++) {
        e = save_once(db, c);
        if (e != DB_ERR_DEADLOCK && e != DB_ERR_LOCK_TIMEOUT)
            break;
    }
    if (e != DB_OK)
        log_kv(LOG_LEVEL_ERROR, "listing save failed", "hotelId", c->f->t.hotel_id, "error",
               db_error(db), NULL);
    db_pool_release(pool, db);
    return e;
}

/* ---- after the commit ---- */

/* The hotel's rows as saved, for the answer; NULL when unreadable. */
static struct json_object *saved_json(inv_app_t *app, const save_ctx_t *c, bool warmed);

/* Warms the cache with what was just read from the PMS, so the booking
 * site's first reads of the hotel are cache hits. True when every write
 * went through. */
static bool warm_cache(inv_app_t *app, const save_ctx_t *c)
{
    bool ok = true;
    char *rooms = inv_room_types_to_json(&c->s->rt);
    if (!rooms || inv_cache_store_room_types(app, c->f->t.hotel_id, rooms) != 0)
        ok = false;
    free(rooms);
    for (size_t i = 0; i < c->f->room_count; i++) {
        size_t k = c->index[i];
        const pms_nights_t *n = &c->s->nights[k];
        const char *id = c->s->rt.items[k].id;
        if (!c->gen_read[k] ||
            inv_cache_store_nights(app, INV_KIND_INVENTORY, c->f->t.hotel_id, id, &c->gens[2 * k],
                                   n) != 0 ||
            inv_cache_store_nights(app, INV_KIND_RATES, c->f->t.hotel_id, id, &c->gens[2 * k + 1],
                                   n) != 0)
            ok = false;
    }
    return ok;
}

/* ---- the handler ---- */

/* Checks, reads the PMS, seals the key and saves. 0 (answered). */
static int save(http_request_t *req, inv_app_t *app, listing_form_t *f)
{
    json_error_t err;
    if (f->t.api_key && !pms_keystore_can_seal(app->keystore))
        return http_respond_error(req, 503, "KEY_ENCRYPTION_UNAVAILABLE", NULL,
                                  "no data key is configured to store API keys encrypted "
                                  "(PMS_CONFIG_ENCRYPTION_KEYS); nothing was saved");
    bool *want = NULL, *gen_read = NULL;
    inv_gens_t *gens = NULL; /* two per room type: inventory, rates */
    size_t index[ROOM_TYPES_MAX];
    snapshot_t s;
    pms_error_t e = {0};
    int64_t deadline = clock_now_ms() + BUDGET_PATIENCE_MS;
    inv_app_key_override(f->t.hotel_id, f->t.api_key);
    /* the room types are read first to know which nights to read */
    pms_err_t pe = snapshot_read_meta(app, f->t.vendor, f->t.hotel_id, &s, deadline, &e);
    int rc = 0;
    if (pe == PMS_OK) {
        size_t rooms = s.rt.count ? s.rt.count : 1;
        want = calloc(rooms, sizeof *want);
        gen_read = calloc(rooms, sizeof *gen_read);
        gens = calloc(2 * rooms, sizeof *gens);
        if (!want || !gen_read || !gens || match_rooms(f, &s, want, index, &err) != 0) {
            inv_app_key_override_clear();
            rc = want && gen_read && gens
                     ? http_respond_error(req, 400, "VALIDATION_ERROR", err.field, err.message)
                     : http_respond_error(req, 500, "INTERNAL_ERROR", NULL, "out of memory");
            goto done;
        }
        /* the cache is warmed only with nights no change overtook (cache.h) */
        for (size_t i = 0; i < s.rt.count; i++)
            gen_read[i] =
                want[i] &&
                inv_cache_generations(app, INV_KIND_INVENTORY, f->t.hotel_id, s.rt.items[i].id,
                                      s.first, ADMIN_ONBOARD_NIGHTS, &gens[2 * i]) == 0 &&
                inv_cache_generations(app, INV_KIND_RATES, f->t.hotel_id, s.rt.items[i].id, s.first,
                                      ADMIN_ONBOARD_NIGHTS, &gens[2 * i + 1]) == 0;
        pe = snapshot_read_nights(app, f->t.vendor, f->t.hotel_id, want, &s, deadline, &e);
    }
    inv_app_key_override_clear();
    if (pe != PMS_OK) {
        rc = admin_respond_pms_error(req, app, f->t.hotel_id, &e);
        goto done;
    }
    if (strcmp(s.hotel.currency, f->currency) != 0) {
        char msg[128];
        snprintf(msg, sizeof msg, "currency must be the hotel's currency at the PMS, %s",
                 s.hotel.currency);
        rc = http_respond_error(req, 400, "VALIDATION_ERROR", "currency", msg);
        goto done;
    }
    /* Holds or bookings would fail at the PMS: the hotel fixes its settings
     * first. A check the PMS could not answer does not block. */
    const pms_setup_check_t *missing = setup_missing(&s.setup);
    if (missing) {
        char msg[PMS_SETUP_MESSAGE_MAX + 96];
        snprintf(msg, sizeof msg,
                 "the hotel's PMS is not set up for bookings: %s; nothing was saved",
                 missing->message);
        struct json_object *extra = json_object_new_object();
        json_object_object_add(extra, "setupChecks", setup_json(&s.setup));
        rc = respond_json_error(req, 409, "PMS_SETUP_INCOMPLETE", missing->id, msg, extra);
        json_object_put(extra);
        goto done;
    }
    save_ctx_t c = {.app = app,
                    .req = req,
                    .f = f,
                    .s = &s,
                    .index = index,
                    .gens = gens,
                    .gen_read = gen_read};
    uint8_t *blob = NULL;
    char key_id[PMS_KEY_ID_MAX + 1] = "";
    if (f->t.api_key && pms_keystore_seal(app->keystore, f->t.vendor, f->t.hotel_id, f->t.api_key,
                                          &blob, &c.blob_len, key_id) != 0) {
        rc = http_respond_error(req, 503, "KEY_ENCRYPTION_UNAVAILABLE", NULL,
                                "the API key could not be encrypted; nothing was saved");
        goto done;
    }
    c.blob = blob;
    c.key_id = key_id;
    db_err_t de = save_all(&c);
    free(blob);
    if (de != DB_OK) {
        rc = http_respond_error(req, 503, "INTERNAL_ERROR", NULL,
                                "the database is unavailable; nothing was saved, retry shortly");
        goto done;
    }
    pms_keystore_forget(app->keystore, f->t.vendor, f->t.hotel_id);
    bool warmed = warm_cache(app, &c);
    log_kv(LOG_LEVEL_INFO, c.created ? "hotel onboarded" : "hotel updated", "vendor", f->t.vendor,
           "hotelId", f->t.hotel_id, NULL);
    struct json_object *o = saved_json(app, &c, warmed);
    rc = o ? http_respond_json(req, c.created ? 201 : 200, o)
           : http_respond_error(req, 503, "INTERNAL_ERROR", NULL,
                                "saved, but the saved rows could not be read back");
    json_object_put(o);
done:
    free(want);
    free(gen_read);
    for (size_t i = 0; gens && i < 2 * (s.rt.count ? s.rt.count : 1); i++)
        inv_gens_free(&gens[i]);
    free(gens);
    snapshot_free(&s);
    return rc;
}

int admin_listing_save(http_request_t *req, void *ctx)
{
    inv_app_t *app = ctx;
    if (!admin_limit(req, app))
        return 0;
    struct json_object *body = http_request_json_object(req);
    if (!body)
        return 0;
    listing_form_t f = {0};
    json_error_t err;
    int rc = 0;
    if (parse_target(req, app, body, &f.t) != 0 || !may_onboard(req, f.t.hotel_id))
        goto done;
    if (parse_form(body, &f, &err) != 0) {
        rc = http_respond_error(req, 400, "VALIDATION_ERROR", err.field, err.message);
        goto done;
    }
    if (!have_key(req, app, &f.t))
        goto done;
    rc = save(req, app, &f);
done:
    if (f.t.api_key) /* json-c's copy of the key */
        crypto_wipe((char *)f.t.api_key, strlen(f.t.api_key));
    http_request_wipe_body(req);
    json_object_put(body);
    return rc;
}

/* ------------------------------------------------ the saved hotel -- */

static struct json_object *saved_json(inv_app_t *app, const save_ctx_t *c, bool warmed)
{
    const listing_form_t *f = c->f;
    db_pool_t *pool = inv_store_pool(app->store);
    db_t *db = pool ? db_pool_acquire(pool) : NULL;
    if (!db)
        return NULL;
    struct json_object *listing = admin_listing_json(db, f->t.vendor, f->t.hotel_id);
    struct json_object *rooms = admin_room_types_json(db, f->t.vendor, f->t.hotel_id);
    struct json_object *polling = admin_polling_json(db, f->t.vendor, f->t.hotel_id);
    db_pool_release(pool, db);
    if (!listing || !rooms || !polling) {
        json_object_put(listing);
        json_object_put(rooms);
        json_object_put(polling);
        return NULL;
    }
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "created", json_object_new_boolean(c->created));
    json_object_object_add(o, "listing", listing);
    json_object_object_add(o, "roomTypes", rooms);
    json_object_object_add(o, "polling", polling);
    json_object_object_add(o, "nightsSaved", json_object_new_int(c->nights_saved));
    json_object_object_add(o, "cacheWarmed", json_object_new_boolean(warmed));
    return o;
}
