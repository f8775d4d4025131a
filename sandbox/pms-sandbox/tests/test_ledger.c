/* Unit tests for the pms-sandbox ledger: holds take every night or none,
 * release / cancel / expiry give rooms back exactly once, confirm works on a
 * live hold only, thirdPartyIdentifier replays, and availability never goes
 * below zero however many threads race for the last rooms. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "common/clock.h"
#include "ledger.h"
#include "seed.h"

#define HOTEL "h1"
#define SMALL "small" /* 3 units */
#define BIG "big"     /* 10 units */
#define START_MS 1750000000000LL
#define HOLD_MS 180000
#define RACERS 40

static const char SEED_JSON[] =
    "{\"hotels\":[{\"propertyID\":\"h1\",\"apiKey\":\"key_h1\",\"name\":\"Test Hotel\","
    "\"currency\":{\"code\":\"KRW\",\"symbol\":\"W\"},\"timezone\":\"Asia/Seoul\","
    "\"address\":{\"address1\":\"1 Road\",\"city\":\"Seoul\",\"country\":\"KR\","
    "\"latitude\":\"37.5\",\"longitude\":\"127.0\"},"
    "\"roomTypes\":["
    "{\"roomTypeID\":\"small\",\"name\":\"Small\",\"shortName\":\"S\",\"maxGuests\":2,"
    "\"units\":3,\"baseRate\":100000,\"weekendRate\":150000},"
    "{\"roomTypeID\":\"big\",\"name\":\"Big\",\"shortName\":\"B\",\"maxGuests\":4,"
    "\"units\":10,\"baseRate\":200000,\"weekendRate\":250000}]}]}";

static clock_manual_t manual;
static clock_source_t clk;
static seed_t *seed;
static ledger_t *ledger;
static dates_day_t first_day;

/* Counts the events the ledger emits, by type. */
static int events[4];

static void count_event(const ledger_event_t *ev, void *ctx)
{
    (void)ctx;
    events[ev->type]++;
}

static void setup(void)
{
    char err[256];
    seed = seed_parse(SEED_JSON, strlen(SEED_JSON), err, sizeof err);
    ck_assert_msg(seed != NULL, "%s", err);
    manual = (clock_manual_t){.now_ms = START_MS};
    clk = clock_source_manual(&manual);
    /* A Monday, so the weekend nights of the first week are known. */
    first_day = dates_from_civil(2025, 11, 3);
    ledger = ledger_new(seed, first_day, &clk);
    ck_assert_ptr_nonnull(ledger);
    memset(events, 0, sizeof events);
    ledger_set_listener(ledger, count_event, NULL);
}

static void teardown(void)
{
    ledger_free(ledger);
    seed_unref(seed);
}

static int available(const char *room_type, dates_day_t night)
{
    ledger_night_t n;
    ck_assert_int_eq(ledger_get_nights(ledger, HOTEL, room_type, night, 1, &n), LEDGER_OK);
    return n.available;
}

static ledger_booking_t booking(const char *room_type, int offset, int nights, int quantity,
                                bool hold)
{
    return (ledger_booking_t){.property_id = HOTEL,
                              .room_type_id = room_type,
                              .start = first_day + offset,
                              .end = first_day + offset + nights,
                              .quantity = quantity,
                              .adults = 1,
                              .guest_first_name = "Gil-dong",
                              .guest_last_name = "Hong",
                              .guest_email = "guest@example.com",
                              .guest_country = "KR",
                              .payment_method = "credit",
                              .is_hold = hold,
                              .hold_expires_ms = hold ? manual.now_ms + HOLD_MS : 0};
}

static ledger_err_t create(const ledger_booking_t *b, ledger_reservation_t *r)
{
    bool replayed = false;
    dates_day_t short_night = 0;
    return ledger_create(ledger, b, r, &replayed, &short_night);
}

