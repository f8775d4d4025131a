/*
 * ledger.c — inventory, rates and the reservation state machine (see ledger.h).
 *
 * Layout: one hotel_state_t per seed hotel, each with its own mutex over its
 * inventory (available rooms and rate per room type per night, as flat
 * arrays) and its reservations (a growing array of pointers, oldest first).
 * Every public call enters a hotel through hotel_enter(), which also cancels
 * the holds whose time has passed, so an expired hold is never seen alive.
 */
#include "ledger.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAYS_PER_WEEK 7
#define UNIX_EPOCH_WEEKDAY 4 /* 1970-01-01 was a Thursday (0 = Sunday) */
#define FRIDAY 5
#define SATURDAY 6
#define MIN_FIRST_RESERVATION_ID 1000000LL
#define INITIAL_RESERVATION_CAPACITY 64

typedef struct hotel_state {
    pthread_mutex_t lock; /* guards every field below */
    const seed_hotel_t *seed;
    int *available;                     /* [room type * LEDGER_INVENTORY_DAYS + day] */
    int64_t *rate_minor;                /* same layout */
    ledger_restriction_t *restrictions; /* [plan * cells + cell], cells as above */
    ledger_reservation_t **reservations;
    size_t count;
    size_t capacity;
    size_t open_holds;    /* reservations in not_confirmed */
    ledger_setup_t setup; /* zero: set up as the connector needs */
} hotel_state_t;

struct ledger {
    pthread_rwlock_t table_lock; /* read: every operation; write: ledger_reload */
    seed_t *seed;
    hotel_state_t *hotels;
    size_t hotel_count;
    dates_day_t first_day;
    const clock_source_t *clock;
    atomic_llong next_id; /* reservation and guest ids; never reused, even across reloads */
    ledger_event_fn listener;
    void *listener_ctx;
};

/* ------------------------------------------------------------- clock -- */

static int64_t wall_now_ms(void *ctx)
{
    (void)ctx;
    return clock_wall_ms();
}

static void wall_sleep_ms(void *ctx, int64_t ms)
{
    (void)ctx;
    clock_source_system()->sleep_ms(NULL, ms);
}

const clock_source_t *ledger_wall_clock(void)
{
    static const clock_source_t wall = {.now_ms = wall_now_ms, .sleep_ms = wall_sleep_ms};
    return &wall;
}

dates_day_t ledger_default_first_day(void)
{
    return dates_today_utc() - 1;
}

static int64_t now_ms(const ledger_t *l)
{
    return l->clock->now_ms(l->clock->ctx);
}

/* --------------------------------------------------------- rate plans -- */

const ledger_rate_plan_t LEDGER_RATE_PLANS[LEDGER_RATE_PLAN_COUNT] = {
    {"base", "Standard Rate", "BAR", 100},
    {"nr", "Non-refundable", "NRF", 90},
    {"bb", "Breakfast included", "BB", 115},
};

int ledger_rate_plan_of_rate_id(const char *room_type_id, const char *rate_id)
{
    size_t n = strlen(room_type_id);
    if (!rate_id || strncmp(rate_id, room_type_id, n) != 0 || rate_id[n] != '-')
        return -1;
    for (int i = 0; i < LEDGER_RATE_PLAN_COUNT; i++)
        if (strcmp(rate_id + n + 1, LEDGER_RATE_PLANS[i].id) == 0)
            return i;
    return -1;
}

int64_t ledger_extra_guests(const seed_room_type_t *rt, int rooms, int adults)
{
    if (!rt || rooms < 1)
        return 0;
    int extra = adults - rt->adults_included * rooms;
    return extra > 0 ? (int64_t)extra * rt->extra_adult_rate_minor / rooms : 0;
}

int64_t ledger_plan_rate(int plan, int64_t base_rate_minor)
{
    if (plan < 0 || plan >= LEDGER_RATE_PLAN_COUNT)
        plan = 0;
    return base_rate_minor * LEDGER_RATE_PLANS[plan].percent_of_base / 100;
}

/* ------------------------------------------------------ construction -- */

static bool is_weekend_night(dates_day_t day)
{
    int weekday = (int)(((int64_t)day + UNIX_EPOCH_WEEKDAY) % DAYS_PER_WEEK);
    return weekday == FRIDAY || weekday == SATURDAY;
}

static void hotel_state_clear(hotel_state_t *h)
{
    for (size_t i = 0; i < h->count; i++)
        free(h->reservations[i]);
    free(h->reservations);
    free(h->available);
    free(h->rate_minor);
    free(h->restrictions);
    pthread_mutex_destroy(&h->lock);
}

