/*
 * control.c — the /_sandbox/ control endpoints (see control.h).
 */
#include "control.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dates.h"
#include "common/json.h"
#include "common/log.h"
#include "common/money.h"
#include "money_json.h"

#define FIELD_ID_MAX_LEN 64
#define DEFAULT_INVENTORY_DAYS 30
#define ERROR_CODE "VALIDATION_ERROR"
/* Guests of one kind a desk booking may name (the desk decides; the API checks occupancy). */
#define DESK_MAX_GUESTS 20

struct control {
    ledger_t *ledger;
    webhooks_t *webhooks;
    sandbox_faults_t *faults;
    api_limits_t *limits;
    char *seed_path;
    /* taxes and fees set per hotel since the last reset: {propertyID: list},
     * applied over the seed file whenever it is loaded again */
    pthread_mutex_t taxes_mu;
    json_object *taxes;
};

/* ----------------------------------------------------------- helpers -- */

static int respond_json(http_request_t *req, int status, json_object *o)
{
    int rc = http_respond_json(req, status, o);
    json_object_put(o);
    return rc;
}

static int bad_field(http_request_t *req, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad_field(http_request_t *req, const char *field, const char *fmt, ...)
{
    char message[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return http_respond_error(req, 400, ERROR_CODE, field, message);
}

static json_object *date_json(dates_day_t day)
{
    char text[DATES_ISO_LEN + 1];
    dates_format_iso(day, text);
    return json_object_new_string(text);
}

static json_object *time_json(int64_t unix_ms)
{
    char text[DATES_RFC3339_LEN + 1];
    dates_format_rfc3339(unix_ms, text);
    return json_object_new_string(text);
}

/* A required date field of a JSON body. 0, or -1 after answering 400. */
static int body_date(http_request_t *req, json_object *body, const char *field, dates_day_t *out)
{
    const char *text = NULL;
    json_error_t err;
    if (json_get_string(body, field, true, 1, 32, &text, &err) != 0) {
        bad_field(req, err.field, "%s", err.message);
        return -1;
    }
    if (dates_parse_iso(text, out) != 0) {
        bad_field(req, field, "%s must be a date YYYY-MM-DD", field);
        return -1;
    }
    return 0;
}

static int body_id(http_request_t *req, json_object *body, const char *field, bool required,
                   const char **out)
{
    json_error_t err;
    if (json_get_string(body, field, required, 1, FIELD_ID_MAX_LEN, out, &err) != 0) {
        bad_field(req, err.field, "%s", err.message);
        return -1;
    }
    return 0;
}

/* Answers a ledger error of a front-desk call with the field it concerns. */
static int ledger_failure(control_t *ctl, http_request_t *req, ledger_err_t rc, const char *what)
{
    dates_day_t first, last;
    char from[DATES_ISO_LEN + 1], to[DATES_ISO_LEN + 1];
    switch (rc) {
    case LEDGER_ERR_NO_PROPERTY:
        return http_respond_error(req, 404, "NOT_FOUND", "propertyID", "no such property");
    case LEDGER_ERR_NO_ROOM_TYPE:
        return http_respond_error(req, 404, "NOT_FOUND", "roomTypeID",
                                  "no such room type in this property");
    case LEDGER_ERR_NO_RESERVATION:
        return http_respond_error(req, 404, "NOT_FOUND", "reservationID", "no such reservation");
    case LEDGER_ERR_OUT_OF_RANGE:
        ledger_window(ctl->ledger, &first, &last);
        dates_format_iso(first, from);
        dates_format_iso(last, to);
        return bad_field(req, "from", "from..to must lie within the inventory, %s..%s", from, to);
    case LEDGER_ERR_CANCELED:
        return http_respond_error(req, 409, "CONFLICT", "reservationID",
                                  "the reservation is canceled already");
    case LEDGER_ERR_INVALID:
        return bad_field(req, what, "%s is out of range", what);
    default:
        return http_respond_error(req, 500, "INTERNAL_ERROR", NULL, "out of memory");
    }
}

static json_object *reservation_summary_json(const ledger_reservation_t *r)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "reservationID", json_object_new_string(r->reservation_id));
    json_object_object_add(o, "propertyID", json_object_new_string(r->property_id));
    json_object_object_add(o, "roomTypeID", json_object_new_string(r->room_type_id));
    json_object_object_add(o, "quantity", json_object_new_int(r->quantity));
    json_object_object_add(o, "startDate", date_json(r->start));
    json_object_object_add(o, "endDate", date_json(r->end));
    json_object_object_add(o, "status", json_object_new_string(ledger_status_name(r->status)));
    json_object_object_add(o, "isHold", json_object_new_boolean(r->is_hold));
    json_object_object_add(o, "holdExpiresAt", r->is_hold ? time_json(r->hold_expires_ms) : NULL);
    json_object_object_add(o, "cancelReason",
                           r->status == LEDGER_CANCELED
                               ? json_object_new_string(ledger_cancel_reason_name(r->cancel_reason))
                               : NULL);
    json_object_object_add(o, "thirdPartyIdentifier",
                           *r->third_party_id ? json_object_new_string(r->third_party_id) : NULL);
    json_object_object_add(o, "grandTotal", money_json(r->grand_total_minor, r->currency));
    json_object_object_add(o, "currency", json_object_new_string(r->currency));
    json_object_object_add(o, "createdAt", time_json(r->created_ms));
    json_object_object_add(o, "updatedAt", time_json(r->updated_ms));
    return o;
}

