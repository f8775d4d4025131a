/*
 * inventory_client.c — HTTP to inventory-svc (see inventory_client.h).
 */
#include "inventory_client.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/http_client.h"
#include "common/json.h"
#include "common/log.h"

struct inventory_client {
    http_client_t *http;
};

inventory_client_t *inventory_client_new(const char *base_url, long timeout_ms,
                                         const char *service_token)
{
    inventory_client_t *ic = calloc(1, sizeof *ic);
    if (!ic)
        return NULL;
    char authorization[512] = "";
    const char *headers[] = {authorization, NULL};
    if (service_token && *service_token &&
        snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", service_token) >=
            (int)sizeof authorization) {
        free(ic);
        return NULL;
    }
    http_client_config_t cc = {.base_url = base_url,
                               .connect_timeout_ms = timeout_ms,
                               .total_timeout_ms = timeout_ms,
                               .default_headers = authorization[0] ? headers : NULL};
    ic->http = http_client_new(&cc);
    crypto_wipe(authorization, sizeof authorization); /* the client keeps its own copy */
    if (!ic->http) {
        free(ic);
        return NULL;
    }
    return ic;
}

void inventory_client_free(inventory_client_t *ic)
{
    if (!ic)
        return;
    http_client_free(ic->http);
    free(ic);
}

/* The answer's "source": fresh when the cache held it within its TTL or the
 * PMS was just asked; stale-cache (the PMS could not answer) is not. */
static bool source_is_fresh(struct json_object *root)
{
    struct json_object *s;
    if (!json_object_object_get_ex(root, "source", &s))
        return false;
    const char *v = json_object_get_string(s);
    return v && (strcmp(v, "cache") == 0 || strcmp(v, "pms") == 0);
}

/* The nights[] entry for the night idx of [first, first + nights), or NULL. */
static struct json_object *night_at(struct json_object *arr, size_t i, dates_day_t first,
                                    int nights, int *idx)
{
    struct json_object *n = json_object_array_get_idx(arr, i), *d;
    dates_day_t day;
    if (!json_object_object_get_ex(n, "date", &d) ||
        dates_parse_iso(json_object_get_string(d), &day) != 0)
        return NULL;
    *idx = day - first;
    return *idx >= 0 && *idx < nights ? n : NULL;
}

static struct json_object *nights_of(struct json_object *root)
{
    struct json_object *arr;
    if (!json_object_object_get_ex(root, "nights", &arr) ||
        !json_object_is_type(arr, json_type_array))
        return NULL;
    return arr;
}

/* Reads an InventoryResponse into out (availability, short_night, fresh). */
static void read_availability(struct json_object *root, dates_day_t first, int nights, int rooms,
                              inventory_stay_t *out)
{
    struct json_object *arr = nights_of(root);
    if (!arr)
        return;
    int seen = 0, first_short = -1; /* a night with fewer than `rooms` rooms */
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        int idx;
        struct json_object *n = night_at(arr, i, first, nights, &idx), *a;
        if (!n)
            continue;
        /* "available" (a count) or, from a PMS without counts, "bookable"
         * (which says nothing of several rooms: the PMS decides those) */
        bool free_room;
        if (json_object_object_get_ex(n, "available", &a))
            free_room = json_object_get_int(a) >= rooms;
        else if (json_object_object_get_ex(n, "bookable", &a))
            free_room = json_object_get_boolean(a);
        else
            return;
        struct json_object *known;
        if (json_object_object_get_ex(n, "countKnown", &known) && !json_object_get_boolean(known))
            out->count_unknown = true;
        seen++;
        if (!free_room && (first_short < 0 || idx < first_short))
            first_short = idx;
    }
    if (seen < nights)
        return;
    out->availability = first_short >= 0 ? INVENTORY_STAY_SHORT : INVENTORY_STAY_FREE;
    out->short_night = first_short;
    out->fresh = source_is_fresh(root);
}

/* The stay's charges that are not per room night (inventory_stay_t). */
typedef struct charges {
    int64_t per_adult, per_child, per_room, per_stay;
    int64_t per_adult_tax, per_child_tax, per_room_tax, per_stay_tax;
    int64_t per_adult_free, per_child_free, per_room_free, per_stay_free;
} charges_t;