static int hotel_state_init(hotel_state_t *h, const seed_hotel_t *seed, dates_day_t first_day)
{
    memset(h, 0, sizeof *h);
    h->seed = seed;
    size_t cells = seed->room_type_count * LEDGER_INVENTORY_DAYS;
    h->available = calloc(cells, sizeof *h->available);
    h->rate_minor = calloc(cells, sizeof *h->rate_minor);
    h->restrictions = calloc(cells * LEDGER_RATE_PLAN_COUNT, sizeof *h->restrictions);
    pthread_mutex_init(&h->lock, NULL);
    if (!h->available || !h->rate_minor || !h->restrictions)
        return -1;
    for (size_t t = 0; t < seed->room_type_count; t++) {
        const seed_room_type_t *rt = &seed->room_types[t];
        for (int d = 0; d < LEDGER_INVENTORY_DAYS; d++) {
            size_t cell = t * LEDGER_INVENTORY_DAYS + (size_t)d;
            h->available[cell] = rt->units;
            h->rate_minor[cell] =
                is_weekend_night(first_day + d) ? rt->weekend_rate_minor : rt->base_rate_minor;
        }
    }
    return 0;
}

/* Builds the hotel table for `seed`. NULL on OOM. */
static hotel_state_t *hotels_build(const seed_t *seed, dates_day_t first_day)
{
    size_t n = seed_hotel_count(seed);
    hotel_state_t *hotels = calloc(n, sizeof *hotels);
    if (!hotels)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (hotel_state_init(&hotels[i], seed_hotel_at(seed, i), first_day) != 0) {
            for (size_t j = 0; j <= i; j++)
                hotel_state_clear(&hotels[j]);
            free(hotels);
            return NULL;
        }
    }
    return hotels;
}

static void hotels_free(hotel_state_t *hotels, size_t n)
{
    for (size_t i = 0; hotels && i < n; i++)
        hotel_state_clear(&hotels[i]);
    free(hotels);
}

ledger_t *ledger_new(seed_t *seed, dates_day_t first_day, const clock_source_t *clock)
{
    ledger_t *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->clock = clock ? clock : ledger_wall_clock();
    l->first_day = first_day;
    l->hotels = hotels_build(seed, first_day);
    if (!l->hotels) {
        free(l);
        return NULL;
    }
    l->hotel_count = seed_hotel_count(seed);
    l->seed = seed_ref(seed);
    int64_t start = now_ms(l);
    atomic_init(&l->next_id, start > MIN_FIRST_RESERVATION_ID ? start : MIN_FIRST_RESERVATION_ID);
    pthread_rwlock_init(&l->table_lock, NULL);
    return l;
}

void ledger_free(ledger_t *ledger)
{
    if (!ledger)
        return;
    hotels_free(ledger->hotels, ledger->hotel_count);
    seed_unref(ledger->seed);
    pthread_rwlock_destroy(&ledger->table_lock);
    free(ledger);
}

int ledger_reload(ledger_t *ledger, seed_t *seed, dates_day_t first_day)
{
    hotel_state_t *hotels = hotels_build(seed, first_day);
    if (!hotels)
        return LEDGER_ERR_NOMEM;
    pthread_rwlock_wrlock(&ledger->table_lock);
    hotel_state_t *old = ledger->hotels;
    size_t old_count = ledger->hotel_count;
    seed_t *old_seed = ledger->seed;
    ledger->hotels = hotels;
    ledger->hotel_count = seed_hotel_count(seed);
    ledger->seed = seed_ref(seed);
    ledger->first_day = first_day;
    pthread_rwlock_unlock(&ledger->table_lock);
    hotels_free(old, old_count);
    seed_unref(old_seed);
    return LEDGER_OK;
}

void ledger_set_listener(ledger_t *ledger, ledger_event_fn fn, void *ctx)
{
    pthread_rwlock_wrlock(&ledger->table_lock);
    ledger->listener = fn;
    ledger->listener_ctx = ctx;
    pthread_rwlock_unlock(&ledger->table_lock);
}

seed_t *ledger_seed(ledger_t *ledger)
{
    pthread_rwlock_rdlock(&ledger->table_lock);
    seed_t *seed = seed_ref(ledger->seed);
    pthread_rwlock_unlock(&ledger->table_lock);
    return seed;
}

void ledger_window(ledger_t *ledger, dates_day_t *first, dates_day_t *last_inclusive)
{
    pthread_rwlock_rdlock(&ledger->table_lock);
    *first = ledger->first_day;
    *last_inclusive = ledger->first_day + LEDGER_INVENTORY_DAYS - 1;
    pthread_rwlock_unlock(&ledger->table_lock);
}

/* --------------------------------------------------------- inventory -- */

/* Where night `d` of room type `t` lies in a hotel's flat inventory arrays
 * (d inside the window). */
static size_t night_cell(const ledger_t *l, size_t t, dates_day_t d)
{
    return t * LEDGER_INVENTORY_DAYS + (size_t)(d - l->first_day);
}

/* Fills out[0..count) with nights first.. of room type `t` (inside the window). */
static void read_nights(const ledger_t *l, const hotel_state_t *h, size_t t, dates_day_t first,
                        int count, ledger_night_t *out)
{
    for (int i = 0; i < count; i++) {
        size_t cell = night_cell(l, t, first + i);
        out[i] = (ledger_night_t){first + i, h->available[cell], h->seed->room_types[t].units,
                                  h->rate_minor[cell]};
    }
}