/* ------------------------------------------------------------- reset -- */

/* The seed file with the taxes and fees set per hotel applied; NULL with a
 * reason in err. */
static seed_t *load_seed(control_t *ctl, char *err, size_t err_size)
{
    seed_t *seed = seed_load_file(ctl->seed_path, err, err_size);
    pthread_mutex_lock(&ctl->taxes_mu);
    json_object_object_foreach(ctl->taxes, hotel, list)
    {
        if (seed && seed_set_hotel_taxes(seed, hotel, list, err, err_size) != 0) {
            seed_unref(seed);
            seed = NULL;
        }
    }
    pthread_mutex_unlock(&ctl->taxes_mu);
    return seed;
}

int control_reset(control_t *ctl, char *err, size_t err_size)
{
    pthread_mutex_lock(&ctl->taxes_mu);
    json_object_put(ctl->taxes);
    ctl->taxes = json_object_new_object();
    pthread_mutex_unlock(&ctl->taxes_mu);
    seed_t *seed = load_seed(ctl, err, err_size);
    if (!seed)
        return -1;
    if (ledger_reload(ctl->ledger, seed, ledger_default_first_day()) != LEDGER_OK) {
        snprintf(err, err_size, "out of memory");
        seed_unref(seed);
        return -1;
    }
    webhooks_reset(ctl->webhooks, seed);
    sandbox_faults_clear(ctl->faults);
    api_limits_reset(ctl->limits);
    seed_unref(seed);
    log_info("sandbox reset: seed reloaded, reservations, faults, webhooks and request counters "
             "cleared");
    return 0;
}

static int handle_reset(http_request_t *req, void *ctx)
{
    control_t *ctl = ctx;
    char err[256];
    if (control_reset(ctl, err, sizeof err) != 0)
        return http_respond_error(req, 500, "SEED_UNAVAILABLE", NULL, err);
    dates_day_t first, last;
    ledger_window(ctl->ledger, &first, &last);
    seed_t *seed = ledger_seed(ctl->ledger);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "reset", json_object_new_boolean(1));
    json_object_object_add(o, "hotels", json_object_new_int((int)seed_hotel_count(seed)));
    json_object_object_add(o, "firstNight", date_json(first));
    json_object_object_add(o, "lastNight", date_json(last));
    seed_unref(seed);
    return respond_json(req, 200, o);
}

/* POST /_sandbox/frontdesk/taxes {"propertyID", "taxesAndFees": [...]}:
 * the hotel's taxes and fees become these entries, in getTaxesAndFees' own
 * shape (every amountType Cloudbeds defines), until the next reset. The
 * seed is loaded again with them, so reservations and holds are cleared,
 * as on a reset (set them before booking). */