START_TEST(test_a_hold_takes_every_night_or_none)
{
    ck_assert_int_eq(ledger_set_availability(ledger, HOTEL, BIG, first_day + 2, first_day + 2, 1),
                     LEDGER_OK);
    ledger_booking_t b = booking(BIG, 0, 4, 2, true);
    ledger_reservation_t r;
    bool replayed = false;
    dates_day_t short_night = 0;
    ck_assert_int_eq(ledger_create(ledger, &b, &r, &replayed, &short_night),
                     LEDGER_ERR_NO_AVAILABILITY);
    ck_assert_int_eq(short_night, first_day + 2);
    /* Nothing was taken from the nights that did have rooms. */
    ck_assert_int_eq(available(BIG, first_day), 10);
    ck_assert_int_eq(available(BIG, first_day + 1), 10);
    ck_assert_int_eq(available(BIG, first_day + 2), 1);
    ck_assert_int_eq(available(BIG, first_day + 3), 10);

    b = booking(BIG, 0, 4, 1, true);
    ck_assert_int_eq(create(&b, &r), LEDGER_OK);
    ck_assert_int_eq(r.status, LEDGER_NOT_CONFIRMED);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(available(BIG, first_day + i), i == 2 ? 0 : 9);
    ck_assert_int_eq(available(BIG, first_day + 4), 10);
}
END_TEST

START_TEST(test_release_gives_the_rooms_back_exactly_once)
{
    ledger_booking_t b = booking(SMALL, 1, 2, 2, true);
    ledger_reservation_t r, again;
    ck_assert_int_eq(create(&b, &r), LEDGER_OK);
    ck_assert_int_eq(available(SMALL, first_day + 1), 1);
    ck_assert_int_eq(ledger_cancel(ledger, HOTEL, r.reservation_id, LEDGER_CANCEL_BY_API, &again),
                     LEDGER_OK);
    ck_assert_int_eq(again.status, LEDGER_CANCELED);
    ck_assert_int_eq(available(SMALL, first_day + 1), 3);
    ck_assert_int_eq(available(SMALL, first_day + 2), 3);
    /* A second release, a front-desk cancel and an expiry change nothing. */
    ck_assert_int_eq(ledger_cancel(ledger, HOTEL, r.reservation_id, LEDGER_CANCEL_BY_API, &again),
                     LEDGER_OK);
    ck_assert_int_eq(
        ledger_cancel(ledger, HOTEL, r.reservation_id, LEDGER_CANCEL_FRONT_DESK, &again),
        LEDGER_OK);
    manual.now_ms += HOLD_MS + 1;
    ck_assert_int_eq(ledger_expire_due(ledger), 0);
    ck_assert_int_eq(available(SMALL, first_day + 1), 3);
    ck_assert_int_eq(again.cancel_reason, LEDGER_CANCEL_BY_API);
}
END_TEST

START_TEST(test_cancel_of_a_confirmed_reservation_gives_the_rooms_back_once)
{
    ledger_booking_t b = booking(BIG, 5, 3, 4, false);
    ledger_reservation_t r, after;
    ck_assert_int_eq(create(&b, &r), LEDGER_OK);
    ck_assert_int_eq(r.status, LEDGER_CONFIRMED);
    ck_assert_int_eq(available(BIG, first_day + 6), 6);
    ck_assert_int_eq(
        ledger_cancel(ledger, HOTEL, r.reservation_id, LEDGER_CANCEL_FRONT_DESK, &after),
        LEDGER_OK);
    ck_assert_int_eq(
        ledger_cancel(ledger, HOTEL, r.reservation_id, LEDGER_CANCEL_FRONT_DESK, &after),
        LEDGER_OK);
    ck_assert_int_eq(available(BIG, first_day + 6), 10);
    ck_assert_int_eq(after.cancel_reason, LEDGER_CANCEL_FRONT_DESK);
}
END_TEST