/* ------------------------------------------------------------ events -- */

/* Copies nights [first, last] of room type `t` into a malloc'd array. */
static ledger_night_t *nights_copy(const ledger_t *l, const hotel_state_t *h, size_t t,
                                   dates_day_t first, dates_day_t last)
{
    int n = (int)(last - first + 1);
    ledger_night_t *out = calloc((size_t)n, sizeof *out);
    if (out)
        read_nights(l, h, t, first, n, out);
    return out;
}

/* Tells the listener about a change of nights [first, last] of room type t. */
static void emit_nights(const ledger_t *l, const hotel_state_t *h, ledger_event_type_t type,
                        size_t t, dates_day_t first, dates_day_t last)
{
    if (!l->listener)
        return;
    ledger_night_t *nights = nights_copy(l, h, t, first, last);
    ledger_event_t ev = {.type = type,
                         .property_id = h->seed->id,
                         .room_type_id = h->seed->room_types[t].id,
                         .currency = h->seed->currency_code,
                         .currency_exponent = h->seed->currency_exponent,
                         .first = first,
                         .last = last,
                         .nights = nights,
                         .night_count = nights ? (int)(last - first + 1) : 0};
    l->listener(&ev, l->listener_ctx);
    free(nights);
}

static void emit_booking(const ledger_t *l, const hotel_state_t *h, ledger_event_type_t type,
                         const ledger_reservation_t *r)
{
    if (!l->listener)
        return;
    ledger_event_t ev = {.type = type,
                         .property_id = h->seed->id,
                         .room_type_id = r->room_type_id,
                         .currency = h->seed->currency_code,
                         .currency_exponent = h->seed->currency_exponent,
                         .first = r->start,
                         .last = r->end - 1,
                         .reservation = r};
    l->listener(&ev, l->listener_ctx);
}

/* ----------------------------------------------------- hotel helpers -- */

static size_t room_type_index(const hotel_state_t *h, const char *room_type_id)
{
    size_t t = 0;
    return seed_find_room_type(h->seed, room_type_id, &t) ? t : SIZE_MAX;
}

static ledger_reservation_t *find_reservation(const hotel_state_t *h, const char *id)
{
    for (size_t i = 0; id && i < h->count; i++)
        if (strcmp(h->reservations[i]->reservation_id, id) == 0)
            return h->reservations[i];
    return NULL;
}

/* Moves a live reservation to canceled and gives its rooms back. The one
 * place inventory is restored: the status check makes it happen once. */
static void cancel_locked(ledger_t *l, hotel_state_t *h, ledger_reservation_t *r,
                          ledger_cancel_reason_t reason, int64_t now)
{
    if (r->status == LEDGER_CANCELED)
        return;
    if (r->status == LEDGER_NOT_CONFIRMED)
        h->open_holds--;
    size_t t = room_type_index(h, r->room_type_id);
    for (dates_day_t d = r->start; d < r->end; d++)
        h->available[night_cell(l, t, d)] += r->quantity;
    r->status = LEDGER_CANCELED;
    r->cancel_reason = reason;
    r->updated_ms = now;
    emit_nights(l, h, LEDGER_EVENT_INVENTORY, t, r->start, r->end - 1);
    emit_booking(l, h, LEDGER_EVENT_BOOKING_CANCELED, r);
}

static void expire_due_locked(ledger_t *l, hotel_state_t *h, int64_t now, int *expired)
{
    for (size_t i = 0; h->open_holds > 0 && i < h->count; i++) {
        ledger_reservation_t *r = h->reservations[i];
        if (r->status == LEDGER_NOT_CONFIRMED && r->hold_expires_ms <= now) {
            cancel_locked(l, h, r, LEDGER_CANCEL_EXPIRED, now);
            if (expired)
                (*expired)++;
        }
    }
}

/* Enters a hotel: table read lock + the hotel's mutex, expired holds
 * canceled. NULL (and nothing held) when there is no such hotel. */
static hotel_state_t *hotel_enter(ledger_t *l, const char *property_id)
{
    pthread_rwlock_rdlock(&l->table_lock);
    for (size_t i = 0; property_id && i < l->hotel_count; i++) {
        hotel_state_t *h = &l->hotels[i];
        if (strcmp(h->seed->id, property_id) != 0)
            continue;
        pthread_mutex_lock(&h->lock);
        expire_due_locked(l, h, now_ms(l), NULL);
        return h;
    }
    pthread_rwlock_unlock(&l->table_lock);
    return NULL;
}

static void hotel_leave(ledger_t *l, hotel_state_t *h)
{
    pthread_mutex_unlock(&h->lock);
    pthread_rwlock_unlock(&l->table_lock);
}

