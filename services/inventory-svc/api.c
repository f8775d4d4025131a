/*
 * api.c — inventory-svc's HTTP handlers (api.h). Handlers validate, call
 * fetch.c / adjust.c / degraded.c and shape the JSON; no cache logic here.
 */
#include "api.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adjust.h"
#include "admin_accounts.h"
#include "admin_api.h"
#include "admin_static.h"
#include "common/cancel_policy.h"
#include "common/http_audit.h"
#include "common/json.h"
#include "common/log.h"
#include "common/pms_keys.h"
#include "common/trace.h"
#include "degraded.h"
#include "fetch.h"
#include "local_cache.h"
#include "read_pool.h"
#include "consumers.h"
#include "query.h"
#include "session_api.h"
#include "store.h"
#include "admin_bookings.h"
#include "admin_hotels.h"
#include "admin_onboard.h"

static const char *request_query(void *req, const char *name)
{
    return http_request_query(req, name);
}

static int respond_validation(http_request_t *req, const json_error_t *err)
{
    return http_respond_error(req, 400, "VALIDATION_ERROR", err->field, err->message);
}

/* A hotel is known when it has PMS credentials (pms_keys.h: the environment
 * or a pms_config row); without any, every PMS call would fail for want of a
 * key, so an unknown hotel is answered 404 here and the PMS never called —
 * 503 stays for a PMS that is really failing. When MariaDB cannot say, the
 * read goes on (cache, stale cache, or 503). True to go on; false when
 * answered. */
static bool hotel_known(http_request_t *req, inv_app_t *app, const char *hotel_id)
{
    const char *vendor = pms_hotel_vendor(app->pms, hotel_id);
    if (pms_keystore_presence(app->keystore, vendor, hotel_id) != PMS_KEY_NONE)
        return true;
    char msg[160];
    snprintf(msg, sizeof msg, "unknown hotel %s: no %s credentials are configured for it", hotel_id,
             vendor);
    http_respond_error(req, 404, "HOTEL_NOT_FOUND", "hotelId", msg);
    return false;
}

/* Maps a failed fetch to its answer. */
static int respond_fetch_error(http_request_t *req, inv_fetch_status_t st, const char *msg)
{
    switch (st) {
    case INV_FETCH_NOT_FOUND:
        return http_respond_error(req, 404, "NOT_FOUND", NULL, msg);
    case INV_FETCH_REJECTED:
        return http_respond_error(req, 400, "VALIDATION_ERROR", NULL, msg);
    case INV_FETCH_BUSY:
        /* the hotel's PMS budget went to checkouts: a read may come back
         * in a moment, it is not the PMS being down */
        http_response_header(req, "Retry-After", "1");
        return http_respond_error(req, 503, "PMS_BUSY", NULL, msg);
    default:
        return http_respond_error(req, 503, "PMS_UNAVAILABLE", NULL, msg);
    }
}

/* The read path's body, written straight into one buffer (no JSON tree per
 * night, no second copy: the server takes the buffer). */
typedef struct body {
    char *buf;
    size_t len, cap;
    bool oom;
} body_t;

static void body_grow(body_t *b, size_t need)
{
    if (b->oom || b->len + need < b->cap)
        return;
    size_t cap = b->cap ? b->cap : 512;
    while (cap <= b->len + need)
        cap *= 2;
    char *p = realloc(b->buf, cap);
    if (!p) {
        b->oom = true;
        return;
    }
    b->buf = p;
    b->cap = cap;
}

static void body_put(body_t *b, const char *s, size_t n)
{
    body_grow(b, n);
    if (b->oom)
        return;
    memcpy(b->buf + b->len, s, n);
    b->len += n;
}

#define BODY_LIT(b, lit) body_put((b), (lit), sizeof(lit) - 1)

/* A JSON string (the ids are validated id-shaped, but escape anyway). */
static void body_string(body_t *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    body_put(b, "\"", 1);
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            body_put(b, e, 2);
        } else if (c < 0x20) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            body_put(b, e, 6);
        } else {
            body_put(b, (const char *)&c, 1);
        }
    }
    body_put(b, "\"", 1);
}

