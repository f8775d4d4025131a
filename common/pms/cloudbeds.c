/*
 * cloudbeds.c — the Cloudbeds PMS API v1.3 behind pms.h, on its documented
 * wire format: https://api.cloudbeds.com/api/v1.3/{method}, the property's
 * key in `x-api-key`, the property in `X-PROPERTY-ID` (and the propertyID
 * parameter), GET with query strings, POST/PUT form-encoded, JSON answers
 * {"success": bool, "data" | fields, "message"}, YYYY-MM-DD dates. Published
 * limit: 5 requests a second per property — our default per-hotel rate.
 *
 *   pms.h                  Cloudbeds
 *   get_hotel              GET  getHotelDetails
 *   get_room_types         GET  getRoomTypes (roomTypeUnits = total rooms)
 *   get_inventory / rates  GET  getRatePlans detailedRates=true: roomRateDetailed[]
 *                               has roomsAvailable and the rate of every night
 *   get_rate_plans         GET  getRatePlans detailedRates=true: every plan (rateID)
 *                               of the room type with each night's rate and
 *                               restrictions (blocked, closedToArrival/Departure,
 *                               minLos, maxLos)
 *   create_hold            POST postReservation, custom field holdExpiresAt;
 *                               rooms[0][roomRateID] names a plan other than the base
 *   release_hold / cancel  PUT  putReservation status=canceled
 *   confirm_hold           GET  getReservation, then PUT putReservation status=confirmed
 *   confirm_own_hold       PUT  putReservation status=confirmed (the expiry known to
 *                               the caller; the answer's data.status must say confirmed)
 *   get_reservation        GET  getReservation
 *   find_reservation       GET  getReservations (by check-in day; our reference is
 *                               thirdPartyIdentifier), then getReservation
 *   list_reservations      GET  getReservations (check-in range, every page; the
 *                               list has no total, only the balance due)
 *   subscribe_webhooks     POST postWebhook, once per event we consume
 *   check_setup            GET  getCustomFields (a reservation field holdExpiresAt),
 *                               getPaymentMethods (cash among the methods)
 *
 * The hold. Cloudbeds has no short, typed-by-room-type hold: its nearest
 * thing, a room block of type courtesy_hold (postRoomBlock), is counted in
 * whole hours (lengthOfHoldInHours), pins specific rooms rather than a room
 * type, and turning it into a booking takes deleteRoomBlock + postReservation
 * — a window in which another channel can sell the room. So a hold is what an
 * integrator builds from the reservation itself: postReservation creates the
 * reservation in status not_confirmed (the property's setting for API
 * bookings awaiting payment), which takes the rooms out of inventory at once,
 * tagged with the custom field holdExpiresAt (the UTC time the hold lapses)
 * and our booking id as thirdPartyIdentifier. Confirm re-reads it and refuses
 * (and cancels) a hold past its expiry before putting status=confirmed, so an
 * expired hold is never confirmed; release is putReservation status=canceled.
 * The hotel's PMS does not cancel lapsed holds by itself: booking-svc's
 * recovery sweeps them (and the sandbox simulates the lapse).
 *
 * Money: Cloudbeds speaks decimal numbers in the property's currency
 * (getHotelDetails propertyCurrency.currencyCode); they are converted to
 * exact minor units here and refused when not representable.
 */
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloudbeds_internal.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/log.h"
#include "common/money.h"
#include "pms_internal.h"

#define CLOUDBEDS_URL "https://api.cloudbeds.com"
#define API "/api/v1.3/"
#define META_TTL_MS (10 * 60 * 1000)
#define META_MAX_ROOM_TYPES 256

/* --- per-connector cache of what rarely changes: currency, room-type sizes --- */

typedef struct room_units {
    char id[PMS_ID_MAX];
    int units;
} room_units_t;

/* One metadata read at a time per hotel and kind: callers that find it
 * stale while another thread reads it wait for that read instead of asking
 * the PMS too — after a restart or a TTL expiry, a busy hotel's concurrent
 * checkouts would otherwise each spend a request of the hotel's budget
 * (5 a second at Cloudbeds) on the same answer. Guarded by cb_state.mu. */
typedef struct meta_flight {
    bool busy;
    unsigned round;     /* reads ended so far */
    pms_err_t err;      /* how the last one ended */
    pms_error_t detail; /* its error, when it failed */
} meta_flight_t;

typedef struct hotel_meta {
    char hotel_id[PMS_ID_MAX];
    char currency[4];
    int64_t currency_at_ms; /* 0 = unknown */
    meta_flight_t currency_flight, taxes_flight, rooms_flight;
    room_units_t *rooms;
    size_t room_count;
    int64_t rooms_at_ms;
    cloudbeds_tax_rule_t taxes[CLOUDBEDS_MAX_TAX_RULES];
    int tax_count;
    int64_t taxes_at_ms;
    struct hotel_meta *next;
} hotel_meta_t;

typedef struct cb_state {
    pthread_mutex_t mu;
    pthread_cond_t landed; /* a meta_flight ended */
    hotel_meta_t *hotels;
} cb_state_t;

static void *state_new(void)
{
    cb_state_t *s = calloc(1, sizeof *s);
    if (s) {
        pthread_mutex_init(&s->mu, NULL);
        pthread_cond_init(&s->landed, NULL);
    }
    return s;
}

static void state_free(void *p)
{
    cb_state_t *s = p;
    if (!s)
        return;
    for (hotel_meta_t *h = s->hotels, *next; h; h = next) {
        next = h->next;
        free(h->rooms);
        free(h);
    }
    pthread_cond_destroy(&s->landed);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* The hotel's entry; caller holds s->mu. NULL on OOM. */
static hotel_meta_t *meta_entry(cb_state_t *s, const char *hotel_id)
{
    hotel_meta_t *h = s->hotels;
    while (h && strcmp(h->hotel_id, hotel_id) != 0)
        h = h->next;
    if (!h && (h = calloc(1, sizeof *h))) {
        snprintf(h->hotel_id, sizeof h->hotel_id, "%s", hotel_id);
        h->next = s->hotels;
        s->hotels = h;
    }
    return h;
}

static bool fresh(int64_t at_ms)
{
    return at_ms > 0 && clock_now_ms() - at_ms < META_TTL_MS;
}

/* Caller holds s->mu and found the value stale. True: this thread reads it
 * (the flight is taken; end it with flight_land). False: another thread's
 * read ended meanwhile, *e says how (PMS_OK: the value is cached now; else
 * *err is its error, shared rather than asked again at once). */
static bool flight_take(cb_state_t *s, meta_flight_t *f, pms_err_t *e, pms_error_t *err)
{
    if (!f->busy) {
        f->busy = true;
        return true;
    }
    unsigned round = f->round;
    while (f->busy && f->round == round)
        pthread_cond_wait(&s->landed, &s->mu);
    *e = f->err;
    if (f->err != PMS_OK && err)
        *err = f->detail;
    return false;
}

/* Ends a flight (caller holds s->mu) and wakes its waiters. */
static void flight_land(cb_state_t *s, meta_flight_t *f, pms_err_t e, const pms_error_t *err)
{
    f->busy = false;
    f->round++;
    f->err = e;
    if (e != PMS_OK && err)
        f->detail = *err;
    pthread_cond_broadcast(&s->landed);
}

/* --- wire helpers --- */

static void auth_headers(const char *api_key, const char *hotel_id,
                         char out[PMS_MAX_HEADERS][PMS_HEADER_MAX], int *count)
{
    snprintf(out[0], PMS_HEADER_MAX, "x-api-key: %s", api_key);
    snprintf(out[1], PMS_HEADER_MAX, "X-PROPERTY-ID: %s", hotel_id);
    *count = 2;
}

static bool contains_ci(const char *haystack, const char *needle)
{
    return haystack && strcasestr(haystack, needle) != NULL;
}

/* Cloudbeds answers JSON with "success"; errors carry "message". Statuses:
 * 2xx with success=false is a refusal; 401/403 auth; 404 not found; 409 a
 * state conflict; 429 rate limit; 408/5xx transient. A refusal that speaks of
 * availability is typed as such, so the saga can say "sold out". */
static pms_err_t classify(const http_client_response_t *r, pms_error_t *err)
{
    json_error_t je;
    struct json_object *root = r->body_len ? json_parse_object(r->body, r->body_len, &je) : NULL;
    const char *message = NULL;
    bool success = false;
    if (root) {
        json_get_string(root, "message", false, 0, 1024, &message, &je);
        json_get_bool(root, "success", false, false, &success, &je);
    }
    char text[200];
    snprintf(text, sizeof text, "%s", message && *message ? message : "");
    bool is_json = root != NULL;
    if (root)
        json_object_put(root);

    pms_err_t code;
    if (r->status == 429) {
        code = PMS_ERR_RATE_LIMITED;
    } else if (r->status == 408 || r->status >= 500 || r->status == 0) {
        code = PMS_ERR_TRANSIENT;
    } else if (r->status == 401 || r->status == 403) {
        code = PMS_ERR_AUTH;
    } else if (r->status == 404) {
        code = PMS_ERR_NOT_FOUND;
    } else if (r->status >= 200 && r->status < 300) {
        if (!is_json)
            return pms_fail(err, PMS_ERR_PROTOCOL, "Cloudbeds answered %d without a JSON object",
                            r->status);
        if (success)
            return PMS_OK;
        code = PMS_ERR_REJECTED;
    } else if (r->status == 409) {
        code = PMS_ERR_CONFLICT;
    } else {
        code = PMS_ERR_REJECTED;
    }
    if ((code == PMS_ERR_REJECTED || code == PMS_ERR_CONFLICT) &&
        (contains_ci(text, "no availability") || contains_ci(text, "not available") ||
         contains_ci(text, "sold out")))
        code = PMS_ERR_NO_AVAILABILITY;
    return pms_fail(err, code, "Cloudbeds %d: %s", r->status, *text ? text : "(no message)");
}

/* Parses a successful response body (classify said OK, so it is an object). */
static struct json_object *body_json(const http_client_response_t *r, pms_error_t *err)
{
    json_error_t je;
    struct json_object *root = json_parse_object(r->body, r->body_len, &je);
    if (!root)
        pms_fail(err, PMS_ERR_PROTOCOL, "Cloudbeds answer is not JSON: %s", je.message);
    return root;
}

typedef pms_err_t (*parse_fn)(struct json_object *root, void *ctx, pms_error_t *err);

/* One request and the parse of its answer. */
static pms_err_t call(pms_connector_t *c, const pms_http_call_t *hc, parse_fn parse, void *ctx,
                      pms_error_t *err)
{
    http_client_response_t resp;
    pms_err_t e = pms_http(c, hc, &resp, err);
    if (e != PMS_OK)
        return e;
    struct json_object *root = body_json(&resp, err);
    http_client_response_clear(&resp);
    if (!root)
        return PMS_ERR_PROTOCOL;
    e = parse ? parse(root, ctx, err) : PMS_OK;
    json_object_put(root);
    return e;
}

/* A string member, "" when absent or not a string. */
static const char *str_of(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return "";
    return json_object_get_string(v);
}

/* A finite number member (JSON number or numeric string); false when
 * neither. A string such as "nan" or "inf" is not a number any answer means,
 * and converting it to an integer would be undefined. */
static bool num_of(struct json_object *o, const char *key, double *out)
{
    struct json_object *v;
    if (!o || !json_object_object_get_ex(o, key, &v))
        return false;
    if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) {
        *out = json_object_get_double(v);
        return isfinite(*out);
    }
    if (json_object_is_type(v, json_type_string)) {
        char *end;
        const char *s = json_object_get_string(v);
        *out = strtod(s, &end);
        return *s && *end == '\0' && isfinite(*out);
    }
    return false;
}

