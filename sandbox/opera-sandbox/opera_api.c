/*
 * opera_api.c — the OHIP Distribution look-alike and its control endpoints
 * (see opera_api.h and README.md).
 *
 * Wire format, as Oracle's Swagger files for Distribution 25.5 describe it:
 * JSON bodies; Content and Shop errors spell their keys "o:errorCode" /
 * "o:errorDetails", Book errors "o.errorCode" / "o.errorDetails"; a Book
 * create answers an array of BookingResponse; a session reservation
 * (isSessionRequest) is "OnHold" until its status call Commit ("Committed",
 * then "Reserved") or Ignore ("Ignored"); cancellations answer "Cancelled".
 * A session reservation that was ignored or purged never became a
 * reservation: reading it is 404.
 *
 * Property API, as the OHIP "oauth" and "int" Swagger files describe it: a
 * client-credentials token (POST /oauth/v1/tokens, Basic client id:secret,
 * x-app-key) that only the Property API accepts, and the Business Events
 * queue GET /int/v1/externalSystem/{code}/hotels/{hotelId}/businessEvents
 * (at most 20 per call, each event dequeued by the call that returns it, 204
 * when empty). Every reservation made, moved or cancelled — at the front desk
 * or through Book — queues one Reservation event for its hotel.
 */
#include "opera_api.h"

#include <ctype.h>
#include <json-c/json.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/dates.h"
#include "common/json.h"
#include "common/log.h"
#include "money_json.h"
#include "sandbox_form.h"
#include "seed.h"

#define TOKEN_SLOTS 64
#define TOKEN_HEX_LEN 48
#define MAX_COMMITTED 20000
#define MAX_OFFER_NIGHTS LEDGER_MAX_STAY_NIGHTS
#define CALENDAR_MAX_DAYS 62
#define MAX_UNITS 10
#define EXTERNAL_ID_MAX 50
#define FIND_MAX 8
#define OP_COUNT_MAX 16
#define EVENTS_MAX 10000 /* queued per sandbox; the oldest is dropped beyond it */
#define EVENTS_PER_CALL 20

/* What a route belongs to: decides the headers it needs and how its errors are spelt. */
typedef enum { FAM_AUTH, FAM_CONTENT, FAM_SHOP, FAM_BOOK, FAM_PROPERTY } family_t;

typedef struct token_slot {
    char token[TOKEN_HEX_LEN + 1];
    int64_t expires_ms;
    bool property; /* issued by the Property API's OAuth: good there only */
} token_slot_t;

/* One queued Business Event of module Reservation. */
typedef struct be_event {
    long id;
    char hotel[SEED_ID_MAX_LEN + 1];
    const char *action; /* "NEW RESERVATION", "UPDATE RESERVATION", "CANCEL RESERVATION" */
    char reservation_id[LEDGER_RESERVATION_ID_LEN];
    char room_type[SEED_ID_MAX_LEN + 1], old_room_type[SEED_ID_MAX_LEN + 1];
    dates_day_t start, end, old_start, old_end;
    bool has_old; /* old_* hold the stay before an UPDATE */
    int64_t created_ms;
} be_event_t;

typedef struct op_count {
    const char *op;
    long count;
} op_count_t;

struct opera_api {
    ledger_t *ledger;
    sandbox_faults_t *faults;
    char *seed_path;
    char *username;
    char *password;
    char *channel_code;
    int token_ttl_s;
    char *client_id;
    char *client_secret;
    char *external_system;

    pthread_mutex_t mu; /* guards everything below */
    token_slot_t tokens[TOKEN_SLOTS];
    size_t next_token;
    int session_ttl_s;
    int fail_after_create;  /* the next N creates are made, then answered 502 */
    bool dedupe_external;   /* a repeated external id returns the first reservation */
    char **committed;       /* confirmation numbers of committed session reservations */
    size_t committed_count;
    op_count_t ops[OP_COUNT_MAX];
    long log_id;
    be_event_t *events; /* oldest first */
    size_t event_count;
    long next_event_id;
};

/* ------------------------------------------------------------ errors -- */

static const family_t FAMILY_CONTENT = FAM_CONTENT, FAMILY_SHOP = FAM_SHOP,
                      FAMILY_BOOK = FAM_BOOK, FAMILY_AUTH = FAM_AUTH,
                      FAMILY_PROPERTY = FAM_PROPERTY;

static long next_log_id(opera_api_t *api)
{
    pthread_mutex_lock(&api->mu);
    long id = ++api->log_id;
    pthread_mutex_unlock(&api->mu);
    return id;
}

static const char *default_title(int status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 429:
        return "Too Many Requests";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    default:
        return status >= 500 ? "Internal Server Error" : "Error";
    }
}

/* The RFC 7807-like body of the family: "o:" keys for Content/Shop, "o." for Book. */
static void respond_exception(http_request_t *req, family_t fam, int status, const char *code,
                              const char *title, long log_id)
{
    bool dot = fam == FAM_BOOK;
    char ts[DATES_RFC3339_LEN + 1];
    dates_now_rfc3339(ts);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "title", json_object_new_string(title ? title : default_title(status)));
    json_object_object_add(o, "status", json_object_new_int(status));
    json_object_object_add(o, dot ? "o.errorCode" : "o:errorCode",
                           json_object_new_string(code ? code : "OHD-ERROR"));
    json_object_object_add(o, "type",
                           json_object_new_string("http://www.w3.org/Protocols/rfc2616/"
                                                  "rfc2616-sec10.html#sec10.4"));
    json_object_object_add(o, "timestamp", json_object_new_string(ts));
    json_object_object_add(o, "logId", json_object_new_int64(log_id));
    json_object *details = json_object_new_array();
    json_object *d = json_object_new_object();
    json_object_object_add(d, "title", json_object_new_string(title ? title : default_title(status)));
    json_object_object_add(d, "status", json_object_new_int(status));
    json_object_object_add(d, dot ? "o.errorCode" : "o:errorCode",
                           json_object_new_string(code ? code : "OHD-ERROR"));
    json_object_object_add(d, "logId", json_object_new_int64(log_id));
    json_object_array_add(details, d);
    json_object_object_add(o, dot ? "o.errorDetails" : "o:errorDetails", details);
    http_respond_json(req, status, o);
    json_object_put(o);
}

/* The fault injector's error function: ctx points at the route's family. */
static void fault_error(http_request_t *req, int status, const char *message, long retry_after_s,
                        void *ctx)
{
    (void)retry_after_s; /* the header is set already */
    family_t fam = ctx ? *(const family_t *)ctx : FAM_CONTENT;
    respond_exception(req, fam, status, status == 429 ? "OHD-THROTTLED" : "OHD-UNAVAILABLE",
                      message, (long)(clock_wall_ms() % 1000000000));
}

typedef struct call {
    opera_api_t *api;
    http_request_t *req;
    family_t fam;
    const char *op;
    seed_t *seed;
    const seed_hotel_t *hotel;
} call_t;

static int fail(call_t *c, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(call_t *c, int status, const char *code, const char *fmt, ...)
{
    char title[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(title, sizeof title, fmt, ap);
    va_end(ap);
    respond_exception(c->req, c->fam, status, code, title, next_log_id(c->api));
    return 0;
}

static int reply(call_t *c, int status, json_object *o)
{
    http_response_header(c->req, "Content-Language", "en-GB");
    int rc = http_respond_json(c->req, status, o);
    json_object_put(o);
    return rc;
}

static void count_op(opera_api_t *api, const char *op)
{
    pthread_mutex_lock(&api->mu);
    for (size_t i = 0; i < OP_COUNT_MAX; i++) {
        if (!api->ops[i].op)
            api->ops[i].op = op;
        if (strcmp(api->ops[i].op, op) == 0) {
            api->ops[i].count++;
            break;
        }
    }
    pthread_mutex_unlock(&api->mu);
}

/* --------------------------------------------------- business events -- */

/* Queues one Reservation event for r's hotel; before (NULL but for an
 * UPDATE) is the stay it had. */
static void queue_event(opera_api_t *api, const char *action, const ledger_reservation_t *r,
                        const ledger_reservation_t *before)
{
    pthread_mutex_lock(&api->mu);
    if (!api->events)
        api->events = calloc(EVENTS_MAX, sizeof *api->events);
    if (api->events) {
        if (api->event_count == EVENTS_MAX) {
            memmove(api->events, api->events + 1, (EVENTS_MAX - 1) * sizeof *api->events);
            api->event_count--;
        }
        be_event_t *e = &api->events[api->event_count++];
        *e = (be_event_t){.id = ++api->next_event_id,
                          .action = action,
                          .start = r->start,
                          .end = r->end,
                          .created_ms = clock_wall_ms()};
        snprintf(e->hotel, sizeof e->hotel, "%s", r->property_id);
        snprintf(e->reservation_id, sizeof e->reservation_id, "%s", r->reservation_id);
        snprintf(e->room_type, sizeof e->room_type, "%s", r->room_type_id);
        if (before) {
            e->has_old = true;
            e->old_start = before->start;
            e->old_end = before->end;
            snprintf(e->old_room_type, sizeof e->old_room_type, "%s", before->room_type_id);
        }
    }
    pthread_mutex_unlock(&api->mu);
}

/* ------------------------------------------------------------ tokens -- */

static bool token_valid(opera_api_t *api, const char *header, bool property)
{
    if (!header || strncasecmp(header, "Bearer ", 7) != 0)
        return false;
    const char *t = header + 7;
    if (strlen(t) != TOKEN_HEX_LEN)
        return false;
    int64_t now = clock_wall_ms();
    bool ok = false;
    pthread_mutex_lock(&api->mu);
    for (size_t i = 0; i < TOKEN_SLOTS && !ok; i++)
        ok = api->tokens[i].expires_ms > now && api->tokens[i].property == property &&
             crypto_equal_constant_time(api->tokens[i].token, TOKEN_HEX_LEN, t, TOKEN_HEX_LEN);
    pthread_mutex_unlock(&api->mu);
    return ok;
}

/* Checks the headers every call of the family needs, then applies faults.
 * False when an answer was sent already. Holds a seed reference on success. */
static bool enter(call_t *c, opera_api_t *api, http_request_t *req, family_t fam, const char *op)
{
    static const family_t *const FAMS[] = {&FAMILY_AUTH, &FAMILY_CONTENT, &FAMILY_SHOP,
                                           &FAMILY_BOOK, &FAMILY_PROPERTY};
    *c = (call_t){.api = api, .req = req, .fam = fam, .op = op};
    count_op(api, op);
    if (sandbox_faults_apply(api->faults, req, op, fault_error, (void *)FAMS[fam]))
        return false;
    const char *channel = http_request_header(req, "x-channelCode");
    if (!channel || !*channel) {
        fail(c, 400, "OHD-HEADER", "Header x-channelCode is required");
        return false;
    }
    if (!token_valid(api, http_request_header(req, "authorization"), false)) {
        fail(c, 401, "OHD-AUTH", "The access token is missing, invalid or expired");
        return false;
    }
    if (strcmp(channel, api->channel_code) != 0) {
        fail(c, 403, "OHD-CHANNEL", "Channel %.50s is not authorised for this integration user",
             channel);
        return false;
    }
    const char *tracing = http_request_header(req, "x-hdp-tracing-key");
    if (fam == FAM_BOOK && (!tracing || !*tracing)) {
        fail(c, 400, "OHD-HEADER", "Header x-hdp-tracing-key is required");
        return false;
    }
    c->seed = ledger_seed(api->ledger);
    const char *code = http_request_param(req, "hotelCode");
    if (code) {
        c->hotel = seed_find_hotel(c->seed, code);
        if (!c->hotel) {
            fail(c, 404, fam == FAM_BOOK ? "DRSV10404" : "OHD-HOTEL",
                 "Hotel %.50s is not available for channel %s", code, api->channel_code);
            seed_unref(c->seed);
            c->seed = NULL;
            return false;
        }
    }
    return true;
}

static int leave(call_t *c, int rc)
{
    seed_unref(c->seed);
    return rc;
}

/* A new token's answer body {access_token, expires_in}; the token is kept in a slot. */
static json_object *issue_token(opera_api_t *api, bool property)
{
    uint8_t raw[TOKEN_HEX_LEN / 2];
    char token[TOKEN_HEX_LEN + 1];
    crypto_random_bytes(raw, sizeof raw);
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(token + 2 * i, 3, "%02x", raw[i]);
    pthread_mutex_lock(&api->mu);
    token_slot_t *slot = &api->tokens[api->next_token++ % TOKEN_SLOTS];
    memcpy(slot->token, token, sizeof token);
    slot->expires_ms = clock_wall_ms() + (int64_t)api->token_ttl_s * 1000;
    slot->property = property;
    pthread_mutex_unlock(&api->mu);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "access_token", json_object_new_string(token));
    json_object_object_add(o, "expires_in", json_object_new_int64(api->token_ttl_s));
    crypto_wipe(token, sizeof token);
    return o;
}

static int handle_token(http_request_t *req, void *ctx)
{
    opera_api_t *api = ctx;
    call_t c = {.api = api, .req = req, .fam = FAM_AUTH, .op = "getToken"};
    count_op(api, "getToken");
    if (sandbox_faults_apply(api->faults, req, "getToken", fault_error, (void *)&FAMILY_AUTH))
        return 0;
    size_t len = 0;
    const char *body = http_request_body(req, &len);
    char err[128];
    sandbox_form_t *form = sandbox_form_parse(body, len, err, sizeof err);
    if (!form)
        return fail(&c, 400, "OHD-AUTH", "Malformed form body: %s", err);
    const char *user = sandbox_form_get(form, "username");
    const char *pass = sandbox_form_get(form, "password");
    int rc;
    if (!user || !*user || !pass || !*pass) {
        rc = fail(&c, 400, "OHD-AUTH", "username and password are required");
    } else if (!crypto_equal_constant_time(user, strlen(user), api->username,
                                           strlen(api->username)) ||
               !crypto_equal_constant_time(pass, strlen(pass), api->password,
                                           strlen(api->password))) {
        rc = fail(&c, 401, "OHD-AUTH", "Username and/or password do not match");
    } else {
        rc = reply(&c, 200, issue_token(api, false));
    }
    sandbox_form_free(form);
    http_request_wipe_body(req);
    return rc;
}

/* ------------------------------------------------------- parameters -- */

/* A query integer in [min, max]; absent → def. -1 after answering 400. */
static int query_int(call_t *c, const char *name, long min, long max, long def, long *out)
{
    const char *v = http_request_query(c->req, name);
    *out = def;
    if (!v || !*v)
        return 0;
    char *end = NULL;
    long n = strtol(v, &end, 10);
    if (end == v || *end || n < min || n > max) {
        fail(c, 400, "OHD-PARAM", "%s must be an integer between %ld and %ld", name, min, max);
        return -1;
    }
    *out = n;
    return 0;
}

static int query_date(call_t *c, const char *name, dates_day_t *out)
{
    const char *v = http_request_query(c->req, name);
    if (!v || !*v) {
        fail(c, 400, "OHD-PARAM", "%s is required", name);
        return -1;
    }
    if (dates_parse_iso(v, out) != 0) {
        fail(c, 400, "OHD-PARAM", "%s must be a date YYYY-MM-DD", name);
        return -1;
    }
    return 0;
}

static bool csv_contains(const char *list, const char *id)
{
    if (!list || !*list)
        return true;
    size_t n = strlen(id);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, id, n) == 0)
            return true;
        if (!e)
            break;
        p = e + 1;
    }
    return false;
}

