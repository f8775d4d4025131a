/*
 * it_access_rules.c — every route every service registers, called by every
 * kind of caller, answers as the service's route table says: anonymous, a
 * bad credential, a guest's booking token, viewer / operator / admin API
 * keys, an operator limited to another hotel, our services' token, and an
 * operator's browser session (cookie plus its CSRF token).
 *
 * The routes come from each binary's `--routes` (the same table the service
 * registers and refuses to start without). Each caller's expected outcome
 * follows from the rule alone (expect_for), so a route whose rule is wrong,
 * or a handler that forgets a hotel limit, fails here. "Allowed" means the
 * access layer let the call through: the handler may still say 400/404/409
 * about the request itself. Objects are seeded for hotel_123 (a booking with
 * a known token, a polling configuration, a finished compensation), so a 404
 * for the other-hotel caller is the hotel limit, not a missing object.
 */
#include <check.h>
#include <json-c/json.h>
#include <signal.h>
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
#define BOOKING_ID "bk_access_rules_1"
#define MAX_ROUTES 64
#define SESSION_EMAIL "operator@access-rules.test"
#define SESSION_PASSWORD "access-rules-password"

typedef enum { CALLER_ANON, CALLER_BAD, CALLER_TOKEN, CALLER_VIEWER, CALLER_OPERATOR,
               CALLER_ADMIN, CALLER_OTHER_HOTEL, CALLER_SERVICE, CALLER_SESSION,
               CALLER_COUNT } caller_t;
static const char *const CALLER_NAMES[] = {"anonymous", "bad credential", "booking token",
                                           "viewer",    "operator",       "admin",
                                           "other-hotel operator", "service", "operator session"};

typedef enum { ALLOW, DENY_401, DENY_403, HIDDEN_404 } expect_t;
static const char *const EXPECT_NAMES[] = {"allowed", "401", "403", "404"};

typedef struct svc {
    const char *name, *port_env;
    ts_service_t service;
} svc_t;

static char db_name[96], db_url[256], redis_url[160], prefix[64], db_env[320], redis_env[200],
    prefix_env[128];
static char compensation_id[24];
static int redis_db;
static char headers[CALLER_COUNT][TS_SESSION_HEADER_MAX]; /* the longest: a session cookie */
/* a second header some callers send (a session's X-CSRF-Token) */
static char extra_headers[CALLER_COUNT][TS_SESSION_HEADER_MAX];
static svc_t services[] = {
    {"booking-svc", "BOOKING_SVC_PORT", {0}},
    {"inventory-svc", "INVENTORY_SVC_PORT", {0}},
    {"poller", "POLLER_PORT", {0}},
    {"webhook-ingest", "WEBHOOK_INGEST_PORT", {0}},
};
/* What every service this test starts is given. */
static const char *const run_env[] = {
    db_env,
    redis_env,
    prefix_env,
    TS_SERVICE_TOKEN_ENV,
    "LOG_LEVEL=warn",
    "LOGIN_RATE_LIMIT_PER_MINUTE=0", /* every caller tries the login */
    "PMS_BASE_URL=http://127.0.0.1:9",
    "PMS_MAX_RETRIES=0",
    "PAYMENT_BASE_URL=http://127.0.0.1:9",
    "PAYMENT_API_KEY=sk_test_unused",
    "PMS_WEBHOOK_SECRET=whsec_access_rules",
    "INVENTORY_BASE_URL=http://127.0.0.1:9",
    "BOOKING_SVC_URL=http://127.0.0.1:9",
    NULL};
static const ts_service_run_t run = {"it_access_rules", run_env};
#define SERVICE_COUNT (sizeof services / sizeof *services)

/* ------------------------------------------------------------ setup -- */