/* A number member that fits an int (truncated toward zero); false when absent
 * or out of range: the vendor's answer is untrusted, and a cast of an
 * out-of-range double to int is undefined behaviour. */
static bool int_of(struct json_object *o, const char *key, int *out)
{
    double d;
    if (!num_of(o, key, &d) || d <= (double)INT_MIN - 1.0 || d >= (double)INT_MAX + 1.0)
        return false;
    *out = (int)d;
    return true;
}

static struct json_object *member(struct json_object *o, const char *key, json_type type)
{
    struct json_object *v;
    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
        return NULL;
    return v;
}

static pms_err_t money_of(struct json_object *o, const char *key, const char *currency,
                          int64_t *out, pms_error_t *err)
{
    double d;
    if (!num_of(o, key, &d))
        return pms_fail(err, PMS_ERR_PROTOCOL, "Cloudbeds answer lacks the number %s", key);
    if (money_from_double(d, currency, out) != 0)
        return pms_fail(err, PMS_ERR_PROTOCOL, "%s %.4f is not an amount in %s", key, d, currency);
    return PMS_OK;
}

/* --- parsers (cloudbeds_internal.h) --- */

pms_err_t cloudbeds_parse_hotel(struct json_object *root, pms_hotel_t *out, pms_error_t *err)
{
    struct json_object *d = member(root, "data", json_type_object);
    if (!d || !*str_of(d, "propertyID"))
        return pms_fail(err, PMS_ERR_PROTOCOL, "getHotelDetails answer lacks data.propertyID");
    snprintf(out->id, sizeof out->id, "%s", str_of(d, "propertyID"));
    snprintf(out->name, sizeof out->name, "%s", str_of(d, "propertyName"));
    struct json_object *cur = member(d, "propertyCurrency", json_type_object);
    snprintf(out->currency, sizeof out->currency, "%s", str_of(cur, "currencyCode"));
    if (!money_currency_known(out->currency))
        return pms_fail(err, PMS_ERR_PROTOCOL, "unknown property currency '%s'", out->currency);
    struct json_object *a = member(d, "propertyAddress", json_type_object);
    const char *a1 = str_of(a, "propertyAddress1"), *a2 = str_of(a, "propertyAddress2");
    snprintf(out->address, sizeof out->address, "%s%s%s", a1, *a1 && *a2 ? ", " : "", a2);
    snprintf(out->city, sizeof out->city, "%s", str_of(a, "propertyCity"));
    snprintf(out->country, sizeof out->country, "%s", str_of(a, "propertyCountry"));
    if (!num_of(a, "propertyLatitude", &out->latitude))
        out->latitude = 0;
    if (!num_of(a, "propertyLongitude", &out->longitude))
        out->longitude = 0;
    snprintf(out->timezone, sizeof out->timezone, "%s", str_of(d, "propertyTimezone"));
    return PMS_OK;
}

static char **photo_list(struct json_object *arr, size_t *count)
{
    *count = 0;
    size_t n = arr ? json_object_array_length(arr) : 0;
    char **photos = n ? calloc(n, sizeof *photos) : NULL;
    for (size_t i = 0; photos && i < n; i++) {
        struct json_object *p = json_object_array_get_idx(arr, i);
        const char *url = json_object_is_type(p, json_type_string) ? json_object_get_string(p)
                                                                   : str_of(p, "image");
        if (*url && (photos[*count] = strdup(url)))
            (*count)++;
    }
    return photos;
}

pms_err_t cloudbeds_parse_room_types(struct json_object *root, pms_room_types_t *out,
                                     pms_error_t *err)
{
    struct json_object *data = member(root, "data", json_type_array);
    if (!data)
        return pms_fail(err, PMS_ERR_PROTOCOL, "getRoomTypes answer lacks the data array");
    size_t n = json_object_array_length(data);
    out->items = n ? calloc(n, sizeof *out->items) : NULL;
    if (n && !out->items)
        return pms_fail(err, PMS_ERR_TRANSIENT, "out of memory");
    for (size_t i = 0; i < n; i++) {
        struct json_object *rt = json_object_array_get_idx(data, i);
        pms_room_type_t *t = &out->items[out->count];
        const char *id = str_of(rt, "roomTypeID");
        if (!*id || strlen(id) >= sizeof t->id) {
            pms_room_types_free(out);
            return pms_fail(err, PMS_ERR_PROTOCOL, "room type %zu has no usable roomTypeID", i);
        }
        snprintf(t->id, sizeof t->id, "%s", id);
        snprintf(t->name, sizeof t->name, "%s", str_of(rt, "roomTypeName"));
        if (!int_of(rt, "maxGuests", &t->max_occupancy))
            t->max_occupancy = 0;
        if (!int_of(rt, "adultsIncluded", &t->adults_included) || t->adults_included < 0)
            t->adults_included = 0;
        if (!int_of(rt, "childrenIncluded", &t->children_included) || t->children_included < 0)
            t->children_included = 0;
        if (!int_of(rt, "roomTypeUnits", &t->total_rooms))
            t->total_rooms = 0;
        t->photos = photo_list(member(rt, "roomTypePhotos", json_type_array), &t->photo_count);
        out->count++;
    }
    return PMS_OK;
}

/* The plan whose nights we use: the room type's own, non-derived, no-promo
 * plan (the public base rate); any plan of the room type otherwise. */
static struct json_object *base_plan(struct json_object *data, const char *room_type_id)
{
    struct json_object *any = NULL;
    for (size_t i = 0; i < json_object_array_length(data); i++) {
        struct json_object *p = json_object_array_get_idx(data, i);
        const char *rt = str_of(p, "roomTypeID");
        if (*rt && strcmp(rt, room_type_id) != 0)
            continue;
        struct json_object *derived = member(p, "isDerived", json_type_boolean);
        bool is_derived = derived && json_object_get_boolean(derived);
        if (!is_derived && !*str_of(p, "promoCode"))
            return p;
        if (!any)
            any = p;
    }
    return any;
}

pms_err_t cloudbeds_parse_rate_plans(struct json_object *root, const char *room_type_id,
                                     dates_day_t first_night, int nights, const char *currency,
                                     pms_nights_t *out, pms_error_t *err)
{
    struct json_object *data = member(root, "data", json_type_array);
    if (!data)
        return pms_fail(err, PMS_ERR_PROTOCOL, "getRatePlans answer lacks the data array");
    struct json_object *plan = base_plan(data, room_type_id);
    if (!plan)
        return pms_fail(err, PMS_ERR_NOT_FOUND, "no rate plan for room type %s", room_type_id);
    struct json_object *detailed = member(plan, "roomRateDetailed", json_type_array);
    if (!detailed)
        return pms_fail(err, PMS_ERR_PROTOCOL, "getRatePlans answer lacks roomRateDetailed");
    out->items = calloc((size_t)nights, sizeof *out->items);
    if (!out->items)
        return pms_fail(err, PMS_ERR_TRANSIENT, "out of memory");
    snprintf(out->currency, sizeof out->currency, "%s", currency);
    for (int i = 0; i < nights; i++) {
        out->items[i].date = first_night + i;
        out->items[i].available = -1; /* not seen yet */
    }
    for (size_t i = 0; i < json_object_array_length(detailed); i++) {
        struct json_object *night = json_object_array_get_idx(detailed, i);
        dates_day_t day;
        if (dates_parse_iso(str_of(night, "date"), &day) != 0)
            return pms_fail(err, PMS_ERR_PROTOCOL, "roomRateDetailed[%zu].date is not a date", i);
        if (day < first_night || day >= first_night + nights)
            continue;
        pms_night_t *n = &out->items[day - first_night];
        double avail;
        if (!num_of(night, "roomsAvailable", &avail) || avail < 0 || avail > 100000)
            return pms_fail(err, PMS_ERR_PROTOCOL,
                            "roomRateDetailed[%zu].roomsAvailable is missing or out of range", i);
        n->available = (int)avail;
        const char *rate_key = member(night, "totalRate", json_type_int) ||
                                       member(night, "totalRate", json_type_double)
                                   ? "totalRate"
                                   : "rateBase";
        pms_err_t e = money_of(night, rate_key, currency, &n->rate, err);
        if (e != PMS_OK)
            return e;
    }
    for (int i = 0; i < nights; i++) {
        if (out->items[i].available < 0) {
            char day[DATES_ISO_LEN + 1];
            dates_format_iso(first_night + i, day);
            return pms_fail(err, PMS_ERR_PROTOCOL, "Cloudbeds gave no availability for %s", day);
        }
    }
    out->count = (size_t)nights;
    return PMS_OK;
}

/* A boolean member, false when absent. */
static bool flag_of(struct json_object *o, const char *key)
{
    struct json_object *v = member(o, key, json_type_boolean);
    return v && json_object_get_boolean(v);
}

/* One plan's nights from roomRateDetailed into p (nights entries, all
 * closed until the answer gives them). */
static pms_err_t plan_nights(struct json_object *plan, const char *currency, dates_day_t first,
                             int nights, pms_rate_plan_t *p, pms_error_t *err)
{
    p->nights = calloc((size_t)nights, sizeof *p->nights);
    if (!p->nights)
        return pms_fail(err, PMS_ERR_TRANSIENT, "out of memory");
    for (int i = 0; i < nights; i++)
        p->nights[i].rules.closed = true;
    struct json_object *detailed = member(plan, "roomRateDetailed", json_type_array);
    if (!detailed)
        return pms_fail(err, PMS_ERR_PROTOCOL, "getRatePlans answer lacks roomRateDetailed");
    for (size_t i = 0; i < json_object_array_length(detailed); i++) {
        struct json_object *night = json_object_array_get_idx(detailed, i);
        dates_day_t day;
        if (dates_parse_iso(str_of(night, "date"), &day) != 0)
            return pms_fail(err, PMS_ERR_PROTOCOL, "roomRateDetailed[%zu].date is not a date", i);
        if (day < first || day >= first + nights)
            continue;
        pms_plan_night_t *n = &p->nights[day - first];
        const char *rate_key = member(night, "totalRate", json_type_int) ||
                                       member(night, "totalRate", json_type_double)
                                   ? "totalRate"
                                   : "rateBase";
        pms_err_t e = money_of(night, rate_key, currency, &n->rate, err);
        if (e != PMS_OK)
            return e;
        n->rules.closed = flag_of(night, "blocked");
        n->rules.closed_to_arrival = flag_of(night, "closedToArrival");
        n->rules.closed_to_departure = flag_of(night, "closedToDeparture");
        if (!int_of(night, "minLos", &n->rules.min_los) || n->rules.min_los < 0)
            n->rules.min_los = 0;
        if (!int_of(night, "maxLos", &n->rules.max_los) || n->rules.max_los < 0)
            n->rules.max_los = 0;
    }
    return PMS_OK;
}