START_TEST(test_a_front_desk_change_moves_the_rooms_all_or_nothing)
{
    ledger_booking_t b = booking(BIG, 5, 2, 2, false);
    ledger_reservation_t r, after;
    dates_day_t short_night = 0;
    ck_assert_int_eq(create(&b, &r), LEDGER_OK);
    memset(events, 0, sizeof events);
    /* Two nights later and one longer: nights 5..6 come back, 7..9 are taken. */
    ck_assert_int_eq(ledger_modify(ledger, HOTEL, r.reservation_id, NULL, first_day + 7,
                                   first_day + 10, &after, &short_night),
                     LEDGER_OK);
    ck_assert_int_eq(available(BIG, first_day + 5), 10);
    ck_assert_int_eq(available(BIG, first_day + 7), 8);
    ck_assert_int_eq(available(BIG, first_day + 9), 8);
    ck_assert_int_eq(after.nights, 3);
    /* reported as Cloudbeds reports it: the reservation with its new stay, no nights */
    ck_assert_int_eq(events[LEDGER_EVENT_INVENTORY], 0);
    ck_assert_int_eq(events[LEDGER_EVENT_BOOKING_CONFIRMED], 1);
    /* To a room type without room for two on one night: nothing moves. */
    ledger_booking_t filler = booking(SMALL, 8, 1, 2, false);
    ck_assert_int_eq(create(&filler, &r), LEDGER_OK);
    ck_assert_int_eq(ledger_modify(ledger, HOTEL, after.reservation_id, SMALL, first_day + 7,
                                   first_day + 10, &r, &short_night),
                     LEDGER_ERR_NO_AVAILABILITY);
    ck_assert_int_eq(short_night, first_day + 8);
    ck_assert_int_eq(available(BIG, first_day + 7), 8);
    ck_assert_int_eq(available(SMALL, first_day + 7), 3);
    ck_assert_str_eq(r.room_type_id, BIG);
    /* A canceled reservation cannot be moved. */
    ck_assert_int_eq(
        ledger_cancel(ledger, HOTEL, after.reservation_id, LEDGER_CANCEL_FRONT_DESK, &r),
        LEDGER_OK);
    ck_assert_int_eq(ledger_modify(ledger, HOTEL, after.reservation_id, NULL, first_day + 1,
                                   first_day + 2, &r, &short_night),
                     LEDGER_ERR_CANCELED);
}
END_TEST

START_TEST(test_expiry_gives_the_rooms_back_exactly_once)
{
    ledger_booking_t b = booking(SMALL, 0, 3, 3, true);
    ledger_reservation_t r, after;
    ck_assert_int_eq(create(&b, &r), LEDGER_OK);
    ck_assert_int_eq(available(SMALL, first_day), 0);
    manual.now_ms += HOLD_MS - 1;
    ck_assert_int_eq(ledger_expire_due(ledger), 0);
    ck_assert_int_eq(available(SMALL, first_day), 0);
    manual.now_ms += 1;
    ck_assert_int_eq(ledger_expire_due(ledger), 1);
    ck_assert_int_eq(ledger_expire_due(ledger), 0);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(available(SMALL, first_day + i), 3);
    ck_assert_int_eq(ledger_cancel(ledger, HOTEL, r.reservation_id, LEDGER_CANCEL_BY_API, &after),
                     LEDGER_OK);
    ck_assert_int_eq(after.cancel_reason, LEDGER_CANCEL_EXPIRED);
    ck_assert_int_eq(available(SMALL, first_day), 3);
}
END_TEST

START_TEST(test_an_expired_hold_is_canceled_when_it_is_next_looked_at)
{
    ledger_booking_t b = booking(SMALL, 0, 1, 1, true);
    ledger_reservation_t r, seen;
    ck_assert_int_eq(create(&b, &r), LEDGER_OK);
    manual.now_ms += HOLD_MS;
    /* No sweep: the read itself cancels it. */
    ck_assert_int_eq(ledger_get(ledger, HOTEL, r.reservation_id, &seen), LEDGER_OK);
    ck_assert_int_eq(seen.status, LEDGER_CANCELED);
    ck_assert_int_eq(seen.cancel_reason, LEDGER_CANCEL_EXPIRED);
    ck_assert_int_eq(available(SMALL, first_day), 3);
}
END_TEST

