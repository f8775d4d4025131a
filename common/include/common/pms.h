/*
 * pms.h — the PMS connector: one interface over the hotels' property
 * management systems (the ledger of record for inventory and reservations),
 * a factory by vendor name, per-hotel credentials, and the resilience every
 * call goes through.
 *
 * Usage:
 *     pms_config_t cfg = PMS_CONFIG_DEFAULT;
 *     cfg.base_url = "http://127.0.0.1:8091";            // the sandbox; prod:
 * https://api.cloudbeds.com pms_connector_t *pms = pms_connector_new("cloudbeds", &cfg, err, sizeof
 * err); pms_nights_t nights; pms_error_t e; if (pms_get_inventory(pms, "hotel_123", "room_456",
 * first, 30, &nights, &e) == PMS_OK)
 *         ... nights.items[i].available / .total ...
 *     pms_nights_free(&nights);
 *
 * Every vendor HTTP request goes through, in this order: the hotel's request
 * budget (pms_budget.h: the vendor's published limit by default — Cloudbeds:
 * 5 requests a second per property — shared by all replicas through Redis;
 * checkouts wait their turn, background reads yield), the (vendor, hotel)
 * circuit breaker (5 consecutive failures → OPEN 60 s → HALF_OPEN, 2 successes
 * → CLOSED), and retry with exponential backoff and full jitter for retryable
 * failures only (timeouts, connection errors, 5xx, 429 honouring Retry-After).
 * Answers that are the PMS saying "no" (not found, no availability, rejected,
 * auth) count as successes for the breaker: the PMS is up.
 *
 * Create hold is not retried after a timeout or a 5xx (the vendor may have
 * made the hold; a blind retry could make a second one): the connector looks
 * the hold up by the request's reference instead and returns it when it
 * exists (pms_find_reservation).
 *
 * Holds: a short-lived claim on rooms for a stay (the saga's hold step). How a
 * vendor implements it is the vendor file's business (Cloudbeds: a
 * reservation in "not_confirmed" state tagged with its expiry — see
 * cloudbeds.c); callers see create / release / confirm. Release of a hold
 * that is already released or expired is a success (compensations must be
 * safe to repeat); confirm of an expired hold fails with PMS_ERR_CONFLICT and
 * is never turned into a reservation.
 *
 * Dates: a stay is [check_in, check_out); a range of nights is first + count.
 * Money: exact integers in the currency's minor unit (money.h).
 * Credentials: per hotel, from key_fn (default: env PMS_<hotelId>_API_KEY,
 * see pms_key_from_env); never logged.
 * Thread-safety: a connector is shared by all threads of a service.
 * Ownership: result structs own their memory; free them with their _free.
 */
#ifndef COMMON_PMS_H
#define COMMON_PMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/breaker.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/dates.h"
#include "common/pms_budget.h"
#include "common/retry.h"

#define PMS_ID_MAX 64
#define PMS_MAX_NIGHTS 400
/* Bounds of a reservation's party and rooms as read from a PMS answer (the
 * answer is untrusted; beyond them the PMS is taken not to have said). */
#define PMS_MAX_PARTY 100
#define PMS_MAX_RESERVATION_ROOMS 100
#define PMS_DEFAULT_TIMEOUT_MS 5000
#define PMS_DEFAULT_HOLD_TTL_S 180

typedef enum {
    PMS_OK = 0,
    PMS_ERR_NOT_FOUND,       /* hotel, room type, hold or reservation unknown to the PMS */
    PMS_ERR_NO_AVAILABILITY, /* not enough rooms on some night of the stay */
    PMS_ERR_CONFLICT,        /* its state forbids it (e.g. confirming an expired hold) */
    PMS_ERR_REJECTED,        /* the PMS refused the request as invalid */
    PMS_ERR_AUTH,            /* no credentials for the hotel, or the PMS refused them */
    PMS_ERR_RATE_LIMITED,    /* 429 after retries, or the hotel's budget spent beyond the wait */
    PMS_ERR_UNAVAILABLE,     /* circuit open: the call was not attempted */
    PMS_ERR_TRANSIENT,       /* timeout, connection failure, 5xx — after the retries */
    PMS_ERR_PROTOCOL,        /* an answer we could not understand */
    PMS_ERR_INVALID,         /* the caller's arguments; nothing was sent */
} pms_err_t;