pms_err_t cloudbeds_parse_all_rate_plans(struct json_object *root, const char *room_type_id,
                                         const char *currency, pms_rate_plans_t *out,
                                         pms_error_t *err)
{
    struct json_object *data = member(root, "data", json_type_array);
    if (!data)
        return pms_fail(err, PMS_ERR_PROTOCOL, "getRatePlans answer lacks the data array");
    struct json_object *base = base_plan(data, room_type_id);
    if (!base)
        return pms_fail(err, PMS_ERR_NOT_FOUND, "no rate plan for room type %s", room_type_id);
    size_t n = json_object_array_length(data);
    out->items = calloc(n < PMS_MAX_RATE_PLANS ? n : PMS_MAX_RATE_PLANS, sizeof *out->items);
    if (!out->items)
        return pms_fail(err, PMS_ERR_TRANSIENT, "out of memory");
    snprintf(out->currency, sizeof out->currency, "%s", currency);
    /* the base plan first, then the others in the vendor's order */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n && out->count < PMS_MAX_RATE_PLANS; i++) {
            struct json_object *plan = json_object_array_get_idx(data, i);
            const char *rt = str_of(plan, "roomTypeID");
            if ((*rt && strcmp(rt, room_type_id) != 0) || (pass == 0) != (plan == base))
                continue;
            pms_rate_plan_t *p = &out->items[out->count++];
            const char *id = str_of(plan, "rateID");
            if (!*id || strlen(id) >= sizeof p->id)
                return pms_fail(err, PMS_ERR_PROTOCOL, "a rate plan has no usable rateID");
            snprintf(p->id, sizeof p->id, "%s", id);
            const char *name = str_of(plan, "ratePlanNamePublic");
            snprintf(p->name, sizeof p->name, "%s", *name ? name : "Base rate");
            p->is_base = plan == base;
            pms_err_t e = plan_nights(plan, currency, out->first, out->nights, p, err);
            if (e != PMS_OK)
                return e;
        }
    }
    return PMS_OK;
}

static pms_res_status_t status_of(const char *s)
{
    if (strcmp(s, "not_confirmed") == 0)
        return PMS_RES_HOLD;
    if (strcmp(s, "confirmed") == 0 || strcmp(s, "checked_in") == 0 ||
        strcmp(s, "checked_out") == 0)
        return PMS_RES_CONFIRMED;
    if (strcmp(s, "canceled") == 0 || strcmp(s, "no_show") == 0)
        return PMS_RES_CANCELLED;
    return PMS_RES_UNKNOWN;
}

pms_err_t cloudbeds_parse_post_reservation(struct json_object *root, const char *currency,
                                           pms_hold_t *out, pms_error_t *err)
{
    const char *id = str_of(root, "reservationID");
    if (!*id || strlen(id) >= sizeof out->hold_id)
        return pms_fail(err, PMS_ERR_PROTOCOL, "postReservation answer lacks reservationID");
    snprintf(out->hold_id, sizeof out->hold_id, "%s", id);
    snprintf(out->currency, sizeof out->currency, "%s", currency);
    return money_of(root, "grandTotal", currency, &out->total, err);
}

/* The hold expiry custom field of a reservation, into *out (0 when absent). */
static pms_err_t hold_expiry_of(struct json_object *d, int64_t *out, pms_error_t *err)
{
    struct json_object *fields = member(d, "customFields", json_type_array);
    for (size_t i = 0; fields && i < json_object_array_length(fields); i++) {
        struct json_object *f = json_object_array_get_idx(fields, i);
        if (strcmp(str_of(f, "customFieldName"), CLOUDBEDS_HOLD_FIELD) == 0 &&
            dates_parse_rfc3339(str_of(f, "customFieldValue"), out) != 0)
            return pms_fail(err, PMS_ERR_PROTOCOL, "%s is not an RFC 3339 time",
                            CLOUDBEDS_HOLD_FIELD);
    }
    return PMS_OK;
}

/* What a reservation object (getReservation's data, a getReservations item)
 * says of itself: id (Cloudbeds shows guests the reservation ID as their
 * confirmation code), status and stay; `what` names it in errors. */
static pms_err_t reservation_head(struct json_object *d, const char *what,
                                  pms_reservation_t *out, pms_error_t *err)
{
    const char *id = str_of(d, "reservationID");
    if (!*id || strlen(id) >= sizeof out->reservation_id)
        return pms_fail(err, PMS_ERR_PROTOCOL, "%s lacks reservationID", what);
    snprintf(out->reservation_id, sizeof out->reservation_id, "%s", id);
    snprintf(out->confirmation_number, sizeof out->confirmation_number, "%s", id);
    out->status = status_of(str_of(d, "status"));
    if (out->status == PMS_RES_UNKNOWN)
        return pms_fail(err, PMS_ERR_PROTOCOL, "unknown reservation status '%s'",
                        str_of(d, "status"));
    if (dates_parse_iso(str_of(d, "startDate"), &out->check_in) != 0 ||
        dates_parse_iso(str_of(d, "endDate"), &out->check_out) != 0)
        return pms_fail(err, PMS_ERR_PROTOCOL, "%s %s lacks its dates", what, id);
    return PMS_OK;
}

/* The party of a reservation's rooms (getReservation's assigned or
 * unassigned list): each room's adults and children (numbers as text),
 * summed; left 0 (unknown) when a room does not state its adults. */
static void party_of(struct json_object *rooms, pms_reservation_t *out)
{
    size_t n = rooms ? json_object_array_length(rooms) : 0;
    int adults = 0, children = 0;
    if (n == 0 || n > PMS_MAX_RESERVATION_ROOMS)
        return;
    for (size_t i = 0; i < n; i++) {
        struct json_object *room = json_object_array_get_idx(rooms, i);
        int a = 0, ch = 0;
        if (!int_of(room, "adults", &a) || a < 0 || a > PMS_MAX_PARTY)
            return;
        if (int_of(room, "children", &ch) && ch >= 0 && ch <= PMS_MAX_PARTY)
            children += ch;
        adults += a;
    }
    if (adults > 0) {
        out->adults = adults;
        out->children = children;
        out->rooms = (int)n;
    }
}

pms_err_t cloudbeds_parse_reservation(struct json_object *root, const char *currency,
                                      pms_reservation_t *out, pms_error_t *err)
{
    struct json_object *d = member(root, "data", json_type_object);
    pms_err_t head = reservation_head(d, "getReservation answer", out, err);
    if (head != PMS_OK)
        return head;
    snprintf(out->currency, sizeof out->currency, "%s", currency);
    pms_err_t e = money_of(d, "total", currency, &out->total, err);
    if (e != PMS_OK)
        return e;
    snprintf(out->reference, sizeof out->reference, "%s", str_of(d, "thirdPartyIdentifier"));
    struct json_object *rooms = member(d, "unassigned", json_type_array);
    if (!rooms || json_object_array_length(rooms) == 0)
        rooms = member(d, "assigned", json_type_array);
    if (rooms && json_object_array_length(rooms) > 0)
        snprintf(out->room_type_id, sizeof out->room_type_id, "%s",
                 str_of(json_object_array_get_idx(rooms, 0), "roomTypeID"));
    party_of(rooms, out);
    return hold_expiry_of(d, &out->hold_expires_at_ms, err);
}

pms_err_t cloudbeds_parse_reservation_list(struct json_object *root, const char *reference,
                                           char *id, bool *found, int *total, pms_error_t *err)
{
    struct json_object *data = member(root, "data", json_type_array);
    if (!data)
        return pms_fail(err, PMS_ERR_PROTOCOL, "getReservations answer lacks the data array");
    if (!int_of(root, "total", total))
        *total = (int)json_object_array_length(data);
    for (size_t i = 0; i < json_object_array_length(data); i++) {
        struct json_object *r = json_object_array_get_idx(data, i);
        const char *rid = str_of(r, "reservationID");
        if (strcmp(str_of(r, "thirdPartyIdentifier"), reference) != 0 || !*rid ||
            strlen(rid) >= PMS_ID_MAX)
            continue;
        bool live = status_of(str_of(r, "status")) != PMS_RES_CANCELLED;
        if (!*found || live)
            snprintf(id, PMS_ID_MAX, "%s", rid);
        *found = true;
        if (live)
            break;
    }
    return PMS_OK;
}

/* One getReservations item into *out; the list's own shape (rooms[] per
 * unit, no total). */
static pms_err_t list_item(struct json_object *d, pms_reservation_t *out, pms_error_t *err)
{
    memset(out, 0, sizeof *out);
    pms_err_t head = reservation_head(d, "getReservations item", out, err);
    if (head != PMS_OK)
        return head;
    out->total = PMS_TOTAL_UNKNOWN;
    snprintf(out->reference, sizeof out->reference, "%s", str_of(d, "thirdPartyIdentifier"));
    struct json_object *rooms = member(d, "rooms", json_type_array);
    if (rooms && json_object_array_length(rooms) > 0)
        snprintf(out->room_type_id, sizeof out->room_type_id, "%s",
                 str_of(json_object_array_get_idx(rooms, 0), "roomTypeID"));
    return hold_expiry_of(d, &out->hold_expires_at_ms, err);
}

pms_err_t cloudbeds_parse_reservation_items(struct json_object *root, pms_reservation_list_t *out,
                                            int *total, pms_error_t *err)
{
    struct json_object *data = member(root, "data", json_type_array);
    if (!data)
        return pms_fail(err, PMS_ERR_PROTOCOL, "getReservations answer lacks the data array");
    size_t n = json_object_array_length(data);
    if (!int_of(root, "total", total))
        *total = (int)n;
    if (n == 0)
        return PMS_OK;
    pms_reservation_t *grown = realloc(out->items, (out->count + n) * sizeof *grown);
    if (!grown)
        return pms_fail(err, PMS_ERR_PROTOCOL, "out of memory reading getReservations");
    out->items = grown;
    for (size_t i = 0; i < n; i++) {
        pms_err_t e = list_item(json_object_array_get_idx(data, i), &out->items[out->count], err);
        if (e != PMS_OK)
            return e;
        out->count++;
    }
    return PMS_OK;
}

pms_err_t cloudbeds_parse_custom_fields(struct json_object *root, bool *has_hold_field,
                                        pms_error_t *err)
{
    *has_hold_field = false;
    struct json_object *data = member(root, "data", json_type_array);
    if (!data)
        return pms_fail(err, PMS_ERR_PROTOCOL, "getCustomFields answer lacks data[]");
    for (size_t i = 0; i < json_object_array_length(data); i++) {
        struct json_object *f = json_object_array_get_idx(data, i);
        const char *apply_to = str_of(f, "applyTo");
        /* applyTo is absent in older answers: a field is the reservation's then */
        if (*apply_to && strcmp(apply_to, "reservation") != 0)
            continue;
        if (strcmp(str_of(f, "shortcode"), CLOUDBEDS_HOLD_FIELD) == 0 ||
            strcmp(str_of(f, "name"), CLOUDBEDS_HOLD_FIELD) == 0)
            *has_hold_field = true;
    }
    return PMS_OK;
}