static int handle_set_taxes(http_request_t *req, void *ctx)
{
    control_t *ctl = ctx;
    json_object *body = http_request_json_object(req), *list = NULL;
    if (!body)
        return 0;
    const char *property = NULL;
    json_error_t je;
    int rc;
    if (json_get_string(body, "propertyID", true, 1, FIELD_ID_MAX_LEN, &property, &je) != 0) {
        rc = bad_field(req, "propertyID", "%s", je.message);
    } else if (!json_object_object_get_ex(body, "taxesAndFees", &list) ||
               !json_object_is_type(list, json_type_array)) {
        rc = bad_field(req, "taxesAndFees", "taxesAndFees must be a list");
    } else {
        char err[256];
        seed_t *seed = seed_load_file(ctl->seed_path, err, sizeof err);
        int bad = !seed || seed_set_hotel_taxes(seed, property, list, err, sizeof err) != 0;
        seed_unref(seed);
        if (bad) {
            rc = bad_field(req, "taxesAndFees", "%s", err);
        } else {
            pthread_mutex_lock(&ctl->taxes_mu);
            json_object_object_add(ctl->taxes, property, json_object_get(list));
            pthread_mutex_unlock(&ctl->taxes_mu);
            seed = load_seed(ctl, err, sizeof err);
            if (!seed ||
                ledger_reload(ctl->ledger, seed, ledger_default_first_day()) != LEDGER_OK) {
                rc = http_respond_error(req, 500, "SEED_UNAVAILABLE", NULL,
                                        seed ? "out of memory" : err);
            } else {
                webhooks_reset(ctl->webhooks, seed);
                json_object *o = json_object_new_object();
                json_object_object_add(o, "propertyID", json_object_new_string(property));
                json_object_object_add(o, "taxesAndFees", json_object_get(list));
                rc = respond_json(req, 200, o);
            }
            seed_unref(seed);
        }
    }
    json_object_put(body);
    return rc;
}

/* ------------------------------------------------------ ledger, view -- */

static int handle_ledger(http_request_t *req, void *ctx)
{
    control_t *ctl = ctx;
    const char *property = http_request_query(req, "propertyID");
    ledger_reservation_t *list = NULL;
    size_t count = 0;
    ledger_err_t rc =
        ledger_list(ctl->ledger, property && *property ? property : NULL, &list, &count);
    if (rc != LEDGER_OK)
        return ledger_failure(ctl, req, rc, "propertyID");
    json_object *arr = json_object_new_array();
    int open_holds = 0, confirmed = 0, canceled = 0;
    for (size_t i = 0; i < count; i++) {
        json_object_array_add(arr, reservation_summary_json(&list[i]));
        open_holds += list[i].status == LEDGER_NOT_CONFIRMED;
        confirmed += list[i].status == LEDGER_CONFIRMED;
        canceled += list[i].status == LEDGER_CANCELED;
    }
    free(list);
    json_object *summary = json_object_new_object();
    json_object_object_add(summary, "openHolds", json_object_new_int(open_holds));
    json_object_object_add(summary, "confirmed", json_object_new_int(confirmed));
    json_object_object_add(summary, "canceled", json_object_new_int(canceled));
    json_object *o = json_object_new_object();
    json_object_object_add(o, "reservations", arr);
    json_object_object_add(o, "summary", summary);
    return respond_json(req, 200, o);
}

/* A query date, or `def` when absent. 0, or -1 after answering 400. */
static int query_date(http_request_t *req, const char *name, dates_day_t def, dates_day_t *out)
{
    const char *text = http_request_query(req, name);
    *out = def;
    if (text && *text && dates_parse_iso(text, out) != 0) {
        bad_field(req, name, "%s must be a date YYYY-MM-DD", name);
        return -1;
    }
    return 0;
}

static int handle_inventory(http_request_t *req, void *ctx)
{
    control_t *ctl = ctx;
    const char *property = http_request_query(req, "propertyID");
    const char *room_type = http_request_query(req, "roomTypeID");
    if (!property || !*property)
        return bad_field(req, "propertyID", "propertyID is required");
    if (!room_type || !*room_type)
        return bad_field(req, "roomTypeID", "roomTypeID is required");
    dates_day_t first_night, last_night, from, to;
    ledger_window(ctl->ledger, &first_night, &last_night);
    if (query_date(req, "from", first_night, &from) != 0 ||
        query_date(req, "to", from + DEFAULT_INVENTORY_DAYS - 1, &to) != 0)
        return 0;
    if (to < from)
        return bad_field(req, "to", "to must not be before from");
    if (to - from + 1 > LEDGER_INVENTORY_DAYS)
        return bad_field(req, "to", "at most %d days at a time", LEDGER_INVENTORY_DAYS);
    ledger_night_t *nights = calloc((size_t)(to - from + 1), sizeof *nights);
    if (!nights)
        return http_respond_error(req, 500, "INTERNAL_ERROR", NULL, "out of memory");
    ledger_err_t rc =
        ledger_get_nights(ctl->ledger, property, room_type, from, (int)(to - from + 1), nights);
    if (rc != LEDGER_OK) {
        free(nights);
        return ledger_failure(ctl, req, rc, "from");
    }
    seed_t *seed = ledger_seed(ctl->ledger);
    const seed_hotel_t *hotel = seed_find_hotel(seed, property);
    const char *currency = hotel ? hotel->currency_code : "";
    json_object *arr = json_object_new_array();
    for (int i = 0; i <= to - from; i++) {
        json_object *n = json_object_new_object();
        json_object_object_add(n, "date", date_json(nights[i].date));
        json_object_object_add(n, "available", json_object_new_int(nights[i].available));
        json_object_object_add(n, "total", json_object_new_int(nights[i].total));
        json_object_object_add(n, "rate", money_json(nights[i].rate_minor, currency));
        json_object_array_add(arr, n);
    }
    seed_unref(seed);
    free(nights);
    return respond_json(req, 200, arr);
}