static int64_t money_member(struct json_object *o, const char *key)
{
    struct json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

/* Item `it` of night idx of the stay, when charged per guest or per stay:
 * per guest on the nights its maxNights allows (counted from the arrival),
 * per room and per reservation on the arrival night only. An inclusive one
 * adds nothing (it is in the rate); its tax counts all the same. */
static void charge_add(struct json_object *it, int idx, bool is_tax, charges_t *c)
{
    struct json_object *b;
    const char *basis =
        json_object_object_get_ex(it, "basis", &b) ? json_object_get_string(b) : "night";
    bool inclusive = json_object_object_get_ex(it, "inclusive", &b) && json_object_get_boolean(b);
    bool free = json_object_object_get_ex(it, "taxFree", &b) && json_object_get_boolean(b);
    int64_t amount = money_member(it, "amount");
    if (basis && strcmp(basis, "person_night") == 0) {
        int64_t max_nights = money_member(it, "maxNights");
        if (max_nights > 0 && idx >= max_nights)
            return;
        int64_t adult = money_member(it, "amountAdult"), child = money_member(it, "amountChild");
        c->per_adult += inclusive ? 0 : adult;
        c->per_child += inclusive ? 0 : child;
        c->per_adult_tax += is_tax ? adult : 0;
        c->per_child_tax += is_tax ? child : 0;
        c->per_adult_free += free ? adult : 0;
        c->per_child_free += free ? child : 0;
    } else if (basis && strcmp(basis, "room_stay") == 0 && idx == 0) {
        c->per_room += inclusive ? 0 : amount;
        c->per_room_tax += is_tax ? amount : 0;
        c->per_room_free += free ? amount : 0;
    } else if (basis && strcmp(basis, "stay") == 0 && idx == 0) {
        c->per_stay += inclusive ? 0 : amount;
        c->per_stay_tax += is_tax ? amount : 0;
        c->per_stay_free += free ? amount : 0;
    }
}

/* Whether a TaxItem is charged per room night (an item without a basis,
 * from an inventory-svc before bases, is). */
static bool per_night(struct json_object *it)
{
    struct json_object *b;
    return !json_object_object_get_ex(it, "basis", &b) ||
           strcmp(json_object_get_string(b), "night") == 0;
}

/* What a night (or a plan's night) costs all in, and the tax in it: its
 * totalAmount and taxes (items of type tax charged per room night), or its
 * amount alone from an inventory-svc that does not state taxes; the items
 * charged per guest or per stay go to *c (night idx of the stay). -1 when
 * it has no amount. */
static int64_t all_in_of(struct json_object *o, int idx, int64_t *tax, int64_t *tax_free,
                         bool *stated, charges_t *c)
{
    struct json_object *v, *items;
    *tax = 0;
    *tax_free = 0;
    bool has = json_object_object_get_ex(o, "taxes", &items) &&
               json_object_is_type(items, json_type_array);
    *stated = *stated && has;
    if (has)
        for (size_t i = 0; i < json_object_array_length(items); i++) {
            struct json_object *it = json_object_array_get_idx(items, i), *t, *a;
            const char *type =
                json_object_object_get_ex(it, "type", &t) ? json_object_get_string(t) : NULL;
            bool is_tax = type && strcmp(type, "tax") == 0;
            bool free = json_object_object_get_ex(it, "taxFree", &t) && json_object_get_boolean(t);
            if (!per_night(it))
                charge_add(it, idx, is_tax, c);
            else if ((is_tax || free) && json_object_object_get_ex(it, "amount", &a))
                *(is_tax ? tax : tax_free) += json_object_get_int64(a);
        }
    if (json_object_object_get_ex(o, "totalAmount", &v) ||
        json_object_object_get_ex(o, "amount", &v))
        return json_object_get_int64(v);
    return -1;
}

static void charges_set(inventory_stay_t *out, const charges_t *c)
{
    out->per_adult = c->per_adult;
    out->per_child = c->per_child;
    out->per_room = c->per_room;
    out->per_stay = c->per_stay;
    out->per_adult_tax = c->per_adult_tax;
    out->per_child_tax = c->per_child_tax;
    out->per_room_tax = c->per_room_tax;
    out->per_stay_tax = c->per_stay_tax;
    out->per_adult_free = c->per_adult_free;
    out->per_child_free = c->per_child_free;
    out->per_room_free = c->per_room_free;
    out->per_stay_free = c->per_stay_free;
}

/* Reads a RatesResponse into out (price_known, price, currency): known only
 * when fresh and every night is priced in one currency. */
static void read_price(struct json_object *root, dates_day_t first, int nights,
                       inventory_stay_t *out)
{
    struct json_object *arr = nights_of(root);
    if (!arr || !source_is_fresh(root))
        return;
    int seen = 0;
    int64_t total = 0, tax = 0, tax_free = 0;
    bool taxes_stated = true;
    charges_t charges = {0};
    char currency[4] = "";
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        int idx;
        struct json_object *n = night_at(arr, i, first, nights, &idx), *a, *c;
        if (!n)
            continue;
        if (!json_object_object_get_ex(n, "amount", &a) ||
            !json_object_object_get_ex(n, "currency", &c))
            return;
        const char *cur = json_object_get_string(c);
        if (!cur || strlen(cur) != 3 || (currency[0] && strcmp(currency, cur) != 0))
            return;
        memcpy(currency, cur, 4);
        /* the guest pays the night all in: its rate and the taxes and fees
         * not already in it */
        int64_t night_tax, night_free;
        int64_t amount = all_in_of(n, idx, &night_tax, &night_free, &taxes_stated, &charges);
        if (amount < 0)
            return;
        tax_free += night_free;
        if (idx == 0)
            out->first_night = amount;
        total += amount;
        tax += night_tax;
        seen++;
    }
    if (seen < nights)
        return;
    out->price_known = true;
    out->price = total;
    out->tax = tax;
    out->tax_free = tax_free;
    out->tax_known = taxes_stated;
    charges_set(out, &charges);
    memcpy(out->currency, currency, sizeof out->currency);
}