pms_err_t cloudbeds_parse_payment_methods(struct json_object *root, bool *has_cash,
                                          pms_error_t *err)
{
    *has_cash = false;
    struct json_object *methods =
        member(member(root, "data", json_type_object), "methods", json_type_array);
    if (!methods)
        return pms_fail(err, PMS_ERR_PROTOCOL, "getPaymentMethods answer lacks data.methods[]");
    for (size_t i = 0; i < json_object_array_length(methods); i++) {
        struct json_object *m = json_object_array_get_idx(methods, i);
        if (strcmp(str_of(m, "method"), "cash") == 0 || strcmp(str_of(m, "code"), "cash") == 0)
            *has_cash = true;
    }
    return PMS_OK;
}

pms_err_t cloudbeds_parse_subscription(struct json_object *root, char *id, pms_error_t *err)
{
    const char *sid = str_of(member(root, "data", json_type_object), "subscriptionID");
    if (!*sid || strlen(sid) >= PMS_ID_MAX)
        return pms_fail(err, PMS_ERR_PROTOCOL, "postWebhook answer lacks data.subscriptionID");
    snprintf(id, PMS_ID_MAX, "%s", sid);
    return PMS_OK;
}

/* amountType → cloudbeds_tax_kind_t, or -1 for one the platform does not know. */
static int tax_kind(const char *kind)
{
    static const char *const names[] = {
        [CB_TAX_PERCENTAGE] = "percentage",
        [CB_TAX_FIXED] = "fixed",
        [CB_TAX_PER_PERSON] = "fixed_per_person",
        [CB_TAX_PER_ACCOMMODATION] = "fixed_per_accomodation", /* Cloudbeds' spelling */
        [CB_TAX_PER_RESERVATION] = "fixed_per_reservation",
        [CB_TAX_RATE_BASED] = "percentage_rate_based",
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(kind, names[i]) == 0)
            return (int)i;
    return -1;
}

/* A fixed amount (minor units, not negative) of d's `key`; *present says
 * whether d states it (absent is 0). */
static pms_err_t fixed_of(struct json_object *d, const char *key, const char *currency,
                          const char *name, int64_t *out, bool *present, pms_error_t *err)
{
    double v;
    *out = 0;
    *present = num_of(d, key, &v);
    if (!*present)
        return PMS_OK;
    pms_err_t e = money_of(d, key, currency, out, err);
    if (e == PMS_OK && *out < 0)
        e = pms_fail(err, PMS_ERR_PROTOCOL, "fee '%s' has a negative %s", name, key);
    return e;
}

static int tier_cmp(const void *a, const void *b)
{
    int64_t x = ((const cloudbeds_tax_tier_t *)a)->max_rate;
    int64_t y = ((const cloudbeds_tax_tier_t *)b)->max_rate;
    return (x > y) - (x < y);
}

/* The amounts of rule r (its kind set) from entry d. The amounts stated at
 * the entry's top level apply; a per-person entry that states none there
 * takes its first date range's (dateRanges[].amountAdult / amountChild),
 * and its nights limit from the first range with a maxLength. */
static pms_err_t tax_amounts(struct json_object *d, const char *currency, cloudbeds_tax_rule_t *r,
                             pms_error_t *err)
{
    bool present, child_present;
    pms_err_t e = PMS_OK;
    struct json_object *ranges = member(d, "dateRanges", json_type_array);
    switch (r->kind) {
    case CB_TAX_PERCENTAGE:
        if (!num_of(d, "amount", &r->percent) || r->percent < 0 || r->percent > 100)
            return pms_fail(err, PMS_ERR_PROTOCOL, "tax '%s' has no percentage 0..100", r->name);
        return PMS_OK;
    case CB_TAX_FIXED:
    case CB_TAX_PER_ACCOMMODATION:
    case CB_TAX_PER_RESERVATION:
        if ((e = fixed_of(d, "amount", currency, r->name, &r->amount, &present, err)) != PMS_OK)
            return e;
        return present ? PMS_OK
                       : pms_fail(err, PMS_ERR_PROTOCOL, "fee '%s' has no amount", r->name);
    case CB_TAX_PER_PERSON: {
        struct json_object *src = d;
        if (!num_of(d, "amountAdult", &(double){0}) && !num_of(d, "amountChild", &(double){0}) &&
            ranges && json_object_array_length(ranges) > 0)
            src = json_object_array_get_idx(ranges, 0);
        if ((e = fixed_of(src, "amountAdult", currency, r->name, &r->amount_adult, &present,
                          err)) != PMS_OK ||
            (e = fixed_of(src, "amountChild", currency, r->name, &r->amount_child, &child_present,
                          err)) != PMS_OK)
            return e;
        if (!present && !child_present) {
            /* an entry stating only `amount`: that much for every guest */
            if ((e = fixed_of(d, "amount", currency, r->name, &r->amount_adult, &present, err)) !=
                PMS_OK)
                return e;
            if (!present)
                return pms_fail(err, PMS_ERR_PROTOCOL, "fee '%s' per person has no amountAdult",
                                r->name);
            r->amount_child = r->amount_adult;
        }
        for (size_t i = 0; ranges && i < json_object_array_length(ranges); i++) {
            int n;
            if (int_of(json_object_array_get_idx(ranges, i), "maxLength", &n) && n > 0) {
                r->max_nights = n;
                break;
            }
        }
        return PMS_OK;
    }
    case CB_TAX_RATE_BASED: {
        struct json_object *tiers = member(d, "amountRateBased", json_type_array);
        if (!tiers && ranges && json_object_array_length(ranges) > 0)
            tiers =
                member(json_object_array_get_idx(ranges, 0), "amountRateBased", json_type_array);
        for (size_t i = 0; tiers && i < json_object_array_length(tiers); i++) {
            struct json_object *t = json_object_array_get_idx(tiers, i);
            if (r->tier_count >= CLOUDBEDS_TAX_TIERS)
                return pms_fail(err, PMS_ERR_PROTOCOL, "tax '%s' has more than %d rate tiers",
                                r->name, CLOUDBEDS_TAX_TIERS);
            cloudbeds_tax_tier_t *tier = &r->tiers[r->tier_count];
            if ((e = money_of(t, "rate", currency, &tier->max_rate, err)) != PMS_OK)
                return e;
            if (!num_of(t, "percentage", &tier->percent) || tier->percent < 0 ||
                tier->percent > 100)
                return pms_fail(err, PMS_ERR_PROTOCOL, "tax '%s' has a tier without a percentage",
                                r->name);
            r->tier_count++;
        }
        if (r->tier_count == 0)
            return pms_fail(err, PMS_ERR_PROTOCOL, "tax '%s' has no amountRateBased tiers",
                            r->name);
        qsort(r->tiers, (size_t)r->tier_count, sizeof *r->tiers, tier_cmp);
        return PMS_OK;
    }
    }
    return PMS_OK;
}

/* A fee is tax-free when the hotel states taxes and none of them is
 * charged on it (a tax names the fees it is charged on in feesCharged); a
 * hotel that states no tax says nothing of what is taxable. */
static void mark_tax_free(struct json_object *data, cloudbeds_tax_rule_t *rules, int count)
{
    bool taxes = false;
    for (int i = 0; i < count; i++)
        taxes = taxes || !rules[i].fee;
    for (int i = 0; i < count; i++)
        rules[i].tax_free = taxes && rules[i].fee;
    for (size_t i = 0; taxes && i < json_object_array_length(data); i++) {
        struct json_object *d = json_object_array_get_idx(data, i), *v;
        if (strcmp(str_of(d, "type"), "tax") != 0 ||
            (json_object_object_get_ex(d, "isDeleted", &v) && json_object_get_boolean(v)))
            continue;
        struct json_object *fees = member(d, "feesCharged", json_type_array);
        for (size_t k = 0; fees && k < json_object_array_length(fees); k++) {
            const char *fee = json_object_get_string(json_object_array_get_idx(fees, k));
            for (int r = 0; fee && r < count; r++)
                if (rules[r].fee && strcmp(rules[r].id, fee) == 0)
                    rules[r].tax_free = false;
        }
    }
}

pms_err_t cloudbeds_parse_taxes(struct json_object *root, const char *currency,
                                cloudbeds_tax_rule_t *rules, int max, int *count, int *skipped,
                                pms_error_t *err)
{
    *count = 0;
    *skipped = 0;
    struct json_object *data = member(root, "data", json_type_array);
    if (!data)
        return pms_fail(err, PMS_ERR_PROTOCOL, "getTaxesAndFees answer has no data list");
    for (size_t i = 0; i < json_object_array_length(data); i++) {
        struct json_object *d = json_object_array_get_idx(data, i);
        struct json_object *v;
        if (json_object_object_get_ex(d, "isDeleted", &v) && json_object_get_boolean(v))
            continue;
        struct json_object *for_what = member(d, "availableFor", json_type_array);
        bool on_rate = !for_what;
        for (size_t k = 0; for_what && k < json_object_array_length(for_what); k++) {
            const char *f = json_object_get_string(json_object_array_get_idx(for_what, k));
            on_rate = on_rate || (f && strcmp(f, "rate") == 0);
        }
        if (!on_rate)
            continue;
        const char *type = str_of(d, "type"), *kind = str_of(d, "amountType");
        if (strcmp(type, "tax") != 0 && strcmp(type, "fee") != 0)
            return pms_fail(err, PMS_ERR_PROTOCOL, "tax or fee of type '%s'", type);
        int tk = tax_kind(kind);
        if (tk < 0) {
            (*skipped)++;
            continue;
        }
        if (*count >= max)
            return pms_fail(err, PMS_ERR_PROTOCOL, "more than %d taxes and fees on rooms", max);
        cloudbeds_tax_rule_t *r = &rules[*count];
        memset(r, 0, sizeof *r);
        snprintf(r->name, sizeof r->name, "%s", *str_of(d, "name") ? str_of(d, "name") : type);
        r->fee = strcmp(type, "fee") == 0;
        r->inclusive = strcmp(str_of(d, "inclusiveOrExclusive"), "inclusive") == 0;
        r->kind = (cloudbeds_tax_kind_t)tk;
        r->percentage = r->kind == CB_TAX_PERCENTAGE;
        snprintf(r->id, sizeof r->id, "%s", str_of(d, r->fee ? "feeID" : "taxID"));
        pms_err_t e = tax_amounts(d, currency, r, err);
        if (e != PMS_OK)
            return e;
        struct json_object *types = member(d, "roomTypes", json_type_array);
        for (size_t k = 0; types && k < json_object_array_length(types); k++) {
            const char *id = str_of(json_object_array_get_idx(types, k), "roomTypeID");
            if (*id && r->room_type_count < CLOUDBEDS_TAX_ROOM_TYPES)
                snprintf(r->room_types[r->room_type_count++], PMS_ID_MAX, "%s", id);
        }
        (*count)++;
    }
    mark_tax_free(data, rules, *count);
    return PMS_OK;
}