typedef struct pms_error {
    pms_err_t code;
    int http_status; /* of the last attempt; 0 when none */
    int attempts;    /* HTTP requests made for the failing step */
    char message[256];
    /* When trying again makes sense, in ms from now; 0 = unknown. Set for
     * PMS_ERR_RATE_LIMITED (the hotel's budget: the wait for the next slot;
     * the vendor's 429: its Retry-After) and PMS_ERR_UNAVAILABLE (until the
     * breaker lets a trial through, when the breaker says). */
    int64_t retry_after_ms;
} pms_error_t;

typedef struct pms_hotel {
    char id[PMS_ID_MAX];
    char name[256];
    char address[256];
    char city[128];
    char country[64];
    double latitude, longitude;
    char currency[4];
    char timezone[64];
} pms_hotel_t;

typedef struct pms_room_type {
    char id[PMS_ID_MAX];
    char name[256];
    int max_occupancy;
    /* Guests the room's rate includes (Cloudbeds' adultsIncluded,
     * childrenIncluded); more cost extra where the PMS prices occupancy.
     * 0 = not stated. */
    int adults_included, children_included;
    int total_rooms;
    char **photos; /* image URLs */
    size_t photo_count;
} pms_room_type_t;

typedef struct pms_room_types {
    pms_room_type_t *items;
    size_t count;
} pms_room_types_t;

/* Taxes and fees on one night of one room, as the PMS states them. An item
 * `inclusive` is already part of the rate (a KRW rate with its 10% VAT in
 * it): it is shown, never added again. `total` is what the guest pays for
 * the night, all in: the rate plus every item that is not inclusive. A night
 * whose PMS stated nothing has count 0 and total 0: its rate is all it costs
 * (pms_night_all_in). */
#define PMS_MAX_TAX_ITEMS 8
#define PMS_TAX_NAME_MAX 48

/* What an item is charged on. Only PMS_TAX_PER_NIGHT items are in a night's
 * `total`: the others depend on the party or are charged once per stay, and
 * are added for the whole stay by pms_stay_charges (each night lists them,
 * so whichever night a stay starts on carries them). */
typedef enum pms_tax_basis {
    PMS_TAX_PER_NIGHT = 0,    /* `amount` per room night */
    PMS_TAX_PER_PERSON_NIGHT, /* amount_adult / amount_child per guest per night */
    PMS_TAX_PER_ROOM_STAY,    /* `amount` once per room per stay */
    PMS_TAX_PER_STAY,         /* `amount` once per reservation, whatever its rooms */
} pms_tax_basis_t;

typedef struct pms_tax_item {
    char name[PMS_TAX_NAME_MAX];
    bool fee;       /* a fee, else a tax */
    bool inclusive; /* already in the rate */
    int64_t amount; /* minor units of the night's currency, one room (see basis) */
    pms_tax_basis_t basis;
    /* A fee no tax of the hotel is charged on (Cloudbeds: no tax lists it in
     * feesCharged): the tax-free part of the price, as a payment provider
     * that splits taxable from tax-free wants it (Toss' taxFreeAmount). */
    bool tax_free;
    /* PMS_TAX_PER_PERSON_NIGHT: per adult and per child for one night, on
     * the stay's first max_nights nights (0 = every night); amount is 0 */
    int64_t amount_adult, amount_child;
    int max_nights;
} pms_tax_item_t;

typedef struct pms_night_taxes {
    int count;
    pms_tax_item_t items[PMS_MAX_TAX_ITEMS];
    int64_t total; /* all in; 0 when the PMS stated nothing */
} pms_night_taxes_t;

/* What the night costs the guest, all in (the rate when no taxes were stated). */
static inline int64_t pms_night_all_in(int64_t rate, const pms_night_taxes_t *t)
{
    return t && t->total > 0 ? t->total : rate;
}

/* The part of the night's all-in price that is tax (items of type tax
 * charged per room night, inclusive or not); fees are not counted. */
static inline int64_t pms_night_tax_amount(const pms_night_taxes_t *t)
{
    int64_t sum = 0;
    for (int i = 0; t && i < t->count; i++)
        if (!t->items[i].fee && t->items[i].basis == PMS_TAX_PER_NIGHT)
            sum += t->items[i].amount;
    return sum;
}

