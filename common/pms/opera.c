/*
 * opera.c — Oracle OPERA Cloud through the OHIP Distribution APIs, as a
 * "Shop & Book" channel (see README.md, "OPERA Cloud"):
 *
 *   token     POST /hdpba/oauth2/v1/token (form username, password): one token
 *             per integration user, cached, fetched again before it expires
 *   content   GET /content/v1/hotels/{h}, /roomTypes (paged)
 *   shop      GET /shop/v1/hotels/{h}/offers: per room type "AvailableForSale",
 *             "NoAvailability" or "BelowRequestedUnits" — never a count
 *   book      POST /book/v1/hotels/{h}/reservations (isSessionRequest: OnHold),
 *             POST …/{conf}/status Commit | Ignore, POST …/{conf}/cancellations,
 *             GET …/{conf}; our booking id travels in reservationIdList and is
 *             looked up with GET /distribution/v1/hotels/{h}/reservations
 *             ?externalReferenceId= after an answer we lost.
 *
 * Every call carries x-channelCode (PMS_OPERA_CHANNEL_CODE), the Bearer token,
 * a fresh x-hdp-tracing-key and, when configured, x-app-key. Credentials: the
 * hotel's key from key_fn in the form "username:password" (an onboarding may
 * store one per hotel), else PMS_OPERA_USERNAME / PMS_OPERA_PASSWORD — the
 * integration user Oracle gives a channel for the whole environment.
 *
 * Business Events (optional, PMS_OPERA_EVENTS_ENABLED): a Shop & Book channel
 * cannot list or be told of a hotel's reservations; a hotel that grants our
 * OHIP application property-API access can. The Property API has its own
 * gateway (PMS_OPERA_EVENTS_BASE_URL) and OAuth client (POST /oauth/v1/tokens,
 * client credentials: PMS_OPERA_EVENTS_CLIENT_ID / _CLIENT_SECRET, x-app-key
 * PMS_OPERA_APP_KEY), a token of its own, and the queue
 * GET /int/v1/externalSystem/{PMS_OPERA_EVENTS_EXTERNAL_SYSTEM}/hotels/{h}/businessEvents
 * (≤ 20 a call, dequeued as answered, 204 when empty). Paths, headers and the
 * event's shape are Oracle's specs'; the reservation's data element names
 * ("CONFIRMATION NO", "ARRIVAL DATE", "DEPARTURE DATE", "ROOM TYPE") and the
 * cancel's action type ("CANCEL RESERVATION") are not published and are
 * assumptions — an event without a usable one is still reported, and the
 * reservation read through Book settles what it is.
 */
#include <ctype.h>
#include <json-c/json.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/json.h"
#include "common/log.h"
#include "common/money.h"
#include "opera_internal.h"
#include "pms_internal.h"

#define OPERA_URL "https://ohd-up.hospitality-api.us-ashburn-1.ocs.oraclecloud.com"
#define TOKEN_PATH "/hdpba/oauth2/v1/token"
#define TOKEN_MAX 3500
#define CRED_MAX 512
#define CHANNEL_MAX 51
#define ROOM_TYPE_PAGES_MAX 20
#define OFFER_CHUNK_NIGHTS 30
#define EXTERNAL_ID_MAX 50
#define DEFAULT_TOKEN_TTL_S 3600
#define GUARANTEE_NONE "38" /* guaranteeType: no guarantee (we take the payment ourselves) */
#define PAYMENT_CASH "1"

typedef struct opera_state {
    pthread_mutex_t mu; /* guards the token; held while one is fetched */
    char token[TOKEN_MAX];
    char token_user[CRED_MAX];
    int64_t token_refresh_at_ms; /* wall clock: fetch a new one from here on */
    /* Property API (Business Events), made on first use. A lock of its own:
     * a slow dequeue must not hold up the Distribution token of checkouts. */
    pthread_mutex_t property_mu; /* guards the three below; held through a dequeue */
    http_client_t *property_http;
    char property_token[TOKEN_MAX];
    int64_t property_refresh_at_ms;
} opera_state_t;

static void *state_new(void)
{
    opera_state_t *s = calloc(1, sizeof *s);
    if (s) {
        pthread_mutex_init(&s->mu, NULL);
        pthread_mutex_init(&s->property_mu, NULL);
    }
    return s;
}

static void state_free(void *p)
{
    opera_state_t *s = p;
    if (!s)
        return;
    crypto_wipe(s->token, sizeof s->token);
    crypto_wipe(s->property_token, sizeof s->property_token);
    http_client_free(s->property_http);
    pthread_mutex_destroy(&s->property_mu);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static bool contains_ci(const char *haystack, const char *needle)
{
    return haystack && strcasestr(haystack, needle) != NULL;
}

/* ------------------------------------------------------------ parsers -- */

static const char *str_of(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static struct json_object *obj_of(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_object))
        return NULL;
    return v;
}

static struct json_object *arr_of(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_array))
        return NULL;
    return v;
}

/* A JSON integer member within int range; false when absent or of another type. */
static bool int_field(struct json_object *o, const char *key, int *out)
{
    struct json_object *v = NULL;
    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
        return false;
    int64_t n = json_object_get_int64(v);
    if (n < INT_MIN || n > INT_MAX)
        return false;
    *out = (int)n;
    return true;
}

static void copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

void opera_parse_error(struct json_object *root, char *title, size_t title_size, char *code,
                       size_t code_size)
{
    copy(title, title_size, str_of(root, "title"));
    const char *c = str_of(root, "o:errorCode");
    copy(code, code_size, c ? c : str_of(root, "o.errorCode"));
    struct json_object *details = arr_of(root, "o:errorDetails");
    if (!details)
        details = arr_of(root, "o.errorDetails");
    /* the detail usually says more than the summary */
    if (details && json_object_array_length(details) > 0) {
        struct json_object *d = json_object_array_get_idx(details, 0);
        const char *t = str_of(d, "title");
        if (t && *t && (!*title || strcmp(t, title) != 0))
            copy(title, title_size, t);
    }
}

pms_err_t opera_parse_token(struct json_object *root, char *token, size_t token_size,
                            int64_t *expires_in_s, pms_error_t *err)
{
    const char *t = str_of(root, "access_token");
    if (!t || !*t || strlen(t) >= token_size)
        return pms_fail(err, PMS_ERR_PROTOCOL, "OPERA token answer has no usable access_token");
    copy(token, token_size, t);
    struct json_object *e = NULL;
    *expires_in_s = DEFAULT_TOKEN_TTL_S;
    if (json_object_object_get_ex(root, "expires_in", &e) && json_object_is_type(e, json_type_int))
        *expires_in_s = json_object_get_int64(e);
    if (*expires_in_s <= 0)
        *expires_in_s = DEFAULT_TOKEN_TTL_S;
    return PMS_OK;
}

/* A detail's newValue (or oldValue) by its dataElement (case-insensitive), or NULL. */
static const char *detail_of(struct json_object *details, const char *element, const char *which)
{
    for (size_t i = 0; details && i < json_object_array_length(details); i++) {
        struct json_object *d = json_object_array_get_idx(details, i);
        const char *name = str_of(d, "dataElement");
        if (name && strcasecmp(name, element) == 0)
            return str_of(d, which);
    }
    return NULL;
}

static const char *detail_value(struct json_object *details, const char *element)
{
    return detail_of(details, element, "newValue");
}

pms_err_t opera_parse_business_events(struct json_object *root, pms_booking_events_t *out,
                                      pms_error_t *err)
{
    struct json_object *data = arr_of(root, "businessEventData");
    if (!data)
        return pms_fail(err, PMS_ERR_PROTOCOL, "OPERA business events have no businessEventData");
    for (size_t i = 0; i < json_object_array_length(data) && out->count < PMS_MAX_BOOKING_EVENTS;
         i++) {
        struct json_object *item = json_object_array_get_idx(data, i);
        struct json_object *ev = obj_of(item, "businessEvent");
        struct json_object *h = obj_of(ev, "header");
        struct json_object *details = arr_of(ev, "details");
        const char *module = str_of(h, "moduleName"), *action = str_of(h, "actionType");
        if (!module || strcasecmp(module, "Reservation") != 0 || !action)
            continue;
        /* the confirmation number is what Book reads a reservation by; the
         * primary key (OPERA's internal id) only when no detail names it */
        const char *conf = detail_value(details, "CONFIRMATION NO");
        if (!conf || !*conf)
            conf = str_of(h, "primaryKey");
        const char *id = str_of(obj_of(item, "businessEventId"), "id");
        char action_id[32] = "";
        struct json_object *aid = NULL;
        if (json_object_object_get_ex(h, "actionId", &aid) &&
            (json_object_is_type(aid, json_type_int) || json_object_is_type(aid, json_type_double)))
            snprintf(action_id, sizeof action_id, "%lld",
                     (long long)json_object_get_double(aid));
        if (!id || !*id)
            id = action_id;
        if (!conf || !*conf || strlen(conf) >= PMS_ID_MAX || !*id || strlen(id) >= PMS_ID_MAX)
            continue;
        pms_booking_event_t *e = &out->items[out->count++];
        memset(e, 0, sizeof *e);
        copy(e->event_id, sizeof e->event_id, id);
        copy(e->action, sizeof e->action, action);
        copy(e->reservation_id, sizeof e->reservation_id, conf);
        const char *status = detail_value(details, "RESERVATION STATUS");
        bool cancelled = contains_ci(action, "CANCEL") ||
                         (status && (contains_ci(status, "CANCEL") || contains_ci(status, "NO SHOW")));
        e->status = cancelled ? PMS_RES_CANCELLED : PMS_RES_CONFIRMED;
        const char *rt = detail_value(details, "ROOM TYPE");
        if (rt && strlen(rt) < sizeof e->room_type_id)
            copy(e->room_type_id, sizeof e->room_type_id, rt);
        const char *a = detail_value(details, "ARRIVAL DATE"), *d = detail_value(details,
                                                                                 "DEPARTURE DATE");
        dates_day_t in, outd;
        if (a && d && dates_parse_iso(a, &in) == 0 && dates_parse_iso(d, &outd) == 0 && outd > in) {
            e->check_in = in;
            e->check_out = outd;
        }
        /* a change's old values: the stay whose nights came back */
        const char *pa = detail_of(details, "ARRIVAL DATE", "oldValue"),
                   *pd = detail_of(details, "DEPARTURE DATE", "oldValue"),
                   *prt = detail_of(details, "ROOM TYPE", "oldValue");
        if (pa && pd && dates_parse_iso(pa, &in) == 0 && dates_parse_iso(pd, &outd) == 0 &&
            outd > in) {
            e->prev_check_in = in;
            e->prev_check_out = outd;
        }
        if (prt && *prt && strlen(prt) < sizeof e->prev_room_type_id)
            copy(e->prev_room_type_id, sizeof e->prev_room_type_id, prt);
    }
    return PMS_OK;
}