static bool rule_applies(const cloudbeds_tax_rule_t *r, const char *room_type_id)
{
    if (r->room_type_count == 0)
        return true;
    for (int i = 0; i < r->room_type_count; i++)
        if (strcmp(r->room_types[i], room_type_id) == 0)
            return true;
    return false;
}

/* A percentage of the night's rate: an inclusive one is the part of the
 * rate it is in (110000 with 10% VAT in it holds 10000). */
static int64_t percent_of(int64_t rate, double percent, bool inclusive)
{
    return inclusive ? rate - llround((double)rate * 100.0 / (100.0 + percent))
                     : llround((double)rate * percent / 100.0);
}

/* A rate-based tax's percentage for a night at `rate`: the tier with the
 * lowest maximum rate at or above it (Cloudbeds' API: each tier's `rate` is
 * the highest rate it is valid for); a rate above every tier takes the top
 * tier's, so a night is never left untaxed by being dear. */
static double tier_percent(const cloudbeds_tax_rule_t *r, int64_t rate)
{
    for (int i = 0; i < r->tier_count; i++)
        if (rate <= r->tiers[i].max_rate)
            return r->tiers[i].percent;
    return r->tier_count > 0 ? r->tiers[r->tier_count - 1].percent : 0;
}

void cloudbeds_apply_taxes(const cloudbeds_tax_rule_t *rules, int count, const char *room_type_id,
                           int64_t rate, pms_night_taxes_t *out)
{
    memset(out, 0, sizeof *out);
    if (rate <= 0)
        return; /* a night not sold has no price to tax */
    int64_t added = 0;
    for (int i = 0; i < count && out->count < PMS_MAX_TAX_ITEMS; i++) {
        const cloudbeds_tax_rule_t *r = &rules[i];
        if (!rule_applies(r, room_type_id))
            continue;
        pms_tax_item_t *it = &out->items[out->count++];
        snprintf(it->name, sizeof it->name, "%s", r->name);
        it->fee = r->fee;
        it->inclusive = r->inclusive;
        it->tax_free = r->tax_free;
        switch (r->kind) {
        case CB_TAX_PERCENTAGE:
            it->amount = percent_of(rate, r->percent, r->inclusive);
            break;
        case CB_TAX_RATE_BASED:
            it->amount = percent_of(rate, tier_percent(r, rate), r->inclusive);
            break;
        case CB_TAX_FIXED:
            it->amount = r->amount;
            break;
        case CB_TAX_PER_PERSON:
            it->basis = PMS_TAX_PER_PERSON_NIGHT;
            it->amount_adult = r->amount_adult;
            it->amount_child = r->amount_child;
            it->max_nights = r->max_nights;
            break;
        case CB_TAX_PER_ACCOMMODATION:
            it->basis = PMS_TAX_PER_ROOM_STAY;
            it->amount = r->amount;
            break;
        case CB_TAX_PER_RESERVATION:
            it->basis = PMS_TAX_PER_STAY;
            it->amount = r->amount;
            break;
        }
        if (!r->inclusive && it->basis == PMS_TAX_PER_NIGHT)
            added += it->amount;
    }
    out->total = out->count > 0 ? rate + added : 0;
}

/* --- cached facts --- */

typedef struct currency_ctx {
    char currency[4];
} currency_ctx_t;

static pms_err_t parse_currency(struct json_object *root, void *ctx, pms_error_t *err)
{
    pms_hotel_t h = {0};
    pms_err_t e = cloudbeds_parse_hotel(root, &h, err);
    if (e == PMS_OK)
        memcpy(((currency_ctx_t *)ctx)->currency, h.currency, sizeof h.currency);
    return e;
}

/* The property's currency (cached META_TTL_MS). */
static pms_err_t hotel_currency(pms_connector_t *c, const char *hotel_id, char currency[4],
                                pms_error_t *err)
{
    cb_state_t *s = pms_vendor_state(c);
    pthread_mutex_lock(&s->mu);
    hotel_meta_t *h = meta_entry(s, hotel_id); /* entries live as long as s */
    pms_err_t e = PMS_OK;
    while (h && !fresh(h->currency_at_ms) && !flight_take(s, &h->currency_flight, &e, err) &&
           e == PMS_OK)
        ; /* another thread's read ended: look at the cache again */
    bool cached = h && fresh(h->currency_at_ms);
    if (cached)
        memcpy(currency, h->currency, 4);
    bool reader = h && !cached && e == PMS_OK; /* the flight is this thread's */
    pthread_mutex_unlock(&s->mu);
    if (cached || e != PMS_OK)
        return e;
    const char *q[] = {"propertyID", hotel_id, NULL};
    pms_http_call_t hc = {hotel_id, "getHotelDetails", "GET", API "getHotelDetails", q, NULL};
    currency_ctx_t cc = {{0}};
    e = call(c, &hc, parse_currency, &cc, err);
    if (e == PMS_OK)
        memcpy(currency, cc.currency, 4);
    pthread_mutex_lock(&s->mu);
    if (e == PMS_OK && h) {
        memcpy(h->currency, cc.currency, 4);
        h->currency_at_ms = clock_now_ms();
    }
    if (reader)
        flight_land(s, &h->currency_flight, e, err);
    pthread_mutex_unlock(&s->mu);
    return e;
}

typedef struct taxes_ctx {
    const char *currency;
    cloudbeds_tax_rule_t rules[CLOUDBEDS_MAX_TAX_RULES];
    int count, skipped;
} taxes_ctx_t;

static pms_err_t parse_taxes(struct json_object *root, void *ctx, pms_error_t *err)
{
    taxes_ctx_t *t = ctx;
    return cloudbeds_parse_taxes(root, t->currency, t->rules, CLOUDBEDS_MAX_TAX_RULES, &t->count,
                                 &t->skipped, err);
}

/* The property's taxes and fees on room nights (cached META_TTL_MS, like
 * the currency: a hotel changes them rarely). */
static pms_err_t hotel_taxes(pms_connector_t *c, const char *hotel_id, const char *currency,
                             taxes_ctx_t *out, pms_error_t *err)
{
    cb_state_t *s = pms_vendor_state(c);
    pthread_mutex_lock(&s->mu);
    hotel_meta_t *h = meta_entry(s, hotel_id); /* entries live as long as s */
    pms_err_t e = PMS_OK;
    while (h && !fresh(h->taxes_at_ms) && !flight_take(s, &h->taxes_flight, &e, err) && e == PMS_OK)
        ; /* another thread's read ended: look at the cache again */
    bool cached = h && fresh(h->taxes_at_ms);
    if (cached) {
        memcpy(out->rules, h->taxes, sizeof out->rules);
        out->count = h->tax_count;
    }
    bool reader = h && !cached && e == PMS_OK; /* the flight is this thread's */
    pthread_mutex_unlock(&s->mu);
    if (cached || e != PMS_OK)
        return e;
    const char *q[] = {"propertyID", hotel_id, NULL};
    pms_http_call_t hc = {hotel_id, "getTaxesAndFees", "GET", API "getTaxesAndFees", q, NULL};
    out->currency = currency;
    e = call(c, &hc, parse_taxes, out, err);
    if (e == PMS_OK && out->skipped > 0)
        log_kv(LOG_LEVEL_WARN, "Cloudbeds taxes or fees of an unknown amountType left out", "hotel",
               hotel_id, NULL);
    pthread_mutex_lock(&s->mu);
    if (e == PMS_OK && h) {
        memcpy(h->taxes, out->rules, sizeof h->taxes);
        h->tax_count = out->count;
        h->taxes_at_ms = clock_now_ms();
    }
    if (reader)
        flight_land(s, &h->taxes_flight, e, err);
    pthread_mutex_unlock(&s->mu);
    return e;
}

static pms_err_t parse_room_types(struct json_object *root, void *ctx, pms_error_t *err)
{
    return cloudbeds_parse_room_types(root, ctx, err);
}

static pms_err_t fetch_room_types(pms_connector_t *c, const char *hotel_id, pms_room_types_t *out,
                                  pms_error_t *err)
{
    const char *q[] = {"propertyIDs", hotel_id, NULL};
    pms_http_call_t hc = {hotel_id, "getRoomTypes", "GET", API "getRoomTypes", q, NULL};
    pms_err_t e = call(c, &hc, parse_room_types, out, err);
    if (e != PMS_OK) {
        pms_room_types_free(out);
        return e;
    }
    cb_state_t *s = pms_vendor_state(c);
    room_units_t *units = calloc(out->count ? out->count : 1, sizeof *units);
    if (!units)
        return PMS_OK; /* the answer is good; only the cache is skipped */
    for (size_t i = 0; i < out->count; i++) {
        memcpy(units[i].id, out->items[i].id, sizeof units[i].id);
        units[i].units = out->items[i].total_rooms;
    }
    pthread_mutex_lock(&s->mu);
    hotel_meta_t *h = meta_entry(s, hotel_id);
    if (h) {
        free(h->rooms);
        h->rooms = units;
        h->room_count = out->count;
        h->rooms_at_ms = clock_now_ms();
        units = NULL;
    }
    pthread_mutex_unlock(&s->mu);
    free(units);
    return PMS_OK;
}

/* Total rooms of a room type (cached META_TTL_MS). */
static pms_err_t room_units(pms_connector_t *c, const char *hotel_id, const char *room_type_id,
                            int *units, pms_error_t *err)
{
    cb_state_t *s = pms_vendor_state(c);
    for (int pass = 0; pass < 2; pass++) {
        int found = -1;
        bool cached = false;
        pthread_mutex_lock(&s->mu);
        hotel_meta_t *h = meta_entry(s, hotel_id);
        if (h && fresh(h->rooms_at_ms)) {
            cached = true;
            for (size_t i = 0; i < h->room_count; i++)
                if (strcmp(h->rooms[i].id, room_type_id) == 0)
                    found = h->rooms[i].units;
        }
        pthread_mutex_unlock(&s->mu);
        if (found >= 0) {
            *units = found;
            return PMS_OK;
        }
        if (cached && pass == 1)
            break;
        bool reader = false;
        pms_err_t fe = PMS_OK;
        pthread_mutex_lock(&s->mu);
        h = meta_entry(s, hotel_id); /* entries live as long as s */
        bool joined = h && !(reader = flight_take(s, &h->rooms_flight, &fe, err));
        pthread_mutex_unlock(&s->mu);
        if (joined) {
            if (fe != PMS_OK)
                return fe;
            continue; /* another thread's read ended: look again */
        }
        pms_room_types_t rt = {0};
        pms_err_t e = fetch_room_types(c, hotel_id, &rt, err);
        pms_room_types_free(&rt);
        if (reader) {
            pthread_mutex_lock(&s->mu);
            flight_land(s, &h->rooms_flight, e, err);
            pthread_mutex_unlock(&s->mu);
        }
        if (e != PMS_OK)
            return e;
    }
    return pms_fail(err, PMS_ERR_NOT_FOUND, "hotel %s has no room type %s", hotel_id, room_type_id);
}

