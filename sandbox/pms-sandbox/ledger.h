/*
 * ledger.h — the sandbox PMS's ledger of record: per-night inventory and rates
 * of every room type, and every reservation with its state machine. Pure
 * logic, no HTTP: the vendor API and the control endpoints call it, the unit
 * tests drive it directly with a manual clock.
 *
 * Reservation states (Cloudbeds' names):
 *     postReservation with holdExpiresAt ─► not_confirmed (a HOLD) ─confirm─► confirmed
 *     postReservation without it ─────────────────────────────────────────► confirmed
 *     not_confirmed / confirmed ─cancel, release, or hold expiry─► canceled
 * Creating a reservation takes `quantity` rooms from every night of
 * [start, end) or from none (all nights are checked and decremented under
 * one lock); leaving for canceled gives them back, exactly once, whichever of
 * cancel, release, front-desk cancel or expiry gets there first. Confirming
 * a hold whose time has passed fails: it is canceled already.
 *
 * Usage:
 *     ledger_t *l = ledger_new(seed, first_day, ledger_wall_clock());
 *     ledger_set_listener(l, on_change, ctx);                 // webhooks
 *     ledger_booking_t b = {.property_id = "hotel_123", .room_type_id = "room_456",
 *                           .start = d, .end = d + 2, .quantity = 1, .adults = 2,
 *                           .is_hold = true, .hold_expires_ms = now + 180000};
 *     ledger_reservation_t r; dates_day_t short_night;
 *     bool replayed; int rc = ledger_create(l, &b, &r, &replayed, &short_night);
 *     ledger_confirm(l, "hotel_123", r.reservation_id, &r);
 *     ledger_free(l);
 *
 * Time: the clock's now_ms is Unix milliseconds (wall time), because hold
 * deadlines arrive as RFC 3339 timestamps. Expired holds are canceled lazily
 * by every call that touches their hotel and by ledger_expire_due(), which a
 * sweeper thread calls periodically.
 *
 * Thread-safety: every function is thread-safe. One mutex per hotel guards
 * its inventory and reservations; a read-write lock guards the hotel table
 * against ledger_reload(). The listener is called with the hotel's mutex held
 * (so events leave in the order the changes happened): it must be quick and
 * must not call back into the ledger. Ownership: the ledger holds a reference
 * to its seed; results are copies owned by the caller.
 */
#ifndef PMS_SANDBOX_LEDGER_H
#define PMS_SANDBOX_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/clock.h"
#include "common/dates.h"
#include "seed.h"

#define LEDGER_INVENTORY_DAYS 400
#define LEDGER_MAX_STAY_NIGHTS 30
#define LEDGER_MAX_RESERVATIONS_PER_HOTEL 20000
#define LEDGER_RESERVATION_ID_LEN 32
#define LEDGER_TEXT_LEN 128

typedef enum {
    LEDGER_OK = 0,
    LEDGER_ERR_NO_PROPERTY = -1,
    LEDGER_ERR_NO_ROOM_TYPE = -2,
    LEDGER_ERR_NO_RESERVATION = -3,
    LEDGER_ERR_OUT_OF_RANGE = -4,    /* a night outside the inventory window */
    LEDGER_ERR_NO_AVAILABILITY = -5, /* *short_night names the first short night */
    LEDGER_ERR_CANCELED = -6,        /* the reservation is canceled (or its hold expired) */
    LEDGER_ERR_INVALID = -7,         /* an argument out of range */
    LEDGER_ERR_FULL = -8,            /* LEDGER_MAX_RESERVATIONS_PER_HOTEL reached */
    LEDGER_ERR_NOMEM = -9,
} ledger_err_t;

typedef enum {
    LEDGER_NOT_CONFIRMED = 0, /* a hold */
    LEDGER_CONFIRMED = 1,
    LEDGER_CANCELED = 2,
} ledger_status_t;

typedef enum {
    LEDGER_CANCEL_NONE = 0,
    LEDGER_CANCEL_BY_API = 1,    /* putReservation status=canceled (a release or a cancel) */
    LEDGER_CANCEL_EXPIRED = 2,   /* the hold's time passed */
    LEDGER_CANCEL_FRONT_DESK = 3 /* the control endpoint */
} ledger_cancel_reason_t;