static json_object *date_json(dates_day_t d)
{
    char s[DATES_ISO_LEN + 1];
    dates_format_iso(d, s);
    return json_object_new_string(s);
}

static json_object *time_json(int64_t ms)
{
    char s[DATES_RFC3339_LEN + 1];
    dates_format_rfc3339(ms, s);
    return json_object_new_string(s);
}

/* The tax an after-tax amount holds at pct percent (the hotel's inclusive
 * taxes, seeded): the sandbox's rates include tax, as Korean rates do. */
static int64_t tax_in(int64_t after, double pct)
{
    return pct > 0 ? after - llround((double)after * 100.0 / (100.0 + pct)) : 0;
}

/* {amountBeforeTax, amountAfterTax, currencyCode}; the rate includes tax at
 * pct percent (0: none). */
static json_object *amount_json(int64_t minor, const char *currency, double pct)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "amountBeforeTax", money_json(minor - tax_in(minor, pct), currency));
    json_object_object_add(o, "amountAfterTax", money_json(minor, currency));
    json_object_object_add(o, "currencyCode", json_object_new_string(currency));
    return o;
}

/* total.taxes of an offer: each inclusive tax of the hotel with its part of
 * the stay's after-tax total (OfferTaxesType). */
static json_object *offer_taxes_json(const seed_hotel_t *h, int64_t total)
{
    json_object *o = json_object_new_object(), *list = json_object_new_array();
    int64_t sum = 0;
    for (size_t i = 0; i < h->tax_count; i++) {
        const seed_tax_t *t = &h->taxes[i];
        if (!t->inclusive || !t->percentage || t->fee)
            continue;
        json_object *x = json_object_new_object();
        int64_t amount = tax_in(total, t->percent);
        json_object_object_add(x, "description", json_object_new_string(t->name));
        json_object_object_add(x, "code", json_object_new_string(t->code));
        json_object_object_add(x, "amount", money_json(amount, h->currency_code));
        json_object_object_add(x, "currencyCode", json_object_new_string(h->currency_code));
        json_object_array_add(list, x);
        sum += amount;
    }
    json_object_object_add(o, "tax", list);
    json_object_object_add(o, "amount", money_json(sum, h->currency_code));
    json_object_object_add(o, "currencyCode", json_object_new_string(h->currency_code));
    return o;
}

/* ----------------------------------------------------------- content -- */

static json_object *occupancy_json(const seed_room_type_t *rt)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "minOccupancy", json_object_new_int(1));
    json_object_object_add(o, "maxOccupancy", json_object_new_int(rt->max_guests));
    json_object_object_add(o, "maxAdultOccupancy", json_object_new_int(rt->max_guests));
    json_object_object_add(o, "maxChildOccupancy",
                           json_object_new_int(rt->max_guests > 1 ? rt->max_guests - 1 : 0));
    return o;
}

static json_object *address_json(const seed_hotel_t *h)
{
    json_object *a = json_object_new_object();
    json_object *lines = json_object_new_array();
    json_object_array_add(lines, json_object_new_string(h->address1));
    if (h->address2 && *h->address2)
        json_object_array_add(lines, json_object_new_string(h->address2));
    json_object_object_add(a, "addressLine", lines);
    json_object_object_add(a, "cityName", json_object_new_string(h->city));
    json_object_object_add(a, "stateProv", json_object_new_string(h->state));
    json_object_object_add(a, "postalCode", json_object_new_string(h->zip));
    json_object_object_add(a, "countryCode", json_object_new_string(h->country));
    return a;
}

static int handle_property(http_request_t *req, void *ctx)
{
    call_t c;
    if (!enter(&c, ctx, req, FAM_CONTENT, "getPropertyInfo"))
        return 0;
    const seed_hotel_t *h = c.hotel;
    int rooms = 0;
    for (size_t i = 0; i < h->room_type_count; i++)
        rooms += h->room_types[i].units;
    json_object *p = json_object_new_object();
    json_object_object_add(p, "hotelId", json_object_new_string(h->id));
    json_object_object_add(p, "enterpriseId", json_object_new_string("SANDBOX"));
    json_object_object_add(p, "hotelCode", json_object_new_string(h->id));
    json_object_object_add(p, "hotelName", json_object_new_string(h->name));
    json_object_object_add(p, "hotelDescription", json_object_new_string(h->description));
    json_object_object_add(p, "chainCode", json_object_new_string("SANDBOX"));
    json_object_object_add(p, "address", address_json(h));
    json_object_object_add(p, "latitude", json_object_new_double(strtod(h->latitude, NULL)));
    json_object_object_add(p, "longitude", json_object_new_double(strtod(h->longitude, NULL)));
    json_object_object_add(p, "currencyCode", json_object_new_string(h->currency_code));
    json_object_object_add(p, "primaryLanguage", json_object_new_string(h->language));
    json_object_object_add(p, "totalNumberOfRooms", json_object_new_int(rooms));
    json_object *tz = json_object_new_object();
    json_object_object_add(tz, "timeZoneName", json_object_new_string(h->timezone));
    json_object_object_add(p, "timeZone", tz);
    json_object *gi = json_object_new_object();
    json_object_object_add(gi, "checkInTime", json_object_new_string("15:00"));
    json_object_object_add(gi, "checkOutTime", json_object_new_string("11:00"));
    json_object_object_add(p, "generalInformation", gi);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "propertyInfo", p);
    return leave(&c, reply(&c, 200, o));
}

static int handle_room_types(http_request_t *req, void *ctx)
{
    call_t c;
    if (!enter(&c, ctx, req, FAM_CONTENT, "getRoomTypesInfo"))
        return 0;
    long limit, offset;
    if (query_int(&c, "limit", 1, 100, 20, &limit) != 0 ||
        query_int(&c, "offset", 0, 1000000, 0, &offset) != 0)
        return leave(&c, 0);
    const char *only = http_request_query(req, "roomType");
    json_object *list = json_object_new_array();
    long matching = 0;
    for (size_t i = 0; i < c.hotel->room_type_count; i++) {
        const seed_room_type_t *rt = &c.hotel->room_types[i];
        if (only && *only && strcmp(only, rt->id) != 0)
            continue;
        if (matching++ < offset || (long)json_object_array_length(list) >= limit)
            continue;
        json_object *r = json_object_new_object();
        json_object_object_add(r, "hotelRoomType", json_object_new_string(rt->short_name));
        json_object_object_add(r, "roomType", json_object_new_string(rt->id));
        json_object_object_add(r, "roomName", json_object_new_string(rt->name));
        json_object *desc = json_object_new_array();
        json_object_array_add(desc, json_object_new_string(rt->description));
        json_object_object_add(r, "description", desc);
        json_object_object_add(r, "roomCategory", json_object_new_string("Room"));
        json_object_object_add(r, "nonSmokingInd", json_object_new_boolean(1));
        json_object_object_add(r, "occupancy", occupancy_json(rt));
        json_object_object_add(r, "numberOfUnits", json_object_new_int(rt->units));
        json_object_array_add(list, r);
    }
    json_object *o = json_object_new_object();
    long count = (long)json_object_array_length(list);
    json_object_object_add(o, "roomTypes", list);
    json_object_object_add(o, "count", json_object_new_int64(count));
    json_object_object_add(o, "hasMore", json_object_new_boolean(offset + count < matching));
    json_object_object_add(o, "limit", json_object_new_int64(limit));
    json_object_object_add(o, "offset", json_object_new_int64(offset));
    json_object_object_add(o, "totalResults", json_object_new_int64(matching));
    return leave(&c, reply(&c, 200, o));
}

/* -------------------------------------------------------------- shop -- */

/* [start, end] ranges of equal nightly rates. */
static json_object *rate_ranges_json(dates_day_t first, const int64_t *rates, int nights,
                                     const char *currency, double pct, bool time_unit)
{
    json_object *arr = json_object_new_array();
    for (int i = 0; i < nights;) {
        int j = i;
        while (j + 1 < nights && rates[j + 1] == rates[i])
            j++;
        json_object *r = amount_json(rates[i], currency, pct);
        json_object_object_add(r, "start", date_json(first + i));
        json_object_object_add(r, "end", date_json(first + j));
        if (time_unit)
            json_object_object_add(r, "rateTimeUnit", json_object_new_string("Day"));
        json_object_array_add(arr, r);
        i = j + 1;
    }
    return arr;
}

/* The channel's rate plans are the ledger's (LEDGER_RATE_PLANS): OPERA's
 * ratePlanCode is the plan's private name (BAR, NRF, BB). */
static int plan_of_code(const char *code)
{
    for (int i = 0; code && i < LEDGER_RATE_PLAN_COUNT; i++)
        if (strcmp(LEDGER_RATE_PLANS[i].name_private, code) == 0)
            return i;
    return -1;
}

/* What each plan's cancellation rule is, in OPERA's OfferCancelPenalty:
 * the standard rate free until 3 days before arrival then the first night,
 * the non-refundable rate the whole stay from booking, breakfast free
 * until the day before arrival then half the stay. */
