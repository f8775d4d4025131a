/*
 * it_auth_sessions.c — people logging in through the browser: a login's
 * cookie works in other services too, state changes need the CSRF token,
 * logout and idleness end a session at once, repeated wrong passwords lock
 * the account (and never cause a 5xx), a guessing script from one address
 * gets 429 while the services stay healthy, an account limited to one
 * hotel sees only that hotel, and the audit log records it all without a
 * password.
 *
 * Each test starts inventory-svc (logins), the poller (a viewer list
 * filtered by hotel) and booking-svc (a hotel's booking) on a fresh
 * database and Redis; the lockout and idle tests start them with small
 * times so they finish in seconds, polling with deadlines for what must
 * happen.
 */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "common/auth.h"
#include "common/db.h"
#include "common/http_client.h"
#include "common/kafka.h"
#include "testsupport.h"
#include "ts_service.h"
#include "ts_session.h"

#define HOTEL "hotel_123"
#define OTHER_HOTEL "hotel_other"
#define OTHER_BOOKING "bk_auth_sessions_other"
#define PASSWORD "a-long-enough-password"
#define EXPIRY_TIMEOUT_MS 20000
#define MAX_EXTRA_ENV 6

typedef struct svc {
    const char *name, *port_env;
    ts_service_t service;
} svc_t;

enum { INVENTORY, POLLER, BOOKING, SERVICE_COUNT };
static svc_t services[SERVICE_COUNT] = {
    [INVENTORY] = {"inventory-svc", "INVENTORY_SVC_PORT", {0}},
    [POLLER] = {"poller", "POLLER_PORT", {0}},
    [BOOKING] = {"booking-svc", "BOOKING_SVC_PORT", {0}},
};

static char db_name[96], db_url[256], redis_url[160], prefix[64], db_env[320], redis_env[200],
    prefix_env[128];
static int redis_db;
/* What every service this test starts is given. */
static const char *const run_env[] = {db_env,
                                      redis_env,
                                      prefix_env,
                                      TS_SERVICE_TOKEN_ENV,
                                      "LOG_LEVEL=info",
                                      "PMS_BASE_URL=http://127.0.0.1:9",
                                      "PMS_MAX_RETRIES=0",
                                      "PAYMENT_BASE_URL=http://127.0.0.1:9",
                                      "PAYMENT_API_KEY=sk_test_unused",
                                      "INVENTORY_BASE_URL=http://127.0.0.1:9",
                                      NULL};
static const ts_service_run_t run = {"it_auth_sessions", run_env};
/* the settings a test case's services start with besides the common ones */
static const char *extra_env[MAX_EXTRA_ENV + 1];

/* ----------------------------------------------------------- fixture -- */

static db_t *test_db(void)
{
    char err[256];
    db_t *db = db_new(db_url, err, sizeof err);
    ck_assert_msg(db != NULL, "%s", err);
    return db;
}

/* Two hotels with polling configurations, and a booking of the other one. */
static void seed(void)
{
    db_t *db = test_db();
    ck_assert_int_eq(db_exec(db,
                             "INSERT INTO pms_config (vendor, hotel_id, polling_enabled) VALUES "
                             "('sandbox', '" HOTEL "', FALSE), ('sandbox', '" OTHER_HOTEL
                             "', FALSE)",
                             NULL, 0, NULL, NULL),
                     DB_OK);
    ck_assert_int_eq(db_exec(db,
                             "INSERT INTO booking (booking_id, vendor, hotel_id, room_type_id, "
                             "check_in, check_out, adults, status, total_price, currency) VALUES "
                             "('" OTHER_BOOKING "', 'cloudbeds', '" OTHER_HOTEL "', 'room_456', "
                             "'2030-01-01', '2030-01-02', 1, 'failed', 100000, 'KRW')",
                             NULL, 0, NULL, NULL),
                     DB_OK);
    db_free(db);
}