static void body_int(body_t *b, int64_t v)
{
    char digits[24];
    size_t n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        digits[sizeof digits - 1 - n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        digits[sizeof digits - 1 - n++] = '-';
    body_put(b, digits + sizeof digits - n, n);
}

/* {vendor, hotelId, roomTypeId, source, nights: [...]} for inventory, as
 * json-c would print it (plain); malloc'd, *len set; NULL when out of memory. */
static char *nights_body(const char *vendor, const char *hotel_id, const char *room_type_id,
                         const inv_nights_t *n, size_t *len)
{
    body_t b = {0};
    body_grow(&b, 160 + (size_t)n->count * 56);
    BODY_LIT(&b, "{\"vendor\":");
    body_string(&b, vendor);
    BODY_LIT(&b, ",\"hotelId\":");
    body_string(&b, hotel_id);
    BODY_LIT(&b, ",\"roomTypeId\":");
    body_string(&b, room_type_id);
    BODY_LIT(&b, ",\"source\":");
    body_string(&b, inv_source_name(n->source));
    BODY_LIT(&b, ",\"nights\":[");
    for (int i = 0; i < n->count; i++) {
        const inv_night_t *night = &n->items[i];
        char day[DATES_ISO_LEN + 1];
        dates_format_iso(night->date, day);
        body_put(&b, i ? ",{\"date\":\"" : "{\"date\":\"", i ? 10 : 9);
        body_put(&b, day, DATES_ISO_LEN);
        /* a PMS without room counts: "bookable, count unknown", never an
         * invented number (the same fields as nights_json) */
        if (night->available > 0)
            BODY_LIT(&b, "\",\"bookable\":true");
        else
            BODY_LIT(&b, "\",\"bookable\":false");
        if (night->count_unknown) {
            BODY_LIT(&b, ",\"countKnown\":false}");
            continue;
        }
        BODY_LIT(&b, ",\"countKnown\":true,\"available\":");
        body_int(&b, night->available);
        BODY_LIT(&b, ",\"total\":");
        body_int(&b, night->total);
        BODY_LIT(&b, "}");
    }
    BODY_LIT(&b, "]}");
    if (b.oom) {
        free(b.buf);
        return NULL;
    }
    *len = b.len;
    return b.buf;
}

/* The night's taxes and fees and what it costs all in, the base plan's
 * (`amount` is its rate): a value cached before taxes were read, or from a
 * PMS that states none, has no items and costs its amount; a night the base
 * plan has no price for loses its amount (priced false there). */
static void add_all_in(struct json_object *night, int64_t amount, struct json_object *plans)
{
    struct json_object *base = NULL, *v;
    for (size_t k = 0; plans && json_object_is_type(plans, json_type_array) &&
                       k < json_object_array_length(plans);
         k++) {
        struct json_object *p = json_object_array_get_idx(plans, k);
        if (json_object_object_get_ex(p, "base", &v) && json_object_get_boolean(v)) {
            base = p;
            break;
        }
    }
    struct json_object *taxes = NULL, *total = NULL;
    if (base && json_object_object_get_ex(base, "priced", &v) && !json_object_get_boolean(v)) {
        /* the PMS did not price the night under the base plan (OPERA: a
         * restriction closes it): no amount, never a made-up 0 */
        json_object_object_del(night, "amount");
        json_object_object_add(night, "priced", json_object_new_boolean(false));
        return;
    }
    if (base && json_object_object_get_ex(base, "taxes", &taxes) &&
        json_object_object_get_ex(base, "totalAmount", &total)) {
        json_object_object_add(night, "taxes", json_object_get(taxes));
        json_object_object_add(night, "totalAmount", json_object_get(total));
        return;
    }
    json_object_object_add(night, "taxes", json_object_new_array());
    json_object_object_add(night, "totalAmount", json_object_new_int64(amount));
}

/* The same document as a json-c tree, for answers that add members to it. */
static struct json_object *nights_json(const char *vendor, const char *hotel_id,
                                       const char *room_type_id, inv_kind_t kind,
                                       const inv_nights_t *n)
{
    struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
    json_object_object_add(o, "vendor", json_object_new_string(vendor));
    json_object_object_add(o, "hotelId", json_object_new_string(hotel_id));
    json_object_object_add(o, "roomTypeId", json_object_new_string(room_type_id));
    json_object_object_add(o, "source", json_object_new_string(inv_source_name(n->source)));
    for (int i = 0; i < n->count; i++) {
        const inv_night_t *night = &n->items[i];
        char day[DATES_ISO_LEN + 1];
        dates_format_iso(night->date, day);
        struct json_object *e = json_object_new_object();
        json_object_object_add(e, "date", json_object_new_string(day));
        if (kind == INV_KIND_INVENTORY) {
            /* a PMS without room counts: "bookable, count unknown", never
             * an invented number */
            json_object_object_add(e, "bookable", json_object_new_boolean(night->available > 0));
            json_object_object_add(e, "countKnown", json_object_new_boolean(!night->count_unknown));
            if (!night->count_unknown) {
                json_object_object_add(e, "available", json_object_new_int(night->available));
                json_object_object_add(e, "total", json_object_new_int(night->total));
            }
        } else {
            json_object_object_add(e, "amount", json_object_new_int64(night->amount));
            json_object_object_add(e, "currency", json_object_new_string(night->currency));
            struct json_object *plans = night->plans ? json_tokener_parse(night->plans) : NULL;
            add_all_in(e, night->amount, plans);
            if (plans && json_object_is_type(plans, json_type_array))
                json_object_object_add(e, "ratePlans", plans);
            else
                json_object_put(plans);
        }
        json_object_array_add(arr, e);
    }
    json_object_object_add(o, "nights", arr);
    return o;
}

/* The policy text of plan (its own, the base plan's "base", else the
 * hotel's "*") in policies, or NULL. */
static const char *policy_of_plan(struct json_object *policies, struct json_object *plan)
{
    struct json_object *v;
    const char *id = json_object_object_get_ex(plan, "ratePlanId", &v) ? json_object_get_string(v)
                                                                        : "";
    bool base = json_object_object_get_ex(plan, "base", &v) && json_object_get_boolean(v);
    if ((id && json_object_object_get_ex(policies, id, &v)) ||
        (base && json_object_object_get_ex(policies, "base", &v)) ||
        json_object_object_get_ex(policies, "*", &v))
        return json_object_get_string(v);
    return NULL;
}

/* Every plan of every night of a RatesResponse gets its cancellation
 * policy, in words for a stay arriving that night (the first night's price:
 * that night's): the one configured on the platform for it (or the hotel's),
 * else the one the hotel's PMS states for the plan (pmsCancellationPolicy of
 * the cached night, never shown as such). Nothing when neither exists; a
 * MariaDB that cannot say leaves the PMS's (the read still answers). */
static void attach_cancel_policies(inv_app_t *app, const char *hotel_id, struct json_object *o)
{
    struct json_object *policies =
        inv_store_cancel_policies(app->store, pms_hotel_vendor(app->pms, hotel_id), hotel_id);
    struct json_object *nights, *plans, *v;
    if (!json_object_object_get_ex(o, "nights", &nights)) {
        json_object_put(policies);
        return;
    }
    for (size_t i = 0; i < json_object_array_length(nights); i++) {
        struct json_object *night = json_object_array_get_idx(nights, i);
        dates_day_t day;
        if (!json_object_object_get_ex(night, "ratePlans", &plans) ||
            !json_object_object_get_ex(night, "date", &v) ||
            dates_parse_iso(json_object_get_string(v), &day) != 0)
            continue;
        const char *currency =
            json_object_object_get_ex(night, "currency", &v) ? json_object_get_string(v) : "";
        for (size_t k = 0; k < json_object_array_length(plans); k++) {
            struct json_object *plan = json_object_array_get_idx(plans, k), *pms_policy = NULL;
            json_object_object_get_ex(plan, "pmsCancellationPolicy", &pms_policy);
            cancel_policy_t p;
            const char *text = policies ? policy_of_plan(policies, plan) : NULL;
            if (!text && pms_policy)
                text = json_object_to_json_string_ext(pms_policy, JSON_C_TO_STRING_PLAIN);
            if (text && cancel_policy_parse(text, &p) == 0) {
                p.first_night =
                    json_object_object_get_ex(plan, "amount", &v) ? json_object_get_int64(v) : 0;
                char *shown =
                    cancel_policy_to_json(&p, day, p.first_night > 0 ? p.first_night : 1, currency);
                struct json_object *po = shown ? json_tokener_parse(shown) : NULL;
                if (po)
                    json_object_object_add(plan, "cancellationPolicy", po);
                free(shown);
            }
            json_object_object_del(plan, "pmsCancellationPolicy");
        }
    }
    json_object_put(policies);
}

/* A night's TaxItem list (its JSON) read back into the vendor-neutral
 * shape, for the stay's charges. */
static void items_of(struct json_object *taxes, pms_night_taxes_t *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; taxes && json_object_is_type(taxes, json_type_array) &&
                       i < json_object_array_length(taxes) && out->count < PMS_MAX_TAX_ITEMS;
         i++) {
        struct json_object *it = json_object_array_get_idx(taxes, i), *v;
        pms_tax_item_t *x = &out->items[out->count++];
        if (json_object_object_get_ex(it, "name", &v))
            snprintf(x->name, sizeof x->name, "%s", json_object_get_string(v));
        x->fee = json_object_object_get_ex(it, "type", &v) &&
                 strcmp(json_object_get_string(v), "fee") == 0;
        x->inclusive = json_object_object_get_ex(it, "inclusive", &v) && json_object_get_boolean(v);
        x->tax_free = json_object_object_get_ex(it, "taxFree", &v) && json_object_get_boolean(v);
        x->amount = json_object_object_get_ex(it, "amount", &v) ? json_object_get_int64(v) : 0;
        int basis = json_object_object_get_ex(it, "basis", &v)
                        ? pms_tax_basis_parse(json_object_get_string(v))
                        : PMS_TAX_PER_NIGHT;
        x->basis = basis < 0 ? PMS_TAX_PER_NIGHT : (pms_tax_basis_t)basis;
        x->amount_adult =
            json_object_object_get_ex(it, "amountAdult", &v) ? json_object_get_int64(v) : 0;
        x->amount_child =
            json_object_object_get_ex(it, "amountChild", &v) ? json_object_get_int64(v) : 0;
        x->max_nights = json_object_object_get_ex(it, "maxNights", &v) ? json_object_get_int(v) : 0;
    }
}

