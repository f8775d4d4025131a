/*
 * api_catalog.c — the read-only vendor methods: getHotelDetails,
 * getRoomTypes, getRatePlans, getAvailableRoomTypes (shapes as in Cloudbeds'
 * OpenAPI description, plus the fields the connector relies on).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloudbeds_call.h"
#include "money_json.h"

#define ROOM_TYPE_LIST_MAX_LEN 4096
#define MAX_ROOMS_PER_SEARCH 100
#define MAX_GUESTS_PER_SEARCH 100

static void add_string(json_object *o, const char *key, const char *value)
{
    json_object_object_add(o, key, json_object_new_string(value ? value : ""));
}

static json_object *currency_json(const seed_hotel_t *h)
{
    json_object *c = json_object_new_object();
    add_string(c, "currencyCode", h->currency_code);
    add_string(c, "currencySymbol", h->currency_symbol);
    add_string(c, "currencyPosition", h->currency_position);
    return c;
}

/* --------------------------------------------------- getHotelDetails -- */

static json_object *address_json(const seed_hotel_t *h)
{
    json_object *a = json_object_new_object();
    add_string(a, "propertyAddress1", h->address1);
    add_string(a, "propertyAddress2", h->address2);
    add_string(a, "propertyCity", h->city);
    add_string(a, "propertyState", h->state);
    add_string(a, "propertyZip", h->zip);
    add_string(a, "propertyCountry", h->country);
    add_string(a, "propertyLatitude", h->latitude);
    add_string(a, "propertyLongitude", h->longitude);
    return a;
}

int api_get_hotel_details(api_call_t *call)
{
    const seed_hotel_t *h = call->hotel;
    json_object *d = json_object_new_object();
    add_string(d, "propertyID", h->id);
    add_string(d, "propertyName", h->name);
    add_string(d, "propertyType", h->type);
    json_object_object_add(d, "propertyImage", api_photos_json(h->photos, h->photo_count));
    add_string(d, "propertyDescription", h->description);
    json_object_object_add(d, "propertyCurrency", currency_json(h));
    add_string(d, "propertyPrimaryLanguage", h->language);
    add_string(d, "propertyPhone", h->phone);
    add_string(d, "propertyEmail", h->email);
    json_object_object_add(d, "propertyAddress", address_json(h));
    add_string(d, "propertyTimezone", h->timezone);
    return api_reply(call, d);
}

/* --------------------------------------------------- getTaxesAndFees -- */

/* The hotel's taxes and fees as seeded (an empty list for most hotels). */
int api_get_taxes_and_fees(api_call_t *call)
{
    json_object *d = json_tokener_parse(call->hotel->taxes_json ? call->hotel->taxes_json : "[]");
    if (!d)
        return api_fail(call, 500, "taxes and fees unavailable");
    return api_reply(call, d);
}

/* ---------------------------------- getCustomFields / getPaymentMethods -- */

#define HOLD_FIELD "holdExpiresAt"

/* The property's custom fields: the reservation field the hold is tagged
 * with, unless the front desk removed it (/_sandbox/frontdesk/setup). */
int api_get_custom_fields(api_call_t *call)
{
    const char *field_id, *shortcode;
    if (api_param_text(call, "customFieldID", false, API_ID_MAX_LEN, &field_id) != 0 ||
        api_param_text(call, "shortcode", false, API_ID_MAX_LEN, &shortcode) != 0)
        return 0;
    ledger_setup_t setup;
    if (ledger_get_setup(call->api->ledger, call->hotel->id, &setup) != LEDGER_OK)
        return api_fail(call, 404, "Property %s not found", call->hotel->id);
    json_object *data = json_object_new_array();
    if (!setup.no_hold_field && (!field_id || strcmp(field_id, "1") == 0) &&
        (!shortcode || strcmp(shortcode, HOLD_FIELD) == 0)) {
        json_object *f = json_object_new_object();
        add_string(f, "propertyID", call->hotel->id);
        add_string(f, "name", HOLD_FIELD);
        add_string(f, "shortcode", HOLD_FIELD);
        add_string(f, "applyTo", "reservation");
        json_object_object_add(f, "required", json_object_new_boolean(0));
        json_object_object_add(f, "isPersonal", json_object_new_boolean(0));
        json_object_object_add(f, "maxCharacters", json_object_new_int(40));
        add_string(f, "type", "input");
        json_object *shown = json_object_new_array();
        json_object_array_add(shown, json_object_new_string("reservation"));
        json_object_object_add(f, "displayed", shown);
        json_object_array_add(data, f);
    }
    return api_reply(call, data);
}