/* --- operations --- */

static pms_err_t find_reservation(pms_connector_t *c, const char *hotel_id, const char *reference,
                                  dates_day_t check_in, pms_reservation_t *out, pms_error_t *err);

static pms_err_t parse_hotel(struct json_object *root, void *ctx, pms_error_t *err)
{
    return cloudbeds_parse_hotel(root, ctx, err);
}

static pms_err_t get_hotel(pms_connector_t *c, const char *hotel_id, pms_hotel_t *out,
                           pms_error_t *err)
{
    const char *q[] = {"propertyID", hotel_id, NULL};
    pms_http_call_t hc = {hotel_id, "getHotelDetails", "GET", API "getHotelDetails", q, NULL};
    return call(c, &hc, parse_hotel, out, err);
}

/* ------------------------------------------------------------- setup -- */

static pms_err_t parse_custom_fields(struct json_object *root, void *ctx, pms_error_t *err)
{
    return cloudbeds_parse_custom_fields(root, ctx, err);
}

static pms_err_t parse_payment_methods(struct json_object *root, void *ctx, pms_error_t *err)
{
    return cloudbeds_parse_payment_methods(root, ctx, err);
}

static void add_check(pms_setup_checks_t *out, const char *id, pms_setup_state_t state,
                      const char *message)
{
    if (out->count >= PMS_SETUP_CHECKS_MAX)
        return;
    pms_setup_check_t *k = &out->items[out->count++];
    snprintf(k->id, sizeof k->id, "%s", id);
    k->state = state;
    snprintf(k->message, sizeof k->message, "%s", message);
}

/* One yes/no setting read with one request; unknown when it cannot be read. */
static void check_one(pms_connector_t *c, const char *hotel_id, const char *method, parse_fn parse,
                      const char *id, const char *ok, const char *missing, pms_setup_checks_t *out)
{
    const char *q[] = {"propertyID", hotel_id, NULL};
    char path[64];
    snprintf(path, sizeof path, API "%s", method);
    pms_http_call_t hc = {hotel_id, method, "GET", path, q, NULL};
    bool present = false;
    pms_error_t err = {0};
    if (call(c, &hc, parse, &present, &err) != PMS_OK) {
        char msg[PMS_SETUP_MESSAGE_MAX];
        snprintf(msg, sizeof msg, "could not be checked now (%s): %.160s", method, err.message);
        add_check(out, id, PMS_SETUP_UNKNOWN, msg);
        return;
    }
    add_check(out, id, present ? PMS_SETUP_OK : PMS_SETUP_MISSING, present ? ok : missing);
}

/* The property settings holds and bookings rely on (see the top comment). */
static void check_setup(pms_connector_t *c, const char *hotel_id, pms_setup_checks_t *out)
{
    /* The status an API reservation starts in is not readable through the
     * API; create_hold refuses a reservation created in any other status. */
    add_check(out, "notConfirmedStatus", PMS_SETUP_UNKNOWN,
              "API reservations must be created as not_confirmed (awaiting payment); "
              "the API cannot show this setting, it is checked at the first hold");
    check_one(c, hotel_id, "getCustomFields", parse_custom_fields, "holdExpiresAtField",
              "the reservation custom field " CLOUDBEDS_HOLD_FIELD " exists",
              "the reservation custom field " CLOUDBEDS_HOLD_FIELD
              " (text, settable by the API) is missing",
              out);
    check_one(c, hotel_id, "getPaymentMethods", parse_payment_methods, "cashPayment",
              "cash is accepted as a payment method",
              "cash is not among the property's payment methods; API bookings are recorded "
              "as cash",
              out);
}

static pms_err_t get_room_types(pms_connector_t *c, const char *hotel_id, pms_room_types_t *out,
                                pms_error_t *err)
{
    return fetch_room_types(c, hotel_id, out, err);
}

typedef struct nights_ctx {
    const char *room_type_id;
    dates_day_t first;
    int nights;
    const char *currency;
    pms_nights_t *out;
} nights_ctx_t;

static pms_err_t parse_nights(struct json_object *root, void *ctx, pms_error_t *err)
{
    nights_ctx_t *n = ctx;
    return cloudbeds_parse_rate_plans(root, n->room_type_id, n->first, n->nights, n->currency,
                                      n->out, err);
}

static pms_err_t get_nights(pms_connector_t *c, const char *hotel_id, const char *room_type_id,
                            dates_day_t first_night, int nights, bool want_total, pms_nights_t *out,
                            pms_error_t *err)
{
    char currency[4];
    pms_err_t e = hotel_currency(c, hotel_id, currency, err);
    int total = 0;
    if (e == PMS_OK && want_total)
        e = room_units(c, hotel_id, room_type_id, &total, err);
    if (e != PMS_OK)
        return e;
    char start[DATES_ISO_LEN + 1], end[DATES_ISO_LEN + 1];
    dates_format_iso(first_night, start);
    dates_format_iso(first_night + nights, end);
    const char *q[] = {"propertyIDs", hotel_id, "roomTypeID",    room_type_id, "startDate", start,
                       "endDate",     end,      "detailedRates", "true",       NULL};
    pms_http_call_t hc = {hotel_id, "getRatePlans", "GET", API "getRatePlans", q, NULL};
    nights_ctx_t nc = {room_type_id, first_night, nights, currency, out};
    e = call(c, &hc, parse_nights, &nc, err);
    if (e != PMS_OK)
        return e;
    if (!want_total) {
        /* a rate read: the all-in price with the hotel's taxes and fees */
        taxes_ctx_t tx = {0};
        if ((e = hotel_taxes(c, hotel_id, currency, &tx, err)) != PMS_OK)
            return e;
        for (size_t i = 0; i < out->count; i++)
            cloudbeds_apply_taxes(tx.rules, tx.count, room_type_id, out->items[i].rate,
                                  &out->items[i].taxes);
    }
    for (size_t i = 0; i < out->count; i++) {
        out->items[i].total = want_total ? total : 0;
        if (want_total && out->items[i].available > total)
            out->items[i].total = out->items[i].available; /* units grew since cached */
    }
    return PMS_OK;
}

typedef struct plans_ctx {
    const char *room_type_id;
    const char *currency;
    pms_rate_plans_t *out;
} plans_ctx_t;

static pms_err_t parse_plans(struct json_object *root, void *ctx, pms_error_t *err)
{
    plans_ctx_t *p = ctx;
    return cloudbeds_parse_all_rate_plans(root, p->room_type_id, p->currency, p->out, err);
}

static pms_err_t get_rate_plans(pms_connector_t *c, const char *hotel_id, const char *room_type_id,
                                dates_day_t first_night, int nights, pms_rate_plans_t *out,
                                pms_error_t *err)
{
    char currency[4];
    pms_err_t e = hotel_currency(c, hotel_id, currency, err);
    if (e != PMS_OK)
        return e;
    char start[DATES_ISO_LEN + 1], end[DATES_ISO_LEN + 1];
    dates_format_iso(first_night, start);
    dates_format_iso(first_night + nights, end);
    const char *q[] = {"propertyIDs", hotel_id, "roomTypeID",    room_type_id, "startDate", start,
                       "endDate",     end,      "detailedRates", "true",       NULL};
    pms_http_call_t hc = {hotel_id, "getRatePlans", "GET", API "getRatePlans", q, NULL};
    plans_ctx_t pc = {room_type_id, currency, out};
    if ((e = call(c, &hc, parse_plans, &pc, err)) != PMS_OK)
        return e;
    taxes_ctx_t tx = {0};
    if ((e = hotel_taxes(c, hotel_id, currency, &tx, err)) != PMS_OK)
        return e;
    for (size_t k = 0; k < out->count; k++)
        for (int i = 0; i < out->nights; i++)
            cloudbeds_apply_taxes(tx.rules, tx.count, room_type_id, out->items[k].nights[i].rate,
                                  &out->items[k].nights[i].taxes);
    return PMS_OK;
}

typedef struct stay_ctx {
    const char *room_type_id;
    const char *rate_plan_id; /* NULL = the base plan */
    const char *currency;
    int rooms, adults, children;
    dates_day_t check_in;
    int nights;
    const taxes_ctx_t *taxes;
    pms_stay_check_t *out;
} stay_ctx_t;

void cloudbeds_party_all_in(const cloudbeds_tax_rule_t *rules, int count, const char *room_type_id,
                            const int64_t *night_rates, int nights, int64_t total, int rooms,
                            int adults, int children, pms_stay_check_t *out)
{
    int64_t sum = 0;
    for (int i = 0; night_rates && i < nights; i++)
        sum += night_rates[i];
    bool per_night = night_rates && nights > 0 && sum == total;
    int64_t all_in = 0, tax = 0, tax_free = 0, first = PMS_TOTAL_UNKNOWN;
    pms_stay_charges_t extra = {0, 0, 0};
    for (int i = 0; i < nights; i++) {
        /* nights that add up to the party's total are its own (taxed as the
         * rates read taxes them, to the same rounding); else the total is
         * spread evenly, the last night taking the remainder */
        int64_t rate =
            per_night ? night_rates[i] : total / nights + (i == nights - 1 ? total % nights : 0);
        pms_night_taxes_t t;
        cloudbeds_apply_taxes(rules, count, room_type_id, rate, &t);
        int64_t night = pms_night_all_in(rate, &t);
        all_in += night;
        tax += pms_night_tax_amount(&t);
        tax_free += pms_night_tax_free_amount(&t);
        if (i == 0 && per_night)
            first = night;
        /* the charges per guest and per stay, for the party: night i of the
         * stay carries the per-person items (their nights limit counted from
         * the arrival), the arrival night the per-stay ones */
        const pms_night_taxes_t *one = &t;
        pms_stay_charges_t c = i == 0 ? pms_stay_charges(&one, 1, rooms, adults, children)
                                      : pms_stay_charges(NULL, 0, rooms, adults, children);
        for (int k = 0; i > 0 && k < t.count; k++) {
            const pms_tax_item_t *it = &t.items[k];
            if (it->basis != PMS_TAX_PER_PERSON_NIGHT ||
                (it->max_nights > 0 && i >= it->max_nights))
                continue;
            int64_t a = it->amount_adult * adults + it->amount_child * children;
            c.amount += it->inclusive ? 0 : a;
            c.tax += it->fee ? 0 : a;
            c.tax_free += it->tax_free ? a : 0;
        }
        extra.amount += c.amount;
        extra.tax += c.tax;
        extra.tax_free += c.tax_free;
    }
    out->total = nights > 0 ? all_in + extra.amount : total;
    out->tax = tax + extra.tax;
    out->tax_free = tax_free + extra.tax_free;
    out->tax_known = nights > 0;
    out->first_night = first;
}

/* The asked plan of a getRatePlans answer for the party: its totalRate
 * (the room rate plus the extra guests' charges) and its rooms free. */