pms_err_t opera_parse_property(struct json_object *root, pms_hotel_t *out, pms_error_t *err)
{
    struct json_object *p = obj_of(root, "propertyInfo");
    const char *code = str_of(p, "hotelCode");
    if (!p || !code)
        return pms_fail(err, PMS_ERR_PROTOCOL, "OPERA property answer has no propertyInfo");
    copy(out->id, sizeof out->id, code);
    copy(out->name, sizeof out->name, str_of(p, "hotelName"));
    struct json_object *addr = obj_of(p, "address");
    struct json_object *lines = arr_of(addr, "addressLine");
    out->address[0] = '\0';
    for (size_t i = 0; lines && i < json_object_array_length(lines); i++) {
        struct json_object *l = json_object_array_get_idx(lines, i);
        if (!json_object_is_type(l, json_type_string) || !*json_object_get_string(l))
            continue;
        size_t n = strlen(out->address);
        snprintf(out->address + n, sizeof out->address - n, "%s%s", n ? ", " : "",
                 json_object_get_string(l));
    }
    copy(out->city, sizeof out->city, str_of(addr, "cityName"));
    copy(out->country, sizeof out->country, str_of(addr, "countryCode"));
    struct json_object *v = NULL;
    if (json_object_object_get_ex(p, "latitude", &v))
        out->latitude = json_object_get_double(v);
    if (json_object_object_get_ex(p, "longitude", &v))
        out->longitude = json_object_get_double(v);
    const char *cur = str_of(p, "currencyCode");
    if (!cur || !money_currency_known(cur))
        return pms_fail(err, PMS_ERR_PROTOCOL, "OPERA property %s has no known currencyCode",
                        out->id);
    copy(out->currency, sizeof out->currency, cur);
    copy(out->timezone, sizeof out->timezone, str_of(obj_of(p, "timeZone"), "timeZoneName"));
    return PMS_OK;
}

pms_err_t opera_parse_room_types(struct json_object *root, pms_room_types_t *out, bool *has_more,
                                 pms_error_t *err)
{
    struct json_object *list = arr_of(root, "roomTypes");
    *has_more = false;
    if (!list)
        return pms_fail(err, PMS_ERR_PROTOCOL, "OPERA room types answer has no roomTypes");
    size_t n = json_object_array_length(list);
    if (n) {
        pms_room_type_t *grown = realloc(out->items, (out->count + n) * sizeof *grown);
        if (!grown)
            return pms_fail(err, PMS_ERR_TRANSIENT, "out of memory");
        out->items = grown;
    }
    for (size_t i = 0; i < n; i++) {
        struct json_object *r = json_object_array_get_idx(list, i);
        const char *id = str_of(r, "roomType");
        if (!id || !*id || strlen(id) >= PMS_ID_MAX)
            return pms_fail(err, PMS_ERR_PROTOCOL, "OPERA room type %zu has no roomType", i);
        pms_room_type_t *t = &out->items[out->count++];
        memset(t, 0, sizeof *t);
        copy(t->id, sizeof t->id, id);
        copy(t->name, sizeof t->name, str_of(r, "roomName") ? str_of(r, "roomName") : id);
        struct json_object *v = NULL;
        if (json_object_object_get_ex(obj_of(r, "occupancy"), "maxOccupancy", &v))
            t->max_occupancy = json_object_get_int(v);
        /* numberOfUnits: the type's units as the content API describes it
         * (0 when absent); availability never comes from it */
        if (json_object_object_get_ex(r, "numberOfUnits", &v))
            t->total_rooms = json_object_get_int(v);
    }
    struct json_object *more = NULL;
    *has_more = json_object_object_get_ex(root, "hasMore", &more) && json_object_get_boolean(more);
    return PMS_OK;
}

/* An amount object's after-tax value (else before tax) in minor units. */
static pms_err_t amount_of(struct json_object *o, const char *currency, int64_t *out,
                           pms_error_t *err)
{
    struct json_object *v = NULL;
    if (!json_object_object_get_ex(o, "amountAfterTax", &v) &&
        !json_object_object_get_ex(o, "amountBeforeTax", &v))
        return pms_fail(err, PMS_ERR_PROTOCOL, "OPERA amount without amountAfterTax");
    if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
        return pms_fail(err, PMS_ERR_PROTOCOL, "OPERA amount is not a number");
    if (money_from_double(json_object_get_double(v), currency, out) != 0)
        return pms_fail(err, PMS_ERR_PROTOCOL, "OPERA amount %.4f has more decimals than %s",
                        json_object_get_double(v), currency);
    return PMS_OK;
}

/* An amount member of o in minor units; false when absent or not an amount. */
static bool amount_member(struct json_object *o, const char *key, const char *currency,
                          int64_t *out)
{
    struct json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v) ||
        (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int)))
        return false;
    return money_from_double(json_object_get_double(v), currency, out) == 0 && *out >= 0;
}

/* One night's taxes from a base[] range that states both amounts: the
 * difference is tax the after-tax rate (which is the night's rate) already
 * holds, so every item is inclusive and the all-in total is the after-tax
 * amount. The offer's total.taxes.tax[] (per stay) names the taxes: the
 * night's tax is shared among them in their proportion. */
void opera_night_taxes(struct json_object *stay_taxes, const char *currency, int64_t before,
                       int64_t after, pms_night_taxes_t *t)
{
    memset(t, 0, sizeof *t);
    t->total = after;
    int64_t tax = after - before;
    if (tax <= 0)
        return;
    struct json_object *list = arr_of(stay_taxes, "tax");
    int64_t amounts[PMS_MAX_TAX_ITEMS], sum = 0;
    const char *names[PMS_MAX_TAX_ITEMS];
    int n = 0;
    for (size_t i = 0; list && i < json_object_array_length(list) && n < PMS_MAX_TAX_ITEMS; i++) {
        struct json_object *x = json_object_array_get_idx(list, i);
        int64_t a;
        if (!amount_member(x, "amount", currency, &a) || a <= 0)
            continue;
        const char *name = str_of(x, "description");
        names[n] = name && *name ? name : str_of(x, "code");
        amounts[n++] = a;
        sum += a;
    }
    if (n == 0) {
        names[0] = NULL;
        amounts[0] = sum = 1;
        n = 1;
    }
    int64_t left = tax;
    for (int i = 0; i < n; i++) {
        pms_tax_item_t *it = &t->items[i];
        copy(it->name, sizeof it->name, names[i] && *names[i] ? names[i] : "Tax");
        it->inclusive = true;
        /* the last takes what rounding left, so the items add up to the tax */
        it->amount = i == n - 1 ? left : (int64_t)((double)tax * (double)amounts[i] / (double)sum);
        left -= it->amount;
    }
    t->count = n;
}

pms_err_t opera_parse_offers(struct json_object *root, const char *room_type_id,
                             dates_day_t first_night, int nights, opera_offer_t *out,
                             int64_t *rates, pms_error_t *err)
{
    return opera_parse_offers_taxed(root, room_type_id, first_night, nights, out, rates, NULL, err);
}