static void setup(void)
{
    ck_assert_int_eq(
        ts_db_create_migrated("authsess", db_name, sizeof db_name, db_url, sizeof db_url), 0);
    redis_db = ts_redis_db_acquire(redis_url, sizeof redis_url);
    ck_assert_int_gt(redis_db, 0);
    ts_unique_name("authsess", prefix, sizeof prefix);
    strcat(prefix, ".");
    snprintf(db_env, sizeof db_env, "MYSQL_URL=%s", db_url);
    snprintf(redis_env, sizeof redis_env, "REDIS_URL=%s", redis_url);
    snprintf(prefix_env, sizeof prefix_env, "KAFKA_TOPIC_PREFIX=%s", prefix);
    const char *bases[] = {"sync.jobs", "sync.results", "ops.alerts", "pms.events"};
    char names[4][128], err[256];
    const char *list[4];
    for (int i = 0; i < 4; i++) {
        kafka_topic_name(prefix, bases[i], names[i], sizeof names[i]);
        list[i] = names[i];
    }
    ck_assert_msg(kafka_admin_create_topics(ts_env("KAFKA_BROKERS", TS_DEFAULT_KAFKA_BROKERS), list,
                                            4, 1, 1, 15000, err, sizeof err) == 0,
                  "%s", err);
    seed();
    for (int i = 0; i < SERVICE_COUNT; i++)
        ts_service_start(&services[i].service, &run, services[i].name, services[i].port_env, 0,
                         extra_env);
}

/* The login limit as shipped (LOGIN_RATE_LIMIT_* defaults). */
static void setup_defaults(void)
{
    extra_env[0] = NULL;
    setup();
}

/* Logins unlimited: tests that log in several times from one address and
 * are not about the limit. */
static void setup_unlimited_logins(void)
{
    extra_env[0] = "LOGIN_RATE_LIMIT_PER_MINUTE=0";
    extra_env[1] = NULL;
    setup();
}

/* Sessions idle after 2 s. */
static void setup_short_idle(void)
{
    extra_env[0] = "SESSION_IDLE_S=2";
    extra_env[1] = NULL;
    setup();
}

/* Locks of 2 s, doubling; logins unlimited so only the lockout refuses. */
static void setup_short_lockout(void)
{
    extra_env[0] = "LOGIN_LOCKOUT_BASE_S=2";
    extra_env[1] = "LOGIN_RATE_LIMIT_PER_MINUTE=0";
    extra_env[2] = NULL;
    setup();
}

static void teardown(void)
{
    for (int i = 0; i < SERVICE_COUNT; i++)
        ts_service_stop(&services[i].service);
    ts_redis_db_release(redis_db);
    ts_db_drop(db_name);
}

/* ----------------------------------------------------------- helpers -- */

typedef struct answer {
    int status;
    char code[64];
    json_object *body; /* owned: answer_clear */
    long retry_after_ms;
} answer_t;

static void answer_clear(answer_t *a)
{
    json_object_put(a->body);
    memset(a, 0, sizeof *a);
}

/* Calls svc with up to two extra headers (either may be NULL). */
static answer_t call(int svc, const char *method, const char *path, const char *h1, const char *h2,
                     const char *body)
{
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", services[svc].service.port);
    http_client_t *h =
        http_client_new(&(http_client_config_t){.base_url = base, .total_timeout_ms = 15000});
    const char *hdrs[4] = {"Content-Type: application/json", NULL, NULL, NULL};
    size_t n = 1;
    if (h1)
        hdrs[n++] = h1;
    if (h2)
        hdrs[n++] = h2;
    http_client_response_t resp;
    answer_t a = {0};
    if (http_client_request(h, method, path, NULL, hdrs, body, body ? strlen(body) : 0, &resp) ==
        HTTP_CLIENT_OK)
        a.status = resp.status;
    a.retry_after_ms = resp.retry_after_ms;
    a.body = resp.body && resp.body_len ? json_tokener_parse(resp.body) : NULL;
    json_object *ec;
    if (a.body && json_object_is_type(a.body, json_type_object) &&
        json_object_object_get_ex(a.body, "errorCode", &ec))
        snprintf(a.code, sizeof a.code, "%s", json_object_get_string(ec));
    http_client_response_clear(&resp);
    http_client_free(h);
    return a;
}

/* The status of a call, its answer dropped. */
static int status_of(int svc, const char *method, const char *path, const char *h1, const char *h2,
                     const char *body)
{
    answer_t a = call(svc, method, path, h1, h2, body);
    int status = a.status;
    answer_clear(&a);
    return status;
}

static ts_session_t login(const char *email, const char *password)
{
    ts_session_t s;
    ck_assert_int_eq(ts_session_login(services[INVENTORY].service.port, email, password, &s), 200);
    return s;
}