/* -------------------------------------------------------- front desk -- */

/* propertyID, roomTypeID, from, to of a front-desk body. */
typedef struct desk_range {
    const char *property;
    const char *room_type;
    dates_day_t from;
    dates_day_t to;
} desk_range_t;

static int read_desk_range(http_request_t *req, json_object *body, desk_range_t *r)
{
    if (body_id(req, body, "propertyID", true, &r->property) != 0 ||
        body_id(req, body, "roomTypeID", true, &r->room_type) != 0 ||
        body_date(req, body, "from", &r->from) != 0 || body_date(req, body, "to", &r->to) != 0)
        return -1;
    if (r->to < r->from) {
        bad_field(req, "to", "to must not be before from");
        return -1;
    }
    return 0;
}

/* Logs a front-desk change of a range (`what`) and answers
 * {"updated":true,"nights":N}. */
static int respond_range_updated(http_request_t *req, const desk_range_t *r, const char *what)
{
    log_kv(LOG_LEVEL_INFO, what, "propertyID", r->property, "roomTypeID", r->room_type, NULL);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "updated", json_object_new_boolean(1));
    json_object_object_add(o, "nights", json_object_new_int((int)(r->to - r->from + 1)));
    return respond_json(req, 200, o);
}

/* The units of a room type (0 when unknown). */
static int room_type_units(control_t *ctl, const char *property, const char *room_type)
{
    seed_t *seed = ledger_seed(ctl->ledger);
    const seed_room_type_t *rt =
        seed_find_room_type(seed_find_hotel(seed, property), room_type, NULL);
    int units = rt ? rt->units : 0;
    seed_unref(seed);
    return units;
}

static int handle_set_availability(http_request_t *req, void *ctx)
{
    control_t *ctl = ctx;
    json_object *body = http_request_json_object(req);
    if (!body)
        return 0;
    desk_range_t r;
    int64_t available = 0;
    json_error_t err;
    int rc = 0;
    if (read_desk_range(req, body, &r) != 0) {
        rc = 0;
    } else if (json_get_int64(body, "available", true, 0, SEED_MAX_UNITS, 0, &available, &err) !=
               0) {
        rc = bad_field(req, err.field, "%s", err.message);
    } else {
        ledger_err_t lr = ledger_set_availability(ctl->ledger, r.property, r.room_type, r.from,
                                                  r.to, (int)available);
        if (lr == LEDGER_ERR_INVALID) {
            rc = bad_field(req, "available", "available must be between 0 and %d (the units of %s)",
                           room_type_units(ctl, r.property, r.room_type), r.room_type);
        } else if (lr != LEDGER_OK) {
            rc = ledger_failure(ctl, req, lr, "available");
        } else {
            rc = respond_range_updated(req, &r, "front desk set availability");
        }
    }
    json_object_put(body);
    return rc;
}

/* The "rate" field in major units of the hotel's currency, as minor units. */
static int read_rate(control_t *ctl, http_request_t *req, json_object *body, const char *property,
                     int64_t *minor)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(body, "rate", &v)) {
        bad_field(req, "rate", "rate is required");
        return -1;
    }
    if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double)) {
        bad_field(req, "rate", "rate must be a number");
        return -1;
    }
    seed_t *seed = ledger_seed(ctl->ledger);
    const seed_hotel_t *hotel = seed_find_hotel(seed, property);
    const char *currency = hotel ? hotel->currency_code : "";
    int rc = money_from_double(json_object_get_double(v), currency, minor);
    if (!hotel)
        http_respond_error(req, 404, "NOT_FOUND", "propertyID", "no such property");
    else if (rc != 0)
        bad_field(req, "rate", "rate must be a non-negative amount of %s with at most %d decimals",
                  currency, hotel->currency_exponent);
    seed_unref(seed);
    return hotel && rc == 0 ? 0 : -1;
}