/* One night of one room type. */
typedef struct ledger_night {
    dates_day_t date;
    int available;      /* rooms still sellable */
    int total;          /* units of the room type */
    int64_t rate_minor; /* price of one room for the night */
} ledger_night_t;

/* The rate plans every room type sells, as Cloudbeds models them: the base
 * plan and plans derived from it by a percentage of the night's rate
 * (getRatePlans' isDerived, derivedType "percentage", derivedValue). */
typedef struct ledger_rate_plan {
    const char *id;           /* ratePlanID; the rateID is "<roomTypeID>-<id>" */
    const char *name_public;  /* ratePlanNamePublic */
    const char *name_private; /* ratePlanNamePrivate */
    int percent_of_base;      /* 100 for the base plan */
} ledger_rate_plan_t;

#define LEDGER_RATE_PLAN_COUNT 3
extern const ledger_rate_plan_t LEDGER_RATE_PLANS[LEDGER_RATE_PLAN_COUNT];

/* The index of the plan whose rateID is rate_id for room type
 * room_type_id ("room_456-nr"), or -1. */
int ledger_rate_plan_of_rate_id(const char *room_type_id, const char *rate_id);

/* What `adults` guests in `rooms` rooms of room type rt cost more a night
 * per room, beyond the adults the rate includes (minor units). */
int64_t ledger_extra_guests(const seed_room_type_t *rt, int rooms, int adults);

/* One plan's price of a base rate (minor units). */
int64_t ledger_plan_rate(int plan, int64_t base_rate_minor);

/* A plan's restrictions on one night (getRatePlans' roomRateDetailed). */
typedef struct ledger_restriction {
    bool blocked;
    bool closed_to_arrival;
    bool closed_to_departure;
    int min_los, max_los; /* 0 = none */
} ledger_restriction_t;

/* What postReservation asks for. Strings are borrowed for the call. */
typedef struct ledger_booking {
    const char *property_id;
    const char *room_type_id;
    dates_day_t start; /* first night */
    dates_day_t end;   /* check-out day: nights are [start, end) */
    int quantity;
    int adults;
    int children;
    const char *guest_first_name;
    const char *guest_last_name;
    const char *guest_email;
    const char *guest_country;
    const char *guest_zip;      /* may be NULL */
    const char *guest_phone;    /* may be NULL */
    const char *payment_method; /* cash | credit | ebanking | pay_pal */
    const char *third_party_id; /* may be NULL: idempotency key of retries */
    /* true: a repeated third_party_id makes a second reservation (a vendor
     * that does not deduplicate creates) instead of returning the first. */
    bool allow_duplicate;
    bool is_hold;
    int64_t hold_expires_ms; /* Unix ms; for holds only */
    int rate_plan;           /* index into LEDGER_RATE_PLANS; 0 = the base plan */
} ledger_booking_t;

/* A reservation (a copy when returned). */
typedef struct ledger_reservation {
    char reservation_id[LEDGER_RESERVATION_ID_LEN];
    char guest_id[LEDGER_RESERVATION_ID_LEN];
    char property_id[SEED_ID_MAX_LEN + 1];
    char room_type_id[SEED_ID_MAX_LEN + 1];
    char room_type_name[LEDGER_TEXT_LEN];
    char currency[4];
    int currency_exponent;
    char third_party_id[LEDGER_TEXT_LEN]; /* "" when none */
    char guest_first_name[LEDGER_TEXT_LEN];
    char guest_last_name[LEDGER_TEXT_LEN];
    char guest_email[LEDGER_TEXT_LEN * 2];
    char guest_country[8];
    char guest_zip[32];
    char guest_phone[48];
    char payment_method[16];
    dates_day_t start;
    dates_day_t end;
    int quantity;
    int adults;
    int children;
    int rate_plan; /* index into LEDGER_RATE_PLANS */
    ledger_status_t status;
    bool is_hold; /* created as a hold (has a deadline), whatever its status now */
    int64_t hold_expires_ms;
    ledger_cancel_reason_t cancel_reason;
    int64_t created_ms; /* Unix ms */
    int64_t updated_ms;
    int nights;
    int64_t nightly_rate_minor[LEDGER_MAX_STAY_NIGHTS]; /* per room, at booking time */
    int64_t grand_total_minor;                          /* sum of nightly rates × quantity */
} ledger_reservation_t;

