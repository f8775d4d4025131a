/*
 * inventory_fixture.h — what the inventory-svc integration tests share: a
 * pms-sandbox on a free port, a Redis database of the test's own, the
 * service binary started against them (optionally with a migrated MariaDB
 * database and a Kafka topic prefix), and small HTTP / Redis / metrics
 * helpers. Header-only (static inline) because each it_*.c is its own
 * executable.
 *
 *     inv_fixture_t f = {0};
 *     invfx_start(&f, (const char *[]){"INVENTORY_TTL_S=1", NULL});
 *     struct json_object *o; int st = invfx_get(&f, "/api/inventory", query, &o);
 *     invfx_stop(&f);
 *
 * These call check's assertions: use them inside tests and fixtures only.
 */
#ifndef INVENTORY_FIXTURE_H
#define INVENTORY_FIXTURE_H

#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/dates.h"
#include "common/http_client.h"
#include "common/redis.h"
#include "testsupport.h"
#include "ts_sandbox.h"

#define INVFX_HOTEL "hotel_123"
#define INVFX_ROOM "room_456"
#define INVFX_START_TIMEOUT_MS 20000
#define INVFX_MAX_ENV 24

typedef struct inv_fixture {
    ts_sandbox_t sb;
    bool sandbox_started;
    int redis_db;
    char redis_url[160];
    const char *redis_url_override; /* a test's own redis-server */
    char mysql_url[256];            /* set by the test to give the service a database */
    char operator_header[TS_AUTH_HEADER_MAX]; /* an operator API key, made on first use */
    char topic_prefix[64];          /* set by the test for Kafka isolation */
    ts_proc_t *svc;
    int port;
    char log_path[256];
    http_client_t *http;
    redis_client_t *redis;
} inv_fixture_t;

/* Starts one inventory-svc process against the fixture's sandbox, Redis
 * (database) and optional MariaDB / topic prefix; waits for /healthz.
 * *port receives its port; its output goes to log_path. */
static inline ts_proc_t *invfx_spawn(inv_fixture_t *f, const char *const *extra_env, int *port,
                                     char *log_path, size_t log_size)
{
    const char *redis_url = f->redis_url_override ? f->redis_url_override : f->redis_url;
    *port = ts_free_port();
    char port_var[64], redis_var[200], pms_var[128], mysql_var[300], prefix_var[128];
    snprintf(port_var, sizeof port_var, "INVENTORY_SVC_PORT=%d", *port);
    snprintf(redis_var, sizeof redis_var, "REDIS_URL=%s", redis_url);
    snprintf(pms_var, sizeof pms_var, "PMS_BASE_URL=%s", f->sb.base_url);
    snprintf(mysql_var, sizeof mysql_var, "MYSQL_URL=%s", f->mysql_url);
    snprintf(prefix_var, sizeof prefix_var, "KAFKA_TOPIC_PREFIX=%s", f->topic_prefix);
    const char *env[INVFX_MAX_ENV] = {port_var, redis_var, pms_var,
                                      "PMS_hotel_123_API_KEY=cbk_sandbox_hotel_123",
                                      "LOG_LEVEL=warn", TS_SERVICE_TOKEN_ENV};
    size_t n = 6;
    if (f->mysql_url[0])
        env[n++] = mysql_var;
    if (f->topic_prefix[0])
        env[n++] = prefix_var;
    for (size_t i = 0; extra_env && extra_env[i]; i++) {
        ck_assert(n < INVFX_MAX_ENV - 1);
        env[n++] = extra_env[i];
    }
    env[n] = NULL;
    char name[64];
    ts_unique_name("inventory-svc", name, sizeof name);
    snprintf(log_path, log_size, "%s/%s.log", LODGING_BINARY_DIR, name);
    ts_proc_t *p =
        ts_proc_start(LODGING_BINARY_DIR "/services/inventory-svc/inventory-svc", env, log_path);
    ck_assert_msg(p != NULL, "inventory-svc did not start");
    ck_assert_msg(ts_http_wait_ok(*port, "/healthz", INVFX_START_TIMEOUT_MS),
                  "inventory-svc not healthy; see %s", log_path);
    return p;
}