static int handle_set_rate(http_request_t *req, void *ctx)
{
    control_t *ctl = ctx;
    json_object *body = http_request_json_object(req);
    if (!body)
        return 0;
    desk_range_t r;
    int64_t rate = 0;
    int rc = 0;
    if (read_desk_range(req, body, &r) == 0 && read_rate(ctl, req, body, r.property, &rate) == 0) {
        ledger_err_t lr = ledger_set_rate(ctl->ledger, r.property, r.room_type, r.from, r.to, rate);
        rc = lr == LEDGER_OK ? respond_range_updated(req, &r, "front desk set rate")
                             : ledger_failure(ctl, req, lr, "rate");
    }
    json_object_put(body);
    return rc;
}

/* {"propertyID","roomTypeID","ratePlanID","from","to","blocked","closedToArrival",
 * "closedToDeparture","minLos","maxLos"}: replaces the plan's restrictions
 * of those nights (absent flags false, absent limits 0 = none). */
static int handle_set_restrictions(http_request_t *req, void *ctx)
{
    control_t *ctl = ctx;
    json_object *body = http_request_json_object(req);
    if (!body)
        return 0;
    desk_range_t r;
    const char *plan_id = NULL;
    int64_t min_los = 0, max_los = 0;
    bool blocked = false, cta = false, ctd = false;
    json_error_t err;
    int rc = 0, plan = -1;
    if (read_desk_range(req, body, &r) != 0 ||
        body_id(req, body, "ratePlanID", true, &plan_id) != 0) {
        rc = 0;
    } else if (json_get_bool(body, "blocked", false, false, &blocked, &err) != 0 ||
               json_get_bool(body, "closedToArrival", false, false, &cta, &err) != 0 ||
               json_get_bool(body, "closedToDeparture", false, false, &ctd, &err) != 0 ||
               json_get_int64(body, "minLos", false, 0, LEDGER_MAX_STAY_NIGHTS, 0, &min_los,
                              &err) != 0 ||
               json_get_int64(body, "maxLos", false, 0, LEDGER_MAX_STAY_NIGHTS, 0, &max_los,
                              &err) != 0) {
        rc = bad_field(req, err.field, "%s", err.message);
    } else {
        for (int i = 0; i < LEDGER_RATE_PLAN_COUNT; i++)
            if (strcmp(LEDGER_RATE_PLANS[i].id, plan_id) == 0)
                plan = i;
        ledger_restriction_t lr_rules = {.blocked = blocked,
                                         .closed_to_arrival = cta,
                                         .closed_to_departure = ctd,
                                         .min_los = (int)min_los,
                                         .max_los = (int)max_los};
        ledger_err_t lr = plan < 0 ? LEDGER_ERR_INVALID
                                   : ledger_set_restrictions(ctl->ledger, r.property, r.room_type,
                                                             plan, r.from, r.to, &lr_rules);
        if (plan < 0)
            rc = bad_field(req, "ratePlanID", "ratePlanID must be base, nr or bb");
        else if (lr != LEDGER_OK)
            rc = ledger_failure(ctl, req, lr, "ratePlanID");
        else
            rc = respond_range_updated(req, &r, "front desk set restrictions");
    }
    json_object_put(body);
    return rc;
}

/* Front desk: which settings the connector needs the property lacks
 * ({"propertyID","holdField":bool,"cash":bool}, absent = true). */
static int handle_set_setup(http_request_t *req, void *ctx)
{
    control_t *ctl = ctx;
    json_object *body = http_request_json_object(req);
    if (!body)
        return 0;
    const char *property = NULL;
    bool hold_field = true, cash = true;
    json_error_t err;
    int rc = 0;
    if (body_id(req, body, "propertyID", true, &property) != 0) {
        rc = 0;
    } else if (json_get_bool(body, "holdField", false, true, &hold_field, &err) != 0 ||
               json_get_bool(body, "cash", false, true, &cash, &err) != 0) {
        rc = bad_field(req, err.field, "%s", err.message);
    } else {
        ledger_setup_t setup = {.no_hold_field = !hold_field, .no_cash = !cash};
        ledger_err_t lr = ledger_set_setup(ctl->ledger, property, &setup);
        if (lr != LEDGER_OK) {
            rc = ledger_failure(ctl, req, lr, "propertyID");
        } else {
            json_object *o = json_object_new_object();
            json_object_object_add(o, "propertyID", json_object_new_string(property));
            json_object_object_add(o, "holdField", json_object_new_boolean(hold_field));
            json_object_object_add(o, "cash", json_object_new_boolean(cash));
            rc = respond_json(req, 200, o);
        }
    }
    json_object_put(body);
    return rc;
}