/* The adults and children the room type's rate includes (0 when the PMS
 * does not say), from the cached room types. */
static void included_guests(inv_app_t *app, const char *hotel_id, const char *room_type_id,
                            int *adults, int *children)
{
    *adults = *children = 0;
    inv_room_types_t rt;
    char msg[256];
    if (inv_fetch_room_types(app, hotel_id, &rt, msg, sizeof msg) != INV_FETCH_OK)
        return;
    struct json_object *types = json_tokener_parse(rt.json), *v;
    inv_room_types_free(&rt);
    for (size_t i = 0; types && json_object_is_type(types, json_type_array) &&
                       i < json_object_array_length(types);
         i++) {
        struct json_object *t = json_object_array_get_idx(types, i);
        if (!json_object_object_get_ex(t, "roomTypeId", &v) ||
            strcmp(json_object_get_string(v), room_type_id) != 0)
            continue;
        if (json_object_object_get_ex(t, "adultsIncluded", &v))
            *adults = json_object_get_int(v);
        if (json_object_object_get_ex(t, "childrenIncluded", &v))
            *children = json_object_get_int(v);
    }
    json_object_put(types);
}

/* One stay charge as the party pays it: {name, type, basis, amount, inclusive}. */
static struct json_object *charge_json(const pms_tax_item_t *it, int64_t amount)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(it->name));
    json_object_object_add(o, "type", json_object_new_string(it->fee ? "fee" : "tax"));
    json_object_object_add(o, "basis", json_object_new_string(pms_tax_basis_name(it->basis)));
    json_object_object_add(o, "amount", json_object_new_int64(amount));
    json_object_object_add(o, "inclusive", json_object_new_boolean(it->inclusive));
    if (it->tax_free)
        json_object_object_add(o, "taxFree", json_object_new_boolean(true));
    return o;
}

/* The read's nights [from, to] as one stay of the party under the base
 * plan, added to the RatesResponse o: adults, children, rooms; stayCharges
 * (the items charged per guest or per stay, as the party pays them over the
 * stay); totalAmount (what the checkout of that stay demands: every room's
 * nights all in plus those charges) and taxAmount. A party beyond what the
 * rate includes (or any party at a PMS that prices each stay itself, OPERA)
 * pays the price the PMS states for it, asked as the checkout asks it. No
 * totalAmount when it cannot be known before the hold: a night without a
 * price, several rooms for a party the PMS prices, the PMS not answering. */