static void seed(void)
{
    char err[256], token[AUTH_BOOKING_TOKEN_LEN + 1], hash[CRYPTO_SHA256_HEX_LEN + 1];
    db_t *db = db_new(db_url, err, sizeof err);
    ck_assert_msg(db != NULL, "%s", err);
    ck_assert_int_eq(auth_booking_token_new(token, hash), 0);
    db_param_t b[] = {DB_STR(BOOKING_ID), DB_STR(HOTEL), DB_STR(hash)};
    ck_assert_int_eq(db_exec(db,
                             "INSERT INTO booking (booking_id, vendor, hotel_id, room_type_id, "
                             "check_in, check_out, adults, status, total_price, currency, "
                             "token_hash) VALUES (?, 'cloudbeds', ?, 'room_456', '2030-01-01', "
                             "'2030-01-02', 1, 'failed', 100000, 'KRW', ?)",
                             b, 3, NULL, NULL),
                     DB_OK);
    db_param_t h[] = {DB_STR(HOTEL)};
    ck_assert_int_eq(db_exec(db,
                             "INSERT INTO pms_config (vendor, hotel_id, polling_enabled) "
                             "VALUES ('sandbox', ?, FALSE)",
                             h, 1, NULL, NULL),
                     DB_OK);
    /* a finished compensation of the hotel: a retry of it changes nothing */
    uint64_t task = 0;
    ck_assert_int_eq(db_exec(db,
                             "INSERT INTO compensation_task (booking_id, action, hotel_id, state, "
                             "done_at) VALUES ('" BOOKING_ID "', 'void_preauth', ?, 'done', "
                             "CURRENT_TIMESTAMP(3))",
                             h, 1, NULL, &task),
                     DB_OK);
    snprintf(compensation_id, sizeof compensation_id, "%llu", (unsigned long long)task);
    db_free(db);
    snprintf(headers[CALLER_TOKEN], TS_AUTH_HEADER_MAX, "Authorization: Bearer %s", token);
}

static void make_credentials(void)
{
    snprintf(headers[CALLER_BAD], TS_AUTH_HEADER_MAX,
             "Authorization: Bearer lk_aaaaaaaaaaaaaaaaaaaaaaaa_"
             "0000000000000000000000000000000000000000000000000000000000000000");
    snprintf(headers[CALLER_SERVICE], TS_AUTH_HEADER_MAX, "%s", TS_SERVICE_AUTH_HEADER);
    ck_assert_int_eq(ts_api_key_header(db_url, "viewer", NULL, headers[CALLER_VIEWER], NULL), 0);
    ck_assert_int_eq(ts_api_key_header(db_url, "operator", NULL, headers[CALLER_OPERATOR], NULL),
                     0);
    ck_assert_int_eq(ts_api_key_header(db_url, "admin", NULL, headers[CALLER_ADMIN], NULL), 0);
    ck_assert_int_eq(ts_api_key_header(db_url, "operator", "hotel_other",
                                       headers[CALLER_OTHER_HOTEL], NULL),
                     0);
}

/* Logs the session caller in (again: the logout route ends its session). */
static void session_login(void)
{
    ts_session_t s;
    ck_assert_int_eq(
        ts_session_login(services[1].service.port, SESSION_EMAIL, SESSION_PASSWORD, &s), 200);
    snprintf(headers[CALLER_SESSION], sizeof headers[CALLER_SESSION], "%s", s.cookie_header);
    snprintf(extra_headers[CALLER_SESSION], TS_SESSION_HEADER_MAX, "%s", s.csrf_header);
}

static void setup(void)
{
    ck_assert_int_eq(
        ts_db_create_migrated("access", db_name, sizeof db_name, db_url, sizeof db_url), 0);
    redis_db = ts_redis_db_acquire(redis_url, sizeof redis_url);
    ck_assert_int_gt(redis_db, 0);
    ts_unique_name("access", prefix, sizeof prefix);
    strcat(prefix, ".");
    snprintf(db_env, sizeof db_env, "MYSQL_URL=%s", db_url);
    snprintf(redis_env, sizeof redis_env, "REDIS_URL=%s", redis_url);
    snprintf(prefix_env, sizeof prefix_env, "KAFKA_TOPIC_PREFIX=%s", prefix);
    /* the poller's sync and the services' producers need their topics */
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
    make_credentials();
    for (size_t i = 0; i < SERVICE_COUNT; i++)
        ts_service_start(&services[i].service, &run, services[i].name, services[i].port_env, 0,
                         NULL);
    ck_assert_int_eq(ts_account_create(db_url, SESSION_EMAIL, "operator", NULL, SESSION_PASSWORD),
                     0);
    session_login();
}