/* Shared by the front-desk cancel and the expire-now helper. */
static int handle_reservation_change(http_request_t *req, control_t *ctl, bool expire)
{
    json_object *body = http_request_json_object(req);
    if (!body)
        return 0;
    const char *property = NULL, *id = NULL;
    int rc = 0;
    if (body_id(req, body, "propertyID", !expire, &property) == 0 &&
        body_id(req, body, "reservationID", true, &id) == 0) {
        ledger_reservation_t r;
        ledger_err_t lr =
            expire ? ledger_expire_now(ctl->ledger, property, id, &r)
                   : ledger_cancel(ctl->ledger, property, id, LEDGER_CANCEL_FRONT_DESK, &r);
        if (lr == LEDGER_ERR_INVALID) {
            rc = http_respond_error(req, 409, "CONFLICT", "reservationID",
                                    "the reservation is not a live hold");
        } else if (lr != LEDGER_OK) {
            rc = ledger_failure(ctl, req, lr, "reservationID");
        } else {
            log_kv(LOG_LEVEL_INFO, expire ? "hold expired on request" : "front desk canceled",
                   "reservationID", r.reservation_id, "propertyID", r.property_id, NULL);
            rc = respond_json(req, 200, reservation_summary_json(&r));
        }
    }
    json_object_put(body);
    return rc;
}

/* The stay of a front-desk booking or change: startDate (first night) and endDate (check-out). */
static int read_stay(http_request_t *req, json_object *body, dates_day_t *start, dates_day_t *end)
{
    if (body_date(req, body, "startDate", start) != 0 || body_date(req, body, "endDate", end) != 0)
        return -1;
    if (*end <= *start) {
        bad_field(req, "endDate", "endDate must be after startDate");
        return -1;
    }
    return 0;
}

static int no_availability(http_request_t *req, dates_day_t night)
{
    char day[DATES_ISO_LEN + 1], msg[64];
    dates_format_iso(night, day);
    snprintf(msg, sizeof msg, "no room left on %s", day);
    return http_respond_error(req, 409, "CONFLICT", "startDate", msg);
}

/* {"propertyID","roomTypeID","startDate","endDate"[,"quantity"]}: a walk-in or phone booking
 * made at the desk (another channel: no third-party id) → rooms taken, booking_confirm. */
static int handle_frontdesk_book(http_request_t *req, void *ctx)
{
    control_t *ctl = ctx;
    json_object *body = http_request_json_object(req);
    if (!body)
        return 0;
    const char *property = NULL, *room = NULL;
    dates_day_t start = 0, end = 0, short_night = 0;
    int64_t quantity = 1, adults = 1, children = 0;
    json_error_t err;
    int rc = 0;
    if (body_id(req, body, "propertyID", true, &property) != 0 ||
        body_id(req, body, "roomTypeID", true, &room) != 0 ||
        read_stay(req, body, &start, &end) != 0) {
        rc = 0;
    } else if (json_get_int64(body, "quantity", false, 1, SEED_MAX_UNITS, 1, &quantity, &err) !=
                   0 ||
               json_get_int64(body, "adults", false, 1, DESK_MAX_GUESTS, 1, &adults, &err) != 0 ||
               json_get_int64(body, "children", false, 0, DESK_MAX_GUESTS, 0, &children, &err) !=
                   0) {
        rc = bad_field(req, err.field, "%s", err.message);
    } else {
        ledger_booking_t b = {.property_id = property,
                              .room_type_id = room,
                              .start = start,
                              .end = end,
                              .quantity = (int)quantity,
                              .adults = (int)adults,
                              .children = (int)children,
                              .guest_first_name = "Walk-in",
                              .guest_last_name = "Guest",
                              .guest_email = "",
                              .guest_country = "KR",
                              .payment_method = "cash"};
        ledger_reservation_t r;
        bool replayed = false;
        ledger_err_t lr = ledger_create(ctl->ledger, &b, &r, &replayed, &short_night);
        if (lr == LEDGER_ERR_NO_AVAILABILITY) {
            rc = no_availability(req, short_night);
        } else if (lr != LEDGER_OK) {
            rc = ledger_failure(ctl, req, lr, "endDate");
        } else {
            log_kv(LOG_LEVEL_INFO, "front desk booked", "reservationID", r.reservation_id,
                   "propertyID", r.property_id, NULL);
            rc = respond_json(req, 201, reservation_summary_json(&r));
        }
    }
    json_object_put(body);
    return rc;
}