static pms_err_t parse_stay(struct json_object *root, void *ctx, pms_error_t *err)
{
    stay_ctx_t *s = ctx;
    struct json_object *data = member(root, "data", json_type_array), *plan = NULL;
    if (!data)
        return pms_fail(err, PMS_ERR_PROTOCOL, "getRatePlans answer lacks the data array");
    if (!s->rate_plan_id) {
        plan = base_plan(data, s->room_type_id);
    } else {
        for (size_t i = 0; i < json_object_array_length(data) && !plan; i++) {
            struct json_object *p = json_object_array_get_idx(data, i);
            const char *rt = str_of(p, "roomTypeID");
            if ((!*rt || strcmp(rt, s->room_type_id) == 0) &&
                strcmp(str_of(p, "rateID"), s->rate_plan_id) == 0)
                plan = p;
        }
    }
    if (!plan) {
        s->out->plan_unknown = s->rate_plan_id != NULL;
        return PMS_OK;
    }
    int free_rooms = 0;
    if (!int_of(plan, "roomsAvailable", &free_rooms))
        free_rooms = 0;
    s->out->bookable = free_rooms >= s->rooms;
    if (!s->out->bookable)
        return PMS_OK;
    snprintf(s->out->currency, sizeof s->out->currency, "%s", s->currency);
    if (!member(plan, "totalRate", json_type_int) && !member(plan, "totalRate", json_type_double))
        return PMS_OK;
    int64_t total;
    pms_err_t e = money_of(plan, "totalRate", s->currency, &total, err);
    if (e != PMS_OK)
        return e;
    /* the party's nights, when roomRateDetailed gives every one of them */
    int64_t rates[PMS_MAX_NIGHTS];
    int seen = 0;
    struct json_object *detailed = member(plan, "roomRateDetailed", json_type_array);
    for (size_t i = 0; detailed && i < json_object_array_length(detailed); i++) {
        struct json_object *night = json_object_array_get_idx(detailed, i);
        dates_day_t day;
        if (dates_parse_iso(str_of(night, "date"), &day) != 0 || day < s->check_in ||
            day >= s->check_in + s->nights)
            continue;
        const char *key = member(night, "totalRate", json_type_int) ||
                                  member(night, "totalRate", json_type_double)
                              ? "totalRate"
                              : "rateBase";
        if ((e = money_of(night, key, s->currency, &rates[day - s->check_in], err)) != PMS_OK)
            return e;
        seen++;
    }
    /* Cloudbeds' totalRate is before the taxes and fees it adds: the party's
     * price is made all in the way the nightly rates are */
    cloudbeds_party_all_in(s->taxes->rules, s->taxes->count, s->room_type_id,
                           seen == s->nights ? rates : NULL, s->nights, total, 1, s->adults,
                           s->children, s->out);
    return PMS_OK;
}

/* The stay under one plan for the party, in one getRatePlans call with
 * adults and children: Cloudbeds' totalRate is one room's price for them. */
static pms_err_t check_stay(pms_connector_t *c, const char *hotel_id, const char *room_type_id,
                            dates_day_t check_in, dates_day_t check_out, int rooms, int adults,
                            int children, const char *rate_plan_id, pms_stay_check_t *out,
                            pms_error_t *err)
{
    char currency[4];
    pms_err_t e = hotel_currency(c, hotel_id, currency, err);
    if (e != PMS_OK)
        return e;
    char start[DATES_ISO_LEN + 1], end[DATES_ISO_LEN + 1], ad[12], ch[12];
    dates_format_iso(check_in, start);
    dates_format_iso(check_out, end);
    snprintf(ad, sizeof ad, "%d", adults);
    snprintf(ch, sizeof ch, "%d", children);
    int nights = check_out - check_in;
    if (nights < 1 || nights > PMS_MAX_NIGHTS)
        return pms_fail(err, PMS_ERR_REJECTED, "a stay of %d nights", nights);
    taxes_ctx_t tx = {0};
    if ((e = hotel_taxes(c, hotel_id, currency, &tx, err)) != PMS_OK)
        return e;
    const char *q[] = {"propertyIDs",   hotel_id, "roomTypeID", room_type_id, "startDate", start,
                       "endDate",       end,      "adults",     ad,           "children",  ch,
                       "detailedRates", "true",   NULL};
    pms_http_call_t hc = {hotel_id, "getRatePlans", "GET", API "getRatePlans", q, NULL};
    stay_ctx_t sc = {room_type_id, rate_plan_id, currency, rooms, adults,
                     children,     check_in,     nights,   &tx,   out};
    return call(c, &hc, parse_stay, &sc, err);
}

typedef struct hold_ctx {
    const char *currency;
    pms_hold_t *out;
    bool not_a_hold; /* a reservation was made, but not in the hold state */
} hold_ctx_t;

pms_err_t cloudbeds_check_hold_status(struct json_object *root, pms_error_t *err)
{
    const char *status = str_of(root, "status");
    if (strcmp(status, "not_confirmed") == 0)
        return PMS_OK;
    return pms_fail(err, PMS_ERR_PROTOCOL,
                    "postReservation made a reservation in status '%s', not the 'not_confirmed' "
                    "a hold needs (the property's default status for API reservations)",
                    *status ? status : "(none)");
}

static pms_err_t parse_hold(struct json_object *root, void *ctx, pms_error_t *err)
{
    hold_ctx_t *h = ctx;
    pms_err_t e = cloudbeds_parse_post_reservation(root, h->currency, h->out, err);
    if (e == PMS_OK && (e = cloudbeds_check_hold_status(root, err)) != PMS_OK)
        h->not_a_hold = true;
    return e;
}

static pms_err_t put_status(pms_connector_t *c, const char *hotel_id, const char *reservation_id,
                            const char *status, pms_error_t *err);

static pms_err_t create_hold(pms_connector_t *c, const pms_hold_request_t *req, pms_hold_t *out,
                             pms_error_t *err)
{
    char currency[4];
    pms_err_t e = hotel_currency(c, req->hotel_id, currency, err);
    if (e != PMS_OK)
        return e;
    int ttl = req->ttl_seconds > 0 ? req->ttl_seconds : PMS_DEFAULT_HOLD_TTL_S;
    int64_t expires = clock_wall_ms() + (int64_t)ttl * 1000;
    char start[DATES_ISO_LEN + 1], end[DATES_ISO_LEN + 1], expires_text[DATES_RFC3339_LEN + 1];
    char rooms[12], adults[12], children[12];
    dates_format_iso(req->check_in, start);
    dates_format_iso(req->check_out, end);
    dates_format_rfc3339(expires, expires_text);
    snprintf(rooms, sizeof rooms, "%d", req->rooms > 0 ? req->rooms : 1);
    snprintf(adults, sizeof adults, "%d", req->adults);
    snprintf(children, sizeof children, "%d", req->children);
    const char *country = req->guest.country && *req->guest.country ? req->guest.country : "KR";
    /* The platform collects payment through its own gateway, so Cloudbeds
     * records the booking without a card: paymentMethod is "cash"
     * (pay-at-property in Cloudbeds' terms) and no cardToken is sent. */
    const char *form[] = {"propertyID",
                          req->hotel_id,
                          "startDate",
                          start,
                          "endDate",
                          end,
                          "guestFirstName",
                          req->guest.first_name,
                          "guestLastName",
                          req->guest.last_name,
                          "guestCountry",
                          country,
                          "guestEmail",
                          req->guest.email,
                          "guestPhone",
                          req->guest.phone ? req->guest.phone : "",
                          "rooms[0][roomTypeID]",
                          req->room_type_id,
                          "rooms[0][quantity]",
                          rooms,
                          "adults[0][roomTypeID]",
                          req->room_type_id,
                          "adults[0][quantity]",
                          adults,
                          "children[0][roomTypeID]",
                          req->room_type_id,
                          "children[0][quantity]",
                          children,
                          "paymentMethod",
                          "cash",
                          "thirdPartyIdentifier",
                          req->reference ? req->reference : "",
                          "customFields[0][fieldName]",
                          CLOUDBEDS_HOLD_FIELD,
                          "customFields[0][fieldValue]",
                          expires_text,
                          /* the rate plan sold; NULL here ends the form for the base plan */
                          req->rate_plan_id && *req->rate_plan_id ? "rooms[0][roomRateID]" : NULL,
                          req->rate_plan_id,
                          NULL};
    pms_http_call_t hc = {req->hotel_id, "postReservation",     "POST", API "postReservation", NULL,
                          form,          .not_idempotent = true};
    hold_ctx_t hx = {currency, out, false};
    e = call(c, &hc, parse_hold, &hx, err);
    if (e == PMS_OK) {
        out->expires_at_ms = expires;
        return PMS_OK;
    }
    if (hx.not_a_hold) {
        /* a booking nobody pays for: give the rooms back before refusing */
        pms_error_t ignore;
        memset(&ignore, 0, sizeof ignore);
        pms_err_t rel = put_status(c, req->hotel_id, out->hold_id, "canceled", &ignore);
        log_kv(LOG_LEVEL_WARN, "Cloudbeds reservation was not a hold: cancelled", "hotel",
               req->hotel_id, "reservation", out->hold_id, "cancelled", pms_err_name(rel), NULL);
        memset(out, 0, sizeof *out);
        return e;
    }
    if (e != PMS_ERR_TRANSIENT || !req->reference || !*req->reference)
        return e;
    /* A timeout or a 5xx: the hold may exist. Look for it rather than retry. */
    pms_reservation_t found;
    pms_error_t lookup;
    if (find_reservation(c, req->hotel_id, req->reference, req->check_in, &found, &lookup) !=
            PMS_OK ||
        found.status != PMS_RES_HOLD)
        return e;
    snprintf(out->hold_id, sizeof out->hold_id, "%s", found.reservation_id);
    memcpy(out->currency, found.currency, sizeof out->currency);
    out->total = found.total;
    out->expires_at_ms = found.hold_expires_at_ms > 0 ? found.hold_expires_at_ms : expires;
    memset(err, 0, sizeof *err);
    return PMS_OK;
}

/* putReservation status=<status>. */
static pms_err_t put_status(pms_connector_t *c, const char *hotel_id, const char *reservation_id,
                            const char *status, pms_error_t *err)
{
    const char *form[] = {"propertyID", hotel_id, "reservationID", reservation_id, "status",
                          status,       NULL};
    pms_http_call_t hc = {hotel_id, "putReservation", "PUT", API "putReservation", NULL, form};
    return call(c, &hc, NULL, NULL, err);
}

static pms_err_t release_hold(pms_connector_t *c, const char *hotel_id, const char *hold_id,
                              pms_error_t *err)
{
    return put_status(c, hotel_id, hold_id, "canceled", err);
}

static pms_err_t cancel_reservation(pms_connector_t *c, const char *hotel_id,
                                    const char *reservation_id, pms_error_t *err)
{
    return put_status(c, hotel_id, reservation_id, "canceled", err);
}

typedef struct res_ctx {
    const char *currency;
    pms_reservation_t *out;
} res_ctx_t;

static pms_err_t parse_res(struct json_object *root, void *ctx, pms_error_t *err)
{
    res_ctx_t *r = ctx;
    return cloudbeds_parse_reservation(root, r->currency, r->out, err);
}