/* The part of the night's all-in price that is tax-free (tax-free items
 * charged per room night, inclusive or not). */
static inline int64_t pms_night_tax_free_amount(const pms_night_taxes_t *t)
{
    int64_t sum = 0;
    for (int i = 0; t && i < t->count; i++)
        if (t->items[i].tax_free && t->items[i].basis == PMS_TAX_PER_NIGHT)
            sum += t->items[i].amount;
    return sum;
}

/* The charges of a stay that are not per room night, for the party in
 * `rooms` rooms: every per-person item of each night (night i of the stay
 * is nights[i]; an item past its max_nights is not charged) for the whole
 * party, and the first night's per-stay items (per room × rooms, per
 * reservation once). *amount is what they add to the nights' totals (items
 * not inclusive), *tax the part that is tax (inclusive or not). */
typedef struct pms_stay_charges {
    int64_t amount;
    int64_t tax;
    int64_t tax_free; /* the part of amount of tax-free items */
} pms_stay_charges_t;
static inline pms_stay_charges_t pms_stay_charges(const pms_night_taxes_t *const *nights, int count,
                                                  int rooms, int adults, int children)
{
    pms_stay_charges_t c = {0, 0, 0};
    for (int n = 0; n < count; n++) {
        const pms_night_taxes_t *t = nights[n];
        for (int i = 0; t && i < t->count; i++) {
            const pms_tax_item_t *it = &t->items[i];
            int64_t a = 0;
            if (it->basis == PMS_TAX_PER_PERSON_NIGHT &&
                (it->max_nights <= 0 || n < it->max_nights))
                a = it->amount_adult * adults + it->amount_child * children;
            else if (it->basis == PMS_TAX_PER_ROOM_STAY && n == 0)
                a = it->amount * rooms;
            else if (it->basis == PMS_TAX_PER_STAY && n == 0)
                a = it->amount;
            if (!it->inclusive)
                c.amount += a;
            if (!it->fee)
                c.tax += a;
            if (it->tax_free)
                c.tax_free += a;
        }
    }
    return c;
}

/* The wire names of pms_tax_basis_t ("night", "person_night", "room_stay",
 * "stay") and back (-1 for an unknown name). */
const char *pms_tax_basis_name(pms_tax_basis_t b);
int pms_tax_basis_parse(const char *name);

/* One night of one room type. `rate` is the price of that night in minor
 * units of `currency` (0 and currency "" when the call did not ask for it).
 * A vendor that never tells how many rooms are free (OPERA's Shop answers
 * "available or not") sets count_unknown: then available is 1 for "bookable,
 * count unknown" or 0 for "not bookable", and total is 0 (unknown) — never
 * an invented number. */
typedef struct pms_night {
    dates_day_t date;
    int available;
    int total;
    int64_t rate;
    bool count_unknown;
    pms_night_taxes_t taxes; /* with the rate, when the vendor states them */
} pms_night_t;

typedef struct pms_nights {
    pms_night_t *items;
    size_t count;
    char currency[4];
} pms_nights_t;

/* A rate plan's restrictions on one night, as the PMS states them
 * (Cloudbeds: roomRateDetailed[] blocked, closedToArrival, closedToDeparture,
 * minLos, maxLos). The length-of-stay limits are the arrival night's. */
typedef struct pms_rate_rules {
    bool closed;              /* stop-sell: the night is not sold under this plan */
    bool closed_to_arrival;   /* a stay may not start on this day */
    bool closed_to_departure; /* a stay may not end on this day */
    int min_los, max_los;     /* nights, for stays arriving this day; 0 = no limit */
} pms_rate_rules_t;

typedef struct pms_plan_night {
    int64_t rate; /* one room, minor units of pms_rate_plans_t.currency */
    /* The PMS stated no price for the night under this plan (OPERA prices
     * only stays it sells: a night its restrictions close has no offer);
     * rate is then 0 and means nothing — shown as no price, never as 0. */
    bool unpriced;
    pms_rate_rules_t rules;
    pms_night_taxes_t taxes; /* on this plan's rate */
} pms_plan_night_t;

#define PMS_RATE_PLAN_NAME_MAX 128
#define PMS_CANCEL_POLICY_MAX 192
#define PMS_MAX_RATE_PLANS 32