/* {"propertyID","reservationID","startDate","endDate"[,"roomTypeID"]}: the desk moves a confirmed
 * reservation → the nights of both stays change, booking_confirm with the new stay. */
static int handle_frontdesk_modify(http_request_t *req, void *ctx)
{
    control_t *ctl = ctx;
    json_object *body = http_request_json_object(req);
    if (!body)
        return 0;
    const char *property = NULL, *id = NULL, *room = NULL;
    dates_day_t start = 0, end = 0, short_night = 0;
    int rc = 0;
    if (body_id(req, body, "propertyID", true, &property) == 0 &&
        body_id(req, body, "reservationID", true, &id) == 0 &&
        body_id(req, body, "roomTypeID", false, &room) == 0 &&
        read_stay(req, body, &start, &end) == 0) {
        ledger_reservation_t r = {0};
        ledger_err_t lr =
            ledger_modify(ctl->ledger, property, id, room, start, end, &r, &short_night);
        if (lr == LEDGER_ERR_NO_AVAILABILITY)
            rc = no_availability(req, short_night);
        else if (lr == LEDGER_ERR_INVALID && r.status == LEDGER_NOT_CONFIRMED)
            rc = http_respond_error(req, 409, "CONFLICT", "reservationID",
                                    "only a confirmed reservation can be changed");
        else if (lr != LEDGER_OK)
            rc = ledger_failure(ctl, req, lr, "endDate");
        else {
            log_kv(LOG_LEVEL_INFO, "front desk changed a stay", "reservationID", r.reservation_id,
                   "propertyID", r.property_id, NULL);
            rc = respond_json(req, 200, reservation_summary_json(&r));
        }
    }
    json_object_put(body);
    return rc;
}

static int handle_frontdesk_cancel(http_request_t *req, void *ctx)
{
    return handle_reservation_change(req, ctx, false);
}

static int handle_expire_now(http_request_t *req, void *ctx)
{
    return handle_reservation_change(req, ctx, true);
}

/* ---------------------------------------------------------- webhooks -- */

static int handle_webhook_switch(http_request_t *req, void *ctx)
{
    control_t *ctl = ctx;
    json_object *body = http_request_json_object(req);
    if (!body)
        return 0;
    const char *property = NULL;
    bool enabled = true;
    json_error_t err;
    int rc = 0;
    if (body_id(req, body, "propertyID", true, &property) != 0)
        rc = 0;
    else if (json_get_bool(body, "enabled", true, true, &enabled, &err) != 0)
        rc = bad_field(req, err.field, "%s", err.message);
    else if (webhooks_set_enabled(ctl->webhooks, property, enabled) != 0)
        rc = http_respond_error(req, 404, "NOT_FOUND", "propertyID", "no such property");
    else {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "propertyID", json_object_new_string(property));
        json_object_object_add(o, "enabled", json_object_new_boolean(enabled));
        rc = respond_json(req, 200, o);
    }
    json_object_put(body);
    return rc;
}

static int handle_deliveries(http_request_t *req, void *ctx)
{
    control_t *ctl = ctx;
    return respond_json(req, 200, webhooks_deliveries_json(ctl->webhooks));
}

/* --------------------------------------------------- limits, stats -- */

static json_object *limits_json(control_t *ctl)
{
    double per_second = 0, burst = 0;
    api_limits_get(ctl->limits, &per_second, &burst);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "perSecond", json_object_new_double(per_second));
    json_object_object_add(o, "burst", json_object_new_double(burst));
    return o;
}

static int handle_limits_get(http_request_t *req, void *ctx)
{
    control_t *ctl = ctx;
    return respond_json(req, 200, limits_json(ctl));
}

/* {"perSecond":n[,"burst":m]}: n = 0 turns the limit off; burst defaults to n. */
static int handle_limits_set(http_request_t *req, void *ctx)
{
    control_t *ctl = ctx;
    json_object *body = http_request_json_object(req);
    if (!body)
        return 0;
    int64_t per_second = 0, burst = 0;
    json_error_t err;
    int rc;
    if (json_get_int64(body, "perSecond", true, 0, API_LIMITS_MAX_PER_SECOND, 0, &per_second,
                       &err) != 0 ||
        json_get_int64(body, "burst", false, 1, API_LIMITS_MAX_BURST, 0, &burst, &err) != 0) {
        rc = bad_field(req, err.field, "%s", err.message);
    } else {
        api_limits_set(ctl->limits, (double)per_second, (double)burst);
        char text[32];
        snprintf(text, sizeof text, "%lld", (long long)per_second);
        log_kv(LOG_LEVEL_INFO, "request limit set", "perSecond", text, NULL);
        rc = respond_json(req, 200, limits_json(ctl));
    }
    json_object_put(body);
    return rc;
}