static json_object *cancel_policies_json(int plan)
{
    json_object *deadline = json_object_new_object(), *amount = json_object_new_object();
    const char *code, *text;
    if (plan == 1) {
        code = "NRF";
        text = "Non-refundable: the whole stay is charged from booking.";
        json_object_object_add(deadline, "offsetFromBookingDate", json_object_new_int(0));
        json_object_object_add(amount, "basisType", json_object_new_string("FullAmount"));
    } else if (plan == 2) {
        code = "CXL1D50";
        text = "Free cancellation until 1 day before arrival, then 50% of the stay.";
        json_object_object_add(deadline, "offsetFromArrival", json_object_new_int(1));
        json_object_object_add(amount, "basisType", json_object_new_string("Percentage"));
        json_object_object_add(amount, "percent", json_object_new_double(50));
    } else {
        code = "CXL3D1N";
        text = "Free cancellation until 3 days before arrival, then the first night.";
        json_object_object_add(deadline, "offsetFromArrival", json_object_new_int(3));
        json_object_object_add(amount, "basisType", json_object_new_string("Nights"));
        json_object_object_add(amount, "nights", json_object_new_int(1));
    }
    json_object *policy = json_object_new_object();
    json_object_object_add(policy, "policyCode", json_object_new_string(code));
    json_object_object_add(policy, "deadline", deadline);
    json_object_object_add(policy, "amountPercent", amount);
    json_object_object_add(policy, "penaltyDescription", json_object_new_string(text));
    json_object *item = json_object_new_object();
    json_object_object_add(item, "revenueType", json_object_new_string("Rooms"));
    json_object_object_add(item, "policy", policy);
    json_object *list = json_object_new_array();
    json_object_array_add(list, item);
    return list;
}

static void add_restriction(json_object *list, const char *type, int value)
{
    json_object *r = json_object_new_object();
    json_object_object_add(r, "restrictionType", json_object_new_string(type));
    if (value > 0)
        json_object_object_add(r, "restrictionValue", json_object_new_int(value));
    json_object_array_add(list, r);
}

/* The plan's restrictions a stay breaks, as OPERA names them (an array the
 * caller owns; empty when the stay may be sold under the plan). The front
 * desk sets them per night (the ledger's restrictions of that plan). */
static json_object *stay_restrictions(ledger_t *ledger, const char *hotel, const char *room_type,
                                      int plan, dates_day_t arrival, int nights)
{
    json_object *list = json_object_new_array();
    ledger_restriction_t r[MAX_OFFER_NIGHTS + 1];
    dates_day_t first, last;
    ledger_window(ledger, &first, &last);
    int count = arrival + nights <= last ? nights + 1 : nights; /* the departure day when kept */
    if (ledger_get_restrictions(ledger, hotel, room_type, plan, arrival, count, r) != LEDGER_OK)
        return list;
    bool closed = false;
    for (int k = 0; k < nights; k++)
        closed = closed || r[k].blocked;
    if (closed)
        add_restriction(list, "Closed", 0);
    if (r[0].closed_to_arrival)
        add_restriction(list, "ClosedForArrival", 0);
    if (count > nights && r[nights].closed_to_departure)
        add_restriction(list, "ClosedForDeparture", 0);
    if (r[0].min_los > 0 && nights < r[0].min_los)
        add_restriction(list, "MinimumLengthOfStay", r[0].min_los);
    if (r[0].max_los > 0 && nights > r[0].max_los)
        add_restriction(list, "MaximumLengthOfStay", r[0].max_los);
    return list;
}

static int handle_offers(http_request_t *req, void *ctx)
{
    call_t c;
    if (!enter(&c, ctx, req, FAM_SHOP, "getPropertyOffers"))
        return 0;
    dates_day_t arrival, departure;
    long adults, children, units;
    if (query_date(&c, "arrivalDate", &arrival) != 0 ||
        query_date(&c, "departureDate", &departure) != 0 ||
        query_int(&c, "adults", 1, 10, 1, &adults) != 0 ||
        query_int(&c, "children", 0, 10, 0, &children) != 0 ||
        query_int(&c, "numberOfUnits", 1, MAX_UNITS, 1, &units) != 0)
        return leave(&c, 0);
    int nights = (int)(departure - arrival);
    dates_day_t win_first, win_last;
    ledger_window(c.api->ledger, &win_first, &win_last);
    if (nights < 1)
        return leave(&c, fail(&c, 400, "OHD-PARAM", "departureDate must be after arrivalDate"));
    if (nights > MAX_OFFER_NIGHTS)
        return leave(&c, fail(&c, 400, "OHD-PARAM", "A stay may be at most %d nights",
                              MAX_OFFER_NIGHTS));
    const char *types = http_request_query(req, "roomTypes");
    /* ratePlanCodes narrows the answer to those plans and lists each plan's
     * restrictions; without it the stay's restrictions are the property's */
    const char *codes = http_request_query(req, "ratePlanCodes");
    bool by_code = codes && *codes;
    json_object *room_types = json_object_new_array(), *offers = json_object_new_array();
    json_object *stay_rules = json_object_new_array();
    json_object *plan_rules[LEDGER_RATE_PLAN_COUNT] = {0};
    bool plan_sold[LEDGER_RATE_PLAN_COUNT] = {0}, plan_restricted[LEDGER_RATE_PLAN_COUNT] = {0};
    bool any = false, outside = arrival < win_first || departure - 1 > win_last;
    for (size_t i = 0; !outside && i < c.hotel->room_type_count; i++) {
        const seed_room_type_t *rt = &c.hotel->room_types[i];
        if (!csv_contains(types, rt->id) || rt->max_guests < adults + children)
            continue;
        ledger_night_t n[MAX_OFFER_NIGHTS];
        if (ledger_get_nights(c.api->ledger, c.hotel->id, rt->id, arrival, nights, n) != LEDGER_OK)
            continue;
        int least = n[0].available;
        for (int k = 0; k < nights; k++)
            if (n[k].available < least)
                least = n[k].available;
        const char *status = least >= units ? "AvailableForSale"
                             : least <= 0   ? "NoAvailability"
                                            : "BelowRequestedUnits";
        json_object *r = json_object_new_object();
        json_object_object_add(r, "availabilityStatus", json_object_new_string(status));
        json_object_object_add(r, "roomType", json_object_new_string(rt->id));
        json_object_object_add(r, "roomName", json_object_new_string(rt->name));
        json_object_object_add(r, "numberOfUnits", json_object_new_int((int)units));
        json_object_object_add(r, "occupancy", occupancy_json(rt));
        json_object_array_add(room_types, r);
        if (least < units)
            continue;
        double pct = seed_inclusive_percent(c.hotel);
        for (int p = 0; p < LEDGER_RATE_PLAN_COUNT; p++) {
            const char *code = LEDGER_RATE_PLANS[p].name_private;
            if (by_code && !csv_contains(codes, code))
                continue;
            json_object *rules =
                stay_restrictions(c.api->ledger, c.hotel->id, rt->id, p, arrival, nights);
            if (json_object_array_length(rules) > 0) {
                plan_restricted[p] = true;
                json_object *into = by_code ? plan_rules[p] : stay_rules;
                if (by_code && !into)
                    into = plan_rules[p] = json_object_new_array();
                for (size_t k = 0; k < json_object_array_length(rules); k++)
                    json_object_array_add(into,
                                          json_object_get(json_object_array_get_idx(rules, k)));
                json_object_put(rules);
                continue; /* OPERA offers nothing a plan's rules forbid */
            }
            json_object_put(rules);
            any = plan_sold[p] = true;
            int64_t rates[MAX_OFFER_NIGHTS], total = 0;
            bool change = false;
            /* OPERA prices the occupancy asked: each adult beyond the ones
             * the rate includes adds the room type's extra-adult amount */
            int64_t extra = ledger_extra_guests(rt, (int)units, (int)adults);
            for (int k = 0; k < nights; k++) {
                rates[k] = ledger_plan_rate(p, n[k].rate_minor) + extra;
                total += rates[k] * units;
                change = change || rates[k] != rates[0];
            }
            json_object *offer = json_object_new_object();
            char booking_code[SEED_ID_MAX_LEN + 8];
            snprintf(booking_code, sizeof booking_code, "%s%s", rt->id, code);
            json_object_object_add(offer, "bookingCode", json_object_new_string(booking_code));
            json_object_object_add(offer, "availabilityStatus",
                                   json_object_new_string("AvailableForSale"));
            json_object_object_add(offer, "roomType", json_object_new_string(rt->id));
            json_object_object_add(offer, "ratePlanCode", json_object_new_string(code));
            json_object_object_add(offer, "rateChangeDuringStay", json_object_new_boolean(change));
            json_object *info = json_object_new_object();
            json_object *rate = json_object_new_object();
            json_object_object_add(rate, "rateModeAmount",
                                   amount_json(rates[0], c.hotel->currency_code, pct));
            json_object_object_add(rate, "rateMode", json_object_new_string("Arrival"));
            json_object_object_add(rate, "rateTimeUnit", json_object_new_string("Day"));
            if (rt->extra_adult_rate_minor > 0) {
                json_object *add =
                    amount_json(rt->extra_adult_rate_minor, c.hotel->currency_code, pct);
                json_object_object_add(add, "ageQualifyingCode", json_object_new_string("Adult"));
                json_object *adds = json_object_new_array();
                json_object_array_add(adds, add);
                json_object_object_add(rate, "additionalGuestAmounts", adds);
            }
            json_object_object_add(info, "rate", rate);
            json_object_object_add(info, "cancellationPolicies", cancel_policies_json(p));
            json_object_object_add(info, "guaranteeRequirement", json_object_new_string("None"));
            json_object_object_add(
                info, "base",
                rate_ranges_json(arrival, rates, nights, c.hotel->currency_code, pct, true));
            json_object_object_add(offer, "rateInformation", info);
            json_object *sum = amount_json(total, c.hotel->currency_code, pct);
            if (pct > 0)
                json_object_object_add(sum, "taxes", offer_taxes_json(c.hotel, total));
            json_object_object_add(offer, "total", sum);
            json_object_array_add(offers, offer);
        }
    }
    json_object *stay = json_object_new_object();
    json_object *pi = json_object_new_object();
    json_object_object_add(pi, "hotelCode", json_object_new_string(c.hotel->id));
    json_object_object_add(pi, "hotelName", json_object_new_string(c.hotel->name));
    json_object_object_add(stay, "propertyInfo", pi);
    json_object_object_add(stay, "availability",
                           json_object_new_string(outside ? "NotFound"
                                                  : any   ? "AvailableForSale"
                                                          : "NoAvailability"));
    json_object_object_add(stay, "restrictions", stay_rules);
    json_object_object_add(stay, "roomTypes", room_types);
    json_object *plans = json_object_new_array();
    for (int p = 0; p < LEDGER_RATE_PLAN_COUNT; p++) {
        const char *code = LEDGER_RATE_PLANS[p].name_private;
        if (by_code && !csv_contains(codes, code))
            continue;
        json_object *plan = json_object_new_object();
        json_object_object_add(plan, "ratePlanCode", json_object_new_string(code));
        json_object_object_add(plan, "ratePlanName",
                               json_object_new_string(LEDGER_RATE_PLANS[p].name_public));
        json_object_object_add(plan, "taxInclusive", json_object_new_boolean(1));
        json_object_object_add(plan, "availabilityStatus",
                               json_object_new_string(plan_sold[p]         ? "AvailableForSale"
                                                      : plan_restricted[p] ? "Restricted"
                                                                           : "NoAvailability"));
        if (plan_rules[p])
            json_object_object_add(plan, "restrictions", plan_rules[p]);
        json_object_array_add(plans, plan);
    }
    json_object_object_add(stay, "ratePlans", plans);
    json_object_object_add(stay, "offers", offers);
    json_object *stays = json_object_new_array();
    json_object_array_add(stays, stay);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "roomStays", stays);
    return leave(&c, reply(&c, 200, o));
}