/* Counts audit rows with `action`. */
static long audit_count(db_t *db, const char *action)
{
    db_param_t p[] = {DB_STR(action)};
    db_result_t *res = NULL;
    int64_t n = -1;
    ck_assert_int_eq(db_query(db, "SELECT COUNT(*) FROM audit_log WHERE action = ?", p, 1, &res),
                     DB_OK);
    ck_assert_int_eq(db_result_int64(res, 0, 0, &n), 0);
    db_result_free(res);
    return (long)n;
}

/* -------------------------------------------------------------- tests -- */

START_TEST(test_a_login_cookie_works_in_every_service_until_logout_ends_it)
{
    ck_assert_int_eq(ts_account_create(db_url, "Admin@Example.test", "admin", NULL, PASSWORD), 0);
    ts_session_t s = login("admin@example.test", PASSWORD); /* e-mails match in any case */
    ck_assert_ptr_nonnull(strstr(s.set_cookie, "lodging_session="));
    ck_assert_ptr_nonnull(strstr(s.set_cookie, "; HttpOnly"));
    ck_assert_ptr_nonnull(strstr(s.set_cookie, "; SameSite=Strict"));
    ck_assert_ptr_nonnull(strstr(s.set_cookie, "; Path=/"));
    ck_assert_ptr_null(strstr(s.set_cookie, "Secure")); /* the local http stack */
    ck_assert_uint_eq(strlen(s.csrf_token), AUTH_CSRF_TOKEN_LEN);

    ck_assert_int_eq(status_of(POLLER, "GET", "/api/polling", s.cookie_header, NULL, NULL), 200);
    answer_t me = call(INVENTORY, "GET", "/api/auth/me", s.cookie_header, NULL, NULL);
    ck_assert_int_eq(me.status, 200);
    json_object *v;
    ck_assert(json_object_object_get_ex(me.body, "role", &v));
    ck_assert_str_eq(json_object_get_string(v), "admin");
    answer_clear(&me);

    answer_t out = call(INVENTORY, "POST", "/api/auth/logout", s.cookie_header, NULL, "{}");
    ck_assert_int_eq(out.status, 403);
    ck_assert_str_eq(out.code, "CSRF_REQUIRED");
    answer_clear(&out);
    ck_assert_int_eq(
        status_of(INVENTORY, "POST", "/api/auth/logout", s.cookie_header, s.csrf_header, "{}"),
        204);
    /* revoked in the store: every service refuses the old cookie at once */
    answer_t after = call(POLLER, "GET", "/api/polling", s.cookie_header, NULL, NULL);
    ck_assert_int_eq(after.status, 401);
    ck_assert_str_eq(after.code, "UNAUTHORIZED");
    answer_clear(&after);
    ck_assert_int_eq(status_of(INVENTORY, "GET", "/api/auth/me", s.cookie_header, NULL, NULL), 401);
}
END_TEST

START_TEST(test_a_state_change_with_the_cookie_needs_the_csrf_token)
{
    ck_assert_int_eq(ts_account_create(db_url, "ops@example.test", "operator", NULL, PASSWORD), 0);
    ts_session_t s = login("ops@example.test", PASSWORD);
    const char *path = "/api/hotels/" HOTEL "/degraded-mode", *body = "{\"degraded\":false}";
    answer_t a = call(INVENTORY, "PUT", path, s.cookie_header, NULL, body);
    ck_assert_int_eq(a.status, 403);
    ck_assert_str_eq(a.code, "CSRF_REQUIRED");
    answer_clear(&a);
    a = call(INVENTORY, "PUT", path, s.cookie_header,
             "X-CSRF-Token: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", body);
    ck_assert_int_eq(a.status, 403);
    ck_assert_str_eq(a.code, "CSRF_REQUIRED");
    answer_clear(&a);
    ck_assert_int_eq(status_of(INVENTORY, "PUT", path, s.cookie_header, s.csrf_header, body), 200);
    /* the same holds in another service */
    ck_assert_int_eq(status_of(POLLER, "POST", "/api/polling/sandbox/" HOTEL "/stop",
                               s.cookie_header, NULL, "{}"),
                     403);
    ck_assert_int_ne(status_of(POLLER, "POST", "/api/polling/sandbox/" HOTEL "/stop",
                               s.cookie_header, s.csrf_header, "{}"),
                     403);
}
END_TEST