START_TEST(test_confirm_turns_a_live_hold_into_a_reservation)
{
    ledger_booking_t b = booking(BIG, 0, 2, 1, true);
    ledger_reservation_t r, confirmed;
    ck_assert_int_eq(create(&b, &r), LEDGER_OK);
    manual.now_ms += HOLD_MS - 1;
    ck_assert_int_eq(ledger_confirm(ledger, HOTEL, r.reservation_id, &confirmed), LEDGER_OK);
    ck_assert_int_eq(confirmed.status, LEDGER_CONFIRMED);
    /* Past the old deadline it stays confirmed and keeps its rooms. */
    manual.now_ms += HOLD_MS;
    ck_assert_int_eq(ledger_expire_due(ledger), 0);
    ck_assert_int_eq(available(BIG, first_day), 9);
    /* Confirming again is a no-op success. */
    ck_assert_int_eq(ledger_confirm(ledger, HOTEL, r.reservation_id, &confirmed), LEDGER_OK);
    ck_assert_int_eq(confirmed.status, LEDGER_CONFIRMED);
    ck_assert_int_eq(available(BIG, first_day), 9);
}
END_TEST

START_TEST(test_confirm_fails_on_an_expired_hold)
{
    ledger_booking_t b = booking(BIG, 0, 2, 2, true);
    ledger_reservation_t r, after;
    ck_assert_int_eq(create(&b, &r), LEDGER_OK);
    manual.now_ms += HOLD_MS;
    ck_assert_int_eq(ledger_confirm(ledger, HOTEL, r.reservation_id, &after), LEDGER_ERR_CANCELED);
    ck_assert_int_eq(after.status, LEDGER_CANCELED);
    ck_assert_int_eq(available(BIG, first_day), 10);
    ck_assert_int_eq(ledger_confirm(ledger, HOTEL, "no-such-id", &after),
                     LEDGER_ERR_NO_RESERVATION);
}
END_TEST

START_TEST(test_the_same_third_party_identifier_returns_the_first_reservation)
{
    ledger_booking_t b = booking(SMALL, 0, 2, 1, true);
    b.third_party_id = "booking-42";
    ledger_reservation_t first, second, third;
    bool replayed = false;
    dates_day_t short_night = 0;
    ck_assert_int_eq(ledger_create(ledger, &b, &first, &replayed, &short_night), LEDGER_OK);
    ck_assert(!replayed);
    ck_assert_int_eq(ledger_create(ledger, &b, &second, &replayed, &short_night), LEDGER_OK);
    ck_assert(replayed);
    ck_assert_str_eq(second.reservation_id, first.reservation_id);
    ck_assert_int_eq(available(SMALL, first_day), 2);
    /* Once canceled, the identifier books afresh. */
    ck_assert_int_eq(
        ledger_cancel(ledger, HOTEL, first.reservation_id, LEDGER_CANCEL_BY_API, &third),
        LEDGER_OK);
    ck_assert_int_eq(ledger_create(ledger, &b, &third, &replayed, &short_night), LEDGER_OK);
    ck_assert(!replayed);
    ck_assert_str_ne(third.reservation_id, first.reservation_id);
    ck_assert_int_eq(available(SMALL, first_day), 2);
}
END_TEST

START_TEST(test_grand_total_is_the_nightly_rates_times_the_rooms)
{
    /* Thursday, Friday, Saturday nights: 200000 + 250000 + 250000, two rooms. */
    ledger_booking_t b = booking(BIG, 3, 3, 2, false);
    ledger_reservation_t r;
    ck_assert_int_eq(create(&b, &r), LEDGER_OK);
    ck_assert_int_eq(r.nights, 3);
    ck_assert_int_eq(r.nightly_rate_minor[0], 200000);
    ck_assert_int_eq(r.nightly_rate_minor[1], 250000);
    ck_assert_int_eq(r.nightly_rate_minor[2], 250000);
    ck_assert_int_eq(r.grand_total_minor, 1400000);
    ck_assert_str_eq(r.currency, "KRW");
}
END_TEST