static json_object *method_json(const char *method, const char *name)
{
    json_object *m = json_object_new_object();
    add_string(m, "method", method);
    add_string(m, "code", method);
    add_string(m, "name", name);
    return m;
}

/* The property's payment methods: cash (how API bookings are recorded) and
 * cards, cash left out when the front desk disabled it. */
int api_get_payment_methods(api_call_t *call)
{
    ledger_setup_t setup;
    if (ledger_get_setup(call->api->ledger, call->hotel->id, &setup) != LEDGER_OK)
        return api_fail(call, 404, "Property %s not found", call->hotel->id);
    json_object *methods = json_object_new_array();
    if (!setup.no_cash)
        json_object_array_add(methods, method_json("cash", "Cash"));
    json_object *credit = method_json("credit", "Credit Card");
    json_object *cards = json_object_new_array();
    json_object *visa = json_object_new_object();
    add_string(visa, "cardCode", "visa");
    add_string(visa, "cardName", "Visa");
    json_object_array_add(cards, visa);
    json_object_object_add(credit, "cardTypes", cards);
    json_object_array_add(methods, credit);
    json_object *gateway = json_object_new_object();
    add_string(gateway, "name", "Cloudbeds Payments");
    add_string(gateway, "currency", call->hotel->currency_code);
    json_object *d = json_object_new_object();
    add_string(d, "propertyID", call->hotel->id);
    json_object_object_add(d, "methods", methods);
    json_object_object_add(d, "gateway", gateway);
    return api_reply(call, d);
}

/* ------------------------------------------------------ getRoomTypes -- */

/* Checks that every id of a comma-separated room-type filter exists (404). */
static int check_room_type_filter(api_call_t *call, const char *name, const char *list)
{
    char id[API_ID_MAX_LEN + 1];
    bool too_long = false;
    while (api_list_next(&list, id, sizeof id, &too_long)) {
        if (too_long)
            return api_param_fail(call, 404, "Room type in %s not found", name);
        if (*id && !seed_find_room_type(call->hotel, id, NULL))
            return api_param_fail(call, 404, "Room type %s not found", id);
    }
    return 0;
}

static json_object *room_type_json(const seed_hotel_t *h, const seed_room_type_t *rt)
{
    json_object *o = json_object_new_object();
    add_string(o, "roomTypeID", rt->id);
    add_string(o, "propertyID", h->id);
    add_string(o, "roomTypeName", rt->name);
    add_string(o, "roomTypeNameShort", rt->short_name);
    add_string(o, "roomTypeDescription", rt->description);
    json_object_object_add(o, "isPrivate", json_object_new_boolean(1));
    json_object_object_add(o, "maxGuests", json_object_new_int(rt->max_guests));
    json_object_object_add(o, "adultsIncluded", json_object_new_int(rt->adults_included));
    json_object_object_add(o, "childrenIncluded", json_object_new_int(rt->children_included));
    json_object_object_add(o, "roomTypePhotos", api_photos_json(rt->photos, rt->photo_count));
    json_object_object_add(o, "roomTypeFeatures",
                           api_strings_json(rt->features, rt->feature_count));
    json_object_object_add(o, "roomTypeUnits", json_object_new_int(rt->units));
    return o;
}

int api_get_room_types(api_call_t *call)
{
    const char *filter = NULL;
    if (api_param_text(call, "roomTypeIDs", false, ROOM_TYPE_LIST_MAX_LEN, &filter) != 0 ||
        check_room_type_filter(call, "roomTypeIDs", filter) != 0)
        return 0;
    const seed_hotel_t *h = call->hotel;
    json_object *data = json_object_new_array();
    for (size_t i = 0; i < h->room_type_count; i++)
        if (api_list_contains(filter, h->room_types[i].id))
            json_object_array_add(data, room_type_json(h, &h->room_types[i]));
    size_t n = json_object_array_length(data);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "success", json_object_new_boolean(1));
    json_object_object_add(o, "data", data);
    json_object_object_add(o, "count", json_object_new_int((int)n));
    json_object_object_add(o, "total", json_object_new_int((int)n));
    return api_reply_raw(call, o);
}

/* ------------------------------------------------------ getRatePlans -- */

/* Availability and price of one room type over a stay. */
typedef struct stay_quote {
    int64_t first_rate_minor;
    int64_t total_minor; /* one room, every night */
    int min_available;
} stay_quote_t;

/* Reads nights [start, end) of a room type into `nights` (room for
 * LEDGER_INVENTORY_DAYS) and sums them up. 0, or -1 after answering. */