static int handle_calendar(http_request_t *req, void *ctx)
{
    call_t c;
    if (!enter(&c, ctx, req, FAM_SHOP, "getPropertyCalendar"))
        return 0;
    dates_day_t from, to;
    long los, adults, units;
    if (query_date(&c, "arrivalDateFrom", &from) != 0 ||
        query_date(&c, "arrivalDateTo", &to) != 0 ||
        query_int(&c, "lengthOfStay", 1, MAX_OFFER_NIGHTS, 1, &los) != 0 ||
        query_int(&c, "adults", 1, 10, 1, &adults) != 0 ||
        query_int(&c, "numberOfUnits", 1, MAX_UNITS, 1, &units) != 0)
        return leave(&c, 0);
    if (to < from)
        return leave(&c, fail(&c, 400, "OHD-PARAM", "arrivalDateTo must not be before "
                                                    "arrivalDateFrom"));
    if (to - from + 1 > CALENDAR_MAX_DAYS)
        return leave(&c, fail(&c, 400, "OHD-PARAM",
                              "The arrival date range may span at most %d days",
                              CALENDAR_MAX_DAYS));
    dates_day_t win_first, win_last;
    ledger_window(c.api->ledger, &win_first, &win_last);
    json_object *items = json_object_new_array();
    bool any = false;
    for (dates_day_t d = from; d <= to; d++) {
        int64_t best = -1;
        for (size_t i = 0; d >= win_first && d + los - 1 <= win_last &&
                           i < c.hotel->room_type_count; i++) {
            const seed_room_type_t *rt = &c.hotel->room_types[i];
            ledger_night_t n[MAX_OFFER_NIGHTS];
            if (rt->max_guests < adults ||
                ledger_get_nights(c.api->ledger, c.hotel->id, rt->id, d, (int)los, n) != LEDGER_OK)
                continue;
            bool ok = true;
            for (long k = 0; k < los; k++)
                ok = ok && n[k].available >= units;
            if (ok && (best < 0 || n[0].rate_minor < best))
                best = n[0].rate_minor;
        }
        json_object *item = json_object_new_object();
        json_object_object_add(item, "arrivalDate", date_json(d));
        json_object_object_add(item, "availability",
                               json_object_new_string(best >= 0 ? "AvailableForSale"
                                                                : "NoAvailability"));
        if (best >= 0) {
            any = true;
            json_object *rate =
                amount_json(best, c.hotel->currency_code, seed_inclusive_percent(c.hotel));
            json_object_object_add(rate, "rateMode", json_object_new_string("Arrival"));
            json_object_object_add(rate, "hasRateChange", json_object_new_boolean(0));
            json_object_object_add(item, "rate", rate);
        }
        json_object_array_add(items, item);
    }
    json_object *stay = json_object_new_object();
    json_object *pi = json_object_new_object();
    json_object_object_add(pi, "hotelCode", json_object_new_string(c.hotel->id));
    json_object_object_add(pi, "hotelName", json_object_new_string(c.hotel->name));
    json_object_object_add(stay, "propertyInfo", pi);
    json_object_object_add(stay, "availability",
                           json_object_new_string(any ? "AvailableForSale" : "NoAvailability"));
    json_object_object_add(stay, "calendarItems", items);
    json_object *stays = json_object_new_array();
    json_object_array_add(stays, stay);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "roomStays", stays);
    return leave(&c, reply(&c, 200, o));
}

/* -------------------------------------------------------------- book -- */

static bool is_committed(opera_api_t *api, const char *id)
{
    bool found = false;
    pthread_mutex_lock(&api->mu);
    for (size_t i = 0; i < api->committed_count && !found; i++)
        found = strcmp(api->committed[i], id) == 0;
    pthread_mutex_unlock(&api->mu);
    return found;
}

static void mark_committed(opera_api_t *api, const char *id)
{
    if (is_committed(api, id))
        return;
    pthread_mutex_lock(&api->mu);
    if (api->committed_count < MAX_COMMITTED) {
        char **grown = realloc(api->committed, (api->committed_count + 1) * sizeof *grown);
        char *copy = strdup(id);
        if (grown && copy) {
            api->committed = grown;
            api->committed[api->committed_count++] = copy;
        } else {
            if (grown)
                api->committed = grown;
            free(copy);
        }
    }
    pthread_mutex_unlock(&api->mu);
}

/* A session reservation never committed and no longer live (ignored or
 * purged) was never a reservation: OPERA does not find it. */
static bool vanished(opera_api_t *api, const ledger_reservation_t *r)
{
    return r->is_hold && r->status == LEDGER_CANCELED && !is_committed(api, r->reservation_id);
}

static const char *status_name(opera_api_t *api, const ledger_reservation_t *r)
{
    (void)api;
    if (r->status == LEDGER_CANCELED)
        return "Cancelled";
    if (r->status == LEDGER_NOT_CONFIRMED)
        return "OnHold";
    return "Reserved";
}

static json_object *ids_json(opera_api_t *api, const ledger_reservation_t *r, const char *extra_type,
                             const char *extra_id)
{
    json_object *ids = json_object_new_array();
    json_object *conf = json_object_new_object();
    json_object_object_add(conf, "id", json_object_new_string(r->reservation_id));
    json_object_object_add(conf, "type", json_object_new_string("Confirmation"));
    json_object_object_add(conf, "idContext", json_object_new_string("Central"));
    json_object_object_add(conf, "idExtension", json_object_new_string("1"));
    json_object_array_add(ids, conf);
    if (*r->third_party_id) {
        json_object *ext = json_object_new_object();
        json_object_object_add(ext, "id", json_object_new_string(r->third_party_id));
        json_object_object_add(ext, "type", json_object_new_string("Others"));
        json_object_object_add(ext, "idContext", json_object_new_string(api->channel_code));
        json_object_array_add(ids, ext);
    }
    if (extra_type) {
        json_object *x = json_object_new_object();
        json_object_object_add(x, "id", json_object_new_string(extra_id));
        json_object_object_add(x, "type", json_object_new_string(extra_type));
        json_object_object_add(x, "idContext", json_object_new_string("Central"));
        json_object_array_add(ids, x);
    }
    return ids;
}

static json_object *booking_json(opera_api_t *api, const ledger_reservation_t *r)
{
    seed_t *seed = ledger_seed(api->ledger);
    double pct = seed_inclusive_percent(seed ? seed_find_hotel(seed, r->property_id) : NULL);
    seed_unref(seed);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "reservationIds", ids_json(api, r, NULL, NULL));
    json_object_object_add(o, "reservationStatus", json_object_new_string(status_name(api, r)));
    json_object_object_add(o, "isSessionRequest",
                           json_object_new_boolean(r->is_hold && !is_committed(api,
                                                                               r->reservation_id)));
    json_object_object_add(o, "lastModifyDateTime", time_json(r->updated_ms));
    json_object_object_add(o, "hotelCode", json_object_new_string(r->property_id));
    json_object *stay = json_object_new_object();
    json_object_object_add(stay, "arrivalDate", date_json(r->start));
    json_object_object_add(stay, "departureDate", date_json(r->end));
    json_object *counts = json_object_new_object();
    json_object_object_add(counts, "adults", json_object_new_int(r->adults));
    json_object_object_add(counts, "children", json_object_new_int(r->children));
    json_object_object_add(stay, "guestCounts", counts);
    json_object *guarantee = json_object_new_object();
    json_object_object_add(guarantee, "guaranteeType", json_object_new_string("38"));
    json_object_object_add(guarantee, "onHold",
                           json_object_new_boolean(r->status == LEDGER_NOT_CONFIRMED));
    json_object_object_add(stay, "guarantee", guarantee);
    json_object *rr = json_object_new_object();
    json_object_object_add(rr, "roomType", json_object_new_string(r->room_type_id));
    json_object_object_add(
        rr, "ratePlanCode",
        json_object_new_string(r->rate_plan >= 0 && r->rate_plan < LEDGER_RATE_PLAN_COUNT
                                   ? LEDGER_RATE_PLANS[r->rate_plan].name_private
                                   : "BAR"));
    json_object_object_add(rr, "numberOfUnits", json_object_new_int(r->quantity));
    json_object *rc2 = json_object_new_object();
    json_object_object_add(rc2, "adults", json_object_new_int(r->adults));
    json_object_object_add(rc2, "children", json_object_new_int(r->children));
    json_object_object_add(rr, "guestCounts", rc2);
    json_object_object_add(rr, "start", date_json(r->start));
    json_object_object_add(rr, "end", date_json(r->end - 1));
    json_object *rates = json_object_new_object();
    json_object *list =
        rate_ranges_json(r->start, r->nightly_rate_minor, r->nights, r->currency, pct, false);
    /* a Book rate carries its amounts under "base" */
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        json_object *item = json_object_array_get_idx(list, i);
        json_object *base = json_object_new_object();
        const char *keys[] = {"amountBeforeTax", "amountAfterTax", "currencyCode"};
        for (size_t k = 0; k < 3; k++) {
            json_object *v = json_object_object_get(item, keys[k]);
            json_object_object_add(base, keys[k], json_object_get(v));
            json_object_object_del(item, keys[k]);
        }
        json_object_object_add(item, "base", base);
    }
    json_object_object_add(rates, "rate", list);
    json_object_object_add(rr, "rates", rates);
    json_object *rrs = json_object_new_array();
    json_object_array_add(rrs, rr);
    json_object_object_add(stay, "roomRates", rrs);
    json_object_object_add(stay, "total", amount_json(r->grand_total_minor, r->currency, pct));
    json_object_object_add(o, "roomStay", stay);
    json_object *name = json_object_new_object();
    json_object_object_add(name, "givenName", json_object_new_string(r->guest_first_name));
    json_object_object_add(name, "surname", json_object_new_string(r->guest_last_name));
    json_object_object_add(name, "nameType", json_object_new_string("Primary"));
    json_object *names = json_object_new_array();
    json_object_array_add(names, name);
    json_object *customer = json_object_new_object();
    json_object_object_add(customer, "personName", names);
    json_object *profile = json_object_new_object();
    json_object_object_add(profile, "customer", customer);
    json_object_object_add(profile, "profileType", json_object_new_string("Guest"));
    json_object *pinfo = json_object_new_object();
    json_object_object_add(pinfo, "profile", profile);
    json_object *guest = json_object_new_object();
    json_object_object_add(guest, "profileInfo", pinfo);
    json_object_object_add(guest, "primary", json_object_new_boolean(1));
    json_object *guests = json_object_new_array();
    json_object_array_add(guests, guest);
    json_object_object_add(o, "reservationGuests", guests);
    json_object *pm = json_object_new_object();
    json_object_object_add(pm, "paymentMethod",
                           json_object_new_string(strcmp(r->payment_method, "credit") == 0 ? "5"
                                                                                          : "1"));
    json_object *pms = json_object_new_array();
    json_object_array_add(pms, pm);
    json_object_object_add(o, "reservationPaymentMethods", pms);
    return o;
}

static int reply_booking(call_t *c, const ledger_reservation_t *r)
{
    json_object *arr = json_object_new_array();
    json_object_array_add(arr, booking_json(c->api, r));
    return reply(c, 200, arr);
}

/* The request body's reservations[0], or NULL after answering 400. *root is
 * to be released with json_object_put. */
static json_object *first_reservation(call_t *c, json_object **root)
{
    size_t len = 0;
    const char *body = http_request_body(c->req, &len);
    json_error_t e;
    *root = json_parse_object(body, len, &e);
    if (!*root) {
        fail(c, 400, "DRSV10001", "Request body is not a JSON object: %s", e.message);
        return NULL;
    }
    json_object *list = json_object_object_get(*root, "reservations");
    if (!list || !json_object_is_type(list, json_type_array) ||
        json_object_array_length(list) < 1 ||
        !json_object_is_type(json_object_array_get_idx(list, 0), json_type_object)) {
        fail(c, 400, "DRSV10001", "reservations must be an array of at least one reservation");
        json_object_put(*root);
        *root = NULL;
        return NULL;
    }
    return json_object_array_get_idx(list, 0);
}