static void teardown(void)
{
    for (size_t i = 0; i < SERVICE_COUNT; i++)
        ts_service_stop(&services[i].service);
    ts_redis_db_release(redis_db);
    ts_db_drop(db_name);
}

/* ------------------------------------------------------------ routes -- */

typedef struct route {
    char method[8], path[128];
    auth_rule_t rule;
} route_t;

/* Runs `<binary> --routes` and parses its JSON lines. Returns the count. */
static size_t read_routes(const char *name, route_t *out, size_t max)
{
    char cmd[320], line[512];
    snprintf(cmd, sizeof cmd, "%s/services/%s/%s --routes", LODGING_BINARY_DIR, name, name);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = 0;
    while (fgets(line, sizeof line, p) && n < max) {
        json_object *o = json_tokener_parse(line), *m, *path, *rule;
        ck_assert_msg(o && json_object_object_get_ex(o, "method", &m) &&
                          json_object_object_get_ex(o, "path", &path) &&
                          json_object_object_get_ex(o, "rule", &rule),
                      "%s --routes: bad line %s", name, line);
        snprintf(out[n].method, sizeof out[n].method, "%s", json_object_get_string(m));
        snprintf(out[n].path, sizeof out[n].path, "%s", json_object_get_string(path));
        ck_assert_msg(auth_rule_parse(json_object_get_string(rule), &out[n].rule) == 0,
                      "%s %s has an unknown rule", out[n].method, out[n].path);
        json_object_put(o);
        n++;
    }
    ck_assert_int_eq(pclose(p), 0);
    return n;
}