static void add_stay(inv_app_t *app, const inv_range_query_t *q, const inv_party_t *party,
                     struct json_object *o)
{
    json_object_object_add(o, "adults", json_object_new_int(party->adults));
    json_object_object_add(o, "children", json_object_new_int(party->children));
    json_object_object_add(o, "rooms", json_object_new_int(party->rooms));
    struct json_object *nights, *v;
    if (!json_object_object_get_ex(o, "nights", &nights) ||
        (int)json_object_array_length(nights) != q->nights)
        return;
    pms_night_taxes_t *taxes = calloc((size_t)q->nights, sizeof *taxes);
    const pms_night_taxes_t **list = calloc((size_t)q->nights, sizeof *list);
    int64_t total = 0, tax = 0, tax_free = 0;
    bool priced = taxes && list;
    for (int i = 0; priced && i < q->nights; i++) {
        struct json_object *n = json_object_array_get_idx(nights, (size_t)i), *items = NULL;
        priced = json_object_object_get_ex(n, "totalAmount", &v);
        if (!priced)
            break;
        total += json_object_get_int64(v);
        json_object_object_get_ex(n, "taxes", &items);
        items_of(items, &taxes[i]);
        tax += pms_night_tax_amount(&taxes[i]);
        tax_free += pms_night_tax_free_amount(&taxes[i]);
        list[i] = &taxes[i];
    }
    if (priced) {
        pms_stay_charges_t c =
            pms_stay_charges(list, q->nights, party->rooms, party->adults, party->children);
        total = total * party->rooms + c.amount;
        tax = tax * party->rooms + c.tax;
        tax_free = tax_free * party->rooms + c.tax_free;
        /* each charge of the stay as the party pays it (the arrival night
         * lists every item; a per-guest one counts each night it applies) */
        struct json_object *charges = json_object_new_array();
        for (int k = 0; k < taxes[0].count; k++) {
            const pms_tax_item_t *it = &taxes[0].items[k];
            if (it->basis == PMS_TAX_PER_NIGHT)
                continue;
            int64_t unit =
                it->basis == PMS_TAX_PER_PERSON_NIGHT
                    ? it->amount_adult * party->adults + it->amount_child * party->children
                : it->basis == PMS_TAX_PER_ROOM_STAY ? it->amount * party->rooms
                                                     : it->amount;
            int times = it->basis != PMS_TAX_PER_PERSON_NIGHT              ? 1
                        : it->max_nights > 0 && it->max_nights < q->nights ? it->max_nights
                                                                           : q->nights;
            int64_t amount = unit * times;
            json_object_array_add(charges, charge_json(it, amount));
        }
        json_object_object_add(o, "stayCharges", charges);
    }
    free(taxes);
    free(list);
    int adults_in = 0, children_in = 0;
    const char *vendor = pms_hotel_vendor(app->pms, q->hotel_id);
    bool pms_prices_each_stay = vendor && strcmp(vendor, "opera") == 0 && party->given;
    /* the default party (one adult) is within any rate: no room types read */
    if (!pms_prices_each_stay && party->given)
        included_guests(app, q->hotel_id, q->room_type_id, &adults_in, &children_in);
    bool beyond =
        pms_prices_each_stay || (adults_in > 0 && (party->adults > adults_in * party->rooms ||
                                                   party->children > children_in * party->rooms));
    if (beyond) {
        /* the party's own price from the PMS, for one room (how a party
         * spreads over several is the hold's business, as at checkout) */
        pms_stay_check_t sc;
        pms_error_t e;
        priced = party->rooms == 1 &&
                 pms_check_stay_plan(app->pms, q->hotel_id, q->room_type_id, q->first,
                                     q->first + q->nights, 1, party->adults, party->children, NULL,
                                     &sc, &e) == PMS_OK &&
                 sc.bookable && sc.total != PMS_TOTAL_UNKNOWN;
        if (priced) {
            total = sc.total;
            tax = sc.tax_known ? sc.tax : -1;
            tax_free = sc.tax_known ? sc.tax_free : 0;
        }
        json_object_object_add(o, "partyPriced", json_object_new_boolean(priced));
    }
    if (!priced)
        return;
    json_object_object_add(o, "totalAmount", json_object_new_int64(total));
    if (tax >= 0)
        json_object_object_add(o, "taxAmount", json_object_new_int64(tax));
    /* what a payment request splitting taxable from tax-free states (Toss'
     * requestPayment taxFreeAmount): the fees no tax is charged on */
    json_object_object_add(o, "taxFreeAmount", json_object_new_int64(tax_free));
}

/* The local cache's key of a range read: vendor, ids, first night and
 * count, each ended by a newline (which no id contains), and a rates read's
 * party. -1 when too long. */
#define LOCAL_KEY_MAX 320
static int local_key(const inv_range_query_t *q, const inv_party_t *party, char out[LOCAL_KEY_MAX])
{
    char first[DATES_ISO_LEN + 1];
    dates_format_iso(q->first, first);
    body_t b = {.buf = out, .cap = LOCAL_KEY_MAX};
    const char *parts[] = {q->vendor, q->hotel_id, q->room_type_id, first};
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
        size_t n = strlen(parts[i]);
        if (b.len + n + 1 >= b.cap)
            return -1;
        memcpy(b.buf + b.len, parts[i], n);
        b.len += n;
        b.buf[b.len++] = '\n';
    }
    int nights = q->nights;
    char digits[12];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + nights % 10);
        nights /= 10;
    } while (nights > 0 && n < sizeof digits);
    if (b.len + n + 1 >= b.cap)
        return -1;
    while (n > 0)
        b.buf[b.len++] = digits[--n];
    b.buf[b.len] = '\0';
    if (party) { /* a rates read (an inventory key ends at the digits) */
        int w = snprintf(b.buf + b.len, b.cap - b.len, "\nr%d,%d,%d,%d", party->adults,
                         party->children, party->rooms, party->given ? 1 : 0);
        if (w < 0 || (size_t)w >= b.cap - b.len)
            return -1;
    }
    return 0;
}

/* The answer of a range read: its nights from pre (already read from the
 * cache; NULL: fetched here, which may wait for the PMS) and, for a read
 * from Redis, a copy for the local cache under key (NULL: none) if no cache
 * write came since gen. */