static int handle_stats_get(http_request_t *req, void *ctx)
{
    control_t *ctl = ctx;
    const char *property = http_request_query(req, "propertyID");
    if (property && strlen(property) > FIELD_ID_MAX_LEN)
        return bad_field(req, "propertyID", "propertyID is longer than %d characters",
                         FIELD_ID_MAX_LEN);
    json_object *o = api_limits_stats_json(ctl->limits, property && *property ? property : NULL);
    if (!o)
        return http_respond_error(req, 500, "INTERNAL_ERROR", NULL, "out of memory");
    return respond_json(req, 200, o);
}

static int handle_stats_clear(http_request_t *req, void *ctx)
{
    control_t *ctl = ctx;
    api_limits_clear_stats(ctl->limits);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "cleared", json_object_new_boolean(1));
    return respond_json(req, 200, o);
}

/* --------------------------------------------------------- lifecycle -- */

control_t *control_new(const control_config_t *cfg)
{
    control_t *ctl = calloc(1, sizeof *ctl);
    if (!ctl)
        return NULL;
    ctl->ledger = cfg->ledger;
    ctl->webhooks = cfg->webhooks;
    ctl->faults = cfg->faults;
    ctl->limits = cfg->limits;
    ctl->seed_path = strdup(cfg->seed_path);
    ctl->taxes = json_object_new_object();
    if (!ctl->seed_path || !ctl->taxes) {
        free(ctl->seed_path);
        json_object_put(ctl->taxes);
        free(ctl);
        return NULL;
    }
    pthread_mutex_init(&ctl->taxes_mu, NULL);
    return ctl;
}

void control_free(control_t *ctl)
{
    if (!ctl)
        return;
    free(ctl->seed_path);
    json_object_put(ctl->taxes);
    pthread_mutex_destroy(&ctl->taxes_mu);
    free(ctl);
}

int control_routes(control_t *ctl, http_server_t *srv)
{
    static const struct {
        const char *method;
        const char *path;
        http_handler_fn fn;
    } routes[] = {
        {"POST", CONTROL_PREFIX "/reset", handle_reset},
        {"GET", CONTROL_PREFIX "/ledger", handle_ledger},
        {"GET", CONTROL_PREFIX "/inventory", handle_inventory},
        {"POST", CONTROL_PREFIX "/frontdesk/availability", handle_set_availability},
        {"POST", CONTROL_PREFIX "/frontdesk/rate", handle_set_rate},
        {"POST", CONTROL_PREFIX "/frontdesk/restrictions", handle_set_restrictions},
        {"POST", CONTROL_PREFIX "/frontdesk/book", handle_frontdesk_book},
        {"POST", CONTROL_PREFIX "/frontdesk/modify", handle_frontdesk_modify},
        {"POST", CONTROL_PREFIX "/frontdesk/cancel", handle_frontdesk_cancel},
        {"POST", CONTROL_PREFIX "/frontdesk/setup", handle_set_setup},
        {"POST", CONTROL_PREFIX "/frontdesk/taxes", handle_set_taxes},
        {"POST", CONTROL_PREFIX "/webhooks", handle_webhook_switch},
        {"GET", CONTROL_PREFIX "/webhooks/deliveries", handle_deliveries},
        {"POST", CONTROL_PREFIX "/holds/expire-now", handle_expire_now},
        {"GET", CONTROL_PREFIX "/limits", handle_limits_get},
        {"POST", CONTROL_PREFIX "/limits", handle_limits_set},
        {"GET", CONTROL_PREFIX "/stats", handle_stats_get},
        {"DELETE", CONTROL_PREFIX "/stats", handle_stats_clear},
    };
    for (size_t i = 0; i < sizeof routes / sizeof *routes; i++)
        if (http_server_route(srv, routes[i].method, routes[i].path, AUTH_RULE_OPEN, routes[i].fn,
                              ctl) != 0)
            return -1;
    return sandbox_faults_routes(ctl->faults, srv);
}