/* One sellable rate plan of a room type over a range of nights. */
typedef struct pms_rate_plan {
    char id[PMS_ID_MAX];                  /* what a hold names (Cloudbeds: rateID) */
    char name[PMS_RATE_PLAN_NAME_MAX];    /* the guest-facing name */
    bool is_base;                         /* the room type's base plan (the default) */
    pms_plan_night_t *nights;             /* pms_rate_plans_t.nights entries */
    /* The plan's cancellation policy as the PMS states it, in the platform's
     * policy JSON (cancel_policy.h); "" when the PMS states none or states
     * one the platform cannot express. A policy configured on the platform
     * for the plan wins over it. */
    char cancel_policy[PMS_CANCEL_POLICY_MAX];
} pms_rate_plan_t;

typedef struct pms_rate_plans {
    dates_day_t first;
    int nights;
    char currency[4];
    pms_rate_plan_t *items; /* the base plan first */
    size_t count;
} pms_rate_plans_t;

typedef struct pms_guest {
    const char *first_name, *last_name, *email, *phone;
    const char *country; /* ISO 3166-1 alpha-2; default "KR" */
} pms_guest_t;

typedef struct pms_hold_request {
    const char *hotel_id;
    const char *room_type_id;
    dates_day_t check_in, check_out;
    int rooms; /* default 1 */
    int adults, children;
    pms_guest_t guest;
    int ttl_seconds; /* default PMS_DEFAULT_HOLD_TTL_S */
    /* Our reference (booking id): a retried create with the same reference
     * must not hold twice where the vendor supports it. */
    const char *reference;
    /* The rate plan sold (pms_rate_plan_t.id); NULL or "" = the base plan. */
    const char *rate_plan_id;
} pms_hold_request_t;

typedef struct pms_hold {
    char hold_id[PMS_ID_MAX];
    int64_t expires_at_ms; /* wall clock, Unix ms */
    int64_t total;         /* price of the stay, minor units */
    char currency[4];
} pms_hold_t;

typedef enum {
    PMS_RES_UNKNOWN = 0,
    PMS_RES_HOLD,      /* not yet confirmed */
    PMS_RES_CONFIRMED, /* also checked in / out */
    PMS_RES_CANCELLED, /* also no-show, expired holds */
} pms_res_status_t;

typedef struct pms_reservation {
    char reservation_id[PMS_ID_MAX];
    char confirmation_number[PMS_ID_MAX];
    pms_res_status_t status;
    char room_type_id[PMS_ID_MAX];
    dates_day_t check_in, check_out;
    int64_t total;
    char currency[4];
    int64_t hold_expires_at_ms; /* 0 when not a hold */
    char reference[128];
    /* The party and rooms as the PMS states them (a reservation made on
     * another channel is recorded with them); 0 when the answer does not say. */
    int adults, children, rooms;
} pms_reservation_t;

#define PMS_MAX_SUBSCRIPTIONS 8

/* Webhook subscriptions made for a hotel: one per vendor event. */
typedef struct pms_subscriptions {
    size_t count;
    char ids[PMS_MAX_SUBSCRIPTIONS][PMS_ID_MAX];    /* the vendor's subscription ids */
    char events[PMS_MAX_SUBSCRIPTIONS][PMS_ID_MAX]; /* "reservation/created" */
} pms_subscriptions_t;

/* Writes the hotel's API key into out; returns 0, or -1 when there is none. */
typedef int (*pms_key_fn)(void *ctx, const char *vendor, const char *hotel_id, char *out,
                          size_t out_size);

/* Writes the vendor of the hotel's PMS ("opera") into out; returns 0, or -1
 * when it does not say (the connector's own vendor is used then). */
typedef int (*pms_vendor_fn)(void *ctx, const char *hotel_id, char *out, size_t out_size);

#define PMS_MAX_VENDORS 4
#define PMS_VENDOR_NAME_MAX 32

/* The base URL of another vendor than the connector's own, for its hotels. */
typedef struct pms_vendor_url {
    const char *vendor;
    const char *base_url;
} pms_vendor_url_t;