/* Starts the sandbox, claims a Redis database, starts the service. */
static inline void invfx_start(inv_fixture_t *f, const char *const *extra_env)
{
    if (!f->sandbox_started) {
        ts_sandbox_start(&f->sb, "pms-sandbox", "PMS_SANDBOX_PORT", NULL);
        f->sandbox_started = true;
        f->redis_db = -1;
    }
    if (!f->redis_url_override && f->redis_db < 0) {
        f->redis_db = ts_redis_db_acquire(f->redis_url, sizeof f->redis_url);
        ck_assert_msg(f->redis_db > 0, "no Redis database free");
    }
    f->svc = invfx_spawn(f, extra_env, &f->port, f->log_path, sizeof f->log_path);
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", f->port);
    if (!f->http) {
        http_client_config_t hc = {.total_timeout_ms = 30000};
        hc.base_url = base;
        f->http = http_client_new(&hc);
        ck_assert(f->http != NULL);
    }
    if (!f->redis) {
        char err[128];
        f->redis = redis_client_new(f->redis_url_override ? f->redis_url_override : f->redis_url,
                                    500, 1000, err, sizeof err);
        ck_assert_msg(f->redis != NULL, "%s", err);
    }
}

/* SIGTERM; asserts a clean exit 0. Keeps sandbox and Redis for a restart. */
static inline void invfx_stop_service(inv_fixture_t *f)
{
    if (!f->svc)
        return;
    int status = ts_proc_stop(f->svc, 0, 15000);
    f->svc = NULL;
    ck_assert_msg(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "inventory-svc did not stop cleanly (status %d); see %s", status, f->log_path);
    http_client_free(f->http);
    f->http = NULL;
}

static inline void invfx_stop(inv_fixture_t *f)
{
    invfx_stop_service(f);
    redis_client_free(f->redis);
    f->redis = NULL;
    if (f->redis_db > 0)
        ts_redis_db_release(f->redis_db);
    f->redis_db = -1;
    if (f->sandbox_started)
        ts_sandbox_stop(&f->sb);
    f->sandbox_started = false;
}

/* The credential a request to `path` needs: the service token for the
 * internal routes, an operator API key (in the service's database) for the
 * rest, where the public reads ignore it. */
static inline const char *invfx_auth_header(inv_fixture_t *f, const char *path)
{
    if (strncmp(path, "/internal/", 10) == 0)
        return TS_SERVICE_AUTH_HEADER;
    if (!f->operator_header[0]) {
        const char *url =
            f->mysql_url[0] ? f->mysql_url : ts_env("MYSQL_URL", TS_DEFAULT_MYSQL_URL);
        ck_assert_int_eq(ts_api_key_header(url, "operator", NULL, f->operator_header, NULL), 0);
    }
    return f->operator_header;
}

/* GET with a NULL-terminated key, value query; *out (optional) = JSON body. */
static inline int invfx_get(inv_fixture_t *f, const char *path, const char *const *query,
                            struct json_object **out)
{
    http_client_response_t r;
    const char *headers[] = {invfx_auth_header(f, path), NULL};
    int st = http_client_get(f->http, path, query, headers, &r) == HTTP_CLIENT_OK ? r.status : 0;
    if (out)
        *out = r.body ? json_tokener_parse(r.body) : NULL;
    http_client_response_clear(&r);
    return st;
}

/* invfx_get on a client of the caller's own, for a test's other threads
 * (the fixture's client serves one thread at a time); no credential. */
static inline int invfx_get_own(const inv_fixture_t *f, const char *path, const char *const *query,
                                struct json_object **out)
{
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", f->port);
    http_client_config_t hc = {.base_url = base, .total_timeout_ms = 30000};
    http_client_t *c = http_client_new(&hc);
    http_client_response_t r;
    int st = http_client_get(c, path, query, NULL, &r) == HTTP_CLIENT_OK ? r.status : 0;
    if (out)
        *out = st && r.body ? json_tokener_parse(r.body) : NULL;
    http_client_response_clear(&r);
    http_client_free(c);
    return st;
}

static inline int invfx_send(inv_fixture_t *f, const char *method, const char *path,
                             const char *json, struct json_object **out)
{
    http_client_response_t r;
    const char *headers[] = {"Content-Type: application/json", invfx_auth_header(f, path), NULL};
    int st = http_client_request(f->http, method, path, NULL, headers, json, strlen(json), &r) ==
                     HTTP_CLIENT_OK
                 ? r.status
                 : 0;
    if (out)
        *out = r.body ? json_tokener_parse(r.body) : NULL;
    http_client_response_clear(&r);
    return st;
}