/* The plan plan_id ("" = the one marked base) in a night's ratePlans, or NULL. */
static struct json_object *plan_of_night(struct json_object *night, const char *plan_id)
{
    struct json_object *plans, *v;
    if (!json_object_object_get_ex(night, "ratePlans", &plans) ||
        !json_object_is_type(plans, json_type_array))
        return NULL;
    for (size_t i = 0; i < json_object_array_length(plans); i++) {
        struct json_object *p = json_object_array_get_idx(plans, i);
        bool match = *plan_id ? json_object_object_get_ex(p, "ratePlanId", &v) &&
                                    strcmp(json_object_get_string(v), plan_id) == 0
                              : json_object_object_get_ex(p, "base", &v) &&
                                    json_object_get_boolean(v);
        if (match)
            return p;
    }
    return NULL;
}

static int64_t int_member(struct json_object *o, const char *key)
{
    struct json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static bool bool_member(struct json_object *o, const char *key)
{
    struct json_object *v;
    return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

/* Reads the asked plan of every night (and the departure day) of a
 * RatesResponse into out: plans_known, plan_missing, rules[], and the plan's
 * price over the stay (replacing the base price read before) when every
 * night lists it. */
static void read_plans(struct json_object *root, dates_day_t first, int nights,
                       const char *plan_id, inventory_stay_t *out)
{
    struct json_object *arr = nights_of(root);
    if (!arr || !source_is_fresh(root))
        return;
    int listed = 0, found = 0;
    int64_t total = 0, first_night = 0, tax = 0, tax_free = 0;
    bool taxes_stated = true;
    charges_t charges = {0};
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        int idx;
        struct json_object *n = night_at(arr, i, first, nights + 1, &idx), *rp, *rules;
        if (!n || !json_object_object_get_ex(n, "ratePlans", &rp))
            continue;
        struct json_object *plan = plan_of_night(n, plan_id);
        listed += idx < nights;
        if (!plan)
            continue;
        if (idx < nights) {
            found++;
            int64_t night_tax, night_free;
            int64_t amount = all_in_of(plan, idx, &night_tax, &night_free, &taxes_stated, &charges);
            total += amount > 0 ? amount : 0;
            tax += night_tax;
            tax_free += night_free;
            if (idx == 0)
                first_night = amount;
        }
        if (json_object_object_get_ex(plan, "rules", &rules)) {
            selling_rules_night_t *r = &out->rules[idx];
            r->known = true;
            r->rules.closed = bool_member(rules, "closed");
            r->rules.closed_to_arrival = bool_member(rules, "closedToArrival");
            r->rules.closed_to_departure = bool_member(rules, "closedToDeparture");
            r->rules.min_los = (int)int_member(rules, "minLos");
            r->rules.max_los = (int)int_member(rules, "maxLos");
        }
    }
    if (listed < nights)
        return;
    out->plans_known = true;
    out->plan_missing = found < nights;
    if (!out->plan_missing && out->price_known) {
        out->price = total;
        out->first_night = first_night;
        out->tax = tax;
        out->tax_free = tax_free;
        out->tax_known = taxes_stated;
        charges_set(out, &charges);
    }
}

/* GET path for the stay (plus extra_days after it); the parsed 200 answer
 * (caller puts) or NULL. */
static struct json_object *get_stay(inventory_client_t *ic, const char *path, const char *vendor,
                                    const char *hotel_id, const char *room_type_id,
                                    dates_day_t first, int nights, int extra_days,
                                    inventory_stay_t *out)
{
    char from[DATES_ISO_LEN + 1], to[DATES_ISO_LEN + 1];
    dates_format_iso(first, from);
    dates_format_iso(first + nights - 1 + extra_days, to); /* `to` is inclusive */

    const char *q[] = {"vendor", vendor, "hotelId", hotel_id, "roomTypeId", room_type_id,
                       "from",   from,   "to",      to,       NULL};
    http_client_response_t r;
    http_client_err_t e = http_client_get(ic->http, path, q, NULL, &r);
    struct json_object *root = NULL;
    if (e == HTTP_CLIENT_OK && r.status == 200) {
        json_error_t je;
        root = json_parse_object(r.body, r.body_len, &je);
    }
    if (e == HTTP_CLIENT_OK && r.status == 404) {
        json_error_t je;
        struct json_object *err = json_parse_object(r.body, r.body_len, &je), *code;
        out->not_found = true;
        out->hotel_unknown = err && json_object_object_get_ex(err, "errorCode", &code) &&
                             strcmp(json_object_get_string(code), "HOTEL_NOT_FOUND") == 0;
        json_object_put(err);
    } else if (!root) {
        log_kv(LOG_LEVEL_INFO, "inventory-svc could not answer; the PMS hold decides", "path", path,
               LOG_INT("status", e == HTTP_CLIENT_OK ? r.status : 0), "error",
               e == HTTP_CLIENT_OK ? "unexpected answer" : http_client_err_name(e), NULL);
    }
    http_client_response_clear(&r);
    return root;
}

void inventory_client_stay_plan(inventory_client_t *ic, const char *vendor, const char *hotel_id,
                                const char *room_type_id, dates_day_t first, int nights,
                                const char *rate_plan_id, int rooms, inventory_stay_t *out)
{
    memset(out, 0, sizeof *out);
    out->availability = INVENTORY_STAY_UNKNOWN;
    out->short_night = -1;
    if (!ic || nights < 1 || nights > PMS_MAX_NIGHTS)
        return;
    const char *plan = rate_plan_id ? rate_plan_id : "";
    struct json_object *inv =
        get_stay(ic, "/api/inventory", vendor, hotel_id, room_type_id, first, nights, 0, out);
    if (inv)
        read_availability(inv, first, nights, rooms > 0 ? rooms : 1, out);
    json_object_put(inv);
    if ((out->availability == INVENTORY_STAY_SHORT && out->fresh) || out->not_found)
        return; /* refused anyway: the price does not matter */
    /* the departure day too: its closed-to-departure rule */
    struct json_object *rates =
        get_stay(ic, "/api/rates", vendor, hotel_id, room_type_id, first, nights, 1, out);
    if (rates) {
        read_price(rates, first, nights, out);
        read_plans(rates, first, nights, plan, out);
    }
    json_object_put(rates);
    /* a plan other than the base one is priced only by its own rates */
    if (*plan && (!out->plans_known || out->plan_missing))
        out->price_known = false;
}

void inventory_client_stay(inventory_client_t *ic, const char *vendor, const char *hotel_id,
                           const char *room_type_id, dates_day_t first, int nights,
                           inventory_stay_t *out)
{
    inventory_client_stay_plan(ic, vendor, hotel_id, room_type_id, first, nights, NULL, 1, out);
}

int inventory_client_max_occupancy(inventory_client_t *ic, const char *vendor, const char *hotel_id,
                                   const char *room_type_id, int *max_guests, int *adults_included,
                                   int *children_included)
{
    *max_guests = *adults_included = *children_included = 0;
    if (!ic)
        return -1;
    char path[PMS_ID_MAX + 48];
    snprintf(path, sizeof path, "/api/hotels/%s/room-types", hotel_id);
    const char *q[] = {"vendor", vendor, NULL};
    http_client_response_t r;
    http_client_err_t e = http_client_get(ic->http, path, q, NULL, &r);
    int rc = -1;
    struct json_object *root = NULL, *types;
    json_error_t je;
    if (e == HTTP_CLIENT_OK && r.status == 200)
        root = json_parse_object(r.body, r.body_len, &je);
    if (root && json_object_object_get_ex(root, "roomTypes", &types) &&
        json_object_is_type(types, json_type_array)) {
        rc = 1;
        for (size_t i = 0; i < json_object_array_length(types); i++) {
            struct json_object *t = json_object_array_get_idx(types, i), *id, *max;
            if (json_object_object_get_ex(t, "roomTypeId", &id) &&
                strcmp(json_object_get_string(id), room_type_id) == 0 &&
                json_object_object_get_ex(t, "maxOccupancy", &max) &&
                json_object_get_int(max) > 0) {
                *max_guests = json_object_get_int(max);
                struct json_object *n;
                if (json_object_object_get_ex(t, "adultsIncluded", &n))
                    *adults_included = json_object_get_int(n);
                if (json_object_object_get_ex(t, "childrenIncluded", &n))
                    *children_included = json_object_get_int(n);
                rc = 0;
                break;
            }
        }
    }
    json_object_put(root);
    http_client_response_clear(&r);
    return rc;
}

int inventory_client_adjust(inventory_client_t *ic, const char *op, const booking_record_t *rec)
{
    if (!ic)
        return -1;
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "vendor", json_object_new_string(rec->vendor));
    json_object_object_add(o, "hotelId", json_object_new_string(rec->hotel_id));
    json_object_object_add(o, "roomTypeId", json_object_new_string(rec->room_type_id));
    json_object_object_add(o, "checkIn", json_object_new_string(rec->check_in_text));
    json_object_object_add(o, "checkOut", json_object_new_string(rec->check_out_text));
    json_object_object_add(o, "rooms", json_object_new_int(rec->rooms > 0 ? rec->rooms : 1));
    json_object_object_add(o, "bookingId", json_object_new_string(rec->booking_id));
    char *body = json_to_string_dup(o);
    json_object_put(o);
    if (!body)
        return -1;
    char path[64];
    snprintf(path, sizeof path, "/internal/inventory/%s", op);
    http_client_response_t r;
    http_client_err_t e = http_client_post_json(ic->http, path, NULL, body, &r);
    free(body);
    int rc = (e == HTTP_CLIENT_OK && r.status >= 200 && r.status < 300) ? 0 : -1;
    if (rc != 0) {
        log_kv(LOG_LEVEL_WARN, "inventory cache adjustment failed", "op", op, "bookingId",
               rec->booking_id, LOG_INT("status", r.status), "error",
               e == HTTP_CLIENT_OK ? "" : http_client_err_name(e), NULL);
    }
    http_client_response_clear(&r);
    return rc;
}