pms_err_t opera_parse_offers_taxed(struct json_object *root, const char *room_type_id,
                                   dates_day_t first_night, int nights, opera_offer_t *out,
                                   int64_t *rates, pms_night_taxes_t *taxes, pms_error_t *err)
{
    memset(out, 0, sizeof *out);
    struct json_object *stays = arr_of(root, "roomStays");
    if (!stays)
        return pms_fail(err, PMS_ERR_PROTOCOL, "OPERA offers answer has no roomStays");
    for (size_t s = 0; s < json_object_array_length(stays); s++) {
        struct json_object *stay = json_object_array_get_idx(stays, s);
        struct json_object *types = arr_of(stay, "roomTypes");
        for (size_t i = 0; types && i < json_object_array_length(types); i++) {
            struct json_object *t = json_object_array_get_idx(types, i);
            const char *id = str_of(t, "roomType");
            if (id && strcmp(id, room_type_id) == 0)
                copy(out->status, sizeof out->status, str_of(t, "availabilityStatus"));
        }
        if (strcmp(out->status, "AvailableForSale") != 0)
            continue;
        struct json_object *offers = arr_of(stay, "offers");
        for (size_t i = 0; offers && i < json_object_array_length(offers); i++) {
            struct json_object *o = json_object_array_get_idx(offers, i);
            const char *id = str_of(o, "roomType");
            const char *st = str_of(o, "availabilityStatus");
            if (!id || strcmp(id, room_type_id) != 0 || (st && strcmp(st, "AvailableForSale")))
                continue;
            struct json_object *total = obj_of(o, "total");
            struct json_object *info = obj_of(o, "rateInformation");
            const char *cur = str_of(total, "currencyCode");
            struct json_object *base = arr_of(info, "base");
            if (!cur && base && json_object_array_length(base) > 0)
                cur = str_of(json_object_array_get_idx(base, 0), "currencyCode");
            if (!cur || !money_currency_known(cur))
                return pms_fail(err, PMS_ERR_PROTOCOL, "OPERA offer for %s has no currency",
                                room_type_id);
            copy(out->currency, sizeof out->currency, cur);
            copy(out->rate_plan, sizeof out->rate_plan, str_of(o, "ratePlanCode"));
            out->total = PMS_TOTAL_UNKNOWN;
            if (total) {
                pms_err_t e = amount_of(total, cur, &out->total, err);
                if (e != PMS_OK)
                    return e;
            }
            if (rates) {
                for (int k = 0; k < nights; k++)
                    rates[k] = -1;
                if (taxes)
                    memset(taxes, 0, (size_t)nights * sizeof *taxes);
                for (size_t r = 0; base && r < json_object_array_length(base); r++) {
                    struct json_object *range = json_object_array_get_idx(base, r);
                    dates_day_t from, to;
                    if (!str_of(range, "start") || !str_of(range, "end") ||
                        dates_parse_iso(str_of(range, "start"), &from) != 0 ||
                        dates_parse_iso(str_of(range, "end"), &to) != 0)
                        return pms_fail(err, PMS_ERR_PROTOCOL,
                                        "OPERA rate range without "
                                        "start/end dates");
                    int64_t amount;
                    pms_err_t e = amount_of(range, cur, &amount, err);
                    if (e != PMS_OK)
                        return e;
                    int64_t before, after;
                    bool taxed = taxes && amount_member(range, "amountBeforeTax", cur, &before) &&
                                 amount_member(range, "amountAfterTax", cur, &after) &&
                                 after >= before;
                    for (dates_day_t d = from; d <= to; d++)
                        if (d >= first_night && d < first_night + nights) {
                            rates[d - first_night] = amount;
                            if (taxed)
                                opera_night_taxes(obj_of(total, "taxes"), cur, before, after,
                                                  &taxes[d - first_night]);
                        }
                }
                for (int k = 0; k < nights; k++)
                    if (rates[k] < 0)
                        return pms_fail(err, PMS_ERR_PROTOCOL,
                                        "OPERA offer for %s leaves night %d of %d unpriced",
                                        room_type_id, k + 1, nights);
            }
            if (!*out->rate_plan)
                return pms_fail(err, PMS_ERR_PROTOCOL, "OPERA offer without ratePlanCode");
            out->bookable = true;
            return PMS_OK;
        }
        /* listed as for sale without an offer of that room type: not sellable to us */
        copy(out->status, sizeof out->status, "NoAvailability");
    }
    return PMS_OK;
}

pms_err_t opera_parse_status(struct json_object *root, char status[OPERA_STATUS_MAX],
                             pms_error_t *err)
{
    struct json_object *o = root;
    if (json_object_is_type(root, json_type_array))
        o = json_object_array_length(root) ? json_object_array_get_idx(root, 0) : NULL;
    const char *s = str_of(o, "reservationStatus");
    if (!s)
        return pms_fail(err, PMS_ERR_PROTOCOL, "OPERA answer has no reservationStatus");
    copy(status, OPERA_STATUS_MAX, s);
    return PMS_OK;
}

pms_err_t opera_parse_booking(struct json_object *b, pms_reservation_t *out,
                              char status[OPERA_STATUS_MAX], pms_error_t *err)
{
    memset(out, 0, sizeof *out);
    struct json_object *ids = arr_of(b, "reservationIds");
    for (size_t i = 0; ids && i < json_object_array_length(ids); i++) {
        struct json_object *id = json_object_array_get_idx(ids, i);
        const char *type = str_of(id, "type");
        const char *value = str_of(id, "id");
        if (!type || !value)
            continue;
        if (strcmp(type, "Confirmation") == 0 && strlen(value) < PMS_ID_MAX) {
            copy(out->reservation_id, sizeof out->reservation_id, value);
            copy(out->confirmation_number, sizeof out->confirmation_number, value);
        } else if (strcmp(type, "Others") == 0 || strcmp(type, "External") == 0) {
            copy(out->reference, sizeof out->reference, value);
        }
    }
    if (!*out->reservation_id)
        return pms_fail(err, PMS_ERR_PROTOCOL, "OPERA reservation without a Confirmation id");
    pms_err_t e = opera_parse_status(b, status, err);
    if (e != PMS_OK)
        return e;
    if (strcmp(status, "OnHold") == 0)
        out->status = PMS_RES_HOLD;
    else if (strcmp(status, "Reserved") == 0 || strcmp(status, "ReservedChanged") == 0)
        out->status = PMS_RES_CONFIRMED;
    else if (strcmp(status, "Cancelled") == 0)
        out->status = PMS_RES_CANCELLED;
    else
        out->status = PMS_RES_UNKNOWN;
    struct json_object *stay = obj_of(b, "roomStay");
    const char *a = str_of(stay, "arrivalDate"), *d = str_of(stay, "departureDate");
    if (!a || !d || dates_parse_iso(a, &out->check_in) != 0 ||
        dates_parse_iso(d, &out->check_out) != 0)
        return pms_fail(err, PMS_ERR_PROTOCOL, "OPERA reservation %s without stay dates",
                        out->reservation_id);
    struct json_object *rates = arr_of(stay, "roomRates");
    struct json_object *rate0 =
        rates && json_object_array_length(rates) > 0 ? json_object_array_get_idx(rates, 0) : NULL;
    if (rate0)
        copy(out->room_type_id, sizeof out->room_type_id, str_of(rate0, "roomType"));
    /* the party: the stay's guestCounts, else its first rate's; the rate's units */
    struct json_object *counts = obj_of(stay, "guestCounts");
    if (!counts)
        counts = obj_of(rate0, "guestCounts");
    int adults = 0, children = 0, units = 0;
    if (int_field(counts, "adults", &adults) && adults > 0 && adults <= PMS_MAX_PARTY) {
        out->adults = adults;
        if (int_field(counts, "children", &children) && children >= 0 && children <= PMS_MAX_PARTY)
            out->children = children;
    }
    if (int_field(rate0, "numberOfUnits", &units) && units > 0 &&
        units <= PMS_MAX_RESERVATION_ROOMS)
        out->rooms = units;
    out->total = PMS_TOTAL_UNKNOWN;
    struct json_object *total = obj_of(stay, "total");
    const char *cur = str_of(total, "currencyCode");
    if (total && cur && money_currency_known(cur)) {
        copy(out->currency, sizeof out->currency, cur);
        e = amount_of(total, cur, &out->total, err);
        if (e != PMS_OK)
            return e;
    }
    return PMS_OK;
}

/* ------------------------------------------------------------ requests -- */

/* The body of a successful answer (object or array); NULL with err set. */
static struct json_object *body_json(const http_client_response_t *r, pms_error_t *err)
{
    struct json_object *root = r->body_len ? json_tokener_parse(r->body) : NULL;
    if (!root || (!json_object_is_type(root, json_type_object) &&
                  !json_object_is_type(root, json_type_array))) {
        if (root)
            json_object_put(root);
        pms_fail(err, PMS_ERR_PROTOCOL, "OPERA answer is not JSON");
        return NULL;
    }
    return root;
}

/* OHIP answers 2xx for success, an RFC 7807-like body otherwise (title,
 * "o:errorCode" in Content and Shop, "o.errorCode" in Book). "No rooms" is a
 * Shop 200 with NoAvailability, but a Book 400 — typed here by its words. */
static pms_err_t classify(const http_client_response_t *r, pms_error_t *err)
{
    if (r->status >= 200 && r->status < 300)
        return PMS_OK;
    struct json_object *root = r->body_len ? json_tokener_parse(r->body) : NULL;
    char title[160] = "", code[48] = "";
    if (root && json_object_is_type(root, json_type_object))
        opera_parse_error(root, title, sizeof title, code, sizeof code);
    if (root)
        json_object_put(root);
    pms_err_t e;
    if (r->status == 429)
        e = PMS_ERR_RATE_LIMITED;
    else if (r->status == 408 || r->status >= 500 || r->status == 0)
        e = PMS_ERR_TRANSIENT;
    else if (r->status == 401 || r->status == 403)
        e = PMS_ERR_AUTH;
    else if (r->status == 404)
        e = PMS_ERR_NOT_FOUND;
    else if (r->status == 409)
        e = PMS_ERR_CONFLICT;
    else
        e = PMS_ERR_REJECTED;
    if (e == PMS_ERR_REJECTED &&
        (contains_ci(title, "not available") || contains_ci(title, "no availability") ||
         contains_ci(title, "sold out")))
        e = PMS_ERR_NO_AVAILABILITY;
    return pms_fail(err, e, "OPERA %d %s: %s", r->status, *code ? code : "-",
                    *title ? title : "(no title)");
}

static void auth_headers_unused(const char *api_key, const char *hotel_id,
                                char out[PMS_MAX_HEADERS][PMS_HEADER_MAX], int *count)
{
    (void)api_key;
    (void)hotel_id;
    (void)out;
    *count = 0;
}

/* The integration user: the hotel's "username:password" key, else the
 * environment's. 0, or -1 when there is none. */
static int credentials(pms_connector_t *c, const char *hotel_id, char *user, size_t user_size,
                       char *pass, size_t pass_size)
{
    char key[CRED_MAX];
    int rc = -1;
    if (pms_connector_key(c, hotel_id, key, sizeof key) == 0 && strchr(key, ':')) {
        char *colon = strchr(key, ':');
        *colon = '\0';
        if (*key && colon[1] && strlen(key) < user_size && strlen(colon + 1) < pass_size) {
            copy(user, user_size, key);
            copy(pass, pass_size, colon + 1);
            rc = 0;
        }
    } else {
        const char *u = getenv("PMS_OPERA_USERNAME"), *p = getenv("PMS_OPERA_PASSWORD");
        if (u && *u && p && *p && strlen(u) < user_size && strlen(p) < pass_size) {
            copy(user, user_size, u);
            copy(pass, pass_size, p);
            rc = 0;
        }
    }
    crypto_wipe(key, sizeof key);
    return rc;
}

/* A token for `user`: the cached one, or a new one from the token endpoint
 * (under the state's lock, so concurrent callers fetch once). */