/* A string member ("" when absent). */
static inline const char *invfx_str(struct json_object *o, const char *key)
{
    struct json_object *v;
    return o && json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static inline int invfx_int(struct json_object *o, const char *key)
{
    struct json_object *v;
    return o && json_object_object_get_ex(o, key, &v) ? json_object_get_int(v) : -1;
}

/* nights[i].<key> of an InventoryResponse / RatesResponse. */
static inline int invfx_night_int(struct json_object *o, size_t i, const char *key)
{
    struct json_object *nights;
    if (!o || !json_object_object_get_ex(o, "nights", &nights) ||
        i >= json_object_array_length(nights))
        return -1;
    return invfx_int(json_object_array_get_idx(nights, i), key);
}

static inline size_t invfx_night_count(struct json_object *o)
{
    struct json_object *nights;
    return o && json_object_object_get_ex(o, "nights", &nights) ? json_object_array_length(nights)
                                                                : 0;
}

/* GET /api/inventory (or /api/rates) for the fixture hotel; returns the status. */
static inline int invfx_read(inv_fixture_t *f, const char *path, const char *room, dates_day_t from,
                             dates_day_t to, struct json_object **out)
{
    char a[DATES_ISO_LEN + 1], b[DATES_ISO_LEN + 1];
    dates_format_iso(from, a);
    dates_format_iso(to, b);
    const char *q[] = {"vendor", "cloudbeds", "hotelId", INVFX_HOTEL, "roomTypeId", room,
                       "from",   a,           "to",      b,           NULL};
    return invfx_get(f, path, q, out);
}

/* The value of one series in /metrics (exact name with labels), 0 when absent. */
static inline double invfx_metric(inv_fixture_t *f, const char *series)
{
    http_client_response_t r;
    double v = 0;
    if (http_client_get(f->http, "/metrics", NULL, NULL, &r) == HTTP_CLIENT_OK && r.body) {
        size_t n = strlen(series);
        for (const char *p = r.body; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
            if (strncmp(p, series, n) == 0 && p[n] == ' ') {
                v = strtod(p + n + 1, NULL);
                break;
            }
        }
    }
    http_client_response_clear(&r);
    return v;
}

#define INVFX_RATEPLANS_OK                                                                         \
    "pms_requests_total{vendor=\"cloudbeds\",method=\"getRatePlans\",outcome=\"ok\"}"

/* The night key of the fixture hotel. */
static inline void invfx_key(char *out, size_t size, const char *prefix, const char *room,
                             dates_day_t day)
{
    char d[DATES_ISO_LEN + 1];
    dates_format_iso(day, d);
    snprintf(out, size, "%s:{%s}:%s:%s", prefix, INVFX_HOTEL, room, d);
}

/* Whether a key exists in the fixture's Redis database. */
static inline bool invfx_key_exists(inv_fixture_t *f, const char *key)
{
    long long ttl = -2;
    ck_assert_int_eq(redis_ttl(f->redis, key, &ttl), REDIS_CLIENT_OK);
    return ttl != -2;
}

/* Checks `data` against proto/events/<schema>.schema.json the way our
 * schemas use JSON Schema: every required member present, no member the
 * schema does not list (additionalProperties false), enum members within
 * their enum, integers as integers, strings within maxLength. */
static inline void invfx_assert_event_data(struct json_object *data, const char *schema)
{
    char path[512];
    snprintf(path, sizeof path, "%s/proto/events/%s.schema.json", LODGING_SOURCE_DIR, schema);
    struct json_object *s = json_object_from_file(path), *req, *props;
    ck_assert_msg(s != NULL, "cannot read %s", path);
    ck_assert(json_object_object_get_ex(s, "properties", &props));
    if (json_object_object_get_ex(s, "required", &req))
        for (size_t i = 0; i < json_object_array_length(req); i++) {
            const char *name = json_object_get_string(json_object_array_get_idx(req, i));
            ck_assert_msg(json_object_object_get_ex(data, name, NULL), "%s: %s missing", schema,
                          name);
        }
    json_object_object_foreach(data, key, val)
    {
        struct json_object *prop, *e, *type, *max;
        ck_assert_msg(json_object_object_get_ex(props, key, &prop), "%s: unexpected member %s",
                      schema, key);
        if (json_object_object_get_ex(prop, "enum", &e)) {
            bool found = false;
            for (size_t i = 0; i < json_object_array_length(e); i++)
                found = found || strcmp(json_object_get_string(json_object_array_get_idx(e, i)),
                                        json_object_get_string(val)) == 0;
            ck_assert_msg(found, "%s: %s=%s not in its enum", schema, key,
                          json_object_get_string(val));
        }
        if (json_object_object_get_ex(prop, "type", &type)) {
            const char *t = json_object_get_string(type);
            if (strcmp(t, "integer") == 0)
                ck_assert_msg(json_object_is_type(val, json_type_int), "%s: %s not an integer",
                              schema, key);
            if (strcmp(t, "string") == 0) {
                ck_assert_msg(json_object_is_type(val, json_type_string), "%s: %s not a string",
                              schema, key);
                if (json_object_object_get_ex(prop, "maxLength", &max))
                    ck_assert_int_le(json_object_get_string_len(val), json_object_get_int(max));
            }
        }
    }
    json_object_put(s);
}

#endif /* INVENTORY_FIXTURE_H */