/* True once the session of `cookie_header` has not been seen for idle_s
 * by the database's clock. */
static bool session_idle_for(const char *cookie_header, int idle_s)
{
    char id[AUTH_SESSION_ID_LEN + 1], secret[AUTH_SECRET_HEX_LEN + 1];
    ck_assert_int_eq(auth_session_cookie_parse(cookie_header + strlen("Cookie: "), id, secret), 0);
    db_t *db = test_db();
    db_param_t p[] = {DB_INT(idle_s), DB_STR(id)};
    db_result_t *res = NULL;
    int64_t idle = 0;
    ck_assert_int_eq(db_query(db,
                              "SELECT last_seen_at < NOW(3) - INTERVAL ? SECOND FROM session "
                              "WHERE id = ?",
                              p, 2, &res),
                     DB_OK);
    ck_assert_int_eq(db_result_int64(res, 0, 0, &idle), 0);
    db_result_free(res);
    db_free(db);
    return idle == 1;
}

START_TEST(test_a_session_unused_for_the_idle_time_ends)
{
    ck_assert_int_eq(ts_account_create(db_url, "idle@example.test", "viewer", NULL, PASSWORD), 0);
    ts_session_t s = login("idle@example.test", PASSWORD);
    ck_assert_int_eq(status_of(INVENTORY, "GET", "/api/auth/me", s.cookie_header, NULL, NULL), 200);
    /* watched in the table, not through a request, which would keep it alive */
    ck_assert(TS_POLL_UNTIL(session_idle_for(s.cookie_header, 2), EXPIRY_TIMEOUT_MS));
    answer_t a = call(POLLER, "GET", "/api/polling", s.cookie_header, NULL, NULL);
    ck_assert_int_eq(a.status, 401);
    answer_clear(&a);
    ck_assert_int_eq(status_of(INVENTORY, "GET", "/api/auth/me", s.cookie_header, NULL, NULL), 401);
    /* a new login works again */
    ts_session_t again = login("idle@example.test", PASSWORD);
    ck_assert_int_eq(status_of(INVENTORY, "GET", "/api/auth/me", again.cookie_header, NULL, NULL),
                     200);
}
END_TEST

/* A login attempt's status; anything but 200 / 401 fails the test. */
static int try_login(const char *email, const char *password)
{
    ts_session_t s;
    int status = ts_session_login(services[INVENTORY].service.port, email, password, &s);
    ck_assert_msg(status == 200 || status == 401, "login answered %d", status);
    return status;
}

START_TEST(test_five_wrong_passwords_lock_the_account_until_the_backoff_passes)
{
    const char *email = "locked@example.test";
    ck_assert_int_eq(ts_account_create(db_url, email, "operator", NULL, PASSWORD), 0);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(try_login(email, "not-the-password-at-all"), 401);
    db_t *db = test_db();
    db_result_t *res = NULL;
    ck_assert_int_eq(db_query(db,
                              "SELECT failed_logins, locked_until > NOW(3) FROM account "
                              "WHERE email = 'locked@example.test'",
                              NULL, 0, &res),
                     DB_OK);
    int64_t failures = 0, locked = 0;
    ck_assert_int_eq(db_result_int64(res, 0, 0, &failures), 0);
    ck_assert_int_eq(db_result_int64(res, 0, 1, &locked), 0);
    db_result_free(res);
    ck_assert_int_eq(failures, 5);
    ck_assert_int_eq(locked, 1);
    /* locked: the right password is refused like a wrong one */
    ck_assert_int_eq(try_login(email, PASSWORD), 401);
    /* the 2 s lock passes: the right password opens it and clears the count */
    ck_assert(TS_POLL_UNTIL(try_login(email, PASSWORD) == 200, EXPIRY_TIMEOUT_MS));
    ck_assert_int_eq(db_query(db,
                              "SELECT failed_logins FROM account WHERE email = "
                              "'locked@example.test'",
                              NULL, 0, &res),
                     DB_OK);
    ck_assert_int_eq(db_result_int64(res, 0, 0, &failures), 0);
    db_result_free(res);
    ck_assert_int_eq(failures, 0);
    ck_assert_int_ge(audit_count(db, "auth.login_failed"), 6);
    db_free(db);
}
END_TEST