typedef struct pms_config {
    const char *base_url; /* vendor root; NULL = the vendor's production URL */
    pms_key_fn key_fn;    /* NULL = pms_key_from_env */
    void *key_ctx;
    long timeout_ms;             /* per HTTP request */
    double rate_per_second;      /* per hotel; <= 0 = the vendor's published limit */
    double rate_burst;           /* <= 0 = rate_per_second */
    retry_policy_t retry;        /* max_retries < 0 = no retries */
    breaker_config_t breaker;    /* template: name is set per (vendor, hotel) */
    const clock_source_t *clock; /* for the limiter; NULL = system */
    /* The hotel's request budget (pms_budget.h): shared by every replica
     * through this Redis pool (borrowed; NULL = a token bucket per process),
     * and how this connector's requests queue for it: the class of all its
     * calls and the longest wait of each class. */
    redis_pool_t *budget_redis;
    pms_priority_t priority;    /* CHECKOUT (booking-svc) or BACKGROUND (reads, sync) */
    int64_t checkout_wait_ms;   /* < 0 = PMS_DEFAULT_CHECKOUT_WAIT_MS */
    int64_t background_wait_ms; /* < 0 = PMS_DEFAULT_BACKGROUND_WAIT_MS */
    /* Which vendor each hotel uses (pms_config.vendor): NULL =
     * pms_vendor_from_env. A hotel of another vendor than the connector's
     * is served by a connector of that vendor made on first use with the
     * same settings and its base URL from vendor_urls (NULL = the vendor's
     * production URL). */
    pms_vendor_fn vendor_fn;
    void *vendor_ctx;
    pms_vendor_url_t vendor_urls[PMS_MAX_VENDORS];
} pms_config_t;

#define PMS_CONFIG_DEFAULT                                                                         \
    ((pms_config_t){.timeout_ms = PMS_DEFAULT_TIMEOUT_MS,                                          \
                    .retry = RETRY_POLICY_DEFAULT,                                                 \
                    .breaker = BREAKER_CONFIG_DEFAULT(NULL),                                       \
                    .priority = PMS_PRIORITY_CHECKOUT,                                             \
                    .checkout_wait_ms = PMS_DEFAULT_CHECKOUT_WAIT_MS,                              \
                    .background_wait_ms = PMS_DEFAULT_BACKGROUND_WAIT_MS})

/* Reads PMS_VENDOR (default "cloudbeds"; returned), PMS_BASE_URL (default
 * the vendor's production URL), PMS_<VENDOR>_BASE_URL of every other vendor
 * (PMS_OPERA_BASE_URL), PMS_TIMEOUT_MS (5000), PMS_RATE_LIMIT_PER_SECOND
 * (the vendor's published limit), PMS_RATE_LIMIT_BURST,
 * PMS_BUDGET_CHECKOUT_WAIT_MS (15000) and PMS_BUDGET_BACKGROUND_WAIT_MS (500;
 * PMS_RATE_LIMIT_WAIT_MS is its older name, used when the new one is unset)
 * into *out (starting from PMS_CONFIG_DEFAULT). The Redis pool and the
 * priority are the service's to set. Malformed values are recorded as config
 * errors (the service refuses to start). */
const char *pms_config_from_env(config_t *cfg, pms_config_t *out);

typedef struct pms_connector pms_connector_t;

/* Vendors this build knows ("cloudbeds", "opera"), NULL-terminated. */
const char *const *pms_vendors(void);
bool pms_vendor_known(const char *vendor);

/* What a vendor offers, for the platform to make up for what it lacks. */
typedef struct pms_vendor_traits {
    bool webhooks;      /* pushes changes (else: poll the hotel and our own bookings) */
    bool room_counts;   /* tells how many rooms are free (else: bookable yes / no) */
    bool holds;         /* a native short hold (else: a reservation in a hold state) */
    bool lists_reservations; /* pms_list_reservations works */
} pms_vendor_traits_t;
/* false for an unknown vendor. */
bool pms_vendor_traits(const char *vendor, pms_vendor_traits_t *out);

/* The connector for hotels of `vendor`: c itself, or the one behind it for
 * that vendor (made on first use, same settings). For a hotel not configured
 * yet (an onboarding preview). NULL for a vendor this build does not know.
 * Owned by c. */
pms_connector_t *pms_connector_for_vendor(pms_connector_t *c, const char *vendor);

/* The vendor that serves this hotel (its pms_config row, see vendor_fn). */
const char *pms_hotel_vendor(pms_connector_t *c, const char *hotel_id);