/* Checks that nights [first, last] lie in the window and names the room type. */
static ledger_err_t check_range(const ledger_t *l, const hotel_state_t *h, const char *room_type_id,
                                dates_day_t first, dates_day_t last, size_t *t)
{
    *t = room_type_index(h, room_type_id);
    if (*t == SIZE_MAX)
        return LEDGER_ERR_NO_ROOM_TYPE;
    if (last < first)
        return LEDGER_ERR_INVALID;
    if (first < l->first_day || last >= l->first_day + LEDGER_INVENTORY_DAYS)
        return LEDGER_ERR_OUT_OF_RANGE;
    return LEDGER_OK;
}

/* ------------------------------------------------------------- reads -- */

ledger_err_t ledger_get_nights(ledger_t *ledger, const char *property_id, const char *room_type_id,
                               dates_day_t first, int count, ledger_night_t *out)
{
    if (count < 1 || count > LEDGER_INVENTORY_DAYS)
        return LEDGER_ERR_INVALID;
    hotel_state_t *h = hotel_enter(ledger, property_id);
    if (!h)
        return LEDGER_ERR_NO_PROPERTY;
    size_t t = 0;
    ledger_err_t rc = check_range(ledger, h, room_type_id, first, first + count - 1, &t);
    if (rc == LEDGER_OK)
        read_nights(ledger, h, t, first, count, out);
    hotel_leave(ledger, h);
    return rc;
}

/* Where plan `plan`'s restrictions of a cell lie. */
static size_t restriction_cell(const hotel_state_t *h, int plan, size_t cell)
{
    return (size_t)plan * h->seed->room_type_count * LEDGER_INVENTORY_DAYS + cell;
}

ledger_err_t ledger_get_restrictions(ledger_t *ledger, const char *property_id,
                                     const char *room_type_id, int plan, dates_day_t first,
                                     int count, ledger_restriction_t *out)
{
    if (count < 1 || count > LEDGER_INVENTORY_DAYS || plan < 0 || plan >= LEDGER_RATE_PLAN_COUNT)
        return LEDGER_ERR_INVALID;
    hotel_state_t *h = hotel_enter(ledger, property_id);
    if (!h)
        return LEDGER_ERR_NO_PROPERTY;
    size_t t = 0;
    ledger_err_t rc = check_range(ledger, h, room_type_id, first, first + count - 1, &t);
    for (int i = 0; rc == LEDGER_OK && i < count; i++)
        out[i] = h->restrictions[restriction_cell(h, plan, night_cell(ledger, t, first + i))];
    hotel_leave(ledger, h);
    return rc;
}

/* Acts on one reservation inside its hotel (the hotel entered): LEDGER_OK
 * or why not. `arg` is the action's own. */
typedef ledger_err_t (*reservation_act_fn)(ledger_t *l, hotel_state_t *h, ledger_reservation_t *r,
                                           const void *arg);

/* Enters the hotel, runs `act` (NULL: only read) on the reservation and
 * copies it as it then is to `out`, whatever `act` decided. */
static ledger_err_t on_reservation(ledger_t *ledger, const char *property_id,
                                   const char *reservation_id, reservation_act_fn act,
                                   const void *arg, ledger_reservation_t *out)
{
    hotel_state_t *h = hotel_enter(ledger, property_id);
    if (!h)
        return LEDGER_ERR_NO_PROPERTY;
    ledger_reservation_t *r = find_reservation(h, reservation_id);
    ledger_err_t rc = LEDGER_ERR_NO_RESERVATION;
    if (r) {
        rc = act ? act(ledger, h, r, arg) : LEDGER_OK;
        *out = *r;
    }
    hotel_leave(ledger, h);
    return rc;
}

ledger_err_t ledger_get(ledger_t *ledger, const char *property_id, const char *reservation_id,
                        ledger_reservation_t *out)
{
    return on_reservation(ledger, property_id, reservation_id, NULL, NULL, out);
}

ledger_err_t ledger_list(ledger_t *ledger, const char *property_id, ledger_reservation_t **out,
                         size_t *count)
{
    *out = NULL;
    *count = 0;
    pthread_rwlock_rdlock(&ledger->table_lock);
    bool found = property_id == NULL;
    ledger_err_t rc = LEDGER_OK;
    for (size_t i = 0; rc == LEDGER_OK && i < ledger->hotel_count; i++) {
        hotel_state_t *h = &ledger->hotels[i];
        if (property_id && strcmp(h->seed->id, property_id) != 0)
            continue;
        found = true;
        pthread_mutex_lock(&h->lock);
        expire_due_locked(ledger, h, now_ms(ledger), NULL);
        ledger_reservation_t *grown =
            h->count ? realloc(*out, (*count + h->count) * sizeof **out) : *out;
        if (h->count && !grown) {
            rc = LEDGER_ERR_NOMEM;
        } else {
            *out = grown;
            for (size_t j = 0; j < h->count; j++)
                (*out)[(*count)++] = *h->reservations[j];
        }
        pthread_mutex_unlock(&h->lock);
    }
    pthread_rwlock_unlock(&ledger->table_lock);
    if (rc != LEDGER_OK || !found) {
        free(*out);
        *out = NULL;
        *count = 0;
    }
    return rc != LEDGER_OK ? rc : found ? LEDGER_OK : LEDGER_ERR_NO_PROPERTY;
}