static int answer_nights(http_request_t *req, inv_app_t *app, inv_kind_t kind,
                         const inv_range_query_t *q, const inv_party_t *party, const char *key,
                         uint64_t gen, inv_nights_t *pre)
{
    inv_nights_t n;
    if (pre) {
        n = *pre;
    } else {
        char msg[512];
        inv_fetch_status_t st = inv_fetch_nights(app, kind, q->hotel_id, q->room_type_id,
                                                 q->first, q->nights, &n, msg, sizeof msg);
        if (st != INV_FETCH_OK)
            return respond_fetch_error(req, st, msg);
    }
    if (kind == INV_KIND_RATES) {
        /* rates carry each night's plans and their cancellation policies:
         * built as a tree; the hot inventory read is written directly */
        struct json_object *o = nights_json(q->vendor, q->hotel_id, q->room_type_id, kind, &n);
        bool from_redis = n.source == INV_SOURCE_CACHE;
        inv_nights_free(&n);
        attach_cancel_policies(app, q->hotel_id, o);
        add_stay(app, q, party, o);
        size_t len = 0;
        const char *text = http_json_text(o, &len);
        if (!text) {
            json_object_put(o);
            return http_respond_error(req, 500, "INTERNAL_ERROR", NULL, "out of memory");
        }
        if (key && from_redis)
            lc_put(app->answers, key, gen, text, len);
        int rc = http_respond(req, 200, "application/json; charset=utf-8", text, len);
        json_object_put(o);
        return rc;
    }
    size_t len = 0;
    char *body = nights_body(q->vendor, q->hotel_id, q->room_type_id, &n, &len);
    bool from_redis = n.source == INV_SOURCE_CACHE;
    inv_nights_free(&n);
    if (!body)
        return http_respond_error(req, 500, "INTERNAL_ERROR", NULL, "out of memory");
    if (key && from_redis)
        lc_put(app->answers, key, gen, body, len);
    return http_respond_take(req, 200, "application/json; charset=utf-8", body, len);
}

/* What a request handed to the read pool takes along: its request id and
 * trace, for the pool thread's log lines and outgoing calls. */
typedef struct pool_context {
    char request_id[80];
    trace_context_t trace;
} pool_context_t;

static void pool_context_capture(http_request_t *req, pool_context_t *c)
{
    const char *id = http_request_id(req);
    snprintf(c->request_id, sizeof c->request_id, "%s", id ? id : "");
    const trace_context_t *t = trace_current();
    if (t)
        c->trace = *t;
    else
        trace_start(&c->trace);
}

static void pool_context_enter(const pool_context_t *c)
{
    log_set_request_id(c->request_id);
    trace_set_current(&c->trace);
}

static void pool_context_leave(void)
{
    trace_set_current(NULL);
    log_set_request_id(NULL);
}

/* A pooled request still queued when the pool stops. */
static void respond_shutting_down(http_request_t *req)
{
    http_respond_error(req, 503, "SHUTTING_DOWN", NULL,
                       "서비스가 종료 중입니다 (the service is shutting down; retry)");
}

/* A range read handed to the read pool: what answer_nights needs, the
 * request's strings included (valid until its answer). */
typedef struct nights_job {
    http_request_t *req;
    inv_app_t *app;
    inv_kind_t kind;
    inv_range_query_t q;
    inv_party_t party;
    bool keep; /* key names the local cache's copy */
    uint64_t gen;
    char key[LOCAL_KEY_MAX];
    pool_context_t ctx;
} nights_job_t;

static void run_nights_job(void *arg, bool cancelled)
{
    nights_job_t *j = arg;
    pool_context_enter(&j->ctx);
    if (cancelled)
        respond_shutting_down(j->req);
    else
        answer_nights(j->req, j->app, j->kind, &j->q, &j->party, j->keep ? j->key : NULL, j->gen,
                      NULL);
    pool_context_leave();
    free(j);
}

/* Hands a read that may wait for the PMS to the read pool, so this HTTP
 * worker's other connections are not held up meanwhile. 0 when the pool
 * took it (answered later), -1 when it is to be answered here. */
static int defer_nights(http_request_t *req, inv_app_t *app, inv_kind_t kind,
                        const inv_range_query_t *q, const inv_party_t *party, const char *key,
                        uint64_t gen)
{
    if (!app->reads)
        return -1;
    nights_job_t *j = malloc(sizeof *j);
    if (!j)
        return -1;
    *j = (nights_job_t){.req = req, .app = app, .kind = kind, .q = *q, .party = *party,
                        .keep = key != NULL, .gen = gen};
    if (key)
        snprintf(j->key, sizeof j->key, "%s", key);
    pool_context_capture(req, &j->ctx);
    if (http_request_defer(req) != 0) {
        free(j);
        return -1;
    }
    if (read_pool_submit(app->reads, run_nights_job, j) != 0)
        run_nights_job(j, false); /* the pool is full or stopping: answered on this thread */
    return 0;
}