static int quote_stay(api_call_t *call, const seed_room_type_t *rt, dates_day_t start,
                      dates_day_t end, ledger_night_t *nights, stay_quote_t *q)
{
    int count = (int)(end - start);
    ledger_err_t rc =
        ledger_get_nights(call->api->ledger, call->hotel->id, rt->id, start, count, nights);
    if (rc != LEDGER_OK)
        return api_param_fail(call, rc == LEDGER_ERR_OUT_OF_RANGE ? 400 : 404,
                              "No inventory for room type %s on these dates", rt->id);
    *q = (stay_quote_t){.first_rate_minor = nights[0].rate_minor, .min_available = INT32_MAX};
    for (int i = 0; i < count; i++) {
        q->total_minor += nights[i].rate_minor;
        if (nights[i].available < q->min_available)
            q->min_available = nights[i].available;
    }
    return 0;
}

/* One room type quoted over a stay: what a list entry is built from. */
typedef struct room_quote {
    const seed_hotel_t *hotel;
    const seed_room_type_t *rt;
    stay_quote_t q;
    const ledger_night_t *nights; /* the stay's nights, first to last */
    int count;                    /* nights */
} room_quote_t;

/* Builds one room type's list entry, or NULL to leave the room type out. */
typedef json_object *(*room_entry_fn)(const room_quote_t *quote, const void *ctx);

/* Quotes every room type of the call's hotel that `filter` names (a
 * comma-separated list; NULL for all) over [start, end) and gathers the
 * entries `entry` builds into a new array. NULL after answering when a quote
 * fails or memory runs out. */
static json_object *quote_room_types(api_call_t *call, dates_day_t start, dates_day_t end,
                                     const char *filter, room_entry_fn entry, const void *ctx)
{
    const seed_hotel_t *h = call->hotel;
    ledger_night_t *nights = calloc(LEDGER_INVENTORY_DAYS, sizeof *nights);
    if (!nights) {
        api_fail(call, 503, "Out of memory, try again");
        return NULL;
    }
    json_object *list = json_object_new_array();
    for (size_t i = 0; i < h->room_type_count; i++) {
        room_quote_t quote = {
            .hotel = h, .rt = &h->room_types[i], .nights = nights, .count = (int)(end - start)};
        if (!api_list_contains(filter, quote.rt->id))
            continue;
        if (quote_stay(call, quote.rt, start, end, nights, &quote.q) != 0) {
            json_object_put(list);
            list = NULL;
            break;
        }
        json_object *o = entry(&quote, ctx);
        if (o)
            json_object_array_add(list, o);
    }
    free(nights);
    return list;
}

/* The rateID of plan `plan` of a room type: "<roomTypeID>-<ratePlanID>". */
static void rate_id_of(const seed_room_type_t *rt, int plan, char *out, size_t out_size)
{
    snprintf(out, out_size, "%s-%s", rt->id, LEDGER_RATE_PLANS[plan].id);
}

/* One night of a plan: rateBase the room's rate, totalRate that plus what
 * the asked adults cost beyond the included ones (extra, 0 when none were
 * asked), as the plan's totalRate sums them. */
static json_object *rate_detail_json(const ledger_night_t *n, int plan, int64_t extra,
                                     const ledger_restriction_t *r, const char *currency)
{
    int64_t rate = ledger_plan_rate(plan, n->rate_minor);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "date", api_date_json(n->date));
    json_object_object_add(o, "rateBase", money_json(rate, currency));
    json_object_object_add(o, "totalRate", money_json(rate + extra, currency));
    json_object_object_add(o, "roomsAvailable", json_object_new_int(n->available));
    json_object_object_add(o, "closedToArrival", json_object_new_boolean(r->closed_to_arrival));
    json_object_object_add(o, "closedToDeparture",
                           json_object_new_boolean(r->closed_to_departure));
    json_object_object_add(o, "blocked", json_object_new_boolean(r->blocked));
    json_object_object_add(o, "minLos", json_object_new_int(r->min_los));
    json_object_object_add(o, "maxLos", json_object_new_int(r->max_los));
    json_object_object_add(o, "cutOff", json_object_new_int(0));
    json_object_object_add(o, "lastMinuteBooking", json_object_new_int(0));
    return o;
}

/* What rate_plans_json needs beyond the quote. */
typedef struct plans_request {
    api_call_t *call;
    bool detailed;
    long adults; /* 0 = not asked: the rate's included occupancy */
} plans_request_t;