/* The default vendor lookup: env PMS_<hotelId>_VENDOR (as written, or
 * upper-cased with '_' for other characters). */
int pms_vendor_from_env(void *ctx, const char *hotel_id, char *out, size_t out_size);

/* NULL (and a reason in err) for an unknown vendor or a bad config. */
pms_connector_t *pms_connector_new(const char *vendor, const pms_config_t *cfg, char *err,
                                   size_t err_size);
void pms_connector_free(pms_connector_t *c);
const char *pms_connector_vendor(const pms_connector_t *c);

pms_err_t pms_get_hotel(pms_connector_t *c, const char *hotel_id, pms_hotel_t *out,
                        pms_error_t *err);
pms_err_t pms_get_room_types(pms_connector_t *c, const char *hotel_id, pms_room_types_t *out,
                             pms_error_t *err);
/* Availability (and total rooms) per night; rate left 0. */
pms_err_t pms_get_inventory(pms_connector_t *c, const char *hotel_id, const char *room_type_id,
                            dates_day_t first_night, int nights, pms_nights_t *out,
                            pms_error_t *err);
/* Price per night (and availability, when the vendor returns it together). */
pms_err_t pms_get_rates(pms_connector_t *c, const char *hotel_id, const char *room_type_id,
                        dates_day_t first_night, int nights, pms_nights_t *out, pms_error_t *err);
/* Whether the whole stay can be sold now with `rooms` rooms for the guests,
 * asked of the PMS in one request where the vendor allows (OPERA: one Shop
 * offers call with numberOfUnits): PMS_OK and *bookable, and when bookable
 * the stay's price (*total, minor units of currency; PMS_TOTAL_UNKNOWN when
 * the vendor does not state it). The checkout's availability step for
 * vendors without room counts. */
pms_err_t pms_check_stay(pms_connector_t *c, const char *hotel_id, const char *room_type_id,
                         dates_day_t check_in, dates_day_t check_out, int rooms, int adults,
                         int children, bool *bookable, int64_t *total, char currency[4],
                         pms_error_t *err);
/* A property setting the connector relies on, as the PMS shows it. */
typedef enum pms_setup_state {
    PMS_SETUP_OK,      /* set as needed */
    PMS_SETUP_MISSING, /* the PMS says it is not set: bookings would fail */
    PMS_SETUP_UNKNOWN, /* the API cannot tell, or could not be asked now */
} pms_setup_state_t;

#define PMS_SETUP_CHECKS_MAX 8
#define PMS_SETUP_ID_MAX 32
#define PMS_SETUP_MESSAGE_MAX 256

typedef struct pms_setup_check {
    char id[PMS_SETUP_ID_MAX]; /* stable, e.g. "holdExpiresAtField" */
    pms_setup_state_t state;
    char message[PMS_SETUP_MESSAGE_MAX]; /* plain English, for admins and logs */
} pms_setup_check_t;

typedef struct pms_setup_checks {
    size_t count;
    pms_setup_check_t items[PMS_SETUP_CHECKS_MAX];
} pms_setup_checks_t;

/* Whether the hotel's property settings are those the vendor's connector
 * needs (see common/pms/README.md), each as one check. A check the PMS could
 * not answer (an error, the budget) comes back PMS_SETUP_UNKNOWN rather than
 * failing the call: PMS_OK unless the arguments are bad. A vendor with no
 * settings to check answers an empty list. */
pms_err_t pms_check_setup(pms_connector_t *c, const char *hotel_id, pms_setup_checks_t *out,
                          pms_error_t *err);
const char *pms_setup_state_name(pms_setup_state_t state); /* "ok" | "missing" | "unknown" */

/* What the PMS says of one stay under one rate plan (pms_check_stay_plan). */
typedef struct pms_stay_check {
    bool bookable; /* the whole stay is for sale with the rooms and guests asked */
    int64_t total; /* when bookable: the stay's price, PMS_TOTAL_UNKNOWN when not stated */
    int64_t first_night; /* when bookable: one room's first night (or PMS_TOTAL_UNKNOWN) */
    bool tax_known; /* when bookable: the PMS's taxes were applied to total */
    int64_t tax;    /* with tax_known: the part of total that is tax (fees not counted) */
    int64_t tax_free; /* with tax_known: the part of total of tax-free fees */
    char currency[4];
    bool plan_unknown; /* the PMS does not sell the asked plan for the room type */
    /* The plan's restrictions that forbid this stay, as the PMS names them
     * (restricted); the arrival day's in arrival, the departure day's
     * closed-to-departure in departure_closed. */
    bool restricted;
    pms_rate_rules_t arrival;
    bool departure_closed;
    char cancel_policy[PMS_CANCEL_POLICY_MAX]; /* as pms_rate_plan_t.cancel_policy */
} pms_stay_check_t;