static int handle_nights(http_request_t *req, inv_app_t *app, inv_kind_t kind)
{
    inv_range_query_t q;
    inv_party_t party = {1, 0, 1, false};
    json_error_t err;
    if (inv_query_parse_range(request_query, req, app->settings.max_nights, &q, &err) != 0 ||
        (kind == INV_KIND_RATES && inv_query_parse_party(request_query, req, &party, &err) != 0))
        return respond_validation(req, &err);
    /* the hot reads: the same range (and party) again within a few
     * milliseconds is answered from memory (local_cache.h), before the
     * hotel's credentials are looked up again: an answer is only ever kept
     * for a hotel that had them a few milliseconds ago (and their lookup is
     * itself cached for far longer). A rates answer also carries the
     * platform's cancellation policies, read from MariaDB: an edit shows
     * INVENTORY_LOCAL_CACHE_MS later at most. */
    char key[LOCAL_KEY_MAX];
    bool rates = kind == INV_KIND_RATES;
    bool local = app->answers && local_key(&q, rates ? &party : NULL, key) == 0;
    uint64_t gen = local ? lc_generation(app->answers) : 0;
    if (local) {
        char *cached = NULL;
        size_t cached_len = 0;
        if (lc_get(app->answers, key, &cached, &cached_len)) {
            if (rates) {
                metrics_series_add(app->metrics.rates_local_hits, 1);
                metrics_series_add(app->metrics.rates_hits, q.nights);
            } else {
                metrics_series_add(app->metrics.inventory_local_hits, 1);
                metrics_series_add(app->metrics.inventory_hits, q.nights);
            }
            return http_respond_take(req, 200, "application/json; charset=utf-8", cached,
                                     cached_len);
        }
    }
    if (!hotel_known(req, app, q.hotel_id))
        return 0;
    /* An inventory read the cache answers whole is answered here, on the
     * HTTP worker. One that may wait for the PMS (a miss to fill; rates,
     * whose party price and policies may ask it) goes to the read pool,
     * whose read looks at the cache once more: a fill of the same nights
     * may have ended meanwhile, and one MGET is nothing next to a PMS call. */
    inv_nights_t n;
    if (kind == INV_KIND_INVENTORY &&
        inv_fetch_nights_cached(app, kind, q.hotel_id, q.room_type_id, q.first, q.nights, &n))
        return answer_nights(req, app, kind, &q, &party, local ? key : NULL, gen, &n);
    if (defer_nights(req, app, kind, &q, &party, local ? key : NULL, gen) == 0)
        return 0;
    return answer_nights(req, app, kind, &q, &party, local ? key : NULL, gen, NULL);
}

static int handle_inventory(http_request_t *req, void *ctx)
{
    return handle_nights(req, ctx, INV_KIND_INVENTORY);
}

static int handle_rates(http_request_t *req, void *ctx)
{
    return handle_nights(req, ctx, INV_KIND_RATES);
}

static int handle_room_types(http_request_t *req, void *ctx)
{
    inv_app_t *app = ctx;
    const char *vendor = http_request_query(req, "vendor");
    const char *hotel = http_request_param(req, "hotelId");
    json_error_t err;
    if (inv_query_check_vendor(vendor, &err) != 0 ||
        inv_query_check_id("hotelId", hotel, &err) != 0)
        return respond_validation(req, &err);
    if (!hotel_known(req, app, hotel))
        return 0;
    inv_room_types_t rt;
    char msg[512];
    inv_fetch_status_t st = inv_fetch_room_types(app, hotel, &rt, msg, sizeof msg);
    if (st != INV_FETCH_OK)
        return respond_fetch_error(req, st, msg);
    struct json_object *types = json_tokener_parse(rt.json);
    inv_room_types_free(&rt);
    if (!types || !json_object_is_type(types, json_type_array)) {
        json_object_put(types);
        return http_respond_error(req, 500, "INTERNAL_ERROR", NULL, "cached room types unreadable");
    }
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "hotelId", json_object_new_string(hotel));
    json_object_object_add(o, "vendor", json_object_new_string(vendor));
    json_object_object_add(o, "source", json_object_new_string(inv_source_name(rt.source)));
    json_object_object_add(o, "roomTypes", types);
    int rc = http_respond_json(req, 200, o);
    json_object_put(o);
    return rc;
}

static int handle_adjust(http_request_t *req, inv_app_t *app, bool decrement)
{
    struct json_object *body = http_request_json_object(req);
    if (!body)
        return 0; /* answered 400 already */
    inv_adjustment_t adj;
    json_error_t err;
    int rc;
    if (inv_query_parse_adjustment(body, &adj, &err) != 0) {
        rc = respond_validation(req, &err);
        json_object_put(body);
        return rc;
    }
    bool applied = false;
    inv_nights_t n;
    if (inv_adjust(app, &adj, decrement, &applied, &n) != 0) {
        json_object_put(body);
        return http_respond_error(req, 503, "INTERNAL_ERROR", NULL,
                                  "the inventory cache (Redis) is unavailable");
    }
    struct json_object *o =
        nights_json(adj.vendor, adj.hotel_id, adj.room_type_id, INV_KIND_INVENTORY, &n);
    json_object_object_add(o, "bookingId", json_object_new_string(adj.booking_id));
    json_object_object_add(o, "applied", json_object_new_boolean(applied));
    rc = http_respond_json(req, 200, o);
    json_object_put(o);
    json_object_put(body);
    inv_nights_free(&n);
    return rc;
}

/* POST /internal/inventory/invalidate: a hold of booking-svc's ended without
 * a booking. Whether the cache counted the hold depends on when it was
 * filled, so the numbers are dropped, not adjusted: the next read asks the
 * PMS, and a guest is not told "sold out" for a room that is free again. */
static int handle_invalidate(http_request_t *req, void *ctx)
{
    inv_app_t *app = ctx;
    struct json_object *body = http_request_json_object(req);
    if (!body)
        return 0; /* answered 400 already */
    inv_adjustment_t adj;
    json_error_t err;
    int rc;
    if (inv_query_parse_adjustment(body, &adj, &err) != 0) {
        rc = respond_validation(req, &err);
        json_object_put(body);
        return rc;
    }
    /* adj's strings live in body: it is put only after their last use */
    int gone = inv_invalidate_nights(app, INV_KEY_INVENTORY, adj.hotel_id, adj.room_type_id,
                                     adj.check_in, adj.nights);
    json_object_put(body);
    if (gone != 0)
        return http_respond_error(req, 503, "INTERNAL_ERROR", NULL,
                                  "the inventory cache (Redis) is unavailable");
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "invalidated", json_object_new_boolean(true));
    rc = http_respond_json(req, 200, o);
    json_object_put(o);
    return rc;
}

static int handle_decrement(http_request_t *req, void *ctx)
{
    return handle_adjust(req, ctx, true);
}

static int handle_increment(http_request_t *req, void *ctx)
{
    return handle_adjust(req, ctx, false);
}

static int handle_get_degraded(http_request_t *req, void *ctx)
{
    inv_app_t *app = ctx;
    struct json_object *o = degraded_to_json(app->degraded);
    int rc = http_respond_json(req, 200, o);
    json_object_put(o);
    return rc;
}