/* One plan of a room type over the quoted stay; NULL when its restrictions
 * cannot be read. */
static json_object *rate_plan_json(const room_quote_t *quote, const plans_request_t *pr, int plan)
{
    const seed_hotel_t *h = quote->hotel;
    const seed_room_type_t *rt = quote->rt;
    const ledger_rate_plan_t *lp = &LEDGER_RATE_PLANS[plan];
    ledger_restriction_t *rules = calloc((size_t)quote->count, sizeof *rules);
    if (!rules || ledger_get_restrictions(pr->call->api->ledger, h->id, rt->id, plan,
                                          quote->nights[0].date, quote->count, rules) != LEDGER_OK) {
        free(rules);
        return NULL;
    }
    char rate_id[API_ID_MAX_LEN + 16], base_id[API_ID_MAX_LEN + 16];
    rate_id_of(rt, plan, rate_id, sizeof rate_id);
    rate_id_of(rt, 0, base_id, sizeof base_id);
    /* totalRate: the room rate plus what the asked adults cost beyond the
     * ones the rate includes (roomRate and the nights' rates exclude it) */
    int64_t total = 0, extra = ledger_extra_guests(rt, 1, (int)pr->adults);
    for (int i = 0; i < quote->count; i++)
        total += ledger_plan_rate(plan, quote->nights[i].rate_minor) + extra;
    json_object *o = json_object_new_object();
    add_string(o, "rateID", rate_id);
    json_object_object_add(o, "isDerived", json_object_new_boolean(plan != 0));
    json_object_object_add(o, "roomRate",
                           money_json(ledger_plan_rate(plan, quote->q.first_rate_minor),
                                      h->currency_code));
    json_object_object_add(o, "totalRate", money_json(total, h->currency_code));
    json_object_object_add(o, "roomsAvailable", json_object_new_int(quote->q.min_available));
    add_string(o, "roomTypeID", rt->id);
    add_string(o, "propertyID", h->id);
    add_string(o, "ratePlanID", lp->id);
    add_string(o, "ratePlanNamePublic", lp->name_public);
    add_string(o, "ratePlanNamePrivate", lp->name_private);
    if (plan != 0) {
        add_string(o, "derivedType", "percentage");
        json_object_object_add(o, "derivedValue",
                               json_object_new_int(lp->percent_of_base - 100));
        add_string(o, "parentRateID", base_id);
    }
    json_object_object_add(o, "addOns", json_object_new_array());
    if (pr->detailed) {
        json_object *arr = json_object_new_array();
        for (int i = 0; i < quote->count; i++)
            json_object_array_add(arr, rate_detail_json(&quote->nights[i], plan, extra,
                                                         &rules[i], h->currency_code));
        json_object_object_add(o, "roomRateDetailed", arr);
    }
    free(rules);
    return o;
}

/* ctx: the plans_request_t. Every plan of the room type, as an array that
 * api_get_rate_plans flattens into data[]. */
static json_object *rate_plans_json(const room_quote_t *quote, const void *ctx)
{
    json_object *arr = json_object_new_array();
    for (int plan = 0; plan < LEDGER_RATE_PLAN_COUNT; plan++) {
        json_object *o = rate_plan_json(quote, ctx, plan);
        if (o)
            json_object_array_add(arr, o);
    }
    return arr;
}

/* Validates the optional guest counts every search accepts. */
static int read_guests(api_call_t *call, long def_adults, long *adults, long *children)
{
    if (api_param_int(call, "adults", false, 0, MAX_GUESTS_PER_SEARCH, def_adults, adults) != 0 ||
        api_param_int(call, "children", false, 0, MAX_GUESTS_PER_SEARCH, 0, children) != 0)
        return -1;
    return 0;
}

int api_get_rate_plans(api_call_t *call)
{
    dates_day_t start, end;
    const char *filter = NULL;
    bool detailed = false;
    long adults = 0, children = 0;
    if (api_param_stay(call, API_MAX_RANGE_NIGHTS, &start, &end) != 0 ||
        api_param_text(call, "roomTypeID", false, ROOM_TYPE_LIST_MAX_LEN, &filter) != 0 ||
        check_room_type_filter(call, "roomTypeID", filter) != 0 ||
        api_param_bool(call, "detailedRates", false, &detailed) != 0 ||
        read_guests(call, 0, &adults, &children) != 0)
        return 0;
    plans_request_t pr = {call, detailed, adults};
    json_object *per_room = quote_room_types(call, start, end, filter, rate_plans_json, &pr);
    if (!per_room)
        return 0;
    json_object *data = json_object_new_array();
    for (size_t i = 0; i < json_object_array_length(per_room); i++) {
        json_object *plans = json_object_array_get_idx(per_room, i);
        for (size_t j = 0; j < json_object_array_length(plans); j++)
            json_object_array_add(data, json_object_get(json_object_array_get_idx(plans, j)));
    }
    json_object_put(per_room);
    return api_reply(call, data);
}