START_TEST(test_guessing_from_one_address_gets_429_and_the_services_stay_healthy)
{
    ck_assert_int_eq(ts_account_create(db_url, "target@example.test", "admin", NULL, PASSWORD), 0);
    int refused = 0, limited = 0;
    for (int i = 0; i < 30; i++) {
        char body[160];
        snprintf(body, sizeof body, "{\"email\":\"target@example.test\",\"password\":\"guess-%d\"}",
                 i);
        answer_t a = call(INVENTORY, "POST", "/api/auth/login", NULL, NULL, body);
        ck_assert_msg(a.status == 401 || a.status == 429, "attempt %d answered %d", i, a.status);
        if (a.status == 429) {
            ck_assert_str_eq(a.code, "RATE_LIMITED");
            ck_assert_int_ge(a.retry_after_ms, 1000);
            limited++;
        } else {
            ck_assert_str_eq(a.code, "LOGIN_FAILED");
            refused++;
        }
        answer_clear(&a);
    }
    /* the default burst lets a few through, then the limit answers */
    ck_assert_int_le(refused, 6);
    ck_assert_int_ge(limited, 24);
    for (int i = 0; i < SERVICE_COUNT; i++)
        ck_assert_int_eq(status_of(i, "GET", "/healthz", NULL, NULL, NULL), 200);
    ck_assert(ts_proc_alive(services[INVENTORY].service.proc));
}
END_TEST

START_TEST(test_an_account_limited_to_one_hotel_sees_only_that_hotel)
{
    ck_assert_int_eq(ts_account_create(db_url, "front@example.test", "operator", HOTEL, PASSWORD),
                     0);
    ts_session_t s = login("front@example.test", PASSWORD);
    answer_t list = call(POLLER, "GET", "/api/polling", s.cookie_header, NULL, NULL);
    ck_assert_int_eq(list.status, 200);
    ck_assert_int_eq(json_object_array_length(list.body), 1);
    json_object *hotel;
    ck_assert(
        json_object_object_get_ex(json_object_array_get_idx(list.body, 0), "hotelId", &hotel));
    ck_assert_str_eq(json_object_get_string(hotel), HOTEL);
    answer_clear(&list);
    ck_assert_int_eq(
        status_of(POLLER, "GET", "/api/polling/sandbox/" OTHER_HOTEL, s.cookie_header, NULL, NULL),
        404);
    ck_assert_int_eq(
        status_of(BOOKING, "GET", "/api/bookings/" OTHER_BOOKING, s.cookie_header, NULL, NULL),
        404);
    ck_assert_int_eq(status_of(BOOKING, "POST", "/api/bookings/" OTHER_BOOKING "/cancel",
                               s.cookie_header, s.csrf_header, "{}"),
                     404);
    /* an account of every hotel sees the other hotel's booking */
    ck_assert_int_eq(ts_account_create(db_url, "hq@example.test", "viewer", NULL, PASSWORD), 0);
    ts_session_t hq = login("hq@example.test", PASSWORD);
    ck_assert_int_eq(
        status_of(BOOKING, "GET", "/api/bookings/" OTHER_BOOKING, hq.cookie_header, NULL, NULL),
        200);
}
END_TEST