static const char *obj_str(json_object *o, const char *key)
{
    json_object *v = o ? json_object_object_get(o, key) : NULL;
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static json_object *obj_at(json_object *o, const char *key, size_t i)
{
    json_object *a = o ? json_object_object_get(o, key) : NULL;
    if (!a || !json_object_is_type(a, json_type_array) || json_object_array_length(a) <= i)
        return NULL;
    json_object *v = json_object_array_get_idx(a, i);
    return v && json_object_is_type(v, json_type_object) ? v : NULL;
}

static json_object *obj_obj(json_object *o, const char *key)
{
    json_object *v = o ? json_object_object_get(o, key) : NULL;
    return v && json_object_is_type(v, json_type_object) ? v : NULL;
}

static bool external_id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n < 1 || n > EXTERNAL_ID_MAX)
        return false;
    for (const char *p = id; *p; p++)
        if (isspace((unsigned char)*p) || !isprint((unsigned char)*p))
            return false;
    return true;
}

/* Whether plan `plan`'s restrictions forbid the stay (Book refuses it as
 * Shop does not offer it). */
static bool restricted(ledger_t *ledger, const char *hotel, const char *room_type, int plan,
                       dates_day_t arrival, dates_day_t departure)
{
    if (departure <= arrival || departure - arrival > MAX_OFFER_NIGHTS)
        return false; /* the ledger refuses such a stay itself */
    json_object *rules =
        stay_restrictions(ledger, hotel, room_type, plan, arrival, (int)(departure - arrival));
    bool any = json_object_array_length(rules) > 0;
    json_object_put(rules);
    return any;
}

static int handle_create(http_request_t *req, void *ctx)
{
    call_t c;
    if (!enter(&c, ctx, req, FAM_BOOK, "postReservation"))
        return 0;
    opera_api_t *api = c.api;
    json_object *root = NULL;
    json_object *res = first_reservation(&c, &root);
    if (!res)
        return leave(&c, 0);
    int rc = 0;
    json_object *stay = obj_obj(res, "roomStay");
    json_object *rr = obj_at(stay, "roomRates", 0);
    json_object *counts = obj_obj(rr, "guestCounts");
    json_object *guest = obj_at(res, "reservationGuests", 0);
    json_object *person = obj_at(
        obj_obj(obj_obj(obj_obj(guest, "profileInfo"), "profile"), "customer"), "personName", 0);
    json_object *payment = obj_at(res, "reservationPaymentMethods", 0);
    const char *external = obj_str(obj_at(res, "reservationIdList", 0), "id");
    const char *room_type = obj_str(rr, "roomType");
    const char *plan = obj_str(rr, "ratePlanCode");
    json_object *units_v = rr ? json_object_object_get(rr, "numberOfUnits") : NULL;
    json_object *adults_v = counts ? json_object_object_get(counts, "adults") : NULL;
    json_object *children_v = counts ? json_object_object_get(counts, "children") : NULL;
    json_object *session_v = json_object_object_get(res, "isSessionRequest");
    dates_day_t arrival = 0, departure = 0;
    int units = units_v ? json_object_get_int(units_v) : 1;
    int adults = adults_v ? json_object_get_int(adults_v) : 0;
    int children = children_v ? json_object_get_int(children_v) : 0;
    const seed_room_type_t *rt = room_type ? seed_find_room_type(c.hotel, room_type, NULL) : NULL;
    bool answered = true;
    if (!stay)
        rc = fail(&c, 400, "DRSV10002", "roomStay is required");
    else if (!obj_str(stay, "arrivalDate") || dates_parse_iso(obj_str(stay, "arrivalDate"),
                                                              &arrival) != 0)
        rc = fail(&c, 400, "DRSV10002", "roomStay.arrivalDate must be a date YYYY-MM-DD");
    else if (!obj_str(stay, "departureDate") ||
             dates_parse_iso(obj_str(stay, "departureDate"), &departure) != 0)
        rc = fail(&c, 400, "DRSV10002", "roomStay.departureDate must be a date YYYY-MM-DD");
    else if (departure <= arrival)
        rc = fail(&c, 400, "DRSV10002", "roomStay.departureDate must be after arrivalDate");
    else if (!obj_obj(stay, "guarantee"))
        rc = fail(&c, 400, "DRSV10002", "roomStay.guarantee is required");
    else if (!rr || !room_type)
        rc = fail(&c, 400, "DRSV10002", "roomStay.roomRates[0].roomType is required");
    else if (!rt)
        rc = fail(&c, 400, "DRSV20001", "Room type %.50s is not available for this channel",
                  room_type);
    else if (plan_of_code(plan) < 0)
        rc = fail(&c, 400, "DRSV20002", "Rate plan %.50s is not available for this channel",
                  plan ? plan : "(none)");
    else if (restricted(api->ledger, c.hotel->id, rt->id, plan_of_code(plan), arrival, departure))
        rc = fail(&c, 400, "DRSV20005", "Rate plan %s is restricted for this stay", plan);
    else if ((units_v && !json_object_is_type(units_v, json_type_int)) || units < 1 ||
             units > MAX_UNITS)
        rc = fail(&c, 400, "DRSV10002", "roomStay.roomRates[0].numberOfUnits must be 1..%d",
                  MAX_UNITS);
    else if (!adults_v || !json_object_is_type(adults_v, json_type_int) || adults < 1 ||
             children < 0)
        rc = fail(&c, 400, "DRSV10002", "roomStay.roomRates[0].guestCounts.adults is required");
    else if (adults + children > rt->max_guests)
        rc = fail(&c, 400, "DRSV20003", "Room type %s takes at most %d guests", rt->id,
                  rt->max_guests);
    else if (!person || !obj_str(person, "surname") || !*obj_str(person, "surname"))
        rc = fail(&c, 400, "DRSV10002", "reservationGuests[0]...personName[0].surname is "
                                        "required");
    else if (!payment || !obj_str(payment, "paymentMethod"))
        rc = fail(&c, 400, "DRSV10002", "reservationPaymentMethods[0].paymentMethod is required");
    else if (external && !external_id_ok(external))
        rc = fail(&c, 400, "DRSV10002", "reservationIdList[0].id must be 1..50 characters "
                                        "without spaces");
    else if (session_v && !json_object_is_type(session_v, json_type_boolean))
        rc = fail(&c, 400, "DRSV10002", "isSessionRequest must be a boolean");
    else
        answered = false;
    if (answered) {
        json_object_put(root);
        return leave(&c, 0);
    }
    bool session = session_v && json_object_get_boolean(session_v);
    pthread_mutex_lock(&api->mu);
    int64_t session_ms = (int64_t)api->session_ttl_s * 1000;
    bool dedupe = api->dedupe_external;
    pthread_mutex_unlock(&api->mu);
    ledger_booking_t b = {
        .property_id = c.hotel->id,
        .room_type_id = rt->id,
        .start = arrival,
        .end = departure,
        .quantity = units,
        .adults = adults,
        .children = children,
        .guest_first_name = obj_str(person, "givenName") ? obj_str(person, "givenName") : "",
        .guest_last_name = obj_str(person, "surname"),
        .guest_email = "",
        .guest_country = "",
        .payment_method = strcmp(obj_str(payment, "paymentMethod"), "5") == 0 ? "credit" : "cash",
        .third_party_id = external,
        .allow_duplicate = !dedupe,
        .is_hold = session,
        .hold_expires_ms = session ? clock_wall_ms() + session_ms : 0,
        .rate_plan = plan_of_code(plan),
    };
    ledger_reservation_t r;
    bool replayed = false;
    dates_day_t short_night = 0;
    ledger_err_t le = ledger_create(api->ledger, &b, &r, &replayed, &short_night);
    if (le == LEDGER_ERR_NO_AVAILABILITY) {
        char d[DATES_ISO_LEN + 1];
        dates_format_iso(short_night, d);
        rc = fail(&c, 400, "DRSV20004", "Room type %s is not available for %s (%d units "
                                        "requested)", rt->id, d, units);
    } else if (le == LEDGER_ERR_OUT_OF_RANGE || le == LEDGER_ERR_INVALID) {
        rc = fail(&c, 400, "DRSV10002", "The stay is outside the bookable window or too long");
    } else if (le != LEDGER_OK) {
        rc = fail(&c, 500, "DRSV50000", "Reservation could not be created");
    } else {
        pthread_mutex_lock(&api->mu);
        bool lose_answer = api->fail_after_create > 0;
        if (lose_answer)
            api->fail_after_create--;
        pthread_mutex_unlock(&api->mu);
        log_kv(LOG_LEVEL_INFO, "opera reservation created", "hotelCode", c.hotel->id,
               "confirmation", r.reservation_id, "session", session ? "true" : "false",
               "answerLost", lose_answer ? "true" : "false", NULL);
        rc = lose_answer ? fail(&c, 502, "OHD-GATEWAY", "Bad Gateway") : reply_booking(&c, &r);
    }
    json_object_put(root);
    return leave(&c, rc);
}

/* The reservation of the path, or 0 after answering 404. */
static int path_reservation(call_t *c, ledger_reservation_t *r)
{
    const char *id = http_request_param(c->req, "confirmationNum");
    if (!id || ledger_get(c->api->ledger, c->hotel->id, id, r) != LEDGER_OK || vanished(c->api, r)) {
        fail(c, 404, "DRSV30007", "Reservation Id was not found");
        return -1;
    }
    return 0;
}

static int handle_get(http_request_t *req, void *ctx)
{
    call_t c;
    if (!enter(&c, ctx, req, FAM_BOOK, "getReservation"))
        return 0;
    ledger_reservation_t r;
    if (path_reservation(&c, &r) != 0)
        return leave(&c, 0);
    return leave(&c, reply_booking(&c, &r));
}

static int reply_on_hold(call_t *c, const ledger_reservation_t *r, const char *status)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "reservationIds", ids_json(c->api, r, NULL, NULL));
    json_object_object_add(o, "reservationStatus", json_object_new_string(status));
    json_object_object_add(o, "hotelCode", json_object_new_string(c->hotel->id));
    return reply(c, 200, o);
}

static int handle_status(http_request_t *req, void *ctx)
{
    call_t c;
    if (!enter(&c, ctx, req, FAM_BOOK, "postOnHoldReservation"))
        return 0;
    json_object *root = NULL;
    json_object *res = first_reservation(&c, &root);
    if (!res)
        return leave(&c, 0);
    const char *action = obj_str(res, "reservationStatus");
    ledger_reservation_t r;
    int rc = 0;
    if (!obj_at(res, "reservationIdList", 0)) {
        rc = fail(&c, 400, "DRSV10002", "reservationIdList is required");
    } else if (!action || (strcmp(action, "Commit") != 0 && strcmp(action, "Ignore") != 0)) {
        rc = fail(&c, 400, "DRSV10002", "reservationStatus must be Commit or Ignore");
    } else if (path_reservation(&c, &r) != 0) {
        rc = 0; /* 404 sent */
    } else if (!r.is_hold) {
        rc = fail(&c, 400, "DRSV30010", "Reservation %s is not an on hold reservation",
                  r.reservation_id);
    } else if (strcmp(action, "Commit") == 0) {
        if (r.status == LEDGER_CANCELED) {
            rc = fail(&c, 400, "DRSV30011", "Reservation %s is cancelled", r.reservation_id);
        } else if (r.status == LEDGER_CONFIRMED ||
                   ledger_confirm(c.api->ledger, c.hotel->id, r.reservation_id, &r) == LEDGER_OK) {
            if (!is_committed(c.api, r.reservation_id))
                queue_event(c.api, "NEW RESERVATION", &r, NULL);
            mark_committed(c.api, r.reservation_id);
            rc = reply_on_hold(&c, &r, "Committed");
        } else {
            /* purged between the read and the commit */
            rc = fail(&c, 404, "DRSV30007", "Reservation Id was not found");
        }
    } else if (is_committed(c.api, r.reservation_id)) {
        rc = fail(&c, 400, "DRSV30012", "Reservation %s is committed; cancel it instead",
                  r.reservation_id);
    } else {
        ledger_cancel(c.api->ledger, c.hotel->id, r.reservation_id, LEDGER_CANCEL_BY_API, &r);
        rc = reply_on_hold(&c, &r, "Ignored");
    }
    json_object_put(root);
    return leave(&c, rc);
}

