/*
 * booking_it.h — what booking-svc's integration tests share: a migrated
 * database of the test's own, a unique Kafka topic prefix with its topics, a
 * collector of the messages on one topic, and seeding of booking rows.
 *
 *     booking_it_t it; booking_it_setup(&it, "it_outbox");        // fails the test on error
 *     booking_it_collector_t *c = booking_it_collect(&it, "booking.events");
 *     ck_assert(TS_POLL_UNTIL(booking_it_collected(c) >= 3, BOOKING_IT_WAIT_MS));
 *     booking_it_collector_free(c); booking_it_teardown(&it);
 *
 * These call check's assertions: use them inside tests and fixtures only.
 */
#ifndef BOOKING_IT_H
#define BOOKING_IT_H

#include <json-c/json.h>
#include <stddef.h>

#include "common/db.h"
#include "common/kafka.h"

#define BOOKING_IT_WAIT_MS 60000
#define BOOKING_IT_MAX_MESSAGES 1024

typedef struct booking_it {
    const char *brokers;
    char prefix[96];
    char db_name[96];
    char db_url[512];
    db_pool_t *pool;
    db_t *db; /* the test's own connection */
    kafka_producer_t *producer;
} booking_it_t;

/* One message as the collector saw it. */
typedef struct booking_it_message {
    char key[72];
    char ce_id[64], ce_type[96], ce_source[64], content_type[64];
    char ce_specversion[8], ce_subject[72], ce_dataschema[96], ce_traceparent[64];
    char *value; /* the event as read by cloudevent_from_kafka, in structured JSON; NULL when it
                    could not be read */
} booking_it_message_t;

typedef struct booking_it_collector booking_it_collector_t;

void booking_it_setup(booking_it_t *it, const char *name);
void booking_it_teardown(booking_it_t *it);

/* Starts a consumer (unique group, from the beginning) of <prefix><base_topic> on brokers. */
booking_it_collector_t *booking_it_collect_from(const char *brokers, const char *topic);
booking_it_collector_t *booking_it_collect(booking_it_t *it, const char *base_topic);
/* Messages seen so far. */
int booking_it_collected(booking_it_collector_t *c);
/* Copies message i (valid until the collector is freed). */
booking_it_message_t booking_it_message(booking_it_collector_t *c, int i);
/* How many messages have this ce_type. */
int booking_it_count_type(booking_it_collector_t *c, const char *ce_type);
void booking_it_collector_free(booking_it_collector_t *c);

/* Inserts a booking row (vendor "cloudbeds", hotel_123/room_456, 2026-12-01..03, 2 adults). */
void booking_it_seed_booking(booking_it_t *it, const char *booking_id, const char *status,
                             const char *payment_auth_id, const char *payment_status,
                             const char *reservation_id, const char *total_price,
                             const char *currency);
/* One integer from SQL with up to 2 text parameters (NULL to skip), or -1. */
long booking_it_query_long(booking_it_t *it, const char *sql, const char *a, const char *b);
/* One text cell into out ("" when none). */
const char *booking_it_query_text(booking_it_t *it, const char *sql, const char *a, char *out,
                                  size_t size);

#endif /* BOOKING_IT_H */