typedef enum {
    LEDGER_EVENT_INVENTORY = 0,         /* availability of nights changed */
    LEDGER_EVENT_RATE = 1,              /* rates of nights changed */
    LEDGER_EVENT_BOOKING_CONFIRMED = 2, /* a reservation became confirmed */
    LEDGER_EVENT_BOOKING_CANCELED = 3,  /* a reservation (or hold) became canceled */
} ledger_event_type_t;

/* A change, as the listener sees it; everything is valid during the call only. */
typedef struct ledger_event {
    ledger_event_type_t type;
    const char *property_id;
    const char *room_type_id;
    const char *currency;
    int currency_exponent;
    dates_day_t first;            /* first night affected */
    dates_day_t last;             /* last night affected (inclusive) */
    const ledger_night_t *nights; /* inventory and rate events */
    int night_count;
    const ledger_reservation_t *reservation; /* booking events */
} ledger_event_t;

typedef void (*ledger_event_fn)(const ledger_event_t *event, void *ctx);

typedef struct ledger ledger_t;

/* Generates LEDGER_INVENTORY_DAYS nights from first_day for every room type
 * of every hotel (available = units; weekend rate on Friday and Saturday
 * nights). Takes a reference to `seed`. `clock` gives Unix ms (NULL = the
 * system's wall clock) and must outlive the ledger. NULL on OOM. */
ledger_t *ledger_new(seed_t *seed, dates_day_t first_day, const clock_source_t *clock);
void ledger_free(ledger_t *ledger); /* accepts NULL */

/* Replaces everything (the sandbox reset): new seed, fresh inventory, no
 * reservations. Reservation ids keep counting, so none is ever reused. */
int ledger_reload(ledger_t *ledger, seed_t *seed, dates_day_t first_day);

void ledger_set_listener(ledger_t *ledger, ledger_event_fn fn, void *ctx);

/* A new reference to the current seed (release with seed_unref). */
seed_t *ledger_seed(ledger_t *ledger);

/* The inventory window: [first, first + LEDGER_INVENTORY_DAYS). */
void ledger_window(ledger_t *ledger, dates_day_t *first, dates_day_t *last_inclusive);

/* Copies `count` nights from `first` into out[]. */
ledger_err_t ledger_get_nights(ledger_t *ledger, const char *property_id, const char *room_type_id,
                               dates_day_t first, int count, ledger_night_t *out);

/* Copies plan `plan`'s restrictions of `count` nights from `first` into out[]. */
ledger_err_t ledger_get_restrictions(ledger_t *ledger, const char *property_id,
                                     const char *room_type_id, int plan, dates_day_t first,
                                     int count, ledger_restriction_t *out);

/* Front desk: sets plan `plan`'s restrictions of nights [first, last] (a
 * rate_update event follows, as Cloudbeds' rate jobs do). */
ledger_err_t ledger_set_restrictions(ledger_t *ledger, const char *property_id,
                                     const char *room_type_id, int plan, dates_day_t first,
                                     dates_day_t last, const ledger_restriction_t *r);

/* Creates a hold or a confirmed reservation, all nights or none. When the
 * property has a live (not canceled) reservation with the same non-empty
 * third_party_id (and allow_duplicate is false), that one is returned
 * instead and *replayed is true.
 * LEDGER_ERR_NO_AVAILABILITY sets *short_night. */
ledger_err_t ledger_create(ledger_t *ledger, const ledger_booking_t *booking,
                           ledger_reservation_t *out, bool *replayed, dates_day_t *short_night);

/* not_confirmed → confirmed while the hold is live; confirmed stays
 * confirmed (idempotent); canceled (an expired hold too) → LEDGER_ERR_CANCELED. */
