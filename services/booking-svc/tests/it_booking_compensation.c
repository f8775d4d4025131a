/* The compensation worker and the pms.events consumer against the local
 * stack and the vendor sandboxes: a void waits out a gateway that is down and
 * completes when it is back; a compensation that keeps failing raises one
 * compensation.stuck alert and keeps trying; a duplicated command runs once;
 * a PMS-side cancel of a confirmed booking cancels it, refunds the guest and
 * tells booking.events. Bookings are seeded with SQL (the saga is not run),
 * and every test ends with the three ledgers agreeing (ts_reconcile). */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking_it.h"
#include "check_run.h"
#include "common/cloudevents.h"
#include "common/dates.h"
#include "common/metrics.h"
#include "common/payment.h"
#include "common/pms.h"
#include "compensation.h"
#include "outbox.h"
#include "pms_events.h"
#include "testsupport.h"
#include "schema_check.h"
#include "ts_reconcile.h"
#include "ts_sandbox.h"

#define HOTEL "hotel_123"
#define ROOM "room_456"
#define AMOUNT 250000
#define AMOUNT_TEXT "250000.00"
#define PAY_API_KEY "sk_test_sandbox"
#define MAX_DONE 32

static booking_it_t it;
static ts_sandbox_t pms_sb, pay_sb;
static pms_connector_t *pms;
static payment_connector_t *pay;
static outbox_relay_t *relay;
static compensation_worker_t *worker;

/* What on_done was told, and what it did to the booking (like saga.c would). */
static struct {
    pthread_mutex_t lock; /* guards count, calls */
    int count;
    char calls[MAX_DONE][128];
} done = {.lock = PTHREAD_MUTEX_INITIALIZER};

static int on_done(void *ctx, db_t *db, const char *booking_id, const char *action)
{
    (void)ctx;
    const char *payment_status = strcmp(action, "void_preauth") == 0 ? "voided"
                                 : strcmp(action, "refund") == 0     ? "refunded"
                                                                     : NULL;
    if (payment_status) {
        db_param_t p[] = {DB_STR(payment_status), DB_STR(booking_id)};
        if (db_exec(db, "UPDATE booking SET payment_status = ? WHERE booking_id = ?", p, 2, NULL,
                    NULL) != DB_OK)
            return -1;
    }
    pthread_mutex_lock(&done.lock);
    if (done.count < MAX_DONE)
        snprintf(done.calls[done.count++], sizeof done.calls[0], "%s:%s", booking_id, action);
    pthread_mutex_unlock(&done.lock);
    return 0;
}

static int done_count(const char *booking_id, const char *action)
{
    char want[128];
    snprintf(want, sizeof want, "%s:%s", booking_id, action);
    pthread_mutex_lock(&done.lock);
    int n = 0;
    for (int i = 0; i < done.count; i++)
        n += strcmp(done.calls[i], want) == 0;
    pthread_mutex_unlock(&done.lock);
    return n;
}

/* ------------------------------------------------------------ fixture -- */

static void start_worker(int alert_after)
{
    char err[256];
    compensation_config_t cfg = {.brokers = it.brokers,
                                 .topic_prefix = it.prefix,
                                 .group_id = COMPENSATION_GROUP_ID,
                                 .db = it.pool,
                                 .pms = pms,
                                 .payment = pay,
                                 .producer = it.producer,
                                 .max_attempts_before_alert = alert_after,
                                 .base_backoff_ms = 50,
                                 .max_backoff_ms = 400,
                                 .on_done = on_done};
    worker = compensation_worker_start(&cfg, err, sizeof err);
    ck_assert_msg(worker != NULL, "%s", err);
}