static int handle_cancel(http_request_t *req, void *ctx)
{
    call_t c;
    if (!enter(&c, ctx, req, FAM_BOOK, "postCancelReservation"))
        return 0;
    json_object *root = NULL;
    json_object *res = first_reservation(&c, &root);
    if (!res)
        return leave(&c, 0);
    ledger_reservation_t r;
    int rc;
    if (!obj_at(res, "reservationIdList", 0)) {
        rc = fail(&c, 400, "DRSV10002", "reservationIdList is required");
    } else if (path_reservation(&c, &r) != 0) {
        rc = 0;
    } else if (r.status == LEDGER_NOT_CONFIRMED) {
        rc = fail(&c, 400, "DRSV30013", "Reservation %s is on hold: commit or ignore it",
                  r.reservation_id);
    } else {
        if (r.status != LEDGER_CANCELED &&
            ledger_cancel(c.api->ledger, c.hotel->id, r.reservation_id, LEDGER_CANCEL_BY_API,
                          &r) == LEDGER_OK)
            queue_event(c.api, "CANCEL RESERVATION", &r, NULL);
        char cxl[LEDGER_RESERVATION_ID_LEN + 4];
        snprintf(cxl, sizeof cxl, "CXL%s", r.reservation_id);
        json_object *item = json_object_new_object();
        json_object_object_add(item, "reservationIds", ids_json(c.api, &r, "Cancellation", cxl));
        json_object_object_add(item, "lastModifyDateTime", time_json(r.updated_ms));
        json_object_object_add(item, "hotelCode", json_object_new_string(c.hotel->id));
        json_object_object_add(item, "reservationStatus", json_object_new_string("Cancelled"));
        json_object *arr = json_object_new_array();
        json_object_array_add(arr, item);
        rc = reply(&c, 200, arr);
    }
    json_object_put(root);
    return leave(&c, rc);
}

static int handle_find(http_request_t *req, void *ctx)
{
    call_t c;
    if (!enter(&c, ctx, req, FAM_BOOK, "getReservationByExternalId"))
        return 0;
    const char *ext = http_request_query(req, "externalReferenceId");
    if (!ext || !external_id_ok(ext))
        return leave(&c, fail(&c, 400, "DRSV10002", "externalReferenceId is required (1..50 "
                                                    "characters without spaces)"));
    ledger_reservation_t found[FIND_MAX];
    int n = ledger_find_by_third_party(c.api->ledger, c.hotel->id, ext, found, FIND_MAX);
    json_object *arr = json_object_new_array();
    for (int i = 0; i < n; i++)
        if (!vanished(c.api, &found[i]))
            json_object_array_add(arr, booking_json(c.api, &found[i]));
    return leave(&c, reply(&c, 200, arr));
}

/* ----------------------------------------------------------- control -- */

/* ------------------------------------------------------ property API -- */

/* x-app-key as the Property specs pattern it: a UUID v4, lower-case hex. */
static bool app_key_ok(const char *k)
{
    if (!k || strlen(k) != 36)
        return false;
    for (size_t i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? k[i] != '-' : !(isdigit((unsigned char)k[i]) || (k[i] >= 'a' && k[i] <= 'f')))
            return false;
    }
    return k[14] == '4' && strchr("89abAB", k[19]) != NULL;
}

/* Basic base64(client id:client secret) against the configured client. */
static bool client_ok(opera_api_t *api, const char *header)
{
    if (!header || strncasecmp(header, "Basic ", 6) != 0)
        return false;
    size_t n = 0;
    uint8_t *raw = crypto_base64_decode(header + 6, &n);
    if (!raw)
        return false;
    size_t id_len = strlen(api->client_id), secret_len = strlen(api->client_secret);
    bool ok = n == id_len + 1 + secret_len && raw[id_len] == ':' &&
              crypto_equal_constant_time(raw, id_len, api->client_id, id_len) &&
              crypto_equal_constant_time(raw + id_len + 1, secret_len, api->client_secret,
                                         secret_len);
    crypto_wipe(raw, n);
    free(raw);
    return ok;
}

/* POST /oauth/v1/tokens: client credentials only (the sandbox has no users). */
static int handle_property_token(http_request_t *req, void *ctx)
{
    opera_api_t *api = ctx;
    call_t c = {.api = api, .req = req, .fam = FAM_PROPERTY, .op = "getPropertyToken"};
    count_op(api, "getPropertyToken");
    if (sandbox_faults_apply(api->faults, req, "getPropertyToken", fault_error,
                             (void *)&FAMILY_PROPERTY))
        return 0;
    if (!app_key_ok(http_request_header(req, "x-app-key")))
        return fail(&c, 400, "OAUTH-APPKEY", "Header x-app-key must be the application key");
    size_t len = 0;
    const char *body = http_request_body(req, &len);
    char err[128];
    sandbox_form_t *form = sandbox_form_parse(body, len, err, sizeof err);
    if (!form)
        return fail(&c, 400, "OAUTH-REQUEST", "Malformed form body: %s", err);
    const char *grant = sandbox_form_get(form, "grant_type");
    int rc;
    if (!grant || strcmp(grant, "client_credentials") != 0) {
        rc = fail(&c, 400, "OAUTH-GRANT", "grant_type must be client_credentials");
    } else if (!client_ok(api, http_request_header(req, "authorization"))) {
        rc = fail(&c, 401, "OAUTH-CLIENT", "Client authentication failed");
    } else {
        json_object *o = issue_token(api, true);
        json_object_object_add(o, "token_type", json_object_new_string("Bearer"));
        json_object_object_add(o, "oracle_tk_context", json_object_new_string("user_assertion"));
        rc = reply(&c, 200, o);
    }
    sandbox_form_free(form);
    http_request_wipe_body(req);
    return rc;
}

static void add_detail(json_object *details, const char *element, const char *old_value,
                       const char *new_value)
{
    json_object *d = json_object_new_object();
    json_object_object_add(d, "dataElement", json_object_new_string(element));
    if (old_value)
        json_object_object_add(d, "oldValue", json_object_new_string(old_value));
    if (new_value)
        json_object_object_add(d, "newValue", json_object_new_string(new_value));
    json_object_array_add(details, d);
}

/* One businessEventData item. The details' element names are the sandbox's
 * choice: the specs name only the fields of a detail, not the elements. */
static json_object *event_json(const be_event_t *e)
{
    char start[11], end[11], old_start[11] = "", old_end[11] = "", at[DATES_RFC3339_LEN + 1],
                                               id[24];
    dates_format_iso(e->start, start);
    dates_format_iso(e->end, end);
    if (e->has_old) {
        dates_format_iso(e->old_start, old_start);
        dates_format_iso(e->old_end, old_end);
    }
    dates_format_rfc3339(e->created_ms, at);
    bool cancel = strcmp(e->action, "CANCEL RESERVATION") == 0;
    json_object *header = json_object_new_object();
    json_object_object_add(header, "moduleName", json_object_new_string("Reservation"));
    json_object_object_add(header, "actionType", json_object_new_string(e->action));
    json_object_object_add(header, "actionId", json_object_new_int64(e->id));
    json_object_object_add(header, "primaryKey", json_object_new_string(e->reservation_id));
    json_object_object_add(header, "createdDateTime", json_object_new_string(at));
    json_object_object_add(header, "hotelId", json_object_new_string(e->hotel));
    json_object_object_add(header, "publisherId", json_object_new_int(1));
    json_object *details = json_object_new_array();
    add_detail(details, "CONFIRMATION NO", NULL, e->reservation_id);
    add_detail(details, "RESERVATION STATUS", NULL, cancel ? "CANCELLED" : "RESERVED");
    add_detail(details, "ARRIVAL DATE", e->has_old ? old_start : NULL, start);
    add_detail(details, "DEPARTURE DATE", e->has_old ? old_end : NULL, end);
    add_detail(details, "ROOM TYPE", e->has_old ? e->old_room_type : NULL, e->room_type);
    json_object *event = json_object_new_object();
    json_object_object_add(event, "header", header);
    json_object_object_add(event, "details", details);
    snprintf(id, sizeof id, "%ld", e->id);
    json_object *eid = json_object_new_object();
    json_object_object_add(eid, "type", json_object_new_string("BusinessEventId"));
    json_object_object_add(eid, "id", json_object_new_string(id));
    json_object *item = json_object_new_object();
    json_object_object_add(item, "businessEvent", event);
    json_object_object_add(item, "businessEventId", eid);
    return item;
}

/* GET /int/v1/externalSystem/{code}/hotels/{hotelId}/businessEvents?limit=:
 * dequeues up to limit (≤ 20) of the hotel's events, oldest first; 204 when
 * there are none. */
static int handle_business_events(http_request_t *req, void *ctx)
{
    opera_api_t *api = ctx;
    call_t c = {.api = api, .req = req, .fam = FAM_PROPERTY, .op = "getBusinessEvents"};
    count_op(api, "getBusinessEvents");
    if (sandbox_faults_apply(api->faults, req, "getBusinessEvents", fault_error,
                             (void *)&FAMILY_PROPERTY))
        return 0;
    if (!token_valid(api, http_request_header(req, "authorization"), true))
        return fail(&c, 401, "OHIP-AUTH", "The access token is missing, invalid or expired");
    if (!app_key_ok(http_request_header(req, "x-app-key")))
        return fail(&c, 400, "OHIP-HEADER", "Header x-app-key must be the application key");
    const char *hotel = http_request_param(req, "hotelId");
    const char *header_hotel = http_request_header(req, "x-hotelid");
    if (!header_hotel || !*header_hotel)
        return fail(&c, 400, "OHIP-HEADER", "Header x-hotelid is required");
    const char *code = http_request_param(req, "extSystemCode");
    if (!code || strcmp(code, api->external_system) != 0)
        return fail(&c, 404, "OHIP-EXTSYSTEM", "External system %.40s is not configured",
                    code ? code : "");
    long limit;
    if (query_int(&c, "limit", 1, EVENTS_PER_CALL, EVENTS_PER_CALL, &limit) != 0)
        return 0;
    seed_t *seed = ledger_seed(api->ledger);
    bool known = seed_find_hotel(seed, hotel) != NULL;
    seed_unref(seed);
    if (!known)
        return fail(&c, 404, "OHIP-HOTEL", "Hotel %.50s is not known", hotel);
    json_object *data = json_object_new_array();
    pthread_mutex_lock(&api->mu);
    size_t kept = 0;
    for (size_t i = 0; i < api->event_count; i++) {
        const be_event_t *e = &api->events[i];
        if ((long)json_object_array_length(data) < limit && strcmp(e->hotel, hotel) == 0)
            json_object_array_add(data, event_json(e));
        else
            api->events[kept++] = *e;
    }
    api->event_count = kept;
    pthread_mutex_unlock(&api->mu);
    if (json_object_array_length(data) == 0) {
        json_object_put(data);
        http_response_header(req, "Content-Language", "en-GB");
        return http_respond(req, 204, NULL, NULL, 0);
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "businessEventData", data);
    json_object_object_add(o, "links", json_object_new_array());
    return reply(&c, 200, o);
}

static int control_json(http_request_t *req, int status, json_object *o)
{
    int rc = http_respond_json(req, status, o);
    json_object_put(o);
    return rc;
}

static int control_bad(http_request_t *req, const char *field, const char *message)
{
    return http_respond_error(req, 400, "VALIDATION_ERROR", field, message);
}

static int handle_reset(http_request_t *req, void *ctx)
{
    opera_api_t *api = ctx;
    char err[256];
    seed_t *seed = seed_load_file(api->seed_path, err, sizeof err);
    if (!seed)
        return http_respond_error(req, 500, "SEED_ERROR", NULL, err);
    ledger_err_t le = ledger_reload(api->ledger, seed, ledger_default_first_day());
    seed_unref(seed);
    if (le != LEDGER_OK)
        return http_respond_error(req, 500, "RESET_FAILED", NULL, "ledger reload failed");
    sandbox_faults_clear(api->faults);
    pthread_mutex_lock(&api->mu);
    for (size_t i = 0; i < api->committed_count; i++)
        free(api->committed[i]);
    free(api->committed);
    api->committed = NULL;
    api->committed_count = 0;
    api->fail_after_create = 0;
    api->dedupe_external = false;
    memset(api->ops, 0, sizeof api->ops);
    api->event_count = 0;
    pthread_mutex_unlock(&api->mu);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "reset", json_object_new_boolean(1));
    return control_json(req, 200, o);
}

