/* events_seen.h — the CloudEvents a test's consumer read from one topic, by
 * type and reservation (data.reservationId), for the integration tests of
 * PMS-reported bookings. Include once per test program. */
#ifndef EVENTS_SEEN_H
#define EVENTS_SEEN_H

#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "common/cloudevents.h"
#include "common/kafka.h"
#include "testsupport.h"

#define SEEN_MAX 256

/* What the topic carried: per message its ce_type and data. */
typedef struct seen {
    int count;
    char type[SEEN_MAX][96];
    json_object *data[SEEN_MAX];
} seen_t;

static kafka_handler_result_t seen_record(const kafka_message_t *m, void *ctx, char *reason,
                                          size_t reason_size)
{
    (void)reason, (void)reason_size;
    seen_t *s = ctx;
    if (s->count == SEEN_MAX)
        return KAFKA_HANDLER_OK;
    char err[256];
    cloudevent_t *ev = cloudevent_from_kafka(m, err, sizeof err);
    if (!ev)
        return KAFKA_HANDLER_OK;
    snprintf(s->type[s->count], sizeof s->type[0], "%s", ev->type);
    s->data[s->count] = ev->data ? json_object_get(ev->data) : NULL;
    cloudevent_free(ev);
    s->count++;
    return KAFKA_HANDLER_OK;
}

/* A consumer of prefix + base from the earliest offset, in a group of its
 * own named after test, recording into s. */
static kafka_consumer_t *seen_consumer(const char *brokers, const char *prefix, const char *test,
                                       const char *base, seen_t *s)
{
    static char topic[128];
    char group[96], err[256];
    kafka_topic_name(prefix, base, topic, sizeof topic);
    ts_unique_name(test, group, sizeof group);
    const char *topics[] = {topic, NULL};
    const char *extra[] = {"auto.offset.reset", "earliest", NULL};
    kafka_consumer_config_t cc = {.brokers = brokers,
                                  .group_id = group,
                                  .topics = topics,
                                  .handler = seen_record,
                                  .ctx = s,
                                  .extra = extra};
    kafka_consumer_t *c = kafka_consumer_new(&cc, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    return c;
}

static const char *text_of(json_object *o, const char *name)
{
    json_object *v;
    const char *t = o && json_object_object_get_ex(o, name, &v) ? json_object_get_string(v) : NULL;
    return t ? t : "";
}

/* Messages of this type about the reservation, after one poll. */
static int count_of(kafka_consumer_t *c, const seen_t *s, const char *type,
                    const char *reservation_id)
{
    kafka_consumer_poll_once(c, 100);
    int n = 0;
    for (int i = 0; i < s->count; i++)
        n += strcmp(s->type[i], type) == 0 &&
             strcmp(text_of(s->data[i], "reservationId"), reservation_id) == 0;
    return n;
}

/* The data of the last message of this type about the reservation, or NULL. */
static json_object *last_of(const seen_t *s, const char *type, const char *reservation_id)
{
    json_object *found = NULL;
    for (int i = 0; i < s->count; i++)
        if (strcmp(s->type[i], type) == 0 &&
            strcmp(text_of(s->data[i], "reservationId"), reservation_id) == 0)
            found = s->data[i];
    return found;
}

#endif