/* The route's path with its parameters filled with the seeded objects. */
static void concrete_path(const char *pattern, char *out, size_t size)
{
    out[0] = '\0';
    char copy[128];
    snprintf(copy, sizeof copy, "%s", pattern);
    char *save = NULL;
    for (char *seg = strtok_r(copy, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
        const char *v = seg;
        if (strcmp(seg, ":bookingId") == 0)
            v = BOOKING_ID;
        else if (strcmp(seg, ":hotelId") == 0)
            v = HOTEL;
        else if (strcmp(seg, ":vendor") == 0)
            v = "sandbox";
        else if (strcmp(seg, ":keyId") == 0)
            v = "nosuchkey";
        else if (strcmp(seg, ":accountId") == 0)
            v = "nosuchaccount";
        else if (strcmp(seg, ":compensationId") == 0)
            v = compensation_id;
        size_t used = strlen(out);
        snprintf(out + used, size - used, "/%s", v);
    }
}

/* A route that names one hotel's object: limits apply to it with a 404. */
static bool hotel_scoped(const route_t *r)
{
    return strstr(r->path, ":hotelId") || strstr(r->path, ":bookingId") ||
           strstr(r->path, ":compensationId");
}

/* What the route's rule promises `c`. */
static expect_t expect_for(const route_t *r, caller_t c)
{
    bool staff = c == CALLER_VIEWER || c == CALLER_OPERATOR || c == CALLER_ADMIN ||
                 c == CALLER_OTHER_HOTEL || c == CALLER_SESSION;
    if (r->rule == AUTH_RULE_OPEN || r->rule == AUTH_RULE_PUBLIC || r->rule == AUTH_RULE_WEBHOOK)
        return ALLOW;
    if (c == CALLER_ANON || c == CALLER_BAD)
        return DENY_401;
    switch (r->rule) {
    case AUTH_RULE_SERVICE:
        return c == CALLER_SERVICE ? ALLOW : DENY_403;
    case AUTH_RULE_BOOKING: {
        bool cancel = strcmp(r->method, "POST") == 0;
        if (c == CALLER_SERVICE)
            return DENY_403;
        if (c == CALLER_TOKEN)
            return ALLOW;
        if (cancel && c == CALLER_VIEWER)
            return DENY_403;
        return c == CALLER_OTHER_HOTEL ? HIDDEN_404 : ALLOW;
    }
    default:
        break;
    }
    if (!staff)
        return DENY_403;
    auth_role_t need = r->rule == AUTH_RULE_VIEWER     ? AUTH_ROLE_VIEWER
                       : r->rule == AUTH_RULE_OPERATOR ? AUTH_ROLE_OPERATOR
                                                       : AUTH_ROLE_ADMIN;
    auth_role_t have = c == CALLER_VIEWER ? AUTH_ROLE_VIEWER
                       : c == CALLER_ADMIN ? AUTH_ROLE_ADMIN
                                           : AUTH_ROLE_OPERATOR;
    if (have < need)
        return DENY_403;
    if (c == CALLER_OTHER_HOTEL && hotel_scoped(r))
        return HIDDEN_404;
    /* platform-wide changes and the admin API need a caller of every hotel;
     * /api/auth/ concerns the caller itself */
    if (c == CALLER_OTHER_HOTEL && strcmp(r->method, "GET") != 0 &&
        strncmp(r->path, "/api/auth/", 10) != 0)
        return DENY_403;
    return ALLOW;
}

/* Calls the route as `c`: the status and errorCode ("" when none). */
static int call(const svc_t *s, const route_t *r, caller_t c, char *code, size_t code_size)
{
    char base[64], path[256];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", s->service.port);
    concrete_path(r->path, path, sizeof path);
    http_client_config_t cc = {.base_url = base, .total_timeout_ms = 10000};
    http_client_t *h = http_client_new(&cc);
    const char *hdrs[4] = {"Content-Type: application/json", NULL, NULL, NULL};
    size_t nh = 1;
    if (headers[c][0])
        hdrs[nh++] = headers[c];
    if (extra_headers[c][0])
        hdrs[nh++] = extra_headers[c];
    const char *body = strcmp(r->method, "PUT") == 0 ? "{\"degraded\":false}"
                       : strstr(r->path, "api-keys") ? "{\"name\":\"m\",\"role\":\"viewer\"}"
                                                     : "{}";
    bool has_body = strcmp(r->method, "GET") != 0 && strcmp(r->method, "DELETE") != 0;
    http_client_response_t resp;
    int status = http_client_request(h, r->method, path, NULL, hdrs, has_body ? body : NULL,
                                     has_body ? strlen(body) : 0, &resp) == HTTP_CLIENT_OK
                     ? resp.status
                     : 0;
    json_object *o = resp.body ? json_tokener_parse(resp.body) : NULL, *ec;
    snprintf(code, code_size, "%s",
             o && json_object_is_type(o, json_type_object) &&
                     json_object_object_get_ex(o, "errorCode", &ec)
                 ? json_object_get_string(ec)
                 : "");
    json_object_put(o);
    http_client_response_clear(&resp);
    http_client_free(h);
    return status;
}

static bool outcome_matches(expect_t e, int status, const char *code)
{
    bool access_denied = strcmp(code, "UNAUTHORIZED") == 0 || strcmp(code, "FORBIDDEN") == 0 ||
                         strcmp(code, "CSRF_REQUIRED") == 0;
    switch (e) {
    case ALLOW: /* the handler ran: whatever it said, it was not the access layer */
        return status > 0 && !access_denied && strcmp(code, "AUTH_UNAVAILABLE") != 0;
    case DENY_401:
        return status == 401 && strcmp(code, "UNAUTHORIZED") == 0;
    case DENY_403:
        return status == 403 && strcmp(code, "FORBIDDEN") == 0;
    default:
        return status == 404;
    }
}

START_TEST(test_every_route_answers_every_caller_as_its_rule_says)
{
    int checked = 0;
    for (size_t i = 0; i < SERVICE_COUNT; i++) {
        route_t routes[MAX_ROUTES];
        size_t n = read_routes(services[i].name, routes, MAX_ROUTES);
        ck_assert_int_gt(n, 3); /* the built-ins and at least one of its own */
        for (size_t j = 0; j < n; j++) {
            for (int c = 0; c < CALLER_COUNT; c++) {
                char code[64];
                expect_t e = expect_for(&routes[j], (caller_t)c);
                int status = call(&services[i], &routes[j], (caller_t)c, code, sizeof code);
                /* a webhook's 401 is its HMAC signature's verdict, the same for everyone */
                bool ok = routes[j].rule == AUTH_RULE_WEBHOOK ? status > 0 && status != 403
                                                              : outcome_matches(e, status, code);
                ck_assert_msg(ok,
                              "%s %s %s (rule %s) as %s: expected %s, got %d %s",
                              services[i].name, routes[j].method, routes[j].path,
                              auth_rule_name(routes[j].rule), CALLER_NAMES[c], EXPECT_NAMES[e],
                              status, code);
                if (c == CALLER_SESSION && strcmp(routes[j].path, "/api/auth/logout") == 0)
                    session_login();
                checked++;
            }
        }
    }
    ck_assert_int_gt(checked, 100);
}
END_TEST

START_TEST(test_a_revoked_key_stops_at_once)
{
    char header[TS_AUTH_HEADER_MAX], key_id[AUTH_KEY_ID_LEN + 1], code[64];
    ck_assert_int_eq(ts_api_key_header(db_url, "viewer", NULL, header, key_id), 0);
    route_t list = {"GET", "/api/polling", AUTH_RULE_VIEWER};
    snprintf(headers[CALLER_VIEWER], TS_AUTH_HEADER_MAX, "%s", header);
    ck_assert_int_eq(call(&services[2], &list, CALLER_VIEWER, code, sizeof code), 200);
    char err[256];
    db_t *db = db_new(db_url, err, sizeof err);
    ck_assert_ptr_nonnull(db);
    db_param_t p[] = {DB_STR(key_id)};
    ck_assert_int_eq(db_exec(db, "UPDATE api_key SET revoked_at = NOW(3) WHERE key_id = ?", p, 1,
                             NULL, NULL),
                     DB_OK);
    db_free(db);
    ck_assert_int_eq(call(&services[2], &list, CALLER_VIEWER, code, sizeof code), 401);
    ck_assert_str_eq(code, "UNAUTHORIZED");
}
END_TEST

/* method path as `c` with body (NULL: none); the status, and the answer's
 * string member `field` into out (when not NULL). */
static int request(const svc_t *s, const char *method, const char *path, caller_t c,
                   const char *body, const char *field, char *out, size_t out_size)
{
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", s->service.port);
    http_client_config_t cc = {.base_url = base, .total_timeout_ms = 10000};
    http_client_t *h = http_client_new(&cc);
    const char *hdrs[] = {"Content-Type: application/json", headers[c], NULL};
    http_client_response_t resp;
    int status = http_client_request(h, method, path, NULL, hdrs, body, body ? strlen(body) : 0,
                                     &resp) == HTTP_CLIENT_OK
                     ? resp.status
                     : 0;
    if (out) {
        json_object *o = resp.body ? json_tokener_parse(resp.body) : NULL, *v;
        snprintf(out, out_size, "%s",
                 o && json_object_object_get_ex(o, field, &v) ? json_object_get_string(v) : "");
        json_object_put(o);
    }
    http_client_response_clear(&resp);
    http_client_free(h);
    return status;
}

static long long audit_count(const char *action, const char *hotel)
{
    char err[256];
    db_t *db = db_new(db_url, err, sizeof err);
    ck_assert_msg(db != NULL, "%s", err);
    db_param_t p[] = {DB_STR(action), DB_STR(hotel ? hotel : "")};
    db_result_t *res = NULL;
    ck_assert_int_eq(db_query(db,
                              "SELECT COUNT(*) FROM audit_log WHERE action = ? AND "
                              "COALESCE(hotel_id, '') = ? AND actor_kind = 'api_key' AND "
                              "actor_id <> '' AND remote_address IS NOT NULL AND at IS NOT NULL",
                              p, 2, &res),
                     DB_OK);
    int64_t n = -1;
    db_result_int64(res, 0, 0, &n);
    db_result_free(res);
    db_free(db);
    return (long long)n;
}

START_TEST(test_every_staff_write_is_in_the_audit_log)
{
    svc_t *inv = &services[1], *poller = &services[2];
    const char *on = "{\"degraded\":true,\"reason\":\"audit test\"}";
    const char *off = "{\"degraded\":false}";
    ck_assert_int_eq(request(inv, "PUT", "/api/degraded-mode", CALLER_OPERATOR, on, NULL, NULL, 0),
                     200);
    ck_assert_int_eq(request(inv, "PUT", "/api/degraded-mode", CALLER_OPERATOR, off, NULL, NULL, 0),
                     200);
    ck_assert_int_eq(request(inv, "PUT", "/api/hotels/" HOTEL "/degraded-mode", CALLER_OPERATOR,
                             off, NULL, NULL, 0),
                     200);
    ck_assert_int_eq(request(poller, "POST", "/api/polling/sandbox/" HOTEL "/start",
                             CALLER_OPERATOR, "{}", NULL, NULL, 0),
                     200);
    ck_assert_int_eq(request(poller, "POST", "/api/polling/sandbox/" HOTEL "/stop",
                             CALLER_OPERATOR, "{}", NULL, NULL, 0),
                     200);
    int sync = request(poller, "POST", "/api/polling/sandbox/" HOTEL "/sync", CALLER_OPERATOR,
                       "{}", NULL, NULL, 0);
    ck_assert_msg(sync >= 200 && sync < 300, "sync: %d", sync);
    char key_id[64];
    ck_assert_int_eq(request(inv, "POST", "/api/admin/api-keys", CALLER_ADMIN,
                             "{\"name\":\"audited\",\"role\":\"viewer\"}", "keyId", key_id,
                             sizeof key_id),
                     201);
    ck_assert_msg(key_id[0], "no keyId in the answer");
    char path[128];
    snprintf(path, sizeof path, "/api/admin/api-keys/%s", key_id);
    int revoked = request(inv, "DELETE", path, CALLER_ADMIN, NULL, NULL, NULL, 0);
    ck_assert_msg(revoked >= 200 && revoked < 300, "revoke: %d", revoked);

    ck_assert_int_ge(audit_count("degraded.on", NULL), 1);
    ck_assert_int_ge(audit_count("degraded.off", NULL), 1);
    ck_assert_int_ge(audit_count("degraded.off", HOTEL), 1);
    ck_assert_int_ge(audit_count("polling.start", HOTEL), 1);
    ck_assert_int_ge(audit_count("polling.stop", HOTEL), 1);
    ck_assert_int_ge(audit_count("polling.sync", HOTEL), 1);
    ck_assert_int_ge(audit_count("apikey.create", NULL), 1);
    ck_assert_int_ge(audit_count("apikey.revoke", NULL), 1);
    /* and the rows cannot be rewritten: the table refuses UPDATE and DELETE */
    char err[256];
    db_t *db = db_new(db_url, err, sizeof err);
    ck_assert_ptr_nonnull(db);
    ck_assert_int_ne(db_exec(db, "UPDATE audit_log SET action = 'nothing'", NULL, 0, NULL, NULL),
                     DB_OK);
    ck_assert_int_ne(db_exec(db, "DELETE FROM audit_log", NULL, 0, NULL, NULL), DB_OK);
    db_free(db);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("access_rules");
    TCase *tc = tcase_create("access_rules");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_every_route_answers_every_caller_as_its_rule_says);
    tcase_add_test(tc, test_a_revoked_key_stops_at_once);
    tcase_add_test(tc, test_every_staff_write_is_in_the_audit_log);
    suite_add_tcase(s, tc);
    return check_run(s);
}