static json_object *behaviour_json(opera_api_t *api)
{
    json_object *o = json_object_new_object();
    pthread_mutex_lock(&api->mu);
    json_object_object_add(o, "failAfterCreate", json_object_new_int(api->fail_after_create));
    json_object_object_add(o, "dedupeExternalIds", json_object_new_boolean(api->dedupe_external));
    json_object_object_add(o, "sessionTtlSeconds", json_object_new_int(api->session_ttl_s));
    pthread_mutex_unlock(&api->mu);
    return o;
}

static int handle_behaviour_get(http_request_t *req, void *ctx)
{
    return control_json(req, 200, behaviour_json(ctx));
}

static int handle_behaviour_post(http_request_t *req, void *ctx)
{
    opera_api_t *api = ctx;
    json_object *body = http_request_json_object(req);
    if (!body)
        return 0;
    json_error_t e;
    int64_t fail_after = -1, session_ttl = -1;
    bool dedupe = false;
    json_object *dv = json_object_object_get(body, "dedupeExternalIds");
    int rc = 0;
    json_object_object_foreach(body, key, val)
    {
        (void)val;
        if (strcmp(key, "failAfterCreate") != 0 && strcmp(key, "dedupeExternalIds") != 0 &&
            strcmp(key, "sessionTtlSeconds") != 0) {
            json_object_put(body);
            return control_bad(req, key, "unknown field");
        }
    }
    if (json_get_int64(body, "failAfterCreate", false, 0, 1000, -1, &fail_after, &e) != 0 ||
        json_get_int64(body, "sessionTtlSeconds", false, 1, 86400, -1, &session_ttl, &e) != 0 ||
        json_get_bool(body, "dedupeExternalIds", false, false, &dedupe, &e) != 0)
        rc = control_bad(req, e.field, e.message);
    if (rc == 0) {
        pthread_mutex_lock(&api->mu);
        if (fail_after >= 0)
            api->fail_after_create = (int)fail_after;
        if (session_ttl > 0)
            api->session_ttl_s = (int)session_ttl;
        if (dv)
            api->dedupe_external = dedupe;
        pthread_mutex_unlock(&api->mu);
        rc = control_json(req, 200, behaviour_json(api));
    }
    json_object_put(body);
    return rc;
}

static int handle_tokens_expire(http_request_t *req, void *ctx)
{
    opera_api_t *api = ctx;
    pthread_mutex_lock(&api->mu);
    int n = 0;
    for (size_t i = 0; i < TOKEN_SLOTS; i++)
        if (api->tokens[i].expires_ms) {
            api->tokens[i].expires_ms = 0;
            n++;
        }
    pthread_mutex_unlock(&api->mu);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "expired", json_object_new_int(n));
    return control_json(req, 200, o);
}

static int handle_stats(http_request_t *req, void *ctx)
{
    opera_api_t *api = ctx;
    json_object *o = json_object_new_object(), *reqs = json_object_new_object();
    pthread_mutex_lock(&api->mu);
    for (size_t i = 0; i < OP_COUNT_MAX && api->ops[i].op; i++)
        json_object_object_add(reqs, api->ops[i].op, json_object_new_int64(api->ops[i].count));
    pthread_mutex_unlock(&api->mu);
    json_object_object_add(o, "requests", reqs);
    return control_json(req, 200, o);
}

/* Reads {hotelCode, confirmationNumber}; 0, or -1 after answering 400/404. */
static int control_target(http_request_t *req, json_object *body, const char **hotel,
                          const char **id)
{
    json_error_t e;
    if (json_get_string(body, "hotelCode", true, 1, SEED_ID_MAX_LEN, hotel, &e) != 0 ||
        json_get_string(body, "confirmationNumber", true, 1, LEDGER_RESERVATION_ID_LEN - 1, id,
                        &e) != 0) {
        control_bad(req, e.field, e.message);
        return -1;
    }
    return 0;
}

static int reservation_state(http_request_t *req, opera_api_t *api, int status,
                             const ledger_reservation_t *r)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "confirmationNumber", json_object_new_string(r->reservation_id));
    json_object_object_add(o, "hotelCode", json_object_new_string(r->property_id));
    json_object_object_add(o, "reservationStatus", json_object_new_string(status_name(api, r)));
    json_object_object_add(o, "ledgerStatus", json_object_new_string(ledger_status_name(r->status)));
    return control_json(req, status, o);
}

static int ledger_fail(http_request_t *req, ledger_err_t le)
{
    switch (le) {
    case LEDGER_ERR_NO_PROPERTY:
        return http_respond_error(req, 404, "NOT_FOUND", "hotelCode", "no such hotel");
    case LEDGER_ERR_NO_ROOM_TYPE:
        return http_respond_error(req, 404, "NOT_FOUND", "roomType", "no such room type");
    case LEDGER_ERR_NO_RESERVATION:
        return http_respond_error(req, 404, "NOT_FOUND", "confirmationNumber",
                                  "no such reservation");
    case LEDGER_ERR_NO_AVAILABILITY:
        return http_respond_error(req, 409, "NO_AVAILABILITY", "roomType",
                                  "not enough rooms on some night");
    case LEDGER_ERR_CANCELED:
        return http_respond_error(req, 409, "CANCELED", "confirmationNumber",
                                  "the reservation is cancelled");
    default:
        return control_bad(req, "body", "the dates or values are out of range");
    }
}

static int handle_frontdesk_cancel(http_request_t *req, void *ctx)
{
    opera_api_t *api = ctx;
    json_object *body = http_request_json_object(req);
    if (!body)
        return 0;
    const char *hotel, *id;
    int rc = 0;
    if (control_target(req, body, &hotel, &id) == 0) {
        ledger_reservation_t r;
        ledger_reservation_t before;
        bool was_live = ledger_get(api->ledger, hotel, id, &before) == LEDGER_OK &&
                        before.status == LEDGER_CONFIRMED;
        ledger_err_t le = ledger_cancel(api->ledger, hotel, id, LEDGER_CANCEL_FRONT_DESK, &r);
        if (le == LEDGER_OK && was_live)
            queue_event(api, "CANCEL RESERVATION", &r, NULL);
        rc = le == LEDGER_OK ? reservation_state(req, api, 200, &r) : ledger_fail(req, le);
    }
    json_object_put(body);
    return rc;
}

static int handle_purge(http_request_t *req, void *ctx)
{
    opera_api_t *api = ctx;
    json_object *body = http_request_json_object(req);
    if (!body)
        return 0;
    const char *hotel, *id;
    int rc = 0;
    if (control_target(req, body, &hotel, &id) == 0) {
        ledger_reservation_t r;
        ledger_err_t le = ledger_expire_now(api->ledger, hotel, id, &r);
        rc = le == LEDGER_OK ? reservation_state(req, api, 200, &r) : ledger_fail(req, le);
    }
    json_object_put(body);
    return rc;
}

static int handle_frontdesk_book(http_request_t *req, void *ctx)
{
    opera_api_t *api = ctx;
    json_object *body = http_request_json_object(req);
    if (!body)
        return 0;
    json_error_t e;
    const char *hotel, *room, *arrival, *departure, *surname = NULL;
    int64_t units = 1;
    dates_day_t a, d;
    int rc;
    if (json_get_string(body, "hotelCode", true, 1, SEED_ID_MAX_LEN, &hotel, &e) != 0 ||
        json_get_string(body, "roomType", true, 1, SEED_ID_MAX_LEN, &room, &e) != 0 ||
        json_get_string(body, "arrivalDate", true, 10, 10, &arrival, &e) != 0 ||
        json_get_string(body, "departureDate", true, 10, 10, &departure, &e) != 0 ||
        json_get_int64(body, "numberOfUnits", false, 1, MAX_UNITS, 1, &units, &e) != 0 ||
        json_get_string(body, "surname", false, 1, 64, &surname, &e) != 0) {
        rc = control_bad(req, e.field, e.message);
    } else if (dates_parse_iso(arrival, &a) != 0 || dates_parse_iso(departure, &d) != 0 || d <= a) {
        rc = control_bad(req, "departureDate", "arrivalDate and departureDate must be dates "
                                               "YYYY-MM-DD, departure after arrival");
    } else {
        ledger_booking_t b = {.property_id = hotel,
                              .room_type_id = room,
                              .start = a,
                              .end = d,
                              .quantity = (int)units,
                              .adults = 1,
                              .guest_first_name = "",
                              .guest_last_name = surname ? surname : "Walk-in",
                              .guest_email = "",
                              .guest_country = "",
                              .payment_method = "cash"};
        ledger_reservation_t r;
        bool replayed;
        dates_day_t short_night;
        ledger_err_t le = ledger_create(api->ledger, &b, &r, &replayed, &short_night);
        if (le == LEDGER_OK && !replayed)
            queue_event(api, "NEW RESERVATION", &r, NULL);
        rc = le == LEDGER_OK ? reservation_state(req, api, 201, &r) : ledger_fail(req, le);
    }
    json_object_put(body);
    return rc;
}

/* {hotelCode, confirmationNumber, roomType?, arrivalDate, departureDate}: the
 * front desk moves a confirmed reservation (all nights or none). */
static int handle_frontdesk_modify(http_request_t *req, void *ctx)
{
    opera_api_t *api = ctx;
    json_object *body = http_request_json_object(req);
    if (!body)
        return 0;
    json_error_t e;
    const char *hotel, *id, *room = NULL, *arrival, *departure;
    dates_day_t a, d;
    int rc;
    if (control_target(req, body, &hotel, &id) != 0) {
        rc = 0;
    } else if (json_get_string(body, "roomType", false, 1, SEED_ID_MAX_LEN, &room, &e) != 0 ||
               json_get_string(body, "arrivalDate", true, 10, 10, &arrival, &e) != 0 ||
               json_get_string(body, "departureDate", true, 10, 10, &departure, &e) != 0) {
        rc = control_bad(req, e.field, e.message);
    } else if (dates_parse_iso(arrival, &a) != 0 || dates_parse_iso(departure, &d) != 0 || d <= a) {
        rc = control_bad(req, "departureDate", "arrivalDate and departureDate must be dates "
                                               "YYYY-MM-DD, departure after arrival");
    } else {
        ledger_reservation_t before, r;
        dates_day_t short_night;
        ledger_err_t le = ledger_get(api->ledger, hotel, id, &before);
        if (le == LEDGER_OK)
            le = ledger_modify(api->ledger, hotel, id, room, a, d, &r, &short_night);
        if (le == LEDGER_OK)
            queue_event(api, "UPDATE RESERVATION", &r, &before);
        rc = le == LEDGER_OK ? reservation_state(req, api, 200, &r) : ledger_fail(req, le);
    }
    json_object_put(body);
    return rc;
}

static int handle_frontdesk_availability(http_request_t *req, void *ctx)
{
    opera_api_t *api = ctx;
    json_object *body = http_request_json_object(req);
    if (!body)
        return 0;
    json_error_t e;
    const char *hotel, *room, *from, *to;
    int64_t available;
    dates_day_t f, t;
    int rc;
    if (json_get_string(body, "hotelCode", true, 1, SEED_ID_MAX_LEN, &hotel, &e) != 0 ||
        json_get_string(body, "roomType", true, 1, SEED_ID_MAX_LEN, &room, &e) != 0 ||
        json_get_string(body, "from", true, 10, 10, &from, &e) != 0 ||
        json_get_string(body, "to", true, 10, 10, &to, &e) != 0 ||
        json_get_int64(body, "available", true, 0, SEED_MAX_UNITS, 0, &available, &e) != 0) {
        rc = control_bad(req, e.field, e.message);
    } else if (dates_parse_iso(from, &f) != 0 || dates_parse_iso(to, &t) != 0 || t < f) {
        rc = control_bad(req, "to", "from and to must be dates YYYY-MM-DD, to not before from");
    } else {
        ledger_err_t le = ledger_set_availability(api->ledger, hotel, room, f, t, (int)available);
        if (le == LEDGER_OK) {
            json_object *o = json_object_new_object();
            json_object_object_add(o, "updated", json_object_new_boolean(1));
            rc = control_json(req, 200, o);
        } else {
            rc = ledger_fail(req, le);
        }
    }
    json_object_put(body);
    return rc;
}