/* pms_check_stay under rate plan rate_plan_id (NULL or "" = the base plan),
 * for a PMS that judges a stay's restrictions itself (OPERA): whether the
 * plan exists, which restriction refuses the stay, and the plan's price for
 * the party and its cancellation policy. PMS_ERR_REJECTED for a vendor
 * without a stay check. */
pms_err_t pms_check_stay_plan(pms_connector_t *c, const char *hotel_id, const char *room_type_id,
                              dates_day_t check_in, dates_day_t check_out, int rooms, int adults,
                              int children, const char *rate_plan_id, pms_stay_check_t *out,
                              pms_error_t *err);
/* Every rate plan of the room type for nights [first_night, first_night +
 * nights), each night's price and restrictions, the base plan first. A vendor
 * that knows only one plan answers it as the base plan with no restrictions.
 * The caller owns *out: pms_rate_plans_free. */
pms_err_t pms_get_rate_plans(pms_connector_t *c, const char *hotel_id, const char *room_type_id,
                             dates_day_t first_night, int nights, pms_rate_plans_t *out,
                             pms_error_t *err);
void pms_rate_plans_free(pms_rate_plans_t *p); /* accepts NULL */
/* The plan with this id, the base plan when id is NULL or "", or NULL. */
const pms_rate_plan_t *pms_rate_plan_find(const pms_rate_plans_t *p, const char *id);

pms_err_t pms_create_hold(pms_connector_t *c, const pms_hold_request_t *req, pms_hold_t *out,
                          pms_error_t *err);
pms_err_t pms_release_hold(pms_connector_t *c, const char *hotel_id, const char *hold_id,
                           pms_error_t *err);
pms_err_t pms_confirm_hold(pms_connector_t *c, const char *hotel_id, const char *hold_id,
                           pms_reservation_t *out, pms_error_t *err);
/* Confirms a hold the caller made itself, whose expiry it knows
 * (pms_hold_t.expires_at_ms; 0 = unknown, then as pms_confirm_hold): the
 * checkout's confirm, in one vendor request where the vendor allows instead
 * of a read before the write — the connector checks the expiry (a hold within
 * PMS_CONFIRM_EXPIRY_MARGIN_MS of lapsing is released and refused with
 * PMS_ERR_CONFLICT) and that the vendor's answer shows the reservation
 * confirmed. Only reservation_id, confirmation_number and status of *out are
 * filled on that path. */
#define PMS_CONFIRM_EXPIRY_MARGIN_MS 2000
pms_err_t pms_confirm_own_hold(pms_connector_t *c, const char *hotel_id, const char *hold_id,
                               int64_t expires_at_ms, pms_reservation_t *out, pms_error_t *err);
pms_err_t pms_cancel_reservation(pms_connector_t *c, const char *hotel_id,
                                 const char *reservation_id, pms_error_t *err);
pms_err_t pms_get_reservation(pms_connector_t *c, const char *hotel_id, const char *reservation_id,
                              pms_reservation_t *out, pms_error_t *err);
/* The hold or reservation made with our `reference` (pms_hold_request_t) for
 * a stay starting on check_in — a live one before a cancelled one;
 * PMS_ERR_NOT_FOUND when there is none. This is how a caller that lost a
 * create_hold answer (a timeout, a crash) finds out whether the hold exists,
 * so it can confirm or release it instead of leaving rooms held. */
pms_err_t pms_find_reservation(pms_connector_t *c, const char *hotel_id, const char *reference,
                               dates_day_t check_in, pms_reservation_t *out, pms_error_t *err);