/* ------------------------------------------------------ reservations -- */

static void copy_text(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

/* A new reservation record for `b` (nothing taken yet). NULL on OOM. */
static ledger_reservation_t *reservation_new(ledger_t *l, const hotel_state_t *h, size_t t,
                                             const ledger_booking_t *b, int64_t now)
{
    ledger_reservation_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    long long id = atomic_fetch_add(&l->next_id, 2);
    snprintf(r->reservation_id, sizeof r->reservation_id, "%lld", id);
    snprintf(r->guest_id, sizeof r->guest_id, "%lld", id + 1);
    copy_text(r->property_id, sizeof r->property_id, h->seed->id);
    copy_text(r->room_type_id, sizeof r->room_type_id, h->seed->room_types[t].id);
    copy_text(r->room_type_name, sizeof r->room_type_name, h->seed->room_types[t].name);
    copy_text(r->currency, sizeof r->currency, h->seed->currency_code);
    r->currency_exponent = h->seed->currency_exponent;
    copy_text(r->third_party_id, sizeof r->third_party_id, b->third_party_id);
    copy_text(r->guest_first_name, sizeof r->guest_first_name, b->guest_first_name);
    copy_text(r->guest_last_name, sizeof r->guest_last_name, b->guest_last_name);
    copy_text(r->guest_email, sizeof r->guest_email, b->guest_email);
    copy_text(r->guest_country, sizeof r->guest_country, b->guest_country);
    copy_text(r->guest_zip, sizeof r->guest_zip, b->guest_zip);
    copy_text(r->guest_phone, sizeof r->guest_phone, b->guest_phone);
    copy_text(r->payment_method, sizeof r->payment_method, b->payment_method);
    r->start = b->start;
    r->end = b->end;
    r->nights = (int)(b->end - b->start);
    r->quantity = b->quantity;
    r->adults = b->adults;
    r->children = b->children;
    r->rate_plan = b->rate_plan;
    r->status = b->is_hold ? LEDGER_NOT_CONFIRMED : LEDGER_CONFIRMED;
    r->is_hold = b->is_hold;
    r->hold_expires_ms = b->is_hold ? b->hold_expires_ms : 0;
    r->created_ms = now;
    r->updated_ms = now;
    return r;
}

static int reservations_push(hotel_state_t *h, ledger_reservation_t *r)
{
    if (h->count == h->capacity) {
        size_t cap = h->capacity ? h->capacity * 2 : INITIAL_RESERVATION_CAPACITY;
        ledger_reservation_t **grown = realloc(h->reservations, cap * sizeof *grown);
        if (!grown)
            return -1;
        h->reservations = grown;
        h->capacity = cap;
    }
    h->reservations[h->count++] = r;
    return 0;
}

/* The live reservation made earlier with the same third-party id, or NULL. */
static ledger_reservation_t *find_replay(const hotel_state_t *h, const char *third_party_id)
{
    if (!third_party_id || !*third_party_id)
        return NULL;
    for (size_t i = h->count; i-- > 0;) {
        ledger_reservation_t *r = h->reservations[i];
        if (r->status != LEDGER_CANCELED && strcmp(r->third_party_id, third_party_id) == 0)
            return r;
    }
    return NULL;
}

/* All-or-nothing: checks every night, then takes the rooms of every night. */
static ledger_err_t take_rooms(ledger_t *l, hotel_state_t *h, size_t t, const ledger_booking_t *b,
                               int64_t *nightly, dates_day_t *short_night)
{
    size_t base = night_cell(l, t, b->start);
    int nights = (int)(b->end - b->start);
    for (int i = 0; i < nights; i++) {
        if (h->available[base + (size_t)i] < b->quantity) {
            *short_night = b->start + i;
            return LEDGER_ERR_NO_AVAILABILITY;
        }
    }
    for (int i = 0; i < nights; i++) {
        h->available[base + (size_t)i] -= b->quantity;
        nightly[i] = ledger_plan_rate(b->rate_plan, h->rate_minor[base + (size_t)i]) +
                     ledger_extra_guests(&h->seed->room_types[t], b->quantity, b->adults);
    }
    return LEDGER_OK;
}

static void give_rooms_back(ledger_t *l, hotel_state_t *h, size_t t, const ledger_booking_t *b)
{
    size_t base = night_cell(l, t, b->start);
    for (int i = 0; i < (int)(b->end - b->start); i++)
        h->available[base + (size_t)i] += b->quantity;
}

static ledger_err_t check_booking(const ledger_booking_t *b)
{
    int nights = (int)(b->end - b->start);
    if (nights < 1 || nights > LEDGER_MAX_STAY_NIGHTS || b->quantity < 1 || b->adults < 0 ||
        b->children < 0)
        return LEDGER_ERR_INVALID;
    return LEDGER_OK;
}

ledger_err_t ledger_create(ledger_t *ledger, const ledger_booking_t *b, ledger_reservation_t *out,
                           bool *replayed, dates_day_t *short_night)
{
    *replayed = false;
    if (check_booking(b) != LEDGER_OK)
        return LEDGER_ERR_INVALID;
    hotel_state_t *h = hotel_enter(ledger, b->property_id);
    if (!h)
        return LEDGER_ERR_NO_PROPERTY;
    int64_t now = now_ms(ledger);
    size_t t = 0;
    ledger_reservation_t *r = b->allow_duplicate ? NULL : find_replay(h, b->third_party_id);
    ledger_err_t rc =
        r ? LEDGER_OK : check_range(ledger, h, b->room_type_id, b->start, b->end - 1, &t);
    if (r) {
        *replayed = true;
    } else if (rc == LEDGER_OK && b->is_hold && b->hold_expires_ms <= now) {
        rc = LEDGER_ERR_INVALID;
    } else if (rc == LEDGER_OK && h->count >= LEDGER_MAX_RESERVATIONS_PER_HOTEL) {
        rc = LEDGER_ERR_FULL;
    } else if (rc == LEDGER_OK && !(r = reservation_new(ledger, h, t, b, now))) {
        rc = LEDGER_ERR_NOMEM;
    } else if (rc == LEDGER_OK) {
        rc = take_rooms(ledger, h, t, b, r->nightly_rate_minor, short_night);
        if (rc == LEDGER_OK && reservations_push(h, r) != 0) {
            give_rooms_back(ledger, h, t, b);
            rc = LEDGER_ERR_NOMEM;
        }
        if (rc != LEDGER_OK) {
            free(r);
            r = NULL;
        }
    }
    if (r && !*replayed) {
        for (int i = 0; i < r->nights; i++)
            r->grand_total_minor +=
                (r->nightly_rate_minor[i] + seed_taxes_added(h->seed, r->nightly_rate_minor[i])) *
                r->quantity; /* Cloudbeds' grandTotal carries the exclusive taxes and fees */
        /* ... and those charged per guest and per stay */
        r->grand_total_minor +=
            seed_stay_charges(h->seed, r->nights, r->quantity, r->adults, r->children);
        if (r->status == LEDGER_NOT_CONFIRMED)
            h->open_holds++;
        emit_nights(ledger, h, LEDGER_EVENT_INVENTORY, t, r->start, r->end - 1);
        if (r->status == LEDGER_CONFIRMED)
            emit_booking(ledger, h, LEDGER_EVENT_BOOKING_CONFIRMED, r);
    }
    if (r)
        *out = *r;
    hotel_leave(ledger, h);
    return rc;
}

/* A hold becomes confirmed; confirming a confirmed reservation is a no-op. */
static ledger_err_t confirm_locked(ledger_t *l, hotel_state_t *h, ledger_reservation_t *r,
                                   const void *arg)
{
    (void)arg;
    if (r->status == LEDGER_CANCELED)
        return LEDGER_ERR_CANCELED;
    if (r->status == LEDGER_NOT_CONFIRMED) {
        r->status = LEDGER_CONFIRMED;
        r->updated_ms = now_ms(l);
        h->open_holds--;
        emit_booking(l, h, LEDGER_EVENT_BOOKING_CONFIRMED, r);
    }
    return LEDGER_OK;
}

ledger_err_t ledger_confirm(ledger_t *ledger, const char *property_id, const char *reservation_id,
                            ledger_reservation_t *out)
{
    return on_reservation(ledger, property_id, reservation_id, confirm_locked, NULL, out);
}

/* arg: the ledger_cancel_reason_t. Canceling a canceled reservation is a no-op. */
static ledger_err_t cancel_act(ledger_t *l, hotel_state_t *h, ledger_reservation_t *r,
                               const void *arg)
{
    cancel_locked(l, h, r, *(const ledger_cancel_reason_t *)arg, now_ms(l));
    return LEDGER_OK;
}

ledger_err_t ledger_cancel(ledger_t *ledger, const char *property_id, const char *reservation_id,
                           ledger_cancel_reason_t reason, ledger_reservation_t *out)
{
    return on_reservation(ledger, property_id, reservation_id, cancel_act, &reason, out);
}

typedef struct modify_arg {
    const char *room_type_id;
    dates_day_t start, end;
    dates_day_t *short_night;
} modify_arg_t;

static ledger_err_t modify_act(ledger_t *l, hotel_state_t *h, ledger_reservation_t *r,
                               const void *arg)
{
    const modify_arg_t *m = arg;
    if (r->status == LEDGER_CANCELED)
        return LEDGER_ERR_CANCELED;
    if (r->status != LEDGER_CONFIRMED)
        return LEDGER_ERR_INVALID;
    const char *room = m->room_type_id ? m->room_type_id : r->room_type_id;
    size_t t_new = 0, t_old = room_type_index(h, r->room_type_id);
    ledger_booking_t now = {.room_type_id = room,
                            .start = m->start,
                            .end = m->end,
                            .quantity = r->quantity,
                            .adults = r->adults};
    ledger_err_t rc = check_booking(&now);
    if (rc == LEDGER_OK)
        rc = check_range(l, h, room, m->start, m->end - 1, &t_new);
    if (rc != LEDGER_OK)
        return rc;
    ledger_booking_t before = {.start = r->start, .end = r->end, .quantity = r->quantity};
    give_rooms_back(l, h, t_old, &before);
    int64_t nightly[LEDGER_MAX_STAY_NIGHTS] = {0}, scratch[LEDGER_MAX_STAY_NIGHTS];
    rc = take_rooms(l, h, t_new, &now, nightly, m->short_night);
    if (rc != LEDGER_OK) {
        dates_day_t unused;
        take_rooms(l, h, t_old, &before, scratch, &unused); /* just given back: always fits */
        return rc;
    }
    copy_text(r->room_type_id, sizeof r->room_type_id, h->seed->room_types[t_new].id);
    copy_text(r->room_type_name, sizeof r->room_type_name, h->seed->room_types[t_new].name);
    r->start = m->start;
    r->end = m->end;
    r->nights = (int)(m->end - m->start);
    r->grand_total_minor = 0;
    for (int i = 0; i < r->nights; i++) {
        r->nightly_rate_minor[i] = nightly[i];
        r->grand_total_minor += nightly[i] * r->quantity;
    }
    r->updated_ms = now_ms(l);
    /* Only the reservation is reported, with its new stay: Cloudbeds'
     * reservation/dates_changed says nothing of the nights given back (it has
     * no availability webhook at all), so neither does the sandbox. */
    emit_booking(l, h, LEDGER_EVENT_BOOKING_CONFIRMED, r);
    return LEDGER_OK;
}

ledger_err_t ledger_modify(ledger_t *ledger, const char *property_id, const char *reservation_id,
                           const char *room_type_id, dates_day_t start, dates_day_t end,
                           ledger_reservation_t *out, dates_day_t *short_night)
{
    modify_arg_t m = {room_type_id, start, end, short_night};
    return on_reservation(ledger, property_id, reservation_id, modify_act, &m, out);
}

/* Expires `r` now when it is a live hold; the result says what it was. */
static ledger_err_t expire_now_locked(ledger_t *l, hotel_state_t *h, ledger_reservation_t *r)
{
    if (r->status == LEDGER_CANCELED)
        return LEDGER_ERR_CANCELED;
    if (r->status != LEDGER_NOT_CONFIRMED)
        return LEDGER_ERR_INVALID;
    int64_t now = now_ms(l);
    r->hold_expires_ms = now;
    cancel_locked(l, h, r, LEDGER_CANCEL_EXPIRED, now);
    return LEDGER_OK;
}

ledger_err_t ledger_expire_now(ledger_t *ledger, const char *property_id,
                               const char *reservation_id, ledger_reservation_t *out)
{
    pthread_rwlock_rdlock(&ledger->table_lock);
    ledger_err_t rc = property_id ? LEDGER_ERR_NO_PROPERTY : LEDGER_ERR_NO_RESERVATION;
    for (size_t i = 0; i < ledger->hotel_count; i++) {
        hotel_state_t *h = &ledger->hotels[i];
        if (property_id && strcmp(h->seed->id, property_id) != 0)
            continue;
        pthread_mutex_lock(&h->lock);
        expire_due_locked(ledger, h, now_ms(ledger), NULL);
        ledger_reservation_t *r = find_reservation(h, reservation_id);
        rc = r ? expire_now_locked(ledger, h, r) : LEDGER_ERR_NO_RESERVATION;
        if (r)
            *out = *r;
        pthread_mutex_unlock(&h->lock);
        if (r)
            break;
    }
    pthread_rwlock_unlock(&ledger->table_lock);
    return rc;
}

int ledger_expire_due(ledger_t *ledger)
{
    int expired = 0;
    pthread_rwlock_rdlock(&ledger->table_lock);
    for (size_t i = 0; i < ledger->hotel_count; i++) {
        hotel_state_t *h = &ledger->hotels[i];
        pthread_mutex_lock(&h->lock);
        expire_due_locked(ledger, h, now_ms(ledger), &expired);
        pthread_mutex_unlock(&h->lock);
    }
    pthread_rwlock_unlock(&ledger->table_lock);
    return expired;
}

/* -------------------------------------------------------- front desk -- */

/* What the front desk sets on a range of nights. */
typedef enum night_field { NIGHT_AVAILABLE, NIGHT_RATE } night_field_t;

/* Sets `field` of nights [first, last] of a room type to `value` (0 up to
 * the room type's units for availability, any non-negative rate) and tells
 * the listener. */
static ledger_err_t set_nights(ledger_t *ledger, const char *property_id, const char *room_type_id,
                               dates_day_t first, dates_day_t last, night_field_t field,
                               int64_t value)
{
    hotel_state_t *h = hotel_enter(ledger, property_id);
    if (!h)
        return LEDGER_ERR_NO_PROPERTY;
    size_t t = 0;
    ledger_err_t rc = check_range(ledger, h, room_type_id, first, last, &t);
    if (rc == LEDGER_OK &&
        (value < 0 || (field == NIGHT_AVAILABLE && value > h->seed->room_types[t].units)))
        rc = LEDGER_ERR_INVALID;
    if (rc == LEDGER_OK) {
        for (dates_day_t d = first; d <= last; d++) {
            if (field == NIGHT_AVAILABLE)
                h->available[night_cell(ledger, t, d)] = (int)value;
            else
                h->rate_minor[night_cell(ledger, t, d)] = value;
        }
        emit_nights(ledger, h,
                    field == NIGHT_AVAILABLE ? LEDGER_EVENT_INVENTORY : LEDGER_EVENT_RATE, t, first,
                    last);
    }
    hotel_leave(ledger, h);
    return rc;
}

ledger_err_t ledger_set_availability(ledger_t *ledger, const char *property_id,
                                     const char *room_type_id, dates_day_t first, dates_day_t last,
                                     int available)
{
    return set_nights(ledger, property_id, room_type_id, first, last, NIGHT_AVAILABLE, available);
}

ledger_err_t ledger_set_rate(ledger_t *ledger, const char *property_id, const char *room_type_id,
                             dates_day_t first, dates_day_t last, int64_t rate_minor)
{
    return set_nights(ledger, property_id, room_type_id, first, last, NIGHT_RATE, rate_minor);
}

ledger_err_t ledger_set_restrictions(ledger_t *ledger, const char *property_id,
                                     const char *room_type_id, int plan, dates_day_t first,
                                     dates_day_t last, const ledger_restriction_t *r)
{
    if (plan < 0 || plan >= LEDGER_RATE_PLAN_COUNT || r->min_los < 0 || r->max_los < 0)
        return LEDGER_ERR_INVALID;
    hotel_state_t *h = hotel_enter(ledger, property_id);
    if (!h)
        return LEDGER_ERR_NO_PROPERTY;
    size_t t = 0;
    ledger_err_t rc = check_range(ledger, h, room_type_id, first, last, &t);
    if (rc == LEDGER_OK) {
        for (dates_day_t d = first; d <= last; d++)
            h->restrictions[restriction_cell(h, plan, night_cell(ledger, t, d))] = *r;
        emit_nights(ledger, h, LEDGER_EVENT_RATE, t, first, last);
    }
    hotel_leave(ledger, h);
    return rc;
}

/* ------------------------------------------------------------- setup -- */

ledger_err_t ledger_set_setup(ledger_t *ledger, const char *property_id,
                              const ledger_setup_t *setup)
{
    hotel_state_t *h = hotel_enter(ledger, property_id);
    if (!h)
        return LEDGER_ERR_NO_PROPERTY;
    h->setup = *setup;
    hotel_leave(ledger, h);
    return LEDGER_OK;
}

ledger_err_t ledger_get_setup(ledger_t *ledger, const char *property_id, ledger_setup_t *out)
{
    hotel_state_t *h = hotel_enter(ledger, property_id);
    if (!h)
        return LEDGER_ERR_NO_PROPERTY;
    *out = h->setup;
    hotel_leave(ledger, h);
    return LEDGER_OK;
}

/* ------------------------------------------------------------- names -- */

const char *ledger_status_name(ledger_status_t status)
{
    switch (status) {
    case LEDGER_NOT_CONFIRMED:
        return "not_confirmed";
    case LEDGER_CONFIRMED:
        return "confirmed";
    case LEDGER_CANCELED:
        return "canceled";
    }
    return "unknown";
}

const char *ledger_cancel_reason_name(ledger_cancel_reason_t reason)
{
    switch (reason) {
    case LEDGER_CANCEL_BY_API:
        return "api";
    case LEDGER_CANCEL_EXPIRED:
        return "expired";
    case LEDGER_CANCEL_FRONT_DESK:
        return "front_desk";
    case LEDGER_CANCEL_NONE:
        break;
    }
    return "";
}

int ledger_find_by_third_party(ledger_t *ledger, const char *property_id,
                               const char *third_party_id, ledger_reservation_t *out, int max)
{
    if (!third_party_id || !*third_party_id || max < 0)
        return LEDGER_ERR_INVALID;
    hotel_state_t *h = hotel_enter(ledger, property_id);
    if (!h)
        return LEDGER_ERR_NO_PROPERTY;
    int n = 0;
    for (size_t i = h->count; i-- > 0 && n < max;)
        if (strcmp(h->reservations[i]->third_party_id, third_party_id) == 0)
            out[n++] = *h->reservations[i];
    hotel_leave(ledger, h);
    return n;
}