/* The body of a degraded-mode PUT: {"degraded":bool,"reason":text}, the
 * reason required when turning on (it is what a refused guest reads). 0, or
 * -1 with err naming the field. */
static int parse_degraded_body(struct json_object *body, bool *on, const char **reason,
                               json_error_t *err)
{
    *reason = NULL;
    if (json_get_bool(body, "degraded", true, false, on, err) != 0 ||
        json_get_text(body, "reason", *on, 1, DEGRADED_REASON_MAX - 1, reason, err) != 0)
        return -1;
    return 0;
}

/* The path's hotelId when it is valid and the caller may see that hotel;
 * otherwise NULL, answered (400, or 404 as for a hotel that does not exist). */
static const char *visible_hotel(http_request_t *req)
{
    const char *hotel = http_request_param(req, "hotelId");
    json_error_t err;
    if (inv_query_check_id("hotelId", hotel, &err) != 0) {
        respond_validation(req, &err);
        return NULL;
    }
    if (!auth_principal_may_see_hotel(http_request_principal(req), hotel)) {
        http_respond_error(req, 404, "NOT_FOUND", "hotelId", "no such hotel");
        return NULL;
    }
    return hotel;
}

/* The audit row of a degraded switch (hotel NULL: the platform's). */
static void audit_degraded(inv_app_t *app, http_request_t *req, bool on, const char *hotel)
{
    db_pool_t *pool = auth_pool(app->auth);
    db_t *db = pool ? db_pool_acquire(pool) : NULL;
    http_audit(db, req, on ? "degraded.on" : "degraded.off", hotel, NULL, NULL);
    if (db)
        db_pool_release(pool, db);
}

static int handle_put_degraded(http_request_t *req, void *ctx)
{
    inv_app_t *app = ctx;
    struct json_object *body = http_request_json_object(req);
    if (!body)
        return 0;
    bool on = false;
    const char *reason = NULL;
    json_error_t err;
    int rc;
    if (parse_degraded_body(body, &on, &reason, &err) != 0) {
        rc = respond_validation(req, &err);
    } else if (!auth_principal_all_hotels(http_request_principal(req))) {
        /* the switch stops checkouts of every hotel: not for a caller limited to some */
        rc = http_respond_error(req, 403, "FORBIDDEN", NULL,
                                "the platform-wide switch needs a caller that is not limited to "
                                "some hotels");
    } else {
        degraded_set_admin(app->degraded, on, reason);
        audit_degraded(app, req, on, NULL);
        struct json_object *o = degraded_to_json(app->degraded);
        rc = http_respond_json(req, 200, o);
        json_object_put(o);
    }
    json_object_put(body);
    return rc;
}

static int handle_get_hotel_degraded(http_request_t *req, void *ctx)
{
    inv_app_t *app = ctx;
    const char *hotel = visible_hotel(req);
    if (!hotel)
        return 0;
    struct json_object *o = degraded_hotel_to_json(app->degraded, hotel);
    int rc = http_respond_json(req, 200, o);
    json_object_put(o);
    return rc;
}

/* The operator's switch of one hotel. Turning on needs a hotel we serve (a
 * typo would otherwise refuse nobody, silently); turning off works for any id,
 * so a hotel removed from the configuration can still be cleared. */
static int handle_put_hotel_degraded(http_request_t *req, void *ctx)
{
    inv_app_t *app = ctx;
    /* a hotel's own staff may switch their hotel; another hotel does not exist for them */
    const char *hotel = visible_hotel(req);
    if (!hotel)
        return 0;
    struct json_object *body = http_request_json_object(req);
    json_error_t err;
    if (!body)
        return 0;
    bool on = false;
    const char *reason = NULL;
    int rc = 0;
    if (parse_degraded_body(body, &on, &reason, &err) != 0) {
        rc = respond_validation(req, &err);
    } else if (on && !hotel_known(req, app, hotel)) {
        rc = 0; /* answered 404 */
    } else if (degraded_set_hotel_admin(app->degraded, hotel, on, reason) != 0) {
        rc = http_respond_error(req, 503, "INTERNAL_ERROR", NULL,
                                "Redis is unavailable: the switch was not changed");
    } else {
        audit_degraded(app, req, on, hotel);
        struct json_object *o = degraded_hotel_to_json(app->degraded, hotel);
        rc = http_respond_json(req, 200, o);
        json_object_put(o);
    }
    json_object_put(body);
    return rc;
}

/* GET /admin (and /admin/): the admin page's shell; its data comes from the
 * API, which checks the caller's role on every call. */
static int handle_admin_page(http_request_t *req, void *ctx)
{
    inv_app_t *app = ctx;
    return admin_static_respond(app->admin_page, req, NULL);
}

/* GET /admin/:asset: one file of the admin page by name. */
static int handle_admin_asset(http_request_t *req, void *ctx)
{
    inv_app_t *app = ctx;
    return admin_static_respond(app->admin_page, req, http_request_param(req, "asset"));
}

/* ------------------------------------------------- waits off the worker -- */

/* A request whose handler may wait seconds for another system (the PMS, the
 * payment gateway, booking-svc), run on the read pool like a cache miss: a
 * libmicrohttpd worker serves its connections one request at a time, so on
 * the worker the wait would hold up every other connection of that worker,
 * guests' warm reads included. The handler answers the request itself. */
typedef struct pooled_job {
    http_request_t *req;
    inv_app_t *app;
    http_handler_fn fn;
    pool_context_t ctx;
} pooled_job_t;

static void run_pooled_job(void *arg, bool cancelled)
{
    pooled_job_t *j = arg;
    pool_context_enter(&j->ctx);
    int rc = 0;
    if (cancelled)
        respond_shutting_down(j->req);
    else
        rc = j->fn(j->req, j->app); /* may touch req after answering: held */
    http_request_release(j->req, rc);
    pool_context_leave();
    free(j);
}