START_TEST(test_bad_requests_are_refused_without_touching_inventory)
{
    ledger_reservation_t r;
    ledger_booking_t b = booking(SMALL, 0, 0, 1, false);
    ck_assert_int_eq(create(&b, &r), LEDGER_ERR_INVALID); /* no nights */
    b = booking(SMALL, 0, LEDGER_MAX_STAY_NIGHTS + 1, 1, false);
    ck_assert_int_eq(create(&b, &r), LEDGER_ERR_INVALID);
    b = booking(SMALL, -1, 2, 1, false);
    ck_assert_int_eq(create(&b, &r), LEDGER_ERR_OUT_OF_RANGE);
    b = booking(SMALL, LEDGER_INVENTORY_DAYS - 1, 2, 1, false);
    ck_assert_int_eq(create(&b, &r), LEDGER_ERR_OUT_OF_RANGE);
    b = booking("nope", 0, 1, 1, false);
    ck_assert_int_eq(create(&b, &r), LEDGER_ERR_NO_ROOM_TYPE);
    b = booking(SMALL, 0, 1, 1, true);
    b.hold_expires_ms = manual.now_ms; /* already over */
    ck_assert_int_eq(create(&b, &r), LEDGER_ERR_INVALID);
    b.property_id = "h2";
    ck_assert_int_eq(create(&b, &r), LEDGER_ERR_NO_PROPERTY);
    ck_assert_int_eq(available(SMALL, first_day), 3);
    ck_assert_int_eq(ledger_set_availability(ledger, HOTEL, SMALL, first_day, first_day, 4),
                     LEDGER_ERR_INVALID);
    ck_assert_int_eq(ledger_set_availability(ledger, HOTEL, SMALL, first_day, first_day, -1),
                     LEDGER_ERR_INVALID);
    ck_assert_int_eq(ledger_set_rate(ledger, HOTEL, SMALL, first_day + 1, first_day, 5),
                     LEDGER_ERR_INVALID);
}
END_TEST

START_TEST(test_every_change_is_reported_to_the_listener)
{
    ledger_reservation_t r, x;
    ledger_booking_t hold = booking(BIG, 0, 2, 1, true);
    ck_assert_int_eq(create(&hold, &r), LEDGER_OK);
    ck_assert_int_eq(events[LEDGER_EVENT_INVENTORY], 1);
    ck_assert_int_eq(events[LEDGER_EVENT_BOOKING_CONFIRMED], 0);
    ck_assert_int_eq(ledger_confirm(ledger, HOTEL, r.reservation_id, &x), LEDGER_OK);
    ck_assert_int_eq(events[LEDGER_EVENT_BOOKING_CONFIRMED], 1);
    ck_assert_int_eq(ledger_cancel(ledger, HOTEL, r.reservation_id, LEDGER_CANCEL_BY_API, &x),
                     LEDGER_OK);
    ck_assert_int_eq(events[LEDGER_EVENT_INVENTORY], 2);
    ck_assert_int_eq(events[LEDGER_EVENT_BOOKING_CANCELED], 1);
    ledger_booking_t direct = booking(BIG, 0, 1, 1, false);
    ck_assert_int_eq(create(&direct, &r), LEDGER_OK);
    ck_assert_int_eq(events[LEDGER_EVENT_BOOKING_CONFIRMED], 2);
    ck_assert_int_eq(ledger_set_rate(ledger, HOTEL, BIG, first_day, first_day + 9, 210000),
                     LEDGER_OK);
    ck_assert_int_eq(events[LEDGER_EVENT_RATE], 1);
    ck_assert_int_eq(ledger_set_availability(ledger, HOTEL, BIG, first_day, first_day, 5),
                     LEDGER_OK);
    ck_assert_int_eq(events[LEDGER_EVENT_INVENTORY], 4);
    ledger_booking_t expiring = booking(SMALL, 0, 1, 1, true);
    ck_assert_int_eq(create(&expiring, &r), LEDGER_OK);
    manual.now_ms += HOLD_MS;
    ck_assert_int_eq(ledger_expire_due(ledger), 1);
    ck_assert_int_eq(events[LEDGER_EVENT_BOOKING_CANCELED], 2);
    ck_assert_int_eq(events[LEDGER_EVENT_INVENTORY], 6);
}
END_TEST