ledger_err_t ledger_confirm(ledger_t *ledger, const char *property_id, const char *reservation_id,
                            ledger_reservation_t *out);

/* → canceled, giving the rooms back once; canceled stays canceled (no-op). */
ledger_err_t ledger_cancel(ledger_t *ledger, const char *property_id, const char *reservation_id,
                           ledger_cancel_reason_t reason, ledger_reservation_t *out);

/* The front desk moves a confirmed reservation to another room type and/or
 * other dates (room_type_id NULL: the same one), all nights or none: the old
 * nights' rooms come back and the new nights' are taken, at the new nights'
 * rates. Reported like Cloudbeds' reservation/dates_changed: only the
 * reservation, confirmed with its new stay — no event for the nights of
 * either stay (Cloudbeds sends none), so the platform must work out the
 * nights given back itself. LEDGER_ERR_NO_AVAILABILITY sets *short_night; a hold or a canceled
 * reservation → LEDGER_ERR_CANCELED / LEDGER_ERR_INVALID. */
ledger_err_t ledger_modify(ledger_t *ledger, const char *property_id, const char *reservation_id,
                           const char *room_type_id, dates_day_t start, dates_day_t end,
                           ledger_reservation_t *out, dates_day_t *short_night);

/* A copy of one reservation (expired holds are canceled first). */
ledger_err_t ledger_get(ledger_t *ledger, const char *property_id, const char *reservation_id,
                        ledger_reservation_t *out);

/* Ends a live hold now, as if its time had passed (test helper). The
 * property may be NULL: every hotel is searched. */
ledger_err_t ledger_expire_now(ledger_t *ledger, const char *property_id,
                               const char *reservation_id, ledger_reservation_t *out);

/* Cancels every hold whose time has passed; returns how many. */
int ledger_expire_due(ledger_t *ledger);

/* Front desk: sets the sellable count of nights [first, last] (0..units). */
ledger_err_t ledger_set_availability(ledger_t *ledger, const char *property_id,
                                     const char *room_type_id, dates_day_t first, dates_day_t last,
                                     int available);

/* Front desk: sets the rate of nights [first, last]. */
ledger_err_t ledger_set_rate(ledger_t *ledger, const char *property_id, const char *room_type_id,
                             dates_day_t first, dates_day_t last, int64_t rate_minor);

/* The property's settings the API shows (getCustomFields,
 * getPaymentMethods); a reload sets every hotel up correctly again. */
typedef struct ledger_setup {
    bool no_hold_field; /* no reservation custom field holdExpiresAt */
    bool no_cash;       /* cash not among the payment methods */
} ledger_setup_t;
ledger_err_t ledger_set_setup(ledger_t *ledger, const char *property_id,
                              const ledger_setup_t *setup);
ledger_err_t ledger_get_setup(ledger_t *ledger, const char *property_id, ledger_setup_t *out);

/* The reservations of a property made with third_party_id (newest first, at
 * most max) into out; returns how many, or a negative ledger_err_t. */
int ledger_find_by_third_party(ledger_t *ledger, const char *property_id,
                               const char *third_party_id, ledger_reservation_t *out, int max);

/* Copies of every reservation of one property (NULL: all), oldest first,
 * into a malloc'd array (*out, may be NULL when *count is 0). */
ledger_err_t ledger_list(ledger_t *ledger, const char *property_id, ledger_reservation_t **out,
                         size_t *count);

/* "not_confirmed" | "confirmed" | "canceled" */
const char *ledger_status_name(ledger_status_t status);
/* "api" | "expired" | "front_desk" | "" */
const char *ledger_cancel_reason_name(ledger_cancel_reason_t reason);

/* The first night the sandbox generates: yesterday (UTC), so a guest in any
 * time zone can still book "tonight". */
dates_day_t ledger_default_first_day(void);

/* A clock source whose now_ms is the Unix wall clock in ms. */
const clock_source_t *ledger_wall_clock(void);

#endif /* PMS_SANDBOX_LEDGER_H */