static pms_err_t token_for(pms_connector_t *c, const char *user, const char *pass, char *out,
                           size_t out_size, pms_error_t *err)
{
    opera_state_t *s = pms_vendor_state(c);
    pthread_mutex_lock(&s->mu);
    int64_t now = clock_wall_ms();
    if (*s->token && strcmp(s->token_user, user) == 0 && now < s->token_refresh_at_ms) {
        copy(out, out_size, s->token);
        pthread_mutex_unlock(&s->mu);
        return PMS_OK;
    }
    const char *form[] = {"username", user, "password", pass, NULL};
    char app_key_header[PMS_HEADER_MAX] = "";
    const char *app_key = getenv("PMS_OPERA_APP_KEY");
    const char *headers[2] = {NULL, NULL};
    if (app_key && *app_key) {
        snprintf(app_key_header, sizeof app_key_header, "x-app-key: %s", app_key);
        headers[0] = app_key_header;
    }
    http_client_response_t resp;
    memset(&resp, 0, sizeof resp);
    http_client_err_t hr =
        http_client_post_form(pms_connector_http(c), TOKEN_PATH, headers, form, &resp);
    pms_err_t e;
    if (hr != HTTP_CLIENT_OK) {
        e = pms_fail(err, PMS_ERR_TRANSIENT, "OPERA token: %s", http_client_err_name(hr));
    } else if (resp.status == 400 || resp.status == 401 || resp.status == 403) {
        e = pms_fail(err, PMS_ERR_AUTH, "OPERA refused the integration user (%d)", resp.status);
    } else if (resp.status != 200) {
        e = classify(&resp, err);
        if (e == PMS_OK)
            e = pms_fail(err, PMS_ERR_PROTOCOL, "OPERA token answered %d", resp.status);
    } else {
        struct json_object *root = body_json(&resp, err);
        int64_t ttl = 0;
        e = root ? opera_parse_token(root, s->token, sizeof s->token, &ttl, err)
                 : PMS_ERR_PROTOCOL;
        if (root)
            json_object_put(root);
        if (e == PMS_OK) {
            /* well before it lapses: at 5/6 of its life (50 of 60 minutes),
             * at least a minute early */
            int64_t margin = ttl / 6 > 60 ? ttl / 6 : (ttl > 120 ? 60 : ttl / 2);
            s->token_refresh_at_ms = now + (ttl - margin) * 1000;
            copy(s->token_user, sizeof s->token_user, user);
            copy(out, out_size, s->token);
        } else {
            s->token[0] = '\0';
        }
    }
    crypto_wipe(resp.body, resp.body_len);
    http_client_response_clear(&resp);
    pthread_mutex_unlock(&s->mu);
    return e;
}

static void auth_rejected(pms_connector_t *c)
{
    opera_state_t *s = pms_vendor_state(c);
    pthread_mutex_lock(&s->mu);
    crypto_wipe(s->token, sizeof s->token);
    s->token_refresh_at_ms = 0;
    pthread_mutex_unlock(&s->mu);
}

static pms_err_t request_headers(pms_connector_t *c, const pms_http_call_t *call,
                                 char out[PMS_MAX_HEADERS][PMS_HEADER_MAX], int *count,
                                 pms_error_t *err)
{
    *count = 0;
    const char *channel = getenv("PMS_OPERA_CHANNEL_CODE");
    if (!channel || !*channel || strlen(channel) >= CHANNEL_MAX)
        return pms_fail(err, PMS_ERR_AUTH, "PMS_OPERA_CHANNEL_CODE is not configured");
    char user[CRED_MAX], pass[CRED_MAX], token[TOKEN_MAX];
    if (credentials(c, call->hotel_id, user, sizeof user, pass, sizeof pass) != 0)
        return pms_fail(err, PMS_ERR_AUTH, "no OPERA integration user configured for hotel %s",
                        call->hotel_id);
    pms_err_t e = token_for(c, user, pass, token, sizeof token, err);
    crypto_wipe(pass, sizeof pass);
    if (e != PMS_OK)
        return e;
    int n = 0;
    snprintf(out[n++], PMS_HEADER_MAX, "Authorization: Bearer %s", token);
    crypto_wipe(token, sizeof token);
    snprintf(out[n++], PMS_HEADER_MAX, "x-channelCode: %s", channel);
    char trace[CRYPTO_UUID_LEN + 1];
    if (crypto_uuid_v4(trace) != 0)
        return pms_fail(err, PMS_ERR_TRANSIENT, "no randomness for x-hdp-tracing-key");
    snprintf(out[n++], PMS_HEADER_MAX, "x-hdp-tracing-key: %s", trace);
    const char *app_key = getenv("PMS_OPERA_APP_KEY");
    if (app_key && *app_key)
        snprintf(out[n++], PMS_HEADER_MAX, "x-app-key: %s", app_key);
    snprintf(out[n++], PMS_HEADER_MAX, "Accept: application/json");
    *count = n;
    return PMS_OK;
}

/* One request; on PMS_OK *root is the parsed body (json_object_put it). */
static pms_err_t call_json(pms_connector_t *c, const char *hotel_id, const char *op,
                           const char *method, const char *path, const char *const *query,
                           const char *json, bool not_idempotent, struct json_object **root,
                           pms_error_t *err)
{
    pms_http_call_t call = {.hotel_id = hotel_id,
                            .op = op,
                            .method = method,
                            .path = path,
                            .query = query,
                            .json = json,
                            .not_idempotent = not_idempotent};
    http_client_response_t resp;
    *root = NULL;
    pms_err_t e = pms_http(c, &call, &resp, err);
    if (e != PMS_OK)
        return e;
    *root = body_json(&resp, err);
    http_client_response_clear(&resp);
    return *root ? PMS_OK : PMS_ERR_PROTOCOL;
}

/* ---------------------------------------------------- business events -- */