START_TEST(test_reload_starts_over_but_never_reuses_an_id)
{
    ledger_reservation_t r, after;
    ledger_booking_t b = booking(SMALL, 0, 1, 3, false);
    ck_assert_int_eq(create(&b, &r), LEDGER_OK);
    ck_assert_int_eq(ledger_reload(ledger, seed, first_day), LEDGER_OK);
    ck_assert_int_eq(available(SMALL, first_day), 3);
    ck_assert_int_eq(ledger_get(ledger, HOTEL, r.reservation_id, &after),
                     LEDGER_ERR_NO_RESERVATION);
    ck_assert_int_eq(create(&b, &after), LEDGER_OK);
    ck_assert_str_ne(after.reservation_id, r.reservation_id);
    ledger_reservation_t *list = NULL;
    size_t count = 0;
    ck_assert_int_eq(ledger_list(ledger, NULL, &list, &count), LEDGER_OK);
    ck_assert_int_eq(count, 1);
    free(list);
}
END_TEST

/* ------------------------------------------------------- concurrency -- */

typedef struct racer {
    pthread_barrier_t *start;
    ledger_err_t result;
    ledger_reservation_t r;
} racer_t;

static void *race_for_a_room(void *arg)
{
    racer_t *racer = arg;
    ledger_booking_t b = booking(SMALL, 10, 3, 1, true);
    pthread_barrier_wait(racer->start);
    racer->result = create(&b, &racer->r);
    return NULL;
}

START_TEST(test_racing_threads_never_take_more_rooms_than_there_are)
{
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, RACERS);
    racer_t racers[RACERS];
    pthread_t threads[RACERS];
    for (int i = 0; i < RACERS; i++) {
        racers[i] = (racer_t){.start = &start};
        ck_assert_int_eq(pthread_create(&threads[i], NULL, race_for_a_room, &racers[i]), 0);
    }
    int won = 0, refused = 0;
    for (int i = 0; i < RACERS; i++) {
        pthread_join(threads[i], NULL);
        won += racers[i].result == LEDGER_OK;
        refused += racers[i].result == LEDGER_ERR_NO_AVAILABILITY;
    }
    pthread_barrier_destroy(&start);
    ck_assert_int_eq(won, 3);
    ck_assert_int_eq(refused, RACERS - 3);
    for (int d = 10; d < 13; d++)
        ck_assert_int_eq(available(SMALL, first_day + d), 0);
    /* Releasing the winners from many threads restores exactly 3. */
    for (int i = 0; i < RACERS; i++) {
        ledger_reservation_t x;
        if (racers[i].result == LEDGER_OK) {
            ck_assert_int_eq(
                ledger_cancel(ledger, HOTEL, racers[i].r.reservation_id, LEDGER_CANCEL_BY_API, &x),
                LEDGER_OK);
            ck_assert_int_eq(
                ledger_cancel(ledger, HOTEL, racers[i].r.reservation_id, LEDGER_CANCEL_BY_API, &x),
                LEDGER_OK);
        }
    }
    for (int d = 10; d < 13; d++)
        ck_assert_int_eq(available(SMALL, first_day + d), 3);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pms_sandbox_ledger");
    TCase *tc = tcase_create("ledger");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_a_hold_takes_every_night_or_none);
    tcase_add_test(tc, test_release_gives_the_rooms_back_exactly_once);
    tcase_add_test(tc, test_cancel_of_a_confirmed_reservation_gives_the_rooms_back_once);
    tcase_add_test(tc, test_a_front_desk_change_moves_the_rooms_all_or_nothing);
    tcase_add_test(tc, test_expiry_gives_the_rooms_back_exactly_once);
    tcase_add_test(tc, test_an_expired_hold_is_canceled_when_it_is_next_looked_at);
    tcase_add_test(tc, test_confirm_turns_a_live_hold_into_a_reservation);
    tcase_add_test(tc, test_confirm_fails_on_an_expired_hold);
    tcase_add_test(tc, test_the_same_third_party_identifier_returns_the_first_reservation);
    tcase_add_test(tc, test_grand_total_is_the_nightly_rates_times_the_rooms);
    tcase_add_test(tc, test_bad_requests_are_refused_without_touching_inventory);
    tcase_add_test(tc, test_every_change_is_reported_to_the_listener);
    tcase_add_test(tc, test_reload_starts_over_but_never_reuses_an_id);
    tcase_add_test(tc, test_racing_threads_never_take_more_rooms_than_there_are);
    suite_add_tcase(s, tc);
    return check_run(s);
}