/* Reservations (holds, confirmed, cancelled) of a hotel whose check-in day
 * is in [check_in_from, check_in_to], both inclusive: what a reconciliation
 * compares with our bookings. Every page of the vendor's list is read; more
 * than PMS_LIST_MAX_RESERVATIONS is PMS_ERR_REJECTED (narrow the range)
 * rather than a silently partial list. A vendor's list may not carry the
 * stay's price: then an item's total is PMS_TOTAL_UNKNOWN and currency ""
 * (pms_get_reservation has it). The caller owns *out: pms_reservation_list_free. */
#define PMS_LIST_MAX_RESERVATIONS 10000
#define PMS_TOTAL_UNKNOWN (-1)
typedef struct pms_reservation_list {
    pms_reservation_t *items;
    size_t count;
} pms_reservation_list_t;
pms_err_t pms_list_reservations(pms_connector_t *c, const char *hotel_id, dates_day_t check_in_from,
                                dates_day_t check_in_to, pms_reservation_list_t *out,
                                pms_error_t *err);
void pms_reservation_list_free(pms_reservation_list_t *list); /* accepts NULL */

/* A change to one of a hotel's reservations as the PMS's change feed tells
 * it — whoever made it: the front desk, another channel or we ourselves. */
#define PMS_MAX_BOOKING_EVENTS 20
typedef struct pms_booking_event {
    char event_id[PMS_ID_MAX];       /* the vendor's id of this event, unique per hotel */
    char action[PMS_ID_MAX];         /* the vendor's word for it ("NEW RESERVATION") */
    char reservation_id[PMS_ID_MAX]; /* as pms_get_reservation takes it */
    pms_res_status_t status;         /* CONFIRMED (made or changed) or CANCELLED */
    char room_type_id[PMS_ID_MAX];   /* "" when the event does not say */
    dates_day_t check_in, check_out; /* both 0 when the event does not say */
    /* The stay before a change, when the event says (else "" and 0): its
     * nights were given back. */
    char prev_room_type_id[PMS_ID_MAX];
    dates_day_t prev_check_in, prev_check_out;
} pms_booking_event_t;
typedef struct pms_booking_events {
    size_t count;
    pms_booking_event_t items[PMS_MAX_BOOKING_EVENTS];
} pms_booking_events_t;

/* Takes up to PMS_MAX_BOOKING_EVENTS of the hotel's queued reservation
 * changes, oldest first (OPERA: Business Events, when the hotel granted us
 * property-API access and it is configured — PMS_OPERA_EVENTS_*). The vendor
 * hands each event out once: keep it (publish it) before asking for more.
 * Events of other modules and ones without a reservation are left out (they
 * still count towards the call's 20). PMS_ERR_REJECTED when the vendor has
 * no such feed (Cloudbeds: it pushes webhooks instead) or it is not
 * configured. Not retried: a lost answer may have dequeued events. */
pms_err_t pms_take_booking_events(pms_connector_t *c, const char *hotel_id,
                                  pms_booking_events_t *out, pms_error_t *err);

/* Subscribes endpoint_url (webhook-ingest's /api/webhooks/pms/<vendor>) to
 * the vendor's events for the hotel (Cloudbeds: reservation/created and
 * reservation/status_changed — it has none for availability or rates, which
 * is why hotels are also polled). On failure, out holds the subscriptions
 * made before it (keep them: the vendor has them too). */
pms_err_t pms_subscribe_webhooks(pms_connector_t *c, const char *hotel_id, const char *endpoint_url,
                                 pms_subscriptions_t *out, pms_error_t *err);

/* State of the (vendor, hotel) breaker (CLOSED when it has none yet). */
breaker_state_t pms_breaker_state(pms_connector_t *c, const char *hotel_id);

void pms_room_types_free(pms_room_types_t *rt);
void pms_nights_free(pms_nights_t *n);

const char *pms_err_name(pms_err_t e);
/* A failure the caller may see go away by trying later. */
bool pms_err_retryable(pms_err_t e);
const char *pms_res_status_name(pms_res_status_t s);

/* The default key lookup: env PMS_<hotelId>_API_KEY, with the hotel id as
 * given or upper-cased with every non-alphanumeric character as '_'
 * (hotel-123 → PMS_HOTEL_123_API_KEY). */
int pms_key_from_env(void *ctx, const char *vendor, const char *hotel_id, char *out,
                     size_t out_size);

#endif /* COMMON_PMS_H */
