/* PMS changes booking-svc reads by polling are never lost to Kafka, against
 * the local MariaDB, the opera-sandbox and librdkafka's mock cluster (for a
 * broker that refuses what is sent): a Business Event the feed dequeued —
 * gone from OPERA's queue from then on — waits in the outbox while Kafka is
 * down and reaches pms.events once when it is back, with the id derived from
 * OPERA's event; a desk cancel of one of our bookings seen by the status
 * watch the same, and seen again by later passes it is still one event. */
#include <check.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking.h"
#include "booking_it.h"
#include "check_run.h"
#include "common/dates.h"
#include "common/metrics.h"
#include "common/pms.h"
#include "outbox.h"
#include "pms_feed.h"
#include "pms_watch.h"
#include "testsupport.h"
#include "ts_sandbox.h"

#define HOTEL "opera_jeju"
#define ROOM "DLXK"
#define APP_KEY "41ecd082-8997-4c69-af34-2f72b83645ff"
#define IDLE_INTERVAL_S 3600 /* the thread's first pass only: the test runs the others */

static booking_it_t it;
static ts_sandbox_t op;
static pms_connector_t *pms;
static booking_app_t app;
static rd_kafka_t *mock_owner;
static rd_kafka_mock_cluster_t *mock;
static const char *bootstrap;
static kafka_producer_t *producer;
static outbox_relay_t *relay;
static char topic[160];

static void setup(void)
{
    booking_it_setup(&it, "it_booking_pms_feed");
    ts_sandbox_start(&op, "opera-sandbox", "OPERA_SANDBOX_PORT", NULL);
    setenv("PMS_" HOTEL "_VENDOR", "opera", 1);
    setenv("PMS_OPERA_USERNAME", "lodging_integration", 1);
    setenv("PMS_OPERA_PASSWORD", "opera_sandbox_password", 1);
    setenv("PMS_OPERA_CHANNEL_CODE", "LODGING", 1);
    setenv("PMS_OPERA_APP_KEY", APP_KEY, 1);
    setenv("PMS_OPERA_EVENTS_ENABLED", "true", 1);
    setenv("PMS_OPERA_EVENTS_BASE_URL", op.base_url, 1);
    setenv("PMS_OPERA_EVENTS_CLIENT_ID", "lodging_property_client", 1);
    setenv("PMS_OPERA_EVENTS_CLIENT_SECRET", "opera_sandbox_client_secret", 1);
    setenv("PMS_OPERA_EVENTS_EXTERNAL_SYSTEM", "LODGING", 1);
    char err[256];
    pms_config_t pc = PMS_CONFIG_DEFAULT;
    pc.base_url = op.base_url;
    pc.timeout_ms = 3000;
    pc.rate_per_second = 100;
    pms = pms_connector_new("opera", &pc, err, sizeof err);
    ck_assert_msg(pms != NULL, "%s", err);
    ck_assert_int_eq(db_exec(it.db,
                             "INSERT INTO pms_config (vendor, hotel_id, polling_enabled) VALUES "
                             "('opera', '" HOTEL "', FALSE)",
                             NULL, 0, NULL, NULL),
                     DB_OK);

    char log_err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", log_err, sizeof log_err);
    mock_owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, log_err, sizeof log_err);
    ck_assert_ptr_nonnull(mock_owner);
    mock = rd_kafka_mock_cluster_new(mock_owner, 1);
    ck_assert_ptr_nonnull(mock);
    bootstrap = rd_kafka_mock_cluster_bootstraps(mock);
    kafka_topic_name(it.prefix, "pms.events", topic, sizeof topic);
    ck_assert_int_eq(rd_kafka_mock_topic_create(mock, topic, 3, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    const char *extra[] = {"message.timeout.ms", "1500", "log_level", "0", NULL};
    producer = kafka_producer_new(bootstrap, "it_booking_pms_feed", extra, err, sizeof err);
    ck_assert_msg(producer != NULL, "%s", err);
    outbox_relay_config_t oc = {
        .db = it.pool, .producer = producer, .topic_prefix = it.prefix, .poll_interval_ms = 50};
    relay = outbox_relay_start(&oc, err, sizeof err);
    ck_assert_msg(relay != NULL, "%s", err);

    memset(&app, 0, sizeof app);
    app.db = it.pool;
    app.pms = pms;
    app.relay = relay;
}

static void teardown(void)
{
    outbox_relay_stop(relay);
    kafka_producer_free(producer);
    rd_kafka_mock_cluster_destroy(mock);
    rd_kafka_destroy(mock_owner);
    pms_connector_free(pms);
    ts_sandbox_stop(&op);
    booking_it_teardown(&it);
}

/* ------------------------------------------------------------ helpers -- */

static const char *text_of(struct json_object *o, const char *name)
{
    struct json_object *v;
    const char *t = json_object_object_get_ex(o, name, &v) ? json_object_get_string(v) : NULL;
    return t ? t : "";
}

/* A front-desk reservation at the sandbox; its confirmation number into id. */
static void desk_book(dates_day_t day, char *id, size_t size)
{
    char in[DATES_ISO_LEN + 1], out[DATES_ISO_LEN + 1], body[256];
    dates_format_iso(day, in);
    dates_format_iso(day + 1, out);
    snprintf(body, sizeof body,
             "{\"hotelCode\":\"" HOTEL "\",\"roomType\":\"" ROOM "\",\"arrivalDate\":\"%s\","
             "\"departureDate\":\"%s\",\"numberOfUnits\":1}",
             in, out);
    ck_assert_int_eq(ts_sandbox_post(&op, "/_sandbox/frontdesk/book", body), 201);
    const char *q[] = {"hotelCode", HOTEL, NULL};
    struct json_object *ledger = ts_sandbox_get_json(&op, "/_sandbox/ledger", q), *list;
    ck_assert(json_object_object_get_ex(ledger, "reservations", &list));
    id[0] = '\0';
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        struct json_object *r = json_object_array_get_idx(list, i);
        if (strcmp(text_of(r, "arrivalDate"), in) == 0)
            snprintf(id, size, "%s", text_of(r, "confirmationNumber"));
    }
    json_object_put(ledger);
    ck_assert_msg(id[0], "the desk's reservation is not in the sandbox ledger");
}