/* --------------------------------------------- getAvailableRoomTypes -- */

/* What a getAvailableRoomTypes search asks for. */
typedef struct room_search {
    long rooms, guests;
    bool detailed;
} room_search_t;

/* ctx: the room_search_t. NULL when the room type cannot take the search
 * (too few rooms free on some night, or too many guests). */
static json_object *available_room_json(const room_quote_t *quote, const void *ctx)
{
    const seed_hotel_t *h = quote->hotel;
    const seed_room_type_t *rt = quote->rt;
    const stay_quote_t *q = &quote->q;
    const room_search_t *search = ctx;
    if (q->min_available < search->rooms || rt->max_guests < search->guests)
        return NULL;
    char rate_id[API_ID_MAX_LEN + 16];
    rate_id_of(rt, 0, rate_id, sizeof rate_id);
    json_object *o = json_object_new_object();
    add_string(o, "roomTypeID", rt->id);
    add_string(o, "roomTypeName", rt->name);
    add_string(o, "roomTypeNameShort", rt->short_name);
    add_string(o, "roomTypeDescription", rt->description);
    json_object_object_add(o, "maxGuests", json_object_new_int(rt->max_guests));
    json_object_object_add(o, "adultsIncluded", json_object_new_int(rt->adults_included));
    json_object_object_add(o, "childrenIncluded", json_object_new_int(rt->children_included));
    json_object_object_add(o, "roomTypePhotos", api_photos_json(rt->photos, rt->photo_count));
    json_object_object_add(o, "roomTypeFeatures",
                           api_strings_json(rt->features, rt->feature_count));
    json_object_object_add(o, "roomRate", money_json(q->total_minor, h->currency_code));
    add_string(o, "roomRateID", rate_id);
    add_string(o, "ratePlanNamePublic", LEDGER_RATE_PLANS[0].name_public);
    add_string(o, "ratePlanNamePrivate", LEDGER_RATE_PLANS[0].name_private);
    json_object_object_add(o, "roomsAvailable", json_object_new_int(q->min_available));
    if (search->detailed) {
        json_object *arr = json_object_new_array();
        for (int i = 0; i < quote->count; i++) {
            const ledger_night_t *night = &quote->nights[i];
            json_object *n = json_object_new_object();
            json_object_object_add(n, "date", api_date_json(night->date));
            json_object_object_add(n, "rate", money_json(night->rate_minor, h->currency_code));
            json_object_array_add(arr, n);
        }
        json_object_object_add(o, "roomRateDetailed", arr);
    }
    return o;
}

int api_get_available_room_types(api_call_t *call)
{
    dates_day_t start, end;
    long rooms = 1, adults = 1, children = 0;
    bool detailed = false;
    if (api_param_stay(call, API_MAX_RANGE_NIGHTS, &start, &end) != 0 ||
        api_param_int(call, "rooms", false, 1, MAX_ROOMS_PER_SEARCH, 1, &rooms) != 0 ||
        read_guests(call, 1, &adults, &children) != 0 ||
        api_param_bool(call, "detailedRates", false, &detailed) != 0)
        return 0;
    room_search_t search = {.rooms = rooms, .guests = adults + children, .detailed = detailed};
    json_object *list = quote_room_types(call, start, end, NULL, available_room_json, &search);
    if (!list)
        return 0;
    const seed_hotel_t *h = call->hotel;
    int room_count = (int)json_object_array_length(list);
    json_object *property = json_object_new_object();
    add_string(property, "propertyID", h->id);
    json_object *currencies = json_object_new_array();
    json_object_array_add(currencies, currency_json(h));
    json_object_object_add(property, "propertyCurrency", currencies);
    json_object_object_add(property, "propertyRooms", list);
    json_object *data = json_object_new_array();
    json_object_array_add(data, property);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "success", json_object_new_boolean(1));
    json_object_object_add(o, "data", data);
    json_object_object_add(o, "roomCount", json_object_new_int(room_count));
    json_object_object_add(o, "count", json_object_new_int(1));
    json_object_object_add(o, "total", json_object_new_int(1));
    return api_reply_raw(call, o);
}
