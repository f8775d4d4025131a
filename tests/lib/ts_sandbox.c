/*
 * ts_sandbox.c — see ts_sandbox.h.
 */
#include "ts_sandbox.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#define TS_SANDBOX_MAX_ENV 16

void ts_sandbox_start(ts_sandbox_t *sb, const char *name, const char *port_env,
                      const char *const *extra_env)
{
    memset(sb, 0, sizeof *sb);
    sb->port = ts_free_port();
    ck_assert_int_gt(sb->port, 0);
    char path[512], port_var[64];
    snprintf(path, sizeof path, "%s/sandbox/%s/%s", LODGING_BINARY_DIR, name, name);
    snprintf(port_var, sizeof port_var, "%s=%d", port_env, sb->port);
    snprintf(sb->log_path, sizeof sb->log_path, "%s/%s-%d.log", LODGING_BINARY_DIR, name, sb->port);
    const char *env[TS_SANDBOX_MAX_ENV + 3] = {port_var, "LOG_LEVEL=warn"};
    size_t n = 2;
    for (size_t i = 0; extra_env && extra_env[i]; i++) {
        ck_assert_msg(n < TS_SANDBOX_MAX_ENV + 2, "too many environment entries");
        env[n++] = extra_env[i];
    }
    sb->proc = ts_proc_start(path, env, sb->log_path);
    ck_assert_msg(sb->proc != NULL, "cannot run %s", path);
    ck_assert_msg(ts_http_wait_ok(sb->port, "/healthz", TS_SANDBOX_START_TIMEOUT_MS),
                  "%s did not start (log: %s)", name, sb->log_path);
    snprintf(sb->base_url, sizeof sb->base_url, "http://127.0.0.1:%d", sb->port);
    http_client_config_t cc = {.base_url = sb->base_url, .total_timeout_ms = 10000};
    sb->control = http_client_new(&cc);
    ck_assert_ptr_nonnull(sb->control);
}

void ts_sandbox_stop(ts_sandbox_t *sb)
{
    http_client_free(sb->control);
    sb->control = NULL;
    int status = ts_proc_stop(sb->proc, 0, 10000);
    sb->proc = NULL;
    ck_assert_msg(status == 0, "sandbox exit status %d (log: %s)", status, sb->log_path);
}

int ts_sandbox_post(ts_sandbox_t *sb, const char *path, const char *json)
{
    http_client_response_t r;
    int status =
        http_client_post_json(sb->control, path, NULL, json, &r) == HTTP_CLIENT_OK ? r.status : 0;
    http_client_response_clear(&r);
    return status;
}

struct json_object *ts_sandbox_get_json(ts_sandbox_t *sb, const char *path,
                                        const char *const *query)
{
    http_client_response_t r;
    ck_assert_int_eq(http_client_get(sb->control, path, query, NULL, &r), HTTP_CLIENT_OK);
    ck_assert_msg(r.status == 200, "GET %s: %d %s", path, r.status, r.body ? r.body : "");
    struct json_object *o = json_tokener_parse(r.body);
    http_client_response_clear(&r);
    ck_assert_msg(o != NULL, "GET %s: not JSON", path);
    return o;
}

void ts_sandbox_fault(ts_sandbox_t *sb, const char *json)
{
    int status = ts_sandbox_post(sb, "/_sandbox/faults", json);
    ck_assert_msg(status == 201, "fault %s refused: %d", json, status);
}

void ts_sandbox_clear_faults(ts_sandbox_t *sb)
{
    http_client_response_t r;
    ck_assert_int_eq(
        http_client_request(sb->control, "DELETE", "/_sandbox/faults", NULL, NULL, NULL, 0, &r),
        HTTP_CLIENT_OK);
    int status = r.status;
    http_client_response_clear(&r);
    ck_assert_int_eq(status, 200);
}

int ts_sandbox_fault_hits(ts_sandbox_t *sb, const char *op)
{
    struct json_object *o = ts_sandbox_get_json(sb, "/_sandbox/faults", NULL);
    struct json_object *rows = json_object_object_get(o, "faults");
    int hits = 0;
    for (size_t i = 0; rows && i < json_object_array_length(rows); i++) {
        struct json_object *row = json_object_array_get_idx(rows, i);
        if (strcmp(json_object_get_string(json_object_object_get(row, "op")), op) == 0)
            hits += json_object_get_int(json_object_object_get(row, "hits"));
    }
    json_object_put(o);
    return hits;
}