START_TEST(test_the_audit_log_records_logins_logouts_and_accounts_without_passwords)
{
    ck_assert_int_eq(ts_account_create(db_url, "boss@example.test", "admin", NULL, PASSWORD), 0);
    ck_assert_int_eq(try_login("boss@example.test", "wrong-password-typed"), 401);
    ck_assert_int_eq(try_login("nobody@example.test", PASSWORD), 401);
    ts_session_t s = login("boss@example.test", PASSWORD);

    answer_t created = call(INVENTORY, "POST", "/api/admin/accounts", s.cookie_header,
                            s.csrf_header, "{\"email\":\"New@Example.test\",\"role\":\"viewer\"}");
    ck_assert_int_eq(created.status, 201);
    json_object *id, *generated;
    ck_assert(json_object_object_get_ex(created.body, "accountId", &id));
    ck_assert(json_object_object_get_ex(created.body, "password", &generated));
    char account_id[64], new_password[64], path[128];
    snprintf(account_id, sizeof account_id, "%s", json_object_get_string(id));
    snprintf(new_password, sizeof new_password, "%s", json_object_get_string(generated));
    answer_clear(&created);
    ck_assert_int_eq(status_of(INVENTORY, "POST", "/api/admin/accounts", s.cookie_header,
                               s.csrf_header,
                               "{\"email\":\"new@example.test\",\"role\":\"viewer\"}"),
                     409);
    /* the generated password works; disabling the account ends its session */
    ts_session_t fresh = login("new@example.test", new_password);
    snprintf(path, sizeof path, "/api/admin/accounts/%s", account_id);
    ck_assert_int_eq(status_of(INVENTORY, "DELETE", path, s.cookie_header, s.csrf_header, NULL),
                     204);
    ck_assert_int_eq(status_of(INVENTORY, "GET", "/api/auth/me", fresh.cookie_header, NULL, NULL),
                     401);
    ck_assert_int_eq(try_login("new@example.test", new_password), 401);
    ck_assert_int_eq(
        status_of(INVENTORY, "POST", "/api/auth/logout", s.cookie_header, s.csrf_header, "{}"),
        204);

    db_t *db = test_db();
    ck_assert_int_eq(audit_count(db, "auth.login"), 2);
    ck_assert_int_ge(audit_count(db, "auth.login_failed"), 3);
    ck_assert_int_eq(audit_count(db, "account.create"), 1);
    ck_assert_int_eq(audit_count(db, "account.disable"), 1);
    ck_assert_int_eq(audit_count(db, "auth.logout"), 1);
    /* no password, generated or typed, and no unknown e-mail anywhere in it */
    db_param_t p[] = {DB_STR(PASSWORD), DB_STR(new_password), DB_STR("wrong-password-typed"),
                      DB_STR("nobody@example.test")};
    db_result_t *res = NULL;
    ck_assert_int_eq(db_query(db,
                              "SELECT COUNT(*) FROM audit_log WHERE "
                              "INSTR(CONCAT_WS('|', actor_display, detail), ?) > 0 OR "
                              "INSTR(CONCAT_WS('|', actor_display, detail), ?) > 0 OR "
                              "INSTR(CONCAT_WS('|', actor_display, detail), ?) > 0 OR "
                              "INSTR(CONCAT_WS('|', actor_display, detail), ?) > 0",
                              p, 4, &res),
                     DB_OK);
    int64_t leaks = -1;
    ck_assert_int_eq(db_result_int64(res, 0, 0, &leaks), 0);
    db_result_free(res);
    ck_assert_int_eq(leaks, 0);
    db_free(db);
    /* nor in the service's log */
    char *log = ts_read_file(services[INVENTORY].service.log, NULL);
    ck_assert_ptr_nonnull(log);
    ck_assert_ptr_null(strstr(log, PASSWORD));
    ck_assert_ptr_null(strstr(log, new_password));
    ck_assert_ptr_null(strstr(log, "example.test"));
    ck_assert_ptr_null(strstr(log, s.csrf_token));
    free(log);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("auth_sessions");
    TCase *tc = tcase_create("sessions");
    tcase_add_checked_fixture(tc, setup_unlimited_logins, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_a_login_cookie_works_in_every_service_until_logout_ends_it);
    tcase_add_test(tc, test_a_state_change_with_the_cookie_needs_the_csrf_token);
    tcase_add_test(tc, test_an_account_limited_to_one_hotel_sees_only_that_hotel);
    tcase_add_test(tc, test_the_audit_log_records_logins_logouts_and_accounts_without_passwords);
    suite_add_tcase(s, tc);
    TCase *guess = tcase_create("login_limit");
    tcase_add_checked_fixture(guess, setup_defaults, teardown);
    tcase_set_timeout(guess, 120);
    tcase_add_test(guess, test_guessing_from_one_address_gets_429_and_the_services_stay_healthy);
    suite_add_tcase(s, guess);
    TCase *idle = tcase_create("short_idle");
    tcase_add_checked_fixture(idle, setup_short_idle, teardown);
    tcase_set_timeout(idle, 120);
    tcase_add_test(idle, test_a_session_unused_for_the_idle_time_ends);
    suite_add_tcase(s, idle);
    TCase *lock = tcase_create("short_lockout");
    tcase_add_checked_fixture(lock, setup_short_lockout, teardown);
    tcase_set_timeout(lock, 120);
    tcase_add_test(lock, test_five_wrong_passwords_lock_the_account_until_the_backoff_passes);
    suite_add_tcase(s, lock);
    return check_run(s);
}