static void setup(void)
{
    booking_it_setup(&it, "it_booking_comp");
    pthread_mutex_lock(&done.lock);
    done.count = 0;
    pthread_mutex_unlock(&done.lock);
    ts_sandbox_start(&pms_sb, "pms-sandbox", "PMS_SANDBOX_PORT", NULL);
    ts_sandbox_start(&pay_sb, "pay-sandbox", "PAY_SANDBOX_PORT", NULL);
    setenv("PMS_hotel_123_API_KEY", "cbk_sandbox_hotel_123", 1);
    char err[256];
    /* No retries inside a call and a breaker that reopens quickly: the worker's own backoff is
     * what is under test. */
    pms_config_t pc = PMS_CONFIG_DEFAULT;
    pc.base_url = pms_sb.base_url;
    pc.timeout_ms = 3000;
    pc.retry.max_retries = 0;
    pc.breaker.open_ms = 100;
    pc.rate_per_second = 100;
    pms = pms_connector_new("cloudbeds", &pc, err, sizeof err);
    ck_assert_msg(pms != NULL, "%s", err);
    payment_config_t yc = PAYMENT_CONFIG_DEFAULT;
    yc.base_url = pay_sb.base_url;
    yc.api_key = PAY_API_KEY;
    yc.timeout_ms = 3000;
    yc.retry.max_retries = 0;
    yc.breaker.open_ms = 100;
    pay = payment_connector_new("stripe", &yc, err, sizeof err);
    ck_assert_msg(pay != NULL, "%s", err);
    outbox_relay_config_t oc = {
        .db = it.pool, .producer = it.producer, .topic_prefix = it.prefix, .poll_interval_ms = 50};
    relay = outbox_relay_start(&oc, err, sizeof err);
    ck_assert_msg(relay != NULL, "%s", err);
}

static void teardown(void)
{
    compensation_worker_stop(worker);
    worker = NULL;
    outbox_relay_stop(relay);
    payment_connector_free(pay);
    pms_connector_free(pms);
    ts_sandbox_stop(&pay_sb);
    ts_sandbox_stop(&pms_sb);
    booking_it_teardown(&it);
}

/* ------------------------------------------------------------ helpers -- */

/* A pre-authorisation on the pay-sandbox for booking_id; its id into auth_id. */
static void preauthorize(const char *booking_id, char *auth_id, size_t size)
{
    pay_preauth_request_t req = {
        .amount = AMOUNT, .currency = "KRW", .card_token = "tok_visa", .booking_id = booking_id};
    pay_payment_t out;
    pay_error_t err;
    ck_assert_int_eq(payment_preauthorize(pay, &req, &out, &err), PAY_OK);
    snprintf(auth_id, size, "%s", out.id);
}

/* The pay-sandbox's view of one payment intent (status, amounts). */
static struct json_object *intent(const char *id)
{
    static struct json_object *ledger;
    if (ledger)
        json_object_put(ledger);
    ledger = ts_sandbox_get_json(&pay_sb, "/_sandbox/ledger", NULL);
    struct json_object *list, *found = NULL;
    ck_assert(json_object_object_get_ex(ledger, "paymentIntents", &list));
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        struct json_object *p = json_object_array_get_idx(list, i), *v;
        if (json_object_object_get_ex(p, "id", &v) && strcmp(json_object_get_string(v), id) == 0)
            found = p;
    }
    ck_assert_msg(found != NULL, "payment %s not in the sandbox ledger", id);
    return found;
}

static const char *intent_text(const char *id, const char *field)
{
    struct json_object *v;
    return json_object_object_get_ex(intent(id), field, &v) ? json_object_get_string(v) : "";
}

static long intent_int(const char *id, const char *field)
{
    struct json_object *v;
    return json_object_object_get_ex(intent(id), field, &v) ? (long)json_object_get_int64(v) : -1;
}

/* How many requests of one operation the pay-sandbox served. */
static long pay_requests(const char *op)
{
    struct json_object *ledger = ts_sandbox_get_json(&pay_sb, "/_sandbox/ledger", NULL), *v;
    long n = 0;
    if (json_object_object_get_ex(ledger, "stats", &v) &&
        json_object_object_get_ex(v, "requests", &v) && json_object_object_get_ex(v, op, &v))
        n = (long)json_object_get_int64(v);
    json_object_put(ledger);
    return n;
}