static int run_pooled(http_request_t *req, inv_app_t *app, http_handler_fn fn)
{
    pooled_job_t *j = app->reads ? malloc(sizeof *j) : NULL;
    if (!j)
        return fn(req, app); /* no pool (INVENTORY_READ_THREADS=0) or no memory: here */
    *j = (pooled_job_t){.req = req, .app = app, .fn = fn};
    pool_context_capture(req, &j->ctx);
    if (http_request_defer(req) != 0) {
        free(j);
        return fn(req, app);
    }
    http_request_hold(req);
    if (read_pool_submit(app->reads, run_pooled_job, j) != 0)
        run_pooled_job(j, false); /* the pool is full or stopping: answered on this thread */
    return 0;
}

#define POOLED(fn)                                                                                 \
    static int pooled_##fn(http_request_t *req, void *ctx)                                         \
    {                                                                                              \
        return run_pooled(req, ctx, fn);                                                           \
    }
POOLED(handle_room_types)    /* a miss asks the PMS */
POOLED(admin_pms_preview)    /* reads the hotel from the PMS */
POOLED(admin_listing_save)   /* reads it again to save it */
POOLED(admin_booking_cancel) /* booking-svc cancels at the PMS and refunds */
POOLED(admin_reconciliation) /* reads the PMS's and the gateway's ledgers */
#undef POOLED

const http_route_t INV_API_ROUTES[] = {
    {"GET", "/api/inventory", AUTH_RULE_PUBLIC, handle_inventory},
    {"GET", "/api/rates", AUTH_RULE_PUBLIC, handle_rates},
    {"GET", "/api/hotels/:hotelId/room-types", AUTH_RULE_PUBLIC, pooled_handle_room_types},
    {"POST", "/internal/inventory/decrement", AUTH_RULE_SERVICE, handle_decrement},
    {"POST", "/internal/inventory/increment", AUTH_RULE_SERVICE, handle_increment},
    {"POST", "/internal/inventory/invalidate", AUTH_RULE_SERVICE, handle_invalidate},
    {"GET", "/api/degraded-mode", AUTH_RULE_VIEWER, handle_get_degraded},
    {"PUT", "/api/degraded-mode", AUTH_RULE_OPERATOR, handle_put_degraded},
    {"GET", "/api/hotels/:hotelId/degraded-mode", AUTH_RULE_VIEWER, handle_get_hotel_degraded},
    {"PUT", "/api/hotels/:hotelId/degraded-mode", AUTH_RULE_OPERATOR, handle_put_hotel_degraded},
    {"POST", "/api/admin/api-keys", AUTH_RULE_ADMIN, admin_api_keys_create},
    {"GET", "/api/admin/api-keys", AUTH_RULE_ADMIN, admin_api_keys_list},
    {"DELETE", "/api/admin/api-keys/:keyId", AUTH_RULE_ADMIN, admin_api_keys_revoke},
    {"GET", "/api/admin/audit", AUTH_RULE_ADMIN, admin_audit_list},
    {"POST", "/api/admin/accounts", AUTH_RULE_ADMIN, admin_accounts_create},
    {"GET", "/api/admin/accounts", AUTH_RULE_ADMIN, admin_accounts_list},
    {"DELETE", "/api/admin/accounts/:accountId", AUTH_RULE_ADMIN, admin_accounts_disable},
    /* onboarding a hotel from its PMS */
    {"GET", "/api/admin/vendors", AUTH_RULE_VIEWER, admin_vendors_list},
    {"POST", "/api/admin/pms/preview", AUTH_RULE_ADMIN, pooled_admin_pms_preview},
    {"POST", "/api/admin/listings", AUTH_RULE_ADMIN, pooled_admin_listing_save},
    /* the operator console */
    {"GET", "/api/admin/hotels", AUTH_RULE_VIEWER, admin_hotels_list},
    {"GET", "/api/admin/hotels/:hotelId", AUTH_RULE_VIEWER, admin_hotel_get},
    {"PUT", "/api/admin/hotels/:hotelId/polling", AUTH_RULE_OPERATOR, admin_hotel_polling},
    {"POST", "/api/admin/hotels/:hotelId/sync", AUTH_RULE_OPERATOR, admin_hotel_sync},
    {"GET", "/api/admin/bookings", AUTH_RULE_VIEWER, admin_bookings_search},
    {"GET", "/api/admin/bookings/:bookingId", AUTH_RULE_VIEWER, admin_booking_get},
    {"POST", "/api/admin/bookings/:bookingId/cancel", AUTH_RULE_OPERATOR,
     pooled_admin_booking_cancel},
    {"GET", "/api/admin/compensations", AUTH_RULE_VIEWER, admin_compensations_list},
    {"POST", "/api/admin/compensations/:compensationId/retry", AUTH_RULE_OPERATOR,
     admin_compensation_retry},
    {"GET", "/api/admin/reconciliation", AUTH_RULE_OPERATOR, pooled_admin_reconciliation},
    /* a login is for anyone; logout and "me" for whoever is logged in */
    {"POST", "/api/auth/login", AUTH_RULE_PUBLIC, session_api_login},
    {"POST", "/api/auth/logout", AUTH_RULE_VIEWER, session_api_logout},
    {"GET", "/api/auth/me", AUTH_RULE_VIEWER, session_api_me},
    /* the admin page's static files: anyone may load the shell */
    {"GET", "/admin", AUTH_RULE_OPEN, handle_admin_page},
    {"GET", "/admin/:asset", AUTH_RULE_OPEN, handle_admin_asset},
};
const size_t INV_API_ROUTE_COUNT = sizeof INV_API_ROUTES / sizeof *INV_API_ROUTES;

int inv_api_routes(inv_app_t *app, http_server_t *srv)
{
    return http_server_routes(srv, INV_API_ROUTES, INV_API_ROUTE_COUNT, app);
}