static pms_err_t get_reservation(pms_connector_t *c, const char *hotel_id,
                                 const char *reservation_id, pms_reservation_t *out,
                                 pms_error_t *err)
{
    char currency[4];
    pms_err_t e = hotel_currency(c, hotel_id, currency, err);
    if (e != PMS_OK)
        return e;
    const char *q[] = {"propertyID", hotel_id, "reservationID", reservation_id, NULL};
    pms_http_call_t hc = {hotel_id, "getReservation", "GET", API "getReservation", q, NULL};
    res_ctx_t rc = {currency, out};
    return call(c, &hc, parse_res, &rc, err);
}

static pms_err_t confirm_hold(pms_connector_t *c, const char *hotel_id, const char *hold_id,
                              pms_reservation_t *out, pms_error_t *err)
{
    pms_err_t e = get_reservation(c, hotel_id, hold_id, out, err);
    if (e != PMS_OK)
        return e;
    switch (out->status) {
    case PMS_RES_CONFIRMED:
        return PMS_OK; /* a retried confirm: already done */
    case PMS_RES_CANCELLED:
        return pms_fail(err, PMS_ERR_CONFLICT, "hold %s expired or was released", hold_id);
    case PMS_RES_HOLD:
        break;
    case PMS_RES_UNKNOWN:
        return pms_fail(err, PMS_ERR_PROTOCOL, "hold %s has an unknown status", hold_id);
    }
    if (out->hold_expires_at_ms > 0 && clock_wall_ms() >= out->hold_expires_at_ms) {
        pms_error_t ignored;
        put_status(c, hotel_id, hold_id, "canceled", &ignored);
        out->status = PMS_RES_CANCELLED;
        return pms_fail(err, PMS_ERR_CONFLICT, "hold %s expired before it was confirmed", hold_id);
    }
    e = put_status(c, hotel_id, hold_id, "confirmed", err);
    if (e == PMS_OK)
        out->status = PMS_RES_CONFIRMED;
    return e;
}

/* putReservation's answer carries the reservation "as defined by
 * getReservation"; its status, when present, must be the one we asked for. */
static pms_err_t parse_put_confirmed(struct json_object *root, void *ctx, pms_error_t *err)
{
    (void)ctx;
    struct json_object *d = member(root, "data", json_type_object);
    const char *status = d ? str_of(d, "status") : "";
    if (!*status)
        return PMS_OK;
    pms_res_status_t st = status_of(status);
    if (st == PMS_RES_CONFIRMED)
        return PMS_OK;
    if (st == PMS_RES_CANCELLED)
        return pms_fail(err, PMS_ERR_CONFLICT, "the hold was canceled before it was confirmed");
    return pms_fail(err, PMS_ERR_PROTOCOL, "putReservation left the reservation %s", status);
}

/* The checkout's confirm in one request: the caller made the hold and knows
 * its expiry, so the read before the write (confirm_hold) is only needed when
 * it does not. Cloudbeds refuses to confirm a canceled reservation (409), and
 * the answer's status is checked, so a hold the hotel dropped meanwhile is
 * never taken for confirmed. */
static pms_err_t confirm_own_hold(pms_connector_t *c, const char *hotel_id, const char *hold_id,
                                  int64_t expires_at_ms, pms_reservation_t *out, pms_error_t *err)
{
    if (expires_at_ms <= 0)
        return confirm_hold(c, hotel_id, hold_id, out, err);
    if (clock_wall_ms() + PMS_CONFIRM_EXPIRY_MARGIN_MS >= expires_at_ms) {
        pms_error_t ignored;
        put_status(c, hotel_id, hold_id, "canceled", &ignored);
        out->status = PMS_RES_CANCELLED;
        return pms_fail(err, PMS_ERR_CONFLICT, "hold %s expired before it was confirmed", hold_id);
    }
    const char *form[] = {"propertyID", hotel_id, "reservationID", hold_id, "status",
                          "confirmed",  NULL};
    pms_http_call_t hc = {hotel_id, "putReservation", "PUT", API "putReservation", NULL, form};
    pms_err_t e = call(c, &hc, parse_put_confirmed, NULL, err);
    if (e != PMS_OK)
        return e;
    snprintf(out->reservation_id, sizeof out->reservation_id, "%s", hold_id);
    /* Cloudbeds shows guests the reservation ID as their confirmation code. */
    snprintf(out->confirmation_number, sizeof out->confirmation_number, "%s", hold_id);
    out->status = PMS_RES_CONFIRMED;
    return PMS_OK;
}

typedef struct list_ctx {
    const char *reference;
    char *id;
    bool *found;
    int *total;
} list_ctx_t;

static pms_err_t parse_list(struct json_object *root, void *ctx, pms_error_t *err)
{
    list_ctx_t *l = ctx;
    return cloudbeds_parse_reservation_list(root, l->reference, l->id, l->found, l->total, err);
}

typedef struct items_ctx {
    pms_reservation_list_t *out;
    int *total;
} items_ctx_t;

#define FIND_PAGE_SIZE 100
#define FIND_MAX_PAGES 20

static pms_err_t find_reservation(pms_connector_t *c, const char *hotel_id, const char *reference,
                                  dates_day_t check_in, pms_reservation_t *out, pms_error_t *err)
{
    char day[DATES_ISO_LEN + 1], page_text[12], size_text[12], id[PMS_ID_MAX] = "";
    dates_format_iso(check_in, day);
    snprintf(size_text, sizeof size_text, "%d", FIND_PAGE_SIZE);
    bool found = false;
    for (int page = 1; page <= FIND_MAX_PAGES; page++) {
        snprintf(page_text, sizeof page_text, "%d", page);
        const char *q[] = {"propertyID",
                           hotel_id,
                           "checkInFrom",
                           day,
                           "checkInTo",
                           day,
                           "includeCustomFields",
                           "true",
                           "pageNumber",
                           page_text,
                           "pageSize",
                           size_text,
                           NULL};
        pms_http_call_t hc = {hotel_id, "getReservations", "GET", API "getReservations", q, NULL};
        int total = 0;
        bool live_found = false;
        list_ctx_t lc = {reference, id, &live_found, &total};
        pms_err_t e = call(c, &hc, parse_list, &lc, err);
        if (e != PMS_OK)
            return e;
        found |= live_found;
        if (found || page * FIND_PAGE_SIZE >= total)
            break;
    }
    if (!found)
        return pms_fail(err, PMS_ERR_NOT_FOUND, "no reservation with reference %s on %s", reference,
                        day);
    return get_reservation(c, hotel_id, id, out, err);
}

static pms_err_t parse_items(struct json_object *root, void *ctx, pms_error_t *err)
{
    items_ctx_t *l = ctx;
    return cloudbeds_parse_reservation_items(root, l->out, l->total, err);
}

/* Cloudbeds pages getReservations (at most 100 an answer); pages are read
 * until the answer's total is reached, an empty page comes back, or the
 * list would exceed PMS_LIST_MAX_RESERVATIONS. */
static pms_err_t list_reservations(pms_connector_t *c, const char *hotel_id,
                                   dates_day_t check_in_from, dates_day_t check_in_to,
                                   pms_reservation_list_t *out, pms_error_t *err)
{
    char from[DATES_ISO_LEN + 1], to[DATES_ISO_LEN + 1], page_text[12], size_text[12];
    dates_format_iso(check_in_from, from);
    dates_format_iso(check_in_to, to);
    snprintf(size_text, sizeof size_text, "%d", FIND_PAGE_SIZE);
    for (int page = 1;; page++) {
        snprintf(page_text, sizeof page_text, "%d", page);
        const char *q[] = {"propertyID",
                           hotel_id,
                           "checkInFrom",
                           from,
                           "checkInTo",
                           to,
                           "includeCustomFields",
                           "true",
                           "pageNumber",
                           page_text,
                           "pageSize",
                           size_text,
                           NULL};
        pms_http_call_t hc = {hotel_id, "getReservations", "GET", API "getReservations", q, NULL};
        int total = 0;
        size_t before = out->count;
        items_ctx_t lc = {out, &total};
        pms_err_t e = call(c, &hc, parse_items, &lc, err);
        if (e != PMS_OK)
            return e;
        if (total > PMS_LIST_MAX_RESERVATIONS || out->count > PMS_LIST_MAX_RESERVATIONS)
            return pms_fail(err, PMS_ERR_REJECTED,
                            "more than %d reservations from %s to %s: narrow the range",
                            PMS_LIST_MAX_RESERVATIONS, from, to);
        if (out->count == before || out->count >= (size_t)total)
            return PMS_OK;
    }
}

/* The Cloudbeds events we consume (object, action): new reservations and
 * status changes (confirmations, cancellations) made at the front desk or by
 * other channels. Cloudbeds has no event for availability or rates. */
static const char *const WEBHOOK_EVENTS[][2] = {
    {"reservation", "created"},
    {"reservation", "status_changed"},
};

static pms_err_t parse_subscription(struct json_object *root, void *ctx, pms_error_t *err)
{
    return cloudbeds_parse_subscription(root, ctx, err);
}

static pms_err_t subscribe_webhooks(pms_connector_t *c, const char *hotel_id,
                                    const char *endpoint_url, pms_subscriptions_t *out,
                                    pms_error_t *err)
{
    for (size_t i = 0; i < sizeof WEBHOOK_EVENTS / sizeof WEBHOOK_EVENTS[0]; i++) {
        const char *form[] = {"propertyID",         hotel_id,     "object",
                              WEBHOOK_EVENTS[i][0], "action",     WEBHOOK_EVENTS[i][1],
                              "endpointUrl",        endpoint_url, NULL};
        pms_http_call_t hc = {hotel_id, "postWebhook", "POST", API "postWebhook", NULL, form};
        pms_err_t e = call(c, &hc, parse_subscription, out->ids[out->count], err);
        if (e != PMS_OK)
            return e;
        snprintf(out->events[out->count], PMS_ID_MAX, "%s/%s", WEBHOOK_EVENTS[i][0],
                 WEBHOOK_EVENTS[i][1]);
        out->count++;
    }
    return PMS_OK;
}

const pms_vendor_t pms_vendor_cloudbeds = {
    .name = "cloudbeds",
    .default_base_url = CLOUDBEDS_URL,
    .default_rate_per_second = 5.0,
    .traits = {.webhooks = true, .room_counts = true, .holds = false,
               .lists_reservations = true},
    .state_new = state_new,
    .state_free = state_free,
    .auth_headers = auth_headers,
    .classify = classify,
    .check_setup = check_setup,
    .get_hotel = get_hotel,
    .get_room_types = get_room_types,
    .get_nights = get_nights,
    .get_rate_plans = get_rate_plans,
    .check_stay = check_stay,
    .create_hold = create_hold,
    .release_hold = release_hold,
    .confirm_hold = confirm_hold,
    .confirm_own_hold = confirm_own_hold,
    .cancel_reservation = cancel_reservation,
    .get_reservation = get_reservation,
    .find_reservation = find_reservation,
    .list_reservations = list_reservations,
    .subscribe_webhooks = subscribe_webhooks,
};