/* Front desk: {"hotelCode","roomType","ratePlanCode","from","to","closed",
 * "closedToArrival","closedToDeparture","minLos","maxLos"} replaces the
 * plan's restrictions of nights [from, to]; what Shop then names. */
static int handle_frontdesk_restrictions(http_request_t *req, void *ctx)
{
    opera_api_t *api = ctx;
    json_object *body = http_request_json_object(req);
    if (!body)
        return 0;
    json_error_t e;
    const char *hotel, *room, *code, *from, *to;
    int64_t min_los = 0, max_los = 0;
    bool closed = false, cta = false, ctd = false;
    dates_day_t f, t;
    int rc;
    if (json_get_string(body, "hotelCode", true, 1, SEED_ID_MAX_LEN, &hotel, &e) != 0 ||
        json_get_string(body, "roomType", true, 1, SEED_ID_MAX_LEN, &room, &e) != 0 ||
        json_get_string(body, "ratePlanCode", true, 1, SEED_ID_MAX_LEN, &code, &e) != 0 ||
        json_get_string(body, "from", true, 10, 10, &from, &e) != 0 ||
        json_get_string(body, "to", true, 10, 10, &to, &e) != 0 ||
        json_get_bool(body, "closed", false, false, &closed, &e) != 0 ||
        json_get_bool(body, "closedToArrival", false, false, &cta, &e) != 0 ||
        json_get_bool(body, "closedToDeparture", false, false, &ctd, &e) != 0 ||
        json_get_int64(body, "minLos", false, 0, LEDGER_MAX_STAY_NIGHTS, 0, &min_los, &e) != 0 ||
        json_get_int64(body, "maxLos", false, 0, LEDGER_MAX_STAY_NIGHTS, 0, &max_los, &e) != 0) {
        rc = control_bad(req, e.field, e.message);
    } else if (plan_of_code(code) < 0) {
        rc = control_bad(req, "ratePlanCode", "ratePlanCode must be BAR, NRF or BB");
    } else if (dates_parse_iso(from, &f) != 0 || dates_parse_iso(to, &t) != 0 || t < f) {
        rc = control_bad(req, "to", "from and to must be dates YYYY-MM-DD, to not before from");
    } else {
        ledger_restriction_t r = {.blocked = closed,
                                  .closed_to_arrival = cta,
                                  .closed_to_departure = ctd,
                                  .min_los = (int)min_los,
                                  .max_los = (int)max_los};
        ledger_err_t le =
            ledger_set_restrictions(api->ledger, hotel, room, plan_of_code(code), f, t, &r);
        if (le == LEDGER_OK) {
            json_object *o = json_object_new_object();
            json_object_object_add(o, "updated", json_object_new_boolean(1));
            rc = control_json(req, 200, o);
        } else {
            rc = ledger_fail(req, le);
        }
    }
    json_object_put(body);
    return rc;
}

static int handle_ledger(http_request_t *req, void *ctx)
{
    opera_api_t *api = ctx;
    const char *hotel = http_request_query(req, "hotelCode");
    ledger_reservation_t *list = NULL;
    size_t n = 0;
    if (ledger_list(api->ledger, hotel && *hotel ? hotel : NULL, &list, &n) != LEDGER_OK)
        return http_respond_error(req, 404, "NOT_FOUND", "hotelCode", "no such hotel");
    json_object *arr = json_object_new_array();
    int on_hold = 0, reserved = 0, cancelled = 0;
    for (size_t i = 0; i < n; i++) {
        const ledger_reservation_t *r = &list[i];
        json_object *o = json_object_new_object();
        json_object_object_add(o, "confirmationNumber", json_object_new_string(r->reservation_id));
        json_object_object_add(o, "hotelCode", json_object_new_string(r->property_id));
        json_object_object_add(o, "roomType", json_object_new_string(r->room_type_id));
        json_object_object_add(o, "numberOfUnits", json_object_new_int(r->quantity));
        json_object_object_add(o, "arrivalDate", date_json(r->start));
        json_object_object_add(o, "departureDate", date_json(r->end));
        json_object_object_add(o, "externalId", json_object_new_string(r->third_party_id));
        json_object_object_add(o, "session", json_object_new_boolean(r->is_hold));
        json_object_object_add(o, "committed",
                               json_object_new_boolean(is_committed(api, r->reservation_id)));
        json_object_object_add(o, "reservationStatus",
                               json_object_new_string(vanished(api, r) ? "Ignored"
                                                                       : status_name(api, r)));
        json_object_object_add(o, "cancelReason",
                               json_object_new_string(ledger_cancel_reason_name(r->cancel_reason)));
        json_object_array_add(arr, o);
        if (r->status == LEDGER_NOT_CONFIRMED)
            on_hold++;
        else if (r->status == LEDGER_CONFIRMED)
            reserved++;
        else
            cancelled++;
    }
    free(list);
    json_object *summary = json_object_new_object();
    json_object_object_add(summary, "onHold", json_object_new_int(on_hold));
    json_object_object_add(summary, "reserved", json_object_new_int(reserved));
    json_object_object_add(summary, "cancelled", json_object_new_int(cancelled));
    json_object *o = json_object_new_object();
    json_object_object_add(o, "reservations", arr);
    json_object_object_add(o, "summary", summary);
    return control_json(req, 200, o);
}

static int handle_inventory(http_request_t *req, void *ctx)
{
    opera_api_t *api = ctx;
    const char *hotel = http_request_query(req, "hotelCode");
    const char *room = http_request_query(req, "roomType");
    const char *from = http_request_query(req, "from");
    dates_day_t f;
    long days = 14;
    if (!hotel || !room)
        return control_bad(req, !hotel ? "hotelCode" : "roomType", "is required");
    if (!from || dates_parse_iso(from, &f) != 0)
        return control_bad(req, "from", "must be a date YYYY-MM-DD");
    const char *dv = http_request_query(req, "days");
    if (dv && (days = strtol(dv, NULL, 10)) < 1)
        return control_bad(req, "days", "must be 1..62");
    if (days > CALENDAR_MAX_DAYS)
        return control_bad(req, "days", "must be 1..62");
    ledger_night_t n[CALENDAR_MAX_DAYS];
    ledger_err_t le = ledger_get_nights(api->ledger, hotel, room, f, (int)days, n);
    if (le != LEDGER_OK)
        return ledger_fail(req, le);
    json_object *arr = json_object_new_array();
    for (long i = 0; i < days; i++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "date", date_json(n[i].date));
        json_object_object_add(o, "available", json_object_new_int(n[i].available));
        json_object_object_add(o, "total", json_object_new_int(n[i].total));
        json_object_object_add(o, "rate", json_object_new_int64(n[i].rate_minor));
        json_object_array_add(arr, o);
    }
    return control_json(req, 200, arr);
}

/* ------------------------------------------------------------ wiring -- */

opera_api_t *opera_api_new(const opera_api_config_t *cfg)
{
    opera_api_t *api = calloc(1, sizeof *api);
    if (!api)
        return NULL;
    api->ledger = cfg->ledger;
    api->faults = cfg->faults;
    api->seed_path = strdup(cfg->seed_path ? cfg->seed_path : "");
    api->username = strdup(cfg->username ? cfg->username : OPERA_DEFAULT_USERNAME);
    api->password = strdup(cfg->password ? cfg->password : OPERA_DEFAULT_PASSWORD);
    api->channel_code = strdup(cfg->channel_code ? cfg->channel_code : OPERA_DEFAULT_CHANNEL);
    api->client_id = strdup(cfg->client_id ? cfg->client_id : OPERA_DEFAULT_CLIENT_ID);
    api->client_secret =
        strdup(cfg->client_secret ? cfg->client_secret : OPERA_DEFAULT_CLIENT_SECRET);
    api->external_system =
        strdup(cfg->external_system ? cfg->external_system : OPERA_DEFAULT_EXTERNAL_SYSTEM);
    api->token_ttl_s = cfg->token_ttl_s > 0 ? cfg->token_ttl_s : OPERA_DEFAULT_TOKEN_TTL_S;
    api->session_ttl_s = cfg->session_ttl_s > 0 ? cfg->session_ttl_s : OPERA_DEFAULT_SESSION_TTL_S;
    pthread_mutex_init(&api->mu, NULL);
    if (!api->seed_path || !api->username || !api->password || !api->channel_code ||
        !api->client_id || !api->client_secret || !api->external_system) {
        opera_api_free(api);
        return NULL;
    }
    return api;
}

void opera_api_free(opera_api_t *api)
{
    if (!api)
        return;
    for (size_t i = 0; i < api->committed_count; i++)
        free(api->committed[i]);
    free(api->committed);
    free(api->seed_path);
    if (api->password)
        crypto_wipe(api->password, strlen(api->password));
    free(api->username);
    free(api->password);
    free(api->channel_code);
    if (api->client_secret)
        crypto_wipe(api->client_secret, strlen(api->client_secret));
    free(api->client_id);
    free(api->client_secret);
    free(api->external_system);
    free(api->events);
    pthread_mutex_destroy(&api->mu);
    free(api);
}

int opera_api_routes(opera_api_t *api, http_server_t *srv)
{
    static const http_route_t routes[] = {
        {"POST", "/hdpba/oauth2/v1/token", AUTH_RULE_OPEN, handle_token},
        {"GET", "/content/v1/hotels/:hotelCode", AUTH_RULE_OPEN, handle_property},
        {"GET", "/content/v1/hotels/:hotelCode/roomTypes", AUTH_RULE_OPEN, handle_room_types},
        {"GET", "/shop/v1/hotels/:hotelCode/offers", AUTH_RULE_OPEN, handle_offers},
        {"GET", "/shop/v1/hotels/:hotelCode/calendar", AUTH_RULE_OPEN, handle_calendar},
        {"POST", "/book/v1/hotels/:hotelCode/reservations", AUTH_RULE_OPEN, handle_create},
        {"GET", "/book/v1/hotels/:hotelCode/reservations/:confirmationNum", AUTH_RULE_OPEN,
         handle_get},
        {"POST", "/book/v1/hotels/:hotelCode/reservations/:confirmationNum/status", AUTH_RULE_OPEN,
         handle_status},
        {"POST", "/book/v1/hotels/:hotelCode/reservations/:confirmationNum/cancellations",
         AUTH_RULE_OPEN, handle_cancel},
        {"GET", "/distribution/v1/hotels/:hotelCode/reservations", AUTH_RULE_OPEN, handle_find},
        {"POST", "/oauth/v1/tokens", AUTH_RULE_OPEN, handle_property_token},
        {"GET", "/int/v1/externalSystem/:extSystemCode/hotels/:hotelId/businessEvents",
         AUTH_RULE_OPEN, handle_business_events},
        {"POST", "/_sandbox/reset", AUTH_RULE_OPEN, handle_reset},
        {"GET", "/_sandbox/behaviour", AUTH_RULE_OPEN, handle_behaviour_get},
        {"POST", "/_sandbox/behaviour", AUTH_RULE_OPEN, handle_behaviour_post},
        {"POST", "/_sandbox/tokens/expire", AUTH_RULE_OPEN, handle_tokens_expire},
        {"GET", "/_sandbox/stats", AUTH_RULE_OPEN, handle_stats},
        {"GET", "/_sandbox/ledger", AUTH_RULE_OPEN, handle_ledger},
        {"GET", "/_sandbox/inventory", AUTH_RULE_OPEN, handle_inventory},
        {"POST", "/_sandbox/frontdesk/book", AUTH_RULE_OPEN, handle_frontdesk_book},
        {"POST", "/_sandbox/frontdesk/cancel", AUTH_RULE_OPEN, handle_frontdesk_cancel},
        {"POST", "/_sandbox/frontdesk/modify", AUTH_RULE_OPEN, handle_frontdesk_modify},
        {"POST", "/_sandbox/frontdesk/availability", AUTH_RULE_OPEN,
         handle_frontdesk_availability},
        {"POST", "/_sandbox/frontdesk/restrictions", AUTH_RULE_OPEN, handle_frontdesk_restrictions},
        {"POST", "/_sandbox/sessions/purge", AUTH_RULE_OPEN, handle_purge},
    };
    if (http_server_routes(srv, routes, sizeof routes / sizeof routes[0], api) != 0)
        return -1;
    return sandbox_faults_routes(api->faults, srv);
}