static void request_compensation(const char *booking_id, const char *action, const char *auth_id,
                                 const char *hold_id)
{
    ck_assert_int_eq(db_begin(it.db), DB_OK);
    ck_assert_int_eq(compensation_request(it.db, booking_id, action, HOTEL, hold_id, auth_id, NULL,
                                          0, "KRW", "the gateway did not answer", 1),
                     0);
    ck_assert_int_eq(db_commit(it.db), DB_OK);
    outbox_relay_kick(relay);
}

static long task_long(const char *column_sql, const char *booking_id, const char *action)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT %s FROM compensation_task WHERE booking_id = ? AND action = ?", column_sql);
    return booking_it_query_long(&it, sql, booking_id, action);
}

static bool task_done(const char *booking_id, const char *action)
{
    return task_long("state = 'done'", booking_id, action) == 1;
}

static void assert_reconciled(void)
{
    char report[4096];
    ck_assert_msg(ts_reconcile(&pms_sb, &pay_sb, it.db_url, report, sizeof report), "%s", report);
}

/* -------------------------------------------------------------- tests -- */

/* Old de-duplication records and old done tasks go; recent ones and open tasks stay. */
START_TEST(test_purge_deletes_only_old_records_and_old_done_tasks)
{
    static const char *const rows[] = {
        "INSERT INTO received_messages (consumer_id, message_id, received_at) VALUES "
        "('c', 'old-1', NOW(3) - INTERVAL 20 DAY), ('c', 'old-2', NOW(3) - INTERVAL 15 DAY), "
        "('c', 'new-1', NOW(3) - INTERVAL 1 DAY)",
        "INSERT INTO compensation_task (booking_id, action, state, done_at) VALUES "
        "('bk_old_done', 'void_preauth', 'done', NOW(3) - INTERVAL 20 DAY), "
        "('bk_new_done', 'void_preauth', 'done', NOW(3) - INTERVAL 1 DAY)",
        "INSERT INTO compensation_task (booking_id, action, state, created_at) VALUES "
        "('bk_old_open', 'release_hold', 'pending', NOW(3) - INTERVAL 40 DAY)",
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        ck_assert_int_eq(db_exec_script_statement(it.db, rows[i]), DB_OK);
    ck_assert_int_eq(compensation_purge(it.db, 14L * 24 * 3600, 1000), 3);
    ck_assert_int_eq(
        booking_it_query_long(&it, "SELECT COUNT(*) FROM received_messages", NULL, NULL), 1);
    ck_assert_int_eq(booking_it_query_long(&it,
                                           "SELECT COUNT(*) FROM compensation_task WHERE "
                                           "booking_id IN ('bk_new_done', 'bk_old_open')",
                                           NULL, NULL),
                     2);
    ck_assert_int_eq(
        booking_it_query_long(&it, "SELECT COUNT(*) FROM compensation_task", NULL, NULL), 2);
}
END_TEST

START_TEST(test_a_void_is_retried_with_backoff_while_the_gateway_is_down_then_completes)
{
    char bk[48], auth[PAY_ID_MAX];
    ts_unique_name("bk", bk, sizeof bk);
    preauthorize(bk, auth, sizeof auth);
    booking_it_seed_booking(&it, bk, "failed", auth, "authorized", NULL, AMOUNT_TEXT, "KRW");
    start_worker(COMPENSATION_DEFAULT_ALERT_AFTER);
    ts_sandbox_fault(&pay_sb, "{\"down\":true}");
    request_compensation(bk, "void_preauth", auth, NULL);

    ck_assert(TS_POLL_UNTIL(task_long("attempts", bk, "void_preauth") >= 4, BOOKING_IT_WAIT_MS));
    ck_assert(!task_done(bk, "void_preauth"));
    ck_assert_int_eq(done_count(bk, "void_preauth"), 0);
    ck_assert_int_eq(task_long("next_attempt_at >= updated_at", bk, "void_preauth"), 1);
    ck_assert_int_ge(compensation_pending(it.db), 1);
    ts_sandbox_clear_faults(&pay_sb);
    ck_assert_str_eq(intent_text(auth, "status"), "requires_capture");

    ck_assert(TS_POLL_UNTIL(done_count(bk, "void_preauth") == 1, BOOKING_IT_WAIT_MS));
    ck_assert(TS_POLL_UNTIL(task_done(bk, "void_preauth"), BOOKING_IT_WAIT_MS));
    ck_assert_str_eq(intent_text(auth, "status"), "canceled");
    ck_assert_int_eq(compensation_pending(it.db), 0);
    ck_assert_int_eq(booking_it_query_long(&it,
                                           "SELECT COUNT(*) FROM saga_step_log WHERE booking_id = "
                                           "? AND step = 'void_preauth' AND outcome = "
                                           "'compensation_failed'",
                                           bk, NULL),
                     1);
    assert_reconciled();
}
END_TEST

START_TEST(test_a_stuck_compensation_raises_one_alert_and_keeps_retrying_until_done)
{
    char bk[48], auth[PAY_ID_MAX];
    ts_unique_name("bk", bk, sizeof bk);
    preauthorize(bk, auth, sizeof auth);
    booking_it_seed_booking(&it, bk, "failed", auth, "authorized", NULL, AMOUNT_TEXT, "KRW");
    metric_t *stuck = metrics_counter("booking_compensation_stuck_total",
                                      "Compensations that raised the stuck alert", 1, "action");
    double stuck_before = metrics_value(stuck, "void_preauth");
    booking_it_collector_t *alerts = booking_it_collect(&it, "ops.alerts");
    start_worker(3);
    ts_sandbox_fault(&pay_sb, "{\"down\":true}");
    request_compensation(bk, "void_preauth", auth, NULL);

    ck_assert(TS_POLL_UNTIL(booking_it_collected(alerts) >= 1, BOOKING_IT_WAIT_MS));
    booking_it_message_t m = booking_it_message(alerts, 0);
    ck_assert_str_eq(m.ce_type, "lodging.ops.compensation.stuck");
    ck_assert_str_eq(m.key, bk);
    char err[128];
    cloudevent_t *ev = cloudevent_parse(m.value, strlen(m.value), err, sizeof err);
    ck_assert_msg(ev != NULL, "%s", err);
    schema_assert_matches(ev->data, "ops-alert");
    struct json_object *v;
    ck_assert(json_object_object_get_ex(ev->data, "alert", &v));
    ck_assert_str_eq(json_object_get_string(v), "compensation.stuck");
    ck_assert(json_object_object_get_ex(ev->data, "bookingId", &v));
    ck_assert_str_eq(json_object_get_string(v), bk);
    ck_assert(json_object_object_get_ex(ev->data, "action", &v));
    ck_assert_str_eq(json_object_get_string(v), "void_preauth");
    ck_assert(json_object_object_get_ex(ev->data, "attempts", &v));
    ck_assert_int_ge(json_object_get_int(v), 3);
    cloudevent_free(ev);
    ck_assert_double_eq(metrics_value(stuck, "void_preauth"), stuck_before + 1);

    /* It keeps trying, and the alert is not repeated. */
    ck_assert(TS_POLL_UNTIL(task_long("attempts", bk, "void_preauth") >= 6, BOOKING_IT_WAIT_MS));
    ck_assert_int_eq(booking_it_query_long(&it,
                                           "SELECT COUNT(*) FROM outbox WHERE topic = 'ops.alerts' "
                                           "AND aggregate_id = ?",
                                           bk, NULL),
                     1);
    ts_sandbox_clear_faults(&pay_sb);
    ck_assert(TS_POLL_UNTIL(task_done(bk, "void_preauth"), BOOKING_IT_WAIT_MS));
    ck_assert_int_eq(done_count(bk, "void_preauth"), 1);
    ck_assert_int_eq(booking_it_collected(alerts), 1);
    ck_assert_double_eq(metrics_value(stuck, "void_preauth"), stuck_before + 1);
    booking_it_collector_free(alerts);
    assert_reconciled();
}
END_TEST

START_TEST(test_a_capture_retry_for_a_booking_cancelled_meanwhile_takes_no_money)
{
    char bk[48], auth[PAY_ID_MAX];
    ts_unique_name("bk", bk, sizeof bk);
    preauthorize(bk, auth, sizeof auth);
    booking_it_seed_booking(&it, bk, "cancelled", auth, "capture_failed", NULL, AMOUNT_TEXT, "KRW");
    request_compensation(bk, "retry_capture", auth, NULL);
    request_compensation(bk, "void_preauth", auth, NULL);
    start_worker(COMPENSATION_DEFAULT_ALERT_AFTER);

    ck_assert(TS_POLL_UNTIL(task_done(bk, "retry_capture") && task_done(bk, "void_preauth"),
                            BOOKING_IT_WAIT_MS));
    ck_assert_int_eq(done_count(bk, "retry_capture"), 0);
    ck_assert_int_eq(done_count(bk, "void_preauth"), 1);
    ck_assert_int_eq(pay_requests("payment_intents.capture"), 0);
    ck_assert_str_eq(intent_text(auth, "status"), "canceled");
    ck_assert_int_eq(intent_int(auth, "amountCaptured"), 0);
    assert_reconciled();
}
END_TEST

START_TEST(test_a_failing_compensation_does_not_hold_up_another_booking)
{
    char stuck_bk[48], other_bk[48], auth[PAY_ID_MAX];
    ts_unique_name("bk", stuck_bk, sizeof stuck_bk);
    ts_unique_name("bk", other_bk, sizeof other_bk);
    preauthorize(stuck_bk, auth, sizeof auth);
    booking_it_seed_booking(&it, stuck_bk, "failed", auth, "authorized", NULL, AMOUNT_TEXT, "KRW");
    booking_it_seed_booking(&it, other_bk, "failed", NULL, NULL, NULL, AMOUNT_TEXT, "KRW");
    ts_sandbox_fault(&pay_sb, "{\"op\":\"payment_intents.cancel\",\"status\":503}");
    start_worker(COMPENSATION_DEFAULT_ALERT_AFTER);
    request_compensation(stuck_bk, "void_preauth", auth, NULL);
    ck_assert(
        TS_POLL_UNTIL(task_long("attempts", stuck_bk, "void_preauth") >= 2, BOOKING_IT_WAIT_MS));

    request_compensation(other_bk, "release_hold", NULL, "hold_released_long_ago");
    ck_assert(TS_POLL_UNTIL(task_done(other_bk, "release_hold"), BOOKING_IT_WAIT_MS));
    ck_assert(!task_done(stuck_bk, "void_preauth"));
    ck_assert_int_eq(done_count(other_bk, "release_hold"), 1);

    ts_sandbox_clear_faults(&pay_sb);
    ck_assert(TS_POLL_UNTIL(task_done(stuck_bk, "void_preauth"), BOOKING_IT_WAIT_MS));
    assert_reconciled();
}
END_TEST

/* The reconciliation is only worth something if it sees what is wrong: an open pre-authorisation
 * of a failed booking, an open PMS hold of a failed booking, a confirmed booking without its PMS
 * reservation, and a capture that does not match its booking. */
START_TEST(test_the_reconciliation_names_every_mismatch)
{
    char open_auth_bk[48], hold_bk[48], confirmed_bk[48], auth[PAY_ID_MAX], paid[PAY_ID_MAX];
    ts_unique_name("bk", open_auth_bk, sizeof open_auth_bk);
    ts_unique_name("bk", hold_bk, sizeof hold_bk);
    ts_unique_name("bk", confirmed_bk, sizeof confirmed_bk);
    preauthorize(open_auth_bk, auth, sizeof auth);
    booking_it_seed_booking(&it, open_auth_bk, "failed", auth, "authorized", NULL, AMOUNT_TEXT,
                            "KRW");
    pms_hold_request_t req = {.hotel_id = HOTEL,
                              .room_type_id = ROOM,
                              .check_in = dates_today_utc() + 50,
                              .check_out = dates_today_utc() + 51,
                              .rooms = 1,
                              .adults = 1,
                              .guest = {.first_name = "Test",
                                        .last_name = "Guest",
                                        .email = "guest@example.com",
                                        .phone = "+82-10-0000-0000"},
                              .ttl_seconds = 180,
                              .reference = hold_bk};
    pms_hold_t hold;
    pms_error_t perr;
    ck_assert_msg(pms_create_hold(pms, &req, &hold, &perr) == PMS_OK, "hold: %s", perr.message);
    booking_it_seed_booking(&it, hold_bk, "failed", NULL, NULL, NULL, AMOUNT_TEXT, "KRW");
    preauthorize(confirmed_bk, paid, sizeof paid);
    pay_payment_t out;
    pay_error_t yerr;
    ck_assert_int_eq(payment_capture(pay, paid, AMOUNT - 1000, NULL, &out, &yerr), PAY_OK);
    booking_it_seed_booking(&it, confirmed_bk, "confirmed", paid, "captured", "res_nowhere",
                            AMOUNT_TEXT, "KRW");

    char report[4096];
    ck_assert(!ts_reconcile(&pms_sb, &pay_sb, it.db_url, report, sizeof report));
    ck_assert_msg(strstr(report, auth) && strstr(report, "open pre-authorisation"), "%s", report);
    ck_assert_msg(strstr(report, hold.hold_id) && strstr(report, "still open"), "%s", report);
    ck_assert_msg(strstr(report, "res_nowhere"), "%s", report);
    ck_assert_msg(strstr(report, paid) && strstr(report, confirmed_bk), "%s", report);
}
END_TEST

/* Sends one compensation command straight to booking.compensations (as a redelivery would). */
static void send_command(const char *json, const char *key)
{
    char topic[160], err[256];
    kafka_topic_name(it.prefix, COMPENSATION_TOPIC, topic, sizeof topic);
    cloudevent_t *ev = cloudevent_parse(json, strlen(json), err, sizeof err);
    ck_assert_msg(ev != NULL, "%s", err);
    ck_assert_msg(cloudevent_send_sync(it.producer, topic, key, ev, err, sizeof err) == 0, "%s",
                  err);
    cloudevent_free(ev);
}

START_TEST(test_a_duplicated_command_is_executed_once)
{
    char bk[48], auth[PAY_ID_MAX];
    ts_unique_name("bk", bk, sizeof bk);
    preauthorize(bk, auth, sizeof auth);
    booking_it_seed_booking(&it, bk, "failed", auth, "authorized", NULL, AMOUNT_TEXT, "KRW");
    struct json_object *data = json_object_new_object();
    json_object_object_add(data, "bookingId", json_object_new_string(bk));
    json_object_object_add(data, "action", json_object_new_string("void_preauth"));
    json_object_object_add(data, "attempt", json_object_new_int(1));
    json_object_object_add(data, "reason", json_object_new_string("payment gateway timeout"));
    json_object_object_add(data, "paymentAuthId", json_object_new_string(auth));
    cloudevent_t *ev = cloudevent_new(COMPENSATION_EVENT_TYPE, "/booking-svc", bk, data);
    char *json = cloudevent_to_json(ev);
    send_command(json, bk);
    send_command(json, bk); /* the same message again: a redelivery */
    free(json);
    cloudevent_free(ev);
    /* The same compensation requested once more under a new id, then a last command for the
     * booking: commands of one booking are consumed in order, so once the last one ran, the
     * duplicates were seen. */
    request_compensation(bk, "void_preauth", auth, NULL);
    request_compensation(bk, "release_hold", NULL, "hold_that_never_was");
    ck_assert_int_eq(outbox_relay_flush(relay, BOOKING_IT_WAIT_MS), 0);
    start_worker(COMPENSATION_DEFAULT_ALERT_AFTER);

    ck_assert(TS_POLL_UNTIL(task_done(bk, "release_hold") && task_done(bk, "void_preauth"),
                            BOOKING_IT_WAIT_MS));
    ck_assert(TS_POLL_UNTIL(booking_it_query_long(&it,
                                                  "SELECT COUNT(*) FROM received_messages WHERE "
                                                  "consumer_id = ?",
                                                  COMPENSATION_CONSUMER_ID, NULL) == 3,
                            BOOKING_IT_WAIT_MS));
    ck_assert_int_eq(done_count(bk, "void_preauth"), 1);
    ck_assert_int_eq(done_count(bk, "release_hold"), 1);
    ck_assert_int_eq(pay_requests("payment_intents.cancel"), 1);
    ck_assert_int_eq(booking_it_query_long(&it,
                                           "SELECT COUNT(*) FROM compensation_task WHERE "
                                           "booking_id = ?",
                                           bk, NULL),
                     2);
    ck_assert_str_eq(intent_text(auth, "status"), "canceled");
    assert_reconciled();
}
END_TEST

/* Sends a PMS booking change as webhook-ingest would. */
static void send_pms_event(const char *type, const char *reservation_id, const char *status,
                           char *id_out)
{
    struct json_object *data = json_object_new_object();
    json_object_object_add(data, "eventId", json_object_new_string("evt_test"));
    json_object_object_add(data, "vendor", json_object_new_string("cloudbeds"));
    json_object_object_add(data, "hotelId", json_object_new_string(HOTEL));
    json_object_object_add(data, "reservationId", json_object_new_string(reservation_id));
    json_object_object_add(data, "status", json_object_new_string(status));
    cloudevent_t *ev = cloudevent_new(type, "/webhook-ingest", HOTEL, data);
    char topic[160], err[256];
    kafka_topic_name(it.prefix, "pms.events", topic, sizeof topic);
    ck_assert_msg(cloudevent_send_sync(it.producer, topic, HOTEL, ev, err, sizeof err) == 0, "%s",
                  err);
    if (id_out)
        snprintf(id_out, 37, "%s", ev->id);
    cloudevent_free(ev);
}

/* A confirmed stay on the pms-sandbox for booking_id, paid on the pay-sandbox. */
static void confirmed_and_paid(const char *booking_id, char *reservation_id, char *auth_id)
{
    pms_hold_request_t req = {.hotel_id = HOTEL,
                              .room_type_id = ROOM,
                              .check_in = dates_today_utc() + 40,
                              .check_out = dates_today_utc() + 42,
                              .rooms = 1,
                              .adults = 2,
                              .guest = {.first_name = "Test",
                                        .last_name = "Guest",
                                        .email = "guest@example.com",
                                        .phone = "+82-10-0000-0000"},
                              .ttl_seconds = 180,
                              .reference = booking_id};
    pms_hold_t hold;
    pms_error_t perr;
    ck_assert_msg(pms_create_hold(pms, &req, &hold, &perr) == PMS_OK, "hold: %s", perr.message);
    pms_reservation_t res;
    ck_assert_int_eq(pms_confirm_hold(pms, HOTEL, hold.hold_id, &res, &perr), PMS_OK);
    snprintf(reservation_id, PMS_ID_MAX, "%s", res.reservation_id);
    preauthorize(booking_id, auth_id, PAY_ID_MAX);
    pay_payment_t out;
    pay_error_t yerr;
    ck_assert_int_eq(payment_capture(pay, auth_id, 0, NULL, &out, &yerr), PAY_OK);
}

START_TEST(test_a_pms_side_cancel_of_a_confirmed_booking_cancels_refunds_and_tells_booking_events)
{
    char bk[48], res[PMS_ID_MAX], auth[PAY_ID_MAX], err[256];
    ts_unique_name("bk", bk, sizeof bk);
    confirmed_and_paid(bk, res, auth);
    booking_it_seed_booking(&it, bk, "confirmed", auth, "captured", res, AMOUNT_TEXT, "KRW");
    assert_reconciled();
    start_worker(COMPENSATION_DEFAULT_ALERT_AFTER);
    pms_events_consumer_t *pe = pms_events_start(it.brokers, it.prefix, it.pool, pms,
                                                 outbox_relay_kick_cb, relay, err, sizeof err);
    ck_assert_msg(pe != NULL, "%s", err);
    booking_it_collector_t *events = booking_it_collect(&it, "booking.events");

    char body[256];
    snprintf(body, sizeof body, "{\"propertyID\":\"%s\",\"reservationID\":\"%s\"}", HOTEL, res);
    ck_assert_int_eq(ts_sandbox_post(&pms_sb, "/_sandbox/frontdesk/cancel", body), 200);
    send_pms_event(PMS_EVENT_BOOKING_CONFIRMED, "res_of_someone_else", "confirmed", NULL);
    send_pms_event(PMS_EVENT_BOOKING_CANCELLED, res, "cancelled", NULL);

    char status[32];
    ck_assert(TS_POLL_UNTIL(strcmp(booking_it_query_text(&it,
                                                         "SELECT status FROM booking WHERE "
                                                         "booking_id = ?",
                                                         bk, status, sizeof status),
                                   "cancelled") == 0,
                            BOOKING_IT_WAIT_MS));
    ck_assert(TS_POLL_UNTIL(done_count(bk, "refund") == 1, BOOKING_IT_WAIT_MS));
    ck_assert_int_eq(intent_int(auth, "amountRefunded"), AMOUNT);
    ck_assert(TS_POLL_UNTIL(booking_it_count_type(events, "lodging.booking.cancelled") == 1,
                            BOOKING_IT_WAIT_MS));
    for (int i = 0; i < booking_it_collected(events); i++) {
        booking_it_message_t m = booking_it_message(events, i);
        if (strcmp(m.ce_type, "lodging.booking.cancelled") != 0)
            continue;
        ck_assert_str_eq(m.key, bk);
        cloudevent_t *ev = cloudevent_parse(m.value, strlen(m.value), err, sizeof err);
        ck_assert_msg(ev != NULL, "%s", err);
        schema_assert_matches(ev->data, "booking");
        struct json_object *v;
        ck_assert(json_object_object_get_ex(ev->data, "status", &v));
        ck_assert_str_eq(json_object_get_string(v), "cancelled");
        ck_assert(json_object_object_get_ex(ev->data, "amount", &v));
        ck_assert_int_eq(json_object_get_int64(v), AMOUNT);
        ck_assert(json_object_object_get_ex(ev->data, "reservationId", &v));
        ck_assert_str_eq(json_object_get_string(v), res);
        cloudevent_free(ev);
    }

    /* The same cancel again (a new event id, as a second webhook would be) changes nothing. */
    send_pms_event(PMS_EVENT_BOOKING_CANCELLED, res, "cancelled", NULL);
    send_pms_event(PMS_EVENT_BOOKING_CONFIRMED, res, "confirmed", NULL);
    ck_assert(TS_POLL_UNTIL(booking_it_query_long(&it,
                                                  "SELECT COUNT(*) FROM saga_step_log WHERE "
                                                  "booking_id = ? AND step = 'confirm'",
                                                  bk, NULL) == 1,
                            BOOKING_IT_WAIT_MS));
    ck_assert_int_eq(booking_it_query_long(&it,
                                           "SELECT COUNT(*) FROM outbox WHERE aggregate_id = ? "
                                           "AND event_type = 'lodging.booking.cancelled'",
                                           bk, NULL),
                     1);
    ck_assert_int_eq(pay_requests("refunds.create"), 1);
    assert_reconciled();
    pms_events_stop(pe);
    booking_it_collector_free(events);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("booking-svc compensation");
    TCase *tc = tcase_create("worker");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc,
                   test_a_void_is_retried_with_backoff_while_the_gateway_is_down_then_completes);
    tcase_add_test(tc, test_a_stuck_compensation_raises_one_alert_and_keeps_retrying_until_done);
    tcase_add_test(tc, test_a_duplicated_command_is_executed_once);
    tcase_add_test(tc, test_a_failing_compensation_does_not_hold_up_another_booking);
    tcase_add_test(tc, test_the_reconciliation_names_every_mismatch);
    tcase_add_test(tc, test_a_capture_retry_for_a_booking_cancelled_meanwhile_takes_no_money);
    tcase_add_test(tc, test_purge_deletes_only_old_records_and_old_done_tasks);
    tcase_add_test(
        tc, test_a_pms_side_cancel_of_a_confirmed_booking_cancels_refunds_and_tells_booking_events);
    suite_add_tcase(s, tc);
    return check_run(s);
}