static long outbox_rows(const char *type)
{
    return booking_it_query_long(&it, "SELECT COUNT(*) FROM outbox WHERE event_type = ?", type,
                                 NULL);
}

/* Messages on the mock's pms.events with this type, and the id of the last one. */
static int on_topic(booking_it_collector_t *c, const char *type, char *id, size_t size)
{
    int n = 0;
    for (int i = 0; i < booking_it_collected(c); i++) {
        booking_it_message_t m = booking_it_message(c, i);
        if (strcmp(m.ce_type, type) == 0) {
            n++;
            snprintf(id, size, "%s", m.ce_id);
        }
    }
    return n;
}

static double publish_errors(void)
{
    return metrics_value(metrics_counter("booking_outbox_publish_errors_total",
                                         "Outbox events Kafka did not acknowledge (retried)", 0));
}

/* -------------------------------------------------------------- tests -- */

START_TEST(a_dequeued_business_event_survives_kafka_down_and_arrives_once)
{
    char res[64];
    desk_book(dates_today_utc() + 20, res, sizeof res);
    /* Kafka refuses everything while the feed takes the event from OPERA's queue. */
    double errors_before = publish_errors();
    ck_assert_int_eq(rd_kafka_mock_broker_set_down(mock, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    char err[256];
    pms_feed_t *f = pms_feed_start(&app, IDLE_INTERVAL_S, err, sizeof err);
    ck_assert_msg(f != NULL, "%s", err);
    ck_assert(TS_POLL_UNTIL(outbox_rows("lodging.pms.booking.confirmed") == 1, BOOKING_IT_WAIT_MS));
    ck_assert(TS_POLL_UNTIL(publish_errors() > errors_before, BOOKING_IT_WAIT_MS));
    ck_assert_int_eq(outbox_unpublished(it.db), 1);
    /* OPERA deleted it when it handed it out: the outbox holds the only copy */
    pms_booking_events_t left;
    pms_error_t pe = {0};
    ck_assert_int_eq(pms_take_booking_events(pms, HOTEL, &left, &pe), PMS_OK);
    ck_assert_uint_eq(left.count, 0);
    ck_assert_int_eq(pms_feed_run_once(f), 0);

    ck_assert_int_eq(rd_kafka_mock_broker_set_up(mock, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    ck_assert(TS_POLL_UNTIL(outbox_unpublished(it.db) == 0, BOOKING_IT_WAIT_MS));
    booking_it_collector_t *c = booking_it_collect_from(bootstrap, topic);
    char id[64] = "";
    ck_assert(TS_POLL_UNTIL(on_topic(c, "lodging.pms.booking.confirmed", id, sizeof id) >= 1,
                            BOOKING_IT_WAIT_MS));
    ck_assert_int_eq(strncmp(id, "pmsfeed-", 8), 0);
    ck_assert_uint_eq(strlen(id), 48);
    booking_it_message_t m = booking_it_message(c, 0);
    ck_assert_str_eq(m.key, HOTEL);
    ck_assert_str_eq(m.ce_subject, res);
    ck_assert_int_eq(on_topic(c, "lodging.pms.booking.confirmed", id, sizeof id), 1);
    booking_it_collector_free(c);
    pms_feed_stop(f);
}
END_TEST

START_TEST(a_watched_cancel_survives_kafka_down_and_is_one_event)
{
    char res[64], body[256];
    dates_day_t day = dates_today_utc() + 25;
    desk_book(day, res, sizeof res);
    /* take it as ours: a confirmed booking of ours with that reservation */
    booking_it_seed_booking(&it, "bk_watched", "confirmed", "pi_watched", "captured", res,
                            "120000.00", "KRW");
    char in[DATES_ISO_LEN + 1], out[DATES_ISO_LEN + 1];
    dates_format_iso(day, in);
    dates_format_iso(day + 1, out);
    db_param_t p[] = {DB_STR(in), DB_STR(out)};
    ck_assert_int_eq(db_exec(it.db,
                             "UPDATE booking SET vendor = 'opera', hotel_id = '" HOTEL "', "
                             "room_type_id = '" ROOM "', check_in = ?, check_out = ? "
                             "WHERE booking_id = 'bk_watched'",
                             p, 2, NULL, NULL),
                     DB_OK);
    snprintf(body, sizeof body, "{\"hotelCode\":\"" HOTEL "\",\"confirmationNumber\":\"%s\"}", res);
    ck_assert_int_eq(ts_sandbox_post(&op, "/_sandbox/frontdesk/cancel", body), 200);

    ck_assert_int_eq(rd_kafka_mock_broker_set_down(mock, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    char err[256];
    pms_watch_t *w = pms_watch_start(&app, IDLE_INTERVAL_S, err, sizeof err);
    ck_assert_msg(w != NULL, "%s", err);
    ck_assert(TS_POLL_UNTIL(outbox_rows("lodging.pms.booking.cancelled") == 1, BOOKING_IT_WAIT_MS));
    /* the booking is still confirmed (nobody consumed the cancel): later passes see it again */
    ck_assert_int_eq(pms_watch_run_once(w), 1);
    ck_assert_int_eq(pms_watch_run_once(w), 1);
    ck_assert_int_eq(outbox_rows("lodging.pms.booking.cancelled"), 1);
    ck_assert_int_eq(outbox_unpublished(it.db), 1);

    ck_assert_int_eq(rd_kafka_mock_broker_set_up(mock, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    ck_assert(TS_POLL_UNTIL(outbox_unpublished(it.db) == 0, BOOKING_IT_WAIT_MS));
    booking_it_collector_t *c = booking_it_collect_from(bootstrap, topic);
    char id[64] = "", want[96];
    ck_assert(TS_POLL_UNTIL(on_topic(c, "lodging.pms.booking.cancelled", id, sizeof id) >= 1,
                            BOOKING_IT_WAIT_MS));
    snprintf(want, sizeof want, "pmswatch:opera:%s:cancelled", res);
    ck_assert_str_eq(id, want);
    ck_assert_int_eq(on_topic(c, "lodging.pms.booking.cancelled", id, sizeof id), 1);
    booking_it_collector_free(c);
    pms_watch_stop(w);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("it_booking_pms_feed");
    TCase *tc = tcase_create("pms_feed");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, a_dequeued_business_event_survives_kafka_down_and_arrives_once);
    tcase_add_test(tc, a_watched_cancel_survives_kafka_down_and_is_one_event);
    suite_add_tcase(s, tc);
    return check_run(s);
}