static const char *env_set(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* PMS_OPERA_EVENTS_ENABLED as config reads a boolean. */
static bool events_enabled(void)
{
    const char *v = env_set("PMS_OPERA_EVENTS_ENABLED");
    return v && (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 ||
                 strcasecmp(v, "on") == 0);
}

/* A Property API token (cached in s; call with s->property_mu held). */
static pms_err_t property_token(opera_state_t *s, const char *app_key, char *out, size_t out_size,
                                pms_error_t *err)
{
    int64_t now = clock_wall_ms();
    if (*s->property_token && now < s->property_refresh_at_ms) {
        copy(out, out_size, s->property_token);
        return PMS_OK;
    }
    const char *id = env_set("PMS_OPERA_EVENTS_CLIENT_ID"),
               *secret = env_set("PMS_OPERA_EVENTS_CLIENT_SECRET");
    if (!id || !secret || strlen(id) + strlen(secret) + 2 > CRED_MAX)
        return pms_fail(err, PMS_ERR_AUTH, "PMS_OPERA_EVENTS_CLIENT_ID / _CLIENT_SECRET are not "
                                           "configured");
    char pair[2 * CRED_MAX];
    snprintf(pair, sizeof pair, "%s:%s", id, secret);
    char *basic = crypto_base64_encode(pair, strlen(pair));
    crypto_wipe(pair, sizeof pair);
    if (!basic)
        return pms_fail(err, PMS_ERR_TRANSIENT, "out of memory");
    char auth[PMS_HEADER_MAX], key[PMS_HEADER_MAX];
    snprintf(auth, sizeof auth, "Authorization: Basic %s", basic);
    crypto_wipe(basic, strlen(basic));
    free(basic);
    snprintf(key, sizeof key, "x-app-key: %s", app_key);
    const char *headers[] = {auth, key, NULL};
    const char *form[] = {"grant_type", "client_credentials", NULL};
    http_client_response_t resp;
    memset(&resp, 0, sizeof resp);
    http_client_err_t hr = http_client_post_form(s->property_http, "/oauth/v1/tokens", headers,
                                                 form, &resp);
    crypto_wipe(auth, sizeof auth);
    pms_err_t e;
    if (hr != HTTP_CLIENT_OK) {
        e = pms_fail(err, PMS_ERR_TRANSIENT, "OPERA property token: %s", http_client_err_name(hr));
    } else if (resp.status == 400 || resp.status == 401 || resp.status == 403) {
        e = pms_fail(err, PMS_ERR_AUTH, "OPERA refused the property client (%d)", resp.status);
    } else if (resp.status != 200) {
        e = classify(&resp, err);
        if (e == PMS_OK)
            e = pms_fail(err, PMS_ERR_PROTOCOL, "OPERA property token answered %d", resp.status);
    } else {
        struct json_object *root = body_json(&resp, err);
        int64_t ttl = 0;
        e = root ? opera_parse_token(root, s->property_token, sizeof s->property_token, &ttl, err)
                 : PMS_ERR_PROTOCOL;
        if (root)
            json_object_put(root);
        if (e == PMS_OK) {
            int64_t margin = ttl / 6 > 60 ? ttl / 6 : (ttl > 120 ? 60 : ttl / 2);
            s->property_refresh_at_ms = now + (ttl - margin) * 1000;
            copy(out, out_size, s->property_token);
        } else {
            s->property_token[0] = '\0';
        }
    }
    crypto_wipe(resp.body, resp.body_len);
    http_client_response_clear(&resp);
    return e;
}

/* One dequeue call. The property lock is held throughout, so one caller at a
 * time reads the queues (and the token is fetched once). */
static pms_err_t take_booking_events(pms_connector_t *c, const char *hotel_id,
                                     pms_booking_events_t *out, pms_error_t *err)
{
    if (!events_enabled())
        return pms_fail(err, PMS_ERR_REJECTED, "OPERA business events are not enabled");
    const char *base = env_set("PMS_OPERA_EVENTS_BASE_URL"),
               *ext = env_set("PMS_OPERA_EVENTS_EXTERNAL_SYSTEM"),
               *app_key = env_set("PMS_OPERA_APP_KEY");
    if (!base || !ext || !app_key || strlen(ext) > 40 || strlen(app_key) > 64)
        return pms_fail(err, PMS_ERR_AUTH, "PMS_OPERA_EVENTS_BASE_URL, "
                                           "PMS_OPERA_EVENTS_EXTERNAL_SYSTEM and "
                                           "PMS_OPERA_APP_KEY are required for business events");
    opera_state_t *s = pms_vendor_state(c);
    pthread_mutex_lock(&s->property_mu);
    if (!s->property_http) {
        const pms_config_t *cfg = pms_connector_config(c);
        http_client_config_t hc = {.base_url = base,
                                   .total_timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 0};
        s->property_http = http_client_new(&hc);
    }
    pms_err_t e = PMS_OK;
    char token[TOKEN_MAX] = "";
    if (!s->property_http)
        e = pms_fail(err, PMS_ERR_TRANSIENT, "out of memory");
    for (int attempt = 0; e == PMS_OK && attempt < 2; attempt++) {
        e = property_token(s, app_key, token, sizeof token, err);
        if (e != PMS_OK)
            break;
        char path[256], auth[PMS_HEADER_MAX], key[PMS_HEADER_MAX], hotel[PMS_ID_MAX + 16],
            system[64];
        snprintf(path, sizeof path, "/int/v1/externalSystem/%s/hotels/%s/businessEvents", ext,
                 hotel_id);
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        snprintf(key, sizeof key, "x-app-key: %s", app_key);
        snprintf(hotel, sizeof hotel, "x-hotelid: %s", hotel_id);
        snprintf(system, sizeof system, "x-externalsystem: %s", ext);
        const char *headers[] = {auth, key, hotel, system, "Accept: application/json", NULL};
        const char *query[] = {"limit", "20", NULL};
        http_client_response_t resp;
        memset(&resp, 0, sizeof resp);
        http_client_err_t hr = http_client_get(s->property_http, path, query, headers, &resp);
        crypto_wipe(auth, sizeof auth);
        if (hr != HTTP_CLIENT_OK) {
            e = pms_fail(err, PMS_ERR_TRANSIENT, "OPERA business events: %s",
                         http_client_err_name(hr));
        } else if (resp.status == 204) {
            e = PMS_OK;
        } else if (resp.status == 401 && attempt == 0) {
            /* the token lapsed early: once more with a new one */
            crypto_wipe(s->property_token, sizeof s->property_token);
            s->property_refresh_at_ms = 0;
            http_client_response_clear(&resp);
            continue;
        } else if (resp.status != 200) {
            e = classify(&resp, err);
            if (e == PMS_OK)
                e = pms_fail(err, PMS_ERR_PROTOCOL, "OPERA business events answered %d",
                             resp.status);
        } else {
            struct json_object *root = body_json(&resp, err);
            e = root ? opera_parse_business_events(root, out, err) : PMS_ERR_PROTOCOL;
            if (root)
                json_object_put(root);
        }
        http_client_response_clear(&resp);
        break;
    }
    crypto_wipe(token, sizeof token);
    pthread_mutex_unlock(&s->property_mu);
    return e;
}

/* --------------------------------------------------------- operations -- */

static pms_err_t get_hotel(pms_connector_t *c, const char *hotel_id, pms_hotel_t *out,
                           pms_error_t *err)
{
    char path[160];
    snprintf(path, sizeof path, "/content/v1/hotels/%s", hotel_id);
    struct json_object *root;
    pms_err_t e = call_json(c, hotel_id, "getPropertyInfo", "GET", path, NULL, NULL, false, &root,
                            err);
    if (e != PMS_OK)
        return e;
    e = opera_parse_property(root, out, err);
    json_object_put(root);
    return e;
}

static pms_err_t get_room_types(pms_connector_t *c, const char *hotel_id, pms_room_types_t *out,
                                pms_error_t *err)
{
    char path[160];
    snprintf(path, sizeof path, "/content/v1/hotels/%s/roomTypes", hotel_id);
    bool more = true;
    pms_err_t e = PMS_OK;
    for (int page = 0; more && e == PMS_OK; page++) {
        if (page == ROOM_TYPE_PAGES_MAX) {
            e = pms_fail(err, PMS_ERR_PROTOCOL, "OPERA room types go on past %d pages", page);
            break;
        }
        char offset[16];
        snprintf(offset, sizeof offset, "%zu", out->count);
        const char *q[] = {"limit", "100", "offset", offset, NULL};
        struct json_object *root;
        e = call_json(c, hotel_id, "getRoomTypesInfo", "GET", path, q, NULL, false, &root, err);
        if (e == PMS_OK) {
            size_t before = out->count;
            e = opera_parse_room_types(root, out, &more, err);
            json_object_put(root);
            if (e == PMS_OK && more && out->count == before)
                e = pms_fail(err, PMS_ERR_PROTOCOL, "OPERA says hasMore on an empty page");
        }
    }
    if (e != PMS_OK)
        pms_room_types_free(out);
    return e;
}

/* One Shop offers call for a stay of room_type_id; plan_code (NULL = every
 * plan) narrows it to one plan, whose restrictions OPERA then names. On
 * PMS_OK *root is the answer (json_object_put it). */
static pms_err_t offers_root(pms_connector_t *c, const char *hotel_id, const char *room_type_id,
                             dates_day_t arrival, int nights, int units, int adults, int children,
                             const char *plan_code, struct json_object **root, pms_error_t *err)
{
    char path[160], a[DATES_ISO_LEN + 1], d[DATES_ISO_LEN + 1], u[16], ad[16], ch[16];
    snprintf(path, sizeof path, "/shop/v1/hotels/%s/offers", hotel_id);
    dates_format_iso(arrival, a);
    dates_format_iso(arrival + nights, d);
    snprintf(u, sizeof u, "%d", units);
    snprintf(ad, sizeof ad, "%d", adults > 10 ? 10 : adults);
    snprintf(ch, sizeof ch, "%d", children);
    const char *q[] = {"arrivalDate",
                       a,
                       "departureDate",
                       d,
                       "roomTypes",
                       room_type_id,
                       "roomTypeMatchOnly",
                       "true",
                       "numberOfUnits",
                       u,
                       "adults",
                       ad,
                       "children",
                       ch,
                       plan_code ? "ratePlanCodes" : NULL,
                       plan_code,
                       "ratePlanCodeMatchOnly",
                       "true",
                       NULL};
    return call_json(c, hotel_id, "getPropertyOffers", "GET", path, q, NULL, false, root, err);
}

/* One Shop offers call for a stay of room_type_id. */
static pms_err_t offers(pms_connector_t *c, const char *hotel_id, const char *room_type_id,
                        dates_day_t arrival, int nights, int units, int adults, int children,
                        opera_offer_t *out, int64_t *rates, pms_night_taxes_t *taxes,
                        pms_error_t *err)
{
    struct json_object *root;
    pms_err_t e = offers_root(c, hotel_id, room_type_id, arrival, nights, units, adults, children,
                              NULL, &root, err);
    if (e != PMS_OK)
        return e;
    e = opera_parse_offers_taxed(root, room_type_id, arrival, nights, out, rates, taxes, err);
    json_object_put(root);
    return e;
}

/* The offers of one stay, plan by plan (heap: one per call). */
static pms_err_t plan_offers(pms_connector_t *c, const char *hotel_id, const char *room_type_id,
                             dates_day_t arrival, int nights, int units, int adults, int children,
                             const char *plan_code, opera_plan_offers_t *out, pms_error_t *err)
{
    struct json_object *root;
    pms_err_t e = offers_root(c, hotel_id, room_type_id, arrival, nights, units, adults, children,
                              plan_code, &root, err);
    if (e != PMS_OK)
        return e;
    e = opera_parse_plan_offers(root, room_type_id, arrival, nights, out, err);
    json_object_put(root);
    return e;
}

/* Per night: "bookable, count unknown" (1) or not (0), and its rate. One
 * offers call per chunk of up to 30 nights when the whole chunk is for sale
 * (the common case), else one per night of that chunk — unless the answer
 * does not list the room type at all (not offered on this channel then). */
static pms_err_t get_nights(pms_connector_t *c, const char *hotel_id, const char *room_type_id,
                            dates_day_t first_night, int nights, bool want_total,
                            pms_nights_t *out, pms_error_t *err)
{
    (void)want_total; /* OPERA never says how many rooms a type has free */
    out->items = calloc((size_t)nights, sizeof *out->items);
    if (!out->items)
        return pms_fail(err, PMS_ERR_TRANSIENT, "out of memory");
    out->count = (size_t)nights;
    for (int i = 0; i < nights; i++) {
        out->items[i].date = first_night + i;
        out->items[i].count_unknown = true;
    }
    int64_t rates[OFFER_CHUNK_NIGHTS];
    pms_night_taxes_t taxes[OFFER_CHUNK_NIGHTS];
    for (int start = 0; start < nights; start += OFFER_CHUNK_NIGHTS) {
        int n = nights - start < OFFER_CHUNK_NIGHTS ? nights - start : OFFER_CHUNK_NIGHTS;
        opera_offer_t o;
        pms_err_t e = offers(c, hotel_id, room_type_id, first_night + start, n, 1, 1, 0, &o, rates,
                             taxes, err);
        if (e != PMS_OK)
            return e;
        if (!o.bookable && !*o.status)
            continue; /* not offered at all for these nights: none bookable, nothing to ask */
        if (o.bookable) {
            for (int k = 0; k < n; k++) {
                out->items[start + k].available = 1;
                out->items[start + k].rate = rates[k];
                out->items[start + k].taxes = taxes[k];
            }
            copy(out->currency, sizeof out->currency, o.currency);
            continue;
        }
        for (int k = 0; k < n; k++) {
            int64_t rate;
            pms_night_taxes_t tax;
            e = offers(c, hotel_id, room_type_id, first_night + start + k, 1, 1, 1, 0, &o, &rate,
                       &tax, err);
            if (e != PMS_OK)
                return e;
            out->items[start + k].available = o.bookable ? 1 : 0;
            out->items[start + k].rate = o.bookable ? rate : 0;
            if (o.bookable)
                out->items[start + k].taxes = tax;
            if (o.bookable)
                copy(out->currency, sizeof out->currency, o.currency);
        }
    }
    return PMS_OK;
}

/* The stay under one plan (NULL: the first plan OPERA offers, as a hold
 * without a plan takes), for the party asked: OPERA prices the occupancy
 * and judges the plan's restrictions itself. */
static pms_err_t check_stay(pms_connector_t *c, const char *hotel_id, const char *room_type_id,
                            dates_day_t check_in, dates_day_t check_out, int rooms, int adults,
                            int children, const char *rate_plan_id, pms_stay_check_t *out,
                            pms_error_t *err)
{
    opera_plan_offers_t *po = malloc(sizeof *po);
    if (!po)
        return pms_fail(err, PMS_ERR_TRANSIENT, "out of memory");
    pms_err_t e = plan_offers(c, hotel_id, room_type_id, check_in, (int)(check_out - check_in),
                              rooms, adults, children, rate_plan_id, po, err);
    if (e != PMS_OK) {
        free(po);
        return e;
    }
    const opera_plan_offer_t *p = NULL;
    for (size_t i = 0; i < po->count && !p; i++)
        if (rate_plan_id ? strcmp(po->items[i].code, rate_plan_id) == 0 : po->items[i].offered)
            p = &po->items[i];
    if (!p && !rate_plan_id && po->count > 0)
        p = &po->items[0]; /* none offered: the first plan's restrictions, if any */
    /* a room type OPERA lists without the plan: the plan is not sold for it */
    out->plan_unknown = rate_plan_id && !p && *po->room_status;
    if (p && p->offered && strcmp(po->room_status, "AvailableForSale") == 0) {
        out->bookable = true;
        out->total = p->total;
        out->first_night = p->rates[0];
        copy(out->currency, sizeof out->currency, po->currency);
        copy(out->cancel_policy, sizeof out->cancel_policy, p->cancel_policy);
    } else if (p && p->restricted) {
        out->restricted = true;
        out->arrival = p->arrival;
        out->departure_closed = p->departure_closed;
    }
    free(po);
    return PMS_OK;
}

/* The plan `code` of out, added (every night closed until a night is read)
 * when new; NULL on OOM or too many plans. */
static pms_rate_plan_t *plan_in(pms_rate_plans_t *out, const char *code, int nights)
{
    for (size_t i = 0; i < out->count; i++)
        if (strcmp(out->items[i].id, code) == 0)
            return &out->items[i];
    if (out->count >= PMS_MAX_RATE_PLANS)
        return NULL;
    pms_plan_night_t *pn = calloc((size_t)nights, sizeof *pn);
    if (!pn)
        return NULL;
    for (int k = 0; k < nights; k++)
        pn[k] = (pms_plan_night_t){.unpriced = true, .rules.closed = true};
    pms_rate_plan_t *p = &out->items[out->count++];
    memset(p, 0, sizeof *p);
    copy(p->id, sizeof p->id, code);
    p->nights = pn;
    p->is_base = out->count == 1; /* the first plan OPERA lists for the channel */
    return p;
}

/* Every plan OPERA lists for the room type, per night. One offers call per
 * chunk of up to 30 nights prices every plan for sale over the whole chunk;
 * when a plan is not, each night of the chunk is asked alone so the night
 * says what it is under each plan: for sale and its rate, closed, or the
 * restrictions OPERA names for a stay arriving that night (closed to
 * departure names the next day: a rule of the day the stay ends). A night a plan is not priced on
 * is unpriced: OPERA prices only stays it sells — the checkout asks it for the stay itself. */
static pms_err_t get_rate_plans(pms_connector_t *c, const char *hotel_id, const char *room_type_id,
                                dates_day_t first_night, int nights, pms_rate_plans_t *out,
                                pms_error_t *err)
{
    opera_plan_offers_t *po = malloc(sizeof *po);
    out->items = calloc(PMS_MAX_RATE_PLANS, sizeof *out->items);
    pms_err_t e = po && out->items ? PMS_OK : pms_fail(err, PMS_ERR_TRANSIENT, "out of memory");
    char codes[PMS_MAX_RATE_PLANS * PMS_ID_MAX];
    for (int start = 0; e == PMS_OK && start < nights; start += OFFER_CHUNK_NIGHTS) {
        int n = nights - start < OFFER_CHUNK_NIGHTS ? nights - start : OFFER_CHUNK_NIGHTS;
        e = plan_offers(c, hotel_id, room_type_id, first_night + start, n, 1, 1, 0, NULL, po, err);
        if (e != PMS_OK || !*po->room_status)
            continue; /* not offered at all for these nights */
        if (*po->currency)
            copy(out->currency, sizeof out->currency, po->currency);
        bool each_night = false;
        codes[0] = '\0';
        for (size_t i = 0; i < po->count && e == PMS_OK; i++) {
            const opera_plan_offer_t *o = &po->items[i];
            pms_rate_plan_t *p = plan_in(out, o->code, nights);
            if (!p) {
                e = pms_fail(err, PMS_ERR_TRANSIENT, "out of memory");
                break;
            }
            if (!*p->name)
                copy(p->name, sizeof p->name, *o->name ? o->name : o->code);
            if (!*p->cancel_policy)
                copy(p->cancel_policy, sizeof p->cancel_policy, o->cancel_policy);
            size_t used = strlen(codes);
            snprintf(codes + used, sizeof codes - used, "%s%s", used ? "," : "", o->code);
            for (int k = 0; o->offered && k < n; k++)
                p->nights[start + k] =
                    (pms_plan_night_t){.rate = o->rates[k], .taxes = o->taxes[k]};
            each_night = each_night || !o->offered;
        }
        for (int k = 0; e == PMS_OK && each_night && k < n; k++) {
            e = plan_offers(c, hotel_id, room_type_id, first_night + start + k, 1, 1, 1, 0, codes,
                            po, err);
            for (size_t i = 0; e == PMS_OK && i < po->count; i++) {
                const opera_plan_offer_t *o = &po->items[i];
                pms_rate_plan_t *p = plan_in(out, o->code, nights);
                if (!p) {
                    e = pms_fail(err, PMS_ERR_TRANSIENT, "out of memory");
                    break;
                }
                if (!*p->cancel_policy)
                    copy(p->cancel_policy, sizeof p->cancel_policy, o->cancel_policy);
                pms_plan_night_t *pn = &p->nights[start + k];
                /* set by the night before, whose stay ends here */
                bool no_departure = pn->rules.closed_to_departure;
                if (o->offered)
                    *pn = (pms_plan_night_t){.rate = o->rates[0], .taxes = o->taxes[0]};
                else if (o->restricted)
                    *pn = (pms_plan_night_t){.unpriced = true, .rules = o->arrival};
                pn->rules.closed_to_departure = pn->rules.closed_to_departure || no_departure;
                if (o->restricted && o->departure_closed && start + k + 1 < nights)
                    p->nights[start + k + 1].rules.closed_to_departure = true;
            }
        }
    }
    free(po);
    return e;
}

static json_object *jstr(const char *s)
{
    return json_object_new_string(s ? s : "");
}

/* The CreateRequestType of a session reservation holding the stay. */
static char *create_body(const pms_hold_request_t *req, const char *rate_plan)
{
    char a[DATES_ISO_LEN + 1], d[DATES_ISO_LEN + 1];
    dates_format_iso(req->check_in, a);
    dates_format_iso(req->check_out, d);
    json_object *res = json_object_new_object();
    json_object *ids = json_object_new_array(), *id = json_object_new_object();
    json_object_object_add(id, "id", jstr(req->reference));
    json_object_array_add(ids, id);
    json_object_object_add(res, "reservationIdList", ids);
    json_object_object_add(res, "isSessionRequest", json_object_new_boolean(1));
    json_object_object_add(res, "hotelCode", jstr(req->hotel_id));
    json_object *stay = json_object_new_object();
    json_object_object_add(stay, "arrivalDate", jstr(a));
    json_object_object_add(stay, "departureDate", jstr(d));
    json_object *guarantee = json_object_new_object();
    json_object_object_add(guarantee, "guaranteeType", jstr(GUARANTEE_NONE));
    json_object_object_add(guarantee, "onHold", json_object_new_boolean(1));
    json_object_object_add(stay, "guarantee", guarantee);
    json_object *rr = json_object_new_object();
    json_object_object_add(rr, "roomType", jstr(req->room_type_id));
    json_object_object_add(rr, "ratePlanCode", jstr(rate_plan));
    json_object_object_add(rr, "numberOfUnits", json_object_new_int(req->rooms > 0 ? req->rooms : 1));
    json_object *counts = json_object_new_object();
    json_object_object_add(counts, "adults", json_object_new_int(req->adults));
    json_object_object_add(counts, "children", json_object_new_int(req->children));
    json_object_object_add(rr, "guestCounts", counts);
    json_object *rrs = json_object_new_array();
    json_object_array_add(rrs, rr);
    json_object_object_add(stay, "roomRates", rrs);
    json_object_object_add(res, "roomStay", stay);
    json_object *name = json_object_new_object();
    json_object_object_add(name, "givenName", jstr(req->guest.first_name));
    json_object_object_add(name, "surname", jstr(req->guest.last_name));
    json_object_object_add(name, "nameType", jstr("Primary"));
    if (req->guest.email)
        json_object_object_add(name, "email", jstr(req->guest.email));
    if (req->guest.phone && *req->guest.phone)
        json_object_object_add(name, "phoneNumber", jstr(req->guest.phone));
    json_object *names = json_object_new_array();
    json_object_array_add(names, name);
    json_object *customer = json_object_new_object();
    json_object_object_add(customer, "personName", names);
    json_object *profile = json_object_new_object();
    json_object_object_add(profile, "customer", customer);
    json_object_object_add(profile, "profileType", jstr("Guest"));
    json_object *pinfo = json_object_new_object();
    json_object_object_add(pinfo, "profile", profile);
    json_object *guest = json_object_new_object();
    json_object_object_add(guest, "profileInfo", pinfo);
    json_object_object_add(guest, "primary", json_object_new_boolean(1));
    json_object *guests = json_object_new_array();
    json_object_array_add(guests, guest);
    json_object_object_add(res, "reservationGuests", guests);
    /* the platform takes the money through its own gateway: no card here */
    json_object *pm = json_object_new_object();
    json_object_object_add(pm, "paymentMethod", jstr(PAYMENT_CASH));
    json_object *pms = json_object_new_array();
    json_object_array_add(pms, pm);
    json_object_object_add(res, "reservationPaymentMethods", pms);
    json_object *list = json_object_new_array();
    json_object_array_add(list, res);
    json_object *root = json_object_new_object();
    json_object_object_add(root, "reservations", list);
    char *text = json_to_string_dup(root);
    json_object_put(root);
    return text;
}

/* {reservations:[{reservationIdList:[{id, type:Confirmation}], <key>: <value>, hotelCode}]} */
static char *by_confirmation_body(const char *hotel_id, const char *conf, const char *key,
                                  const char *value)
{
    json_object *id = json_object_new_object();
    json_object_object_add(id, "id", jstr(conf));
    json_object_object_add(id, "type", jstr("Confirmation"));
    json_object *ids = json_object_new_array();
    json_object_array_add(ids, id);
    json_object *res = json_object_new_object();
    json_object_object_add(res, "reservationIdList", ids);
    if (key)
        json_object_object_add(res, key, jstr(value));
    json_object_object_add(res, "hotelCode", jstr(hotel_id));
    json_object *list = json_object_new_array();
    json_object_array_add(list, res);
    json_object *root = json_object_new_object();
    json_object_object_add(root, "reservations", list);
    char *text = json_to_string_dup(root);
    json_object_put(root);
    return text;
}

/* Commit or Ignore a session reservation; *status is OPERA's answer. */
static pms_err_t set_session(pms_connector_t *c, const char *hotel_id, const char *conf,
                             const char *action, char status[OPERA_STATUS_MAX], pms_error_t *err)
{
    char path[224];
    snprintf(path, sizeof path, "/book/v1/hotels/%s/reservations/%s/status", hotel_id, conf);
    char *body = by_confirmation_body(hotel_id, conf, "reservationStatus", action);
    if (!body)
        return pms_fail(err, PMS_ERR_TRANSIENT, "out of memory");
    struct json_object *root;
    pms_err_t e = call_json(c, hotel_id, "postOnHoldReservation", "POST", path, NULL, body, false,
                            &root, err);
    free(body);
    if (e != PMS_OK)
        return e;
    e = opera_parse_status(root, status, err);
    json_object_put(root);
    return e;
}

static pms_err_t post_cancellation(pms_connector_t *c, const char *hotel_id, const char *conf,
                                   char status[OPERA_STATUS_MAX], pms_error_t *err)
{
    char path[224];
    snprintf(path, sizeof path, "/book/v1/hotels/%s/reservations/%s/cancellations", hotel_id,
             conf);
    char *body = by_confirmation_body(hotel_id, conf, NULL, NULL);
    if (!body)
        return pms_fail(err, PMS_ERR_TRANSIENT, "out of memory");
    struct json_object *root;
    pms_err_t e = call_json(c, hotel_id, "postCancelReservation", "POST", path, NULL, body, false,
                            &root, err);
    free(body);
    if (e != PMS_OK)
        return e;
    e = opera_parse_status(root, status, err);
    json_object_put(root);
    return e;
}

static pms_err_t get_reservation(pms_connector_t *c, const char *hotel_id,
                                 const char *reservation_id, pms_reservation_t *out,
                                 pms_error_t *err)
{
    char path[224];
    snprintf(path, sizeof path, "/book/v1/hotels/%s/reservations/%s", hotel_id, reservation_id);
    struct json_object *root;
    pms_err_t e = call_json(c, hotel_id, "getReservation", "GET", path, NULL, NULL, false, &root,
                            err);
    if (e != PMS_OK)
        return e;
    if (!json_object_is_type(root, json_type_array) || json_object_array_length(root) < 1) {
        json_object_put(root);
        return pms_fail(err, PMS_ERR_PROTOCOL, "OPERA reservation answer is not a list");
    }
    char status[OPERA_STATUS_MAX];
    e = opera_parse_booking(json_object_array_get_idx(root, 0), out, status, err);
    json_object_put(root);
    return e;
}

/* Every reservation carrying our reference, live ones first, into out (at
 * most max); *n how many. */
#define FIND_MAX 4
static pms_err_t find_all(pms_connector_t *c, const char *hotel_id, const char *reference,
                          pms_reservation_t *out, int max, int *n, pms_error_t *err)
{
    char path[160];
    snprintf(path, sizeof path, "/distribution/v1/hotels/%s/reservations", hotel_id);
    const char *q[] = {"externalReferenceId", reference, NULL};
    struct json_object *root;
    *n = 0;
    pms_err_t e = call_json(c, hotel_id, "getReservationByExternalId", "GET", path, q, NULL, false,
                            &root, err);
    if (e != PMS_OK)
        return e;
    if (!json_object_is_type(root, json_type_array)) {
        json_object_put(root);
        return pms_fail(err, PMS_ERR_PROTOCOL, "OPERA look-up answer is not a list");
    }
    for (int live = 1; live >= 0; live--) {
        for (size_t i = 0; i < json_object_array_length(root) && *n < max; i++) {
            pms_reservation_t r;
            char status[OPERA_STATUS_MAX];
            e = opera_parse_booking(json_object_array_get_idx(root, i), &r, status, err);
            if (e != PMS_OK)
                break;
            bool is_live = r.status == PMS_RES_HOLD || r.status == PMS_RES_CONFIRMED;
            if (is_live == (live == 1))
                out[(*n)++] = r;
        }
    }
    json_object_put(root);
    return e;
}

static pms_err_t find_reservation(pms_connector_t *c, const char *hotel_id, const char *reference,
                                  dates_day_t check_in, pms_reservation_t *out, pms_error_t *err)
{
    (void)check_in; /* OPERA looks up by the reference alone */
    pms_reservation_t found[FIND_MAX];
    int n = 0;
    pms_err_t e = find_all(c, hotel_id, reference, found, FIND_MAX, &n, err);
    if (e != PMS_OK)
        return e;
    if (n == 0)
        return pms_fail(err, PMS_ERR_NOT_FOUND, "OPERA has no reservation for %s", reference);
    *out = found[0];
    return PMS_OK;
}

static pms_err_t release_hold(pms_connector_t *c, const char *hotel_id, const char *hold_id,
                              pms_error_t *err);

/* After a create whose answer was lost: the session reservation it made, if
 * any. A second live one for the same reference (a vendor that made two) is
 * released at once: never two holds for one checkout. */
static pms_err_t recover_create(pms_connector_t *c, const pms_hold_request_t *req,
                                pms_reservation_t *out, pms_error_t *err)
{
    pms_reservation_t found[FIND_MAX];
    int n = 0;
    pms_err_t e = find_all(c, req->hotel_id, req->reference, found, FIND_MAX, &n, err);
    if (e != PMS_OK)
        return e;
    int kept = -1;
    for (int i = 0; i < n; i++) {
        if (found[i].status != PMS_RES_HOLD)
            continue;
        if (kept < 0) {
            kept = i;
            continue;
        }
        pms_error_t ignore;
        memset(&ignore, 0, sizeof ignore);
        log_kv(LOG_LEVEL_WARN, "OPERA made two holds for one reference: releasing the extra",
               "hotel", req->hotel_id, "hold", found[i].reservation_id, NULL);
        release_hold(c, req->hotel_id, found[i].reservation_id, &ignore);
    }
    if (kept < 0)
        return pms_fail(err, PMS_ERR_NOT_FOUND, "no OPERA hold for %s", req->reference);
    *out = found[kept];
    return PMS_OK;
}

static bool reference_ok(const char *ref)
{
    size_t n = ref ? strlen(ref) : 0;
    if (n < 1 || n > EXTERNAL_ID_MAX)
        return false;
    for (const char *p = ref; *p; p++)
        if (!isgraph((unsigned char)*p))
            return false;
    return true;
}

/* The current offer of the hold's own rate plan (Book takes the plan's
 * code as OPERA's Shop states it). */
static pms_err_t plan_offer(pms_connector_t *c, const pms_hold_request_t *req, int rooms,
                            opera_offer_t *out, pms_error_t *err)
{
    memset(out, 0, sizeof *out);
    pms_stay_check_t s;
    memset(&s, 0, sizeof s);
    pms_err_t e = check_stay(c, req->hotel_id, req->room_type_id, req->check_in, req->check_out,
                             rooms, req->adults, req->children, req->rate_plan_id, &s, err);
    if (e != PMS_OK)
        return e;
    if (s.plan_unknown)
        return pms_fail(err, PMS_ERR_REJECTED, "OPERA does not sell rate plan %s for %s",
                        req->rate_plan_id, req->room_type_id);
    out->bookable = s.bookable;
    copy(out->status, sizeof out->status,
         s.bookable     ? "AvailableForSale"
         : s.restricted ? "Restricted"
                        : "NoAvailability");
    copy(out->rate_plan, sizeof out->rate_plan, req->rate_plan_id);
    copy(out->currency, sizeof out->currency, s.currency);
    out->total = s.total;
    return PMS_OK;
}

static pms_err_t create_hold(pms_connector_t *c, const pms_hold_request_t *req, pms_hold_t *out,
                             pms_error_t *err)
{
    if (!reference_ok(req->reference))
        return pms_fail(err, PMS_ERR_INVALID,
                        "OPERA needs our reference (1-%d characters, no spaces) on every hold",
                        EXTERNAL_ID_MAX);
    int ttl = req->ttl_seconds > 0 ? req->ttl_seconds : PMS_DEFAULT_HOLD_TTL_S;
    int rooms = req->rooms > 0 ? req->rooms : 1;
    /* Shop first: OPERA's Book needs the rate plan of a current offer, and
     * the offer says whether the whole stay is for sale with these rooms */
    opera_offer_t offer;
    pms_err_t e = req->rate_plan_id && *req->rate_plan_id
                      ? plan_offer(c, req, rooms, &offer, err)
                      : offers(c, req->hotel_id, req->room_type_id, req->check_in,
                               (int)(req->check_out - req->check_in), rooms, req->adults,
                               req->children, &offer, NULL, NULL, err);
    if (e != PMS_OK)
        return e;
    if (!offer.bookable)
        return pms_fail(err, PMS_ERR_NO_AVAILABILITY, "OPERA: %s for %s (%d rooms)",
                        *offer.status ? offer.status : "NotFound", req->room_type_id, rooms);
    char *body = create_body(req, offer.rate_plan);
    if (!body)
        return pms_fail(err, PMS_ERR_TRANSIENT, "out of memory");
    char path[160];
    snprintf(path, sizeof path, "/book/v1/hotels/%s/reservations", req->hotel_id);
    struct json_object *root = NULL;
    e = call_json(c, req->hotel_id, "postReservation", "POST", path, NULL, body, true, &root, err);
    crypto_wipe(body, strlen(body)); /* the guest's name and email */
    free(body);
    pms_reservation_t r;
    char status[OPERA_STATUS_MAX] = "";
    if (e == PMS_ERR_TRANSIENT || e == PMS_ERR_PROTOCOL) {
        /* the answer is lost, not the outcome: look before anyone creates again */
        pms_error_t first = *err;
        pms_error_t look;
        memset(&look, 0, sizeof look);
        if (recover_create(c, req, &r, &look) != PMS_OK) {
            *err = first;
            return e;
        }
        copy(status, sizeof status, "OnHold");
        e = PMS_OK;
    } else if (e != PMS_OK) {
        return e;
    } else {
        struct json_object *b = json_object_is_type(root, json_type_array) &&
                                        json_object_array_length(root) > 0
                                    ? json_object_array_get_idx(root, 0)
                                    : NULL;
        e = b ? opera_parse_booking(b, &r, status, err)
              : pms_fail(err, PMS_ERR_PROTOCOL, "OPERA create answer is not a list");
        json_object_put(root);
        if (e != PMS_OK) {
            pms_error_t look;
            memset(&look, 0, sizeof look);
            if (recover_create(c, req, &r, &look) != PMS_OK)
                return e;
            copy(status, sizeof status, "OnHold");
            e = PMS_OK;
        }
    }
    if (strcmp(status, "OnHold") != 0) {
        /* a reservation but not a hold (the property booked it outright, or
         * something else): not what a checkout may keep — give it back */
        pms_error_t ignore;
        memset(&ignore, 0, sizeof ignore);
        pms_err_t rel = r.status == PMS_RES_CONFIRMED
                            ? post_cancellation(c, req->hotel_id, r.reservation_id, status, &ignore)
                            : release_hold(c, req->hotel_id, r.reservation_id, &ignore);
        log_kv(LOG_LEVEL_WARN, "OPERA create did not answer OnHold: released", "hotel",
               req->hotel_id, "reservation", r.reservation_id, "released", pms_err_name(rel), NULL);
        return pms_fail(err, PMS_ERR_PROTOCOL, "OPERA answered status %s to a session create "
                                               "(released)", status);
    }
    copy(out->hold_id, sizeof out->hold_id, r.reservation_id);
    out->expires_at_ms = clock_wall_ms() + (int64_t)ttl * 1000;
    out->total = r.total != PMS_TOTAL_UNKNOWN ? r.total : offer.total;
    copy(out->currency, sizeof out->currency, *r.currency ? r.currency : offer.currency);
    return PMS_OK;
}

static pms_err_t release_hold(pms_connector_t *c, const char *hotel_id, const char *hold_id,
                              pms_error_t *err)
{
    char status[OPERA_STATUS_MAX] = "";
    pms_err_t e = set_session(c, hotel_id, hold_id, "Ignore", status, err);
    if (e == PMS_ERR_NOT_FOUND) /* ignored or purged already: nothing is held */
        return pms_fail(err, PMS_OK, "%s", "");
    if (e == PMS_ERR_REJECTED) {
        /* not a session any more (committed): releasing it is cancelling it */
        pms_reservation_t r;
        pms_error_t look;
        memset(&look, 0, sizeof look);
        if (get_reservation(c, hotel_id, hold_id, &r, &look) != PMS_OK)
            return e;
        if (r.status == PMS_RES_CANCELLED)
            return pms_fail(err, PMS_OK, "%s", "");
        if (r.status != PMS_RES_CONFIRMED)
            return e;
        e = post_cancellation(c, hotel_id, hold_id, status, err);
        if (e == PMS_OK && strcmp(status, "Cancelled") != 0)
            return pms_fail(err, PMS_ERR_PROTOCOL, "OPERA answered %s to a cancellation", status);
        return e;
    }
    if (e == PMS_OK && strcmp(status, "Ignored") != 0)
        return pms_fail(err, PMS_ERR_PROTOCOL, "OPERA answered %s to Ignore", status);
    return e;
}

static pms_err_t confirm_hold(pms_connector_t *c, const char *hotel_id, const char *hold_id,
                              pms_reservation_t *out, pms_error_t *err)
{
    char status[OPERA_STATUS_MAX] = "";
    pms_err_t e = set_session(c, hotel_id, hold_id, "Commit", status, err);
    if (e == PMS_ERR_NOT_FOUND)
        return pms_fail(err, PMS_ERR_CONFLICT,
                        "OPERA no longer has hold %s (ignored or purged): not confirmed", hold_id);
    if (e == PMS_ERR_REJECTED) {
        /* committed before (a retried confirm) or cancelled: the reservation says */
        pms_error_t look;
        memset(&look, 0, sizeof look);
        pms_reservation_t r;
        if (get_reservation(c, hotel_id, hold_id, &r, &look) == PMS_OK &&
            r.status == PMS_RES_CONFIRMED) {
            *out = r;
            return pms_fail(err, PMS_OK, "%s", "");
        }
        return pms_fail(err, PMS_ERR_CONFLICT, "OPERA refused to commit hold %s: %s", hold_id,
                        err->message);
    }
    if (e != PMS_OK)
        return e;
    if (strcmp(status, "Committed") != 0) {
        pms_error_t ignore;
        memset(&ignore, 0, sizeof ignore);
        release_hold(c, hotel_id, hold_id, &ignore);
        return pms_fail(err, PMS_ERR_PROTOCOL, "OPERA answered %s to Commit (released)", status);
    }
    copy(out->reservation_id, sizeof out->reservation_id, hold_id);
    copy(out->confirmation_number, sizeof out->confirmation_number, hold_id);
    out->status = PMS_RES_CONFIRMED;
    return PMS_OK;
}

static pms_err_t confirm_own_hold(pms_connector_t *c, const char *hotel_id, const char *hold_id,
                                  int64_t expires_at_ms, pms_reservation_t *out, pms_error_t *err)
{
    /* our TTL, not OPERA's: a hold past it is released, never committed */
    if (expires_at_ms > 0 && clock_wall_ms() > expires_at_ms - PMS_CONFIRM_EXPIRY_MARGIN_MS) {
        pms_error_t ignore;
        memset(&ignore, 0, sizeof ignore);
        release_hold(c, hotel_id, hold_id, &ignore);
        return pms_fail(err, PMS_ERR_CONFLICT, "hold %s lapsed before its confirm (released)",
                        hold_id);
    }
    return confirm_hold(c, hotel_id, hold_id, out, err);
}

static pms_err_t cancel_reservation(pms_connector_t *c, const char *hotel_id,
                                    const char *reservation_id, pms_error_t *err)
{
    char status[OPERA_STATUS_MAX] = "";
    pms_err_t e = post_cancellation(c, hotel_id, reservation_id, status, err);
    if (e == PMS_ERR_REJECTED) {
        /* still a session reservation: cancelling a hold is releasing it */
        pms_reservation_t r;
        pms_error_t look;
        memset(&look, 0, sizeof look);
        if (get_reservation(c, hotel_id, reservation_id, &r, &look) == PMS_OK &&
            r.status == PMS_RES_HOLD)
            return release_hold(c, hotel_id, reservation_id, err);
        return e;
    }
    if (e == PMS_ERR_NOT_FOUND) /* a session that was ignored or purged */
        return pms_fail(err, PMS_OK, "%s", "");
    if (e == PMS_OK && strcmp(status, "Cancelled") != 0)
        return pms_fail(err, PMS_ERR_PROTOCOL, "OPERA answered %s to a cancellation", status);
    return e;
}

static pms_err_t subscribe_webhooks(pms_connector_t *c, const char *hotel_id,
                                    const char *endpoint_url, pms_subscriptions_t *out,
                                    pms_error_t *err)
{
    (void)c;
    (void)endpoint_url;
    (void)out;
    return pms_fail(err, PMS_ERR_REJECTED,
                    "OPERA has no webhooks for a Shop & Book channel: hotel %s is polled",
                    hotel_id);
}

const pms_vendor_t pms_vendor_opera = {
    .name = "opera",
    .default_base_url = OPERA_URL,
    /* Oracle publishes no Distribution limit; its property APIs slow down
     * past 50 requests a second per environment. 10 a second per hotel
     * leaves room for several hotels. */
    .default_rate_per_second = 10,
    .traits = {.webhooks = false, .room_counts = false, .holds = true,
               .lists_reservations = false},
    .state_new = state_new,
    .state_free = state_free,
    .auth_headers = auth_headers_unused,
    .request_headers = request_headers,
    .auth_rejected = auth_rejected,
    .check_stay = check_stay,
    .get_rate_plans = get_rate_plans,
    .classify = classify,
    .get_hotel = get_hotel,
    .get_room_types = get_room_types,
    .get_nights = get_nights,
    .create_hold = create_hold,
    .release_hold = release_hold,
    .confirm_hold = confirm_hold,
    .confirm_own_hold = confirm_own_hold,
    .cancel_reservation = cancel_reservation,
    .get_reservation = get_reservation,
    .find_reservation = find_reservation,
    .list_reservations = NULL,
    .subscribe_webhooks = subscribe_webhooks,
    .take_booking_events = take_booking_events,
};
