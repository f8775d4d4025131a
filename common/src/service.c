/*
 * service.c — the common service runtime (see service.h).
 */
#include "common/service.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/client_address.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/process_metrics.h"
#include "common/redis.h"

#define SERVICE_MAX_CHECKS 16
#define SERVICE_MAX_HOOKS 16

typedef struct named_check {
    const char *name;
    service_check_fn fn;
    void *ctx;
} named_check_t;

typedef struct hook {
    service_hook_fn fn;
    void *ctx;
} hook_t;

struct service {
    service_info_t info;
    config_t *cfg;
    service_settings_t settings;
    http_server_t *http;
    auth_t *auth;
    named_check_t checks[SERVICE_MAX_CHECKS];
    int check_count;
    hook_t hooks[SERVICE_MAX_HOOKS];
    int hook_count;
    atomic_bool stopping;
};

/* Readiness runs on HTTP worker threads: each keeps its own reason text. */
static _Thread_local char not_ready_reason[128];

static const char COMMON_ENV_HELP[] =
    "  LOG_LEVEL                  debug | info | warn | error (default info)\n"
    "  HTTP_BIND_ADDRESS          address to listen on (default 0.0.0.0)\n"
    "  HTTP_THREADS               HTTP worker threads (default 4)\n"
    "  HTTP_MAX_BODY_BYTES        larger request bodies get 413 (default 1048576)\n"
    "  HTTP_MAX_HEADER_BYTES      larger request heads get 431 (default 32768)\n"
    "  HTTP_MAX_CONNECTIONS       open connections at once (default 512)\n"
    "  HTTP_MAX_CONNECTIONS_PER_IP per client IP, 0 = no limit (default 0)\n"
    "  HTTP_CONNECTION_TIMEOUT_S  an idle connection is closed after it (default 30)\n"
    "  HTTP_REQUEST_TIMEOUT_MS    a request body still arriving after it is cut off (default "
    "30000)\n"
    "  TRUSTED_PROXIES            CIDRs whose X-Forwarded-For is believed (default: none)\n"
    "  SHUTDOWN_DRAIN_MS          after SIGTERM, how long the listener goes on serving while\n"
    "                             /readyz answers 503 (default 2000)\n"
    "  SHUTDOWN_DRAIN_TIMEOUT_MS  then, how long to wait for in-flight requests (default 10000)\n"
    "  KAFKA_BROKERS              (default " SERVICE_DEFAULT_KAFKA_BROKERS ")\n"
    "  KAFKA_TOPIC_PREFIX         prefix for every topic name (default empty)\n"
    "  REDIS_URL                  redis://host:port[/db], or for a Redis Cluster\n"
    "                             redis-cluster://host:port,host:port... (the seeds)\n"
    "                             (default " SERVICE_DEFAULT_REDIS_URL ")\n"
    "  MYSQL_URL                  (default mysql://lodging:***@127.0.0.1:13306/lodging)\n"
    "  LODGING_SERVICE_TOKEN      credential our services present to each other's internal\n"
    "                             routes (32+ characters; unset = internal routes refuse)\n"
    "  SESSION_IDLE_S             a browser session unused this long ends (default 1800)\n"
    "  SESSION_MAX_S              a browser session ends this long after login (default 43200)\n"
    "  SESSION_TOUCH_INTERVAL_S   how often a session's last use is written (default 60)\n";

static void print_usage(const service_info_t *info, FILE *out)
{
    fprintf(out,
            "usage: %s [--help] [--version] [--routes]\n\n%s\n\n"
            "Configuration (environment variables):\n"
            "  %-26s HTTP port (default %d)\n%s%s",
            info->name, info->description ? info->description : "", info->port_env,
            info->default_port, COMMON_ENV_HELP, info->env_help ? info->env_help : "");
}

int service_handle_args(const service_info_t *info, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            print_usage(info, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("%s %s\n", info->name, SERVICE_VERSION);
            return 0;
        }
        if (strcmp(argv[i], "--routes") == 0) {
            size_t n = 0;
            const http_route_t *builtin = http_server_builtin_routes(&n);
            http_route_table_print(builtin, n, stdout);
            http_route_table_print(info->routes, info->route_count, stdout);
            return 0;
        }
        fprintf(stderr, "%s: unknown argument '%s'\n", info->name, argv[i]);
        print_usage(info, stderr);
        return 2;
    }
    return -1;
}

/* Validates a URL setting, recording an error in the config when it is bad. */
static void check_url(config_t *cfg, const char *name, const char *value)
{
    config_url_t url;
    char err[128];
    if (config_url_parse(value, &url, err, sizeof err) != 0)
        config_add_error(cfg, name, err);
    else
        config_url_clear(&url);
}

/* The HTTP abuse limits every service reads the same way (README
 * "Configuration"); a malformed TRUSTED_PROXIES is a configuration error. */
static void read_http_limits(config_t *cfg, service_settings_t *s)
{
    s->max_header_bytes = (size_t)config_get_int(cfg, "HTTP_MAX_HEADER_BYTES",
                                                 HTTP_DEFAULT_MAX_HEADER_BYTES, 1024,
                                                 SERVICE_MAX_HEADER_BYTES);
    s->max_connections = (unsigned)config_get_int(cfg, "HTTP_MAX_CONNECTIONS",
                                                  HTTP_DEFAULT_MAX_CONNECTIONS, 1,
                                                  SERVICE_MAX_CONNECTIONS);
    s->max_connections_per_ip = (unsigned)config_get_int(cfg, "HTTP_MAX_CONNECTIONS_PER_IP",
                                                         HTTP_DEFAULT_MAX_CONNECTIONS_PER_IP, 0,
                                                         SERVICE_MAX_CONNECTIONS);
    s->connection_timeout_s = (unsigned)config_get_int(cfg, "HTTP_CONNECTION_TIMEOUT_S",
                                                       HTTP_DEFAULT_CONNECTION_TIMEOUT_S, 1,
                                                       SERVICE_MAX_TIMEOUT_S);
    s->request_timeout_ms = (unsigned)config_get_int(cfg, "HTTP_REQUEST_TIMEOUT_MS",
                                                     HTTP_DEFAULT_REQUEST_TIMEOUT_MS, 1,
                                                     SERVICE_MAX_TIMEOUT_S * 1000);
    s->trusted_proxies = config_get_str(cfg, "TRUSTED_PROXIES", "");
    char err[160];
    client_proxies_t *p = client_proxies_parse(s->trusted_proxies, err, sizeof err);
    if (!p) {
        config_add_error(cfg, "TRUSTED_PROXIES", err);
        s->trusted_proxies = ""; /* the server still gets made; the error stops the start */
    }
    client_proxies_free(p);
}

static void read_settings(service_t *svc)
{
    config_t *cfg = svc->cfg;
    service_settings_t *s = &svc->settings;
    log_level_t level = LOG_LEVEL_INFO;
    const char *level_text = config_get_str(cfg, "LOG_LEVEL", "info");
    if (log_level_parse(level_text, &level) != 0)
        config_add_error(cfg, "LOG_LEVEL", "must be one of debug, info, warn, error");
    log_init(svc->info.name, level);

    s->port = config_get_port(cfg, svc->info.port_env, svc->info.default_port);
    s->bind_address = config_get_str(cfg, "HTTP_BIND_ADDRESS", "0.0.0.0");
    s->http_threads = (unsigned)config_get_int(cfg, "HTTP_THREADS", HTTP_DEFAULT_THREADS, 1,
                                               SERVICE_MAX_HTTP_THREADS);
    s->max_body_bytes = (size_t)config_get_int(
        cfg, "HTTP_MAX_BODY_BYTES", HTTP_DEFAULT_MAX_BODY_BYTES, 1, SERVICE_MAX_BODY_BYTES);
    s->drain_timeout_ms = (unsigned)config_get_int(
        cfg, "SHUTDOWN_DRAIN_TIMEOUT_MS", HTTP_DEFAULT_DRAIN_TIMEOUT_MS, 1, SERVICE_MAX_DRAIN_MS);
    s->shutdown_drain_ms = (unsigned)config_get_int(
        cfg, "SHUTDOWN_DRAIN_MS", SERVICE_DEFAULT_SHUTDOWN_DRAIN_MS, 0, SERVICE_MAX_DRAIN_MS);
    read_http_limits(cfg, s);
    s->kafka_brokers = config_get_str(cfg, "KAFKA_BROKERS", SERVICE_DEFAULT_KAFKA_BROKERS);
    s->kafka_topic_prefix = config_get_str(cfg, "KAFKA_TOPIC_PREFIX", "");
    s->redis_url = config_get_str(cfg, "REDIS_URL", SERVICE_DEFAULT_REDIS_URL);
    s->mysql_url = config_get_str(cfg, "MYSQL_URL", SERVICE_DEFAULT_MYSQL_URL);
    char redis_err[160];
    if (redis_url_check(s->redis_url, redis_err, sizeof redis_err) != 0)
        config_add_error(cfg, "REDIS_URL", redis_err);
    check_url(cfg, "MYSQL_URL", s->mysql_url);
    s->service_token = config_get_str(cfg, "LODGING_SERVICE_TOKEN", NULL);
    if (s->service_token && !*s->service_token)
        s->service_token = NULL;
    if (s->service_token && strlen(s->service_token) < AUTH_SERVICE_TOKEN_MIN_LEN)
        config_add_error(cfg, "LODGING_SERVICE_TOKEN", "must be at least 32 characters");
    s->session_idle_s = (int)config_get_int(cfg, "SESSION_IDLE_S", AUTH_DEFAULT_SESSION_IDLE_S, 1,
                                            SERVICE_MAX_SESSION_S);
    s->session_max_s = (int)config_get_int(cfg, "SESSION_MAX_S", AUTH_DEFAULT_SESSION_MAX_S, 1,
                                           SERVICE_MAX_SESSION_S);
    s->session_touch_interval_s =
        (int)config_get_int(cfg, "SESSION_TOUCH_INTERVAL_S", AUTH_DEFAULT_SESSION_TOUCH_INTERVAL_S,
                            1, SERVICE_MAX_SESSION_S);
}

/* True when every registered route is in the service's table with the same
 * rule: the table is what --routes shows and the access tests check, so a
 * route registered outside it would escape both. */
static bool routes_match_table(service_t *svc)
{
    size_t nb = 0;
    const http_route_t *builtin = http_server_builtin_routes(&nb);
    for (size_t i = 0; i < http_server_route_count(svc->http); i++) {
        const char *method, *pattern;
        auth_rule_t rule;
        http_server_route_at(svc->http, i, &method, &pattern, &rule);
        bool found = svc->info.routes_all_open && rule == AUTH_RULE_OPEN;
        for (size_t j = 0; !found && j < nb + svc->info.route_count; j++) {
            const http_route_t *t = j < nb ? &builtin[j] : &svc->info.routes[j - nb];
            found = strcmp(t->method, method) == 0 && strcmp(t->pattern, pattern) == 0 &&
                    t->rule == rule;
        }
        if (!found) {
            log_kv(LOG_LEVEL_ERROR, "route missing from the service's route table", "method",
                   method, "route", pattern, NULL);
            return false;
        }
    }
    return true;
}

static bool service_ready(void *ctx, const char **reason)
{
    service_t *svc = ctx;
    if (atomic_load(&svc->stopping)) {
        *reason = "shutting down";
        return false;
    }
    for (int i = 0; i < svc->check_count; i++) {
        const char *why = NULL;
        if (!svc->checks[i].fn(svc->checks[i].ctx, &why)) {
            snprintf(not_ready_reason, sizeof not_ready_reason, "%s: %s", svc->checks[i].name,
                     why ? why : "not ready");
            *reason = not_ready_reason;
            return false;
        }
    }
    return true;
}

service_t *service_new(const service_info_t *info)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    service_t *svc = calloc(1, sizeof *svc);
    if (!svc)
        return NULL;
    svc->info = *info;
    atomic_init(&svc->stopping, false);
    svc->cfg = config_new(NULL);
    if (!svc->cfg)
        goto fail;
    read_settings(svc);
    svc->auth = auth_new(&(auth_config_t){
        .mysql_url = svc->settings.mysql_url,
        .service_token = svc->settings.service_token,
        .session_idle_s = svc->settings.session_idle_s,
        .session_touch_interval_s = svc->settings.session_touch_interval_s});
    if (!svc->auth)
        goto fail;
    http_server_config_t hc = {
        .service = info->name,
        .bind_address = svc->settings.bind_address,
        .port = svc->settings.port,
        .threads = svc->settings.http_threads,
        .thread_per_connection = info->http_thread_per_connection,
        .deferred_responses = info->http_deferred_responses,
        .max_body_bytes = svc->settings.max_body_bytes,
        .drain_timeout_ms = svc->settings.drain_timeout_ms,
        .max_header_bytes = svc->settings.max_header_bytes,
        .max_connections = svc->settings.max_connections,
        .max_connections_per_ip = svc->settings.max_connections_per_ip,
        .connection_timeout_s = svc->settings.connection_timeout_s,
        .request_timeout_ms = svc->settings.request_timeout_ms,
        .trusted_proxies = svc->settings.trusted_proxies,
        .ready = service_ready,
        .ready_ctx = svc,
        .auth = svc->auth,
    };
    svc->http = http_server_new(&hc);
    if (!svc->http)
        goto fail;
    metrics_gauge_set(
        metrics_gauge("service_info", "Service name and version", 2, "service", "version"), 1,
        info->name, SERVICE_VERSION);
    process_metrics_register();
    return svc;
fail:
    service_free(svc);
    return NULL;
}

void service_free(service_t *svc)
{
    if (!svc)
        return;
    http_server_free(svc->http);
    auth_free(svc->auth);
    config_free(svc->cfg);
    free(svc);
}

config_t *service_config(service_t *svc)
{
    return svc->cfg;
}

http_server_t *service_http(service_t *svc)
{
    return svc->http;
}

const service_settings_t *service_settings(const service_t *svc)
{
    return &svc->settings;
}

auth_t *service_auth(service_t *svc)
{
    return svc->auth;
}

bool service_stopping(const service_t *svc)
{
    return atomic_load(&svc->stopping);
}

int service_add_ready_check(service_t *svc, const char *name, service_check_fn fn, void *ctx)
{
    if (svc->check_count == SERVICE_MAX_CHECKS)
        return -1;
    svc->checks[svc->check_count++] = (named_check_t){name, fn, ctx};
    return 0;
}

int service_on_shutdown(service_t *svc, service_hook_fn fn, void *ctx)
{
    if (svc->hook_count == SERVICE_MAX_HOOKS)
        return -1;
    svc->hooks[svc->hook_count++] = (hook_t){fn, ctx};
    return 0;
}

/* Logs each configuration error on its own line. */
static void log_config_errors(const config_t *cfg)
{
    char *copy = strdup(config_errors(cfg));
    char *save = NULL;
    for (char *line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save))
        log_kv(LOG_LEVEL_ERROR, "invalid configuration", "detail", line, NULL);
    free(copy);
}

/* Keeps the listener open for SHUTDOWN_DRAIN_MS after the stop signal, while
 * /readyz answers 503: until the load balancers have seen that, they still
 * send requests here, and a closed listener would fail them. A second signal
 * (an impatient Ctrl-C) ends the wait. */
static void serve_during_drain(service_t *svc, const sigset_t *signals)
{
    unsigned period = svc->settings.shutdown_drain_ms;
    if (period == 0)
        return;
    char ms[16];
    snprintf(ms, sizeof ms, "%u", period);
    log_kv(LOG_LEVEL_INFO, "draining: /readyz answers 503, still serving", "drainMs", ms, NULL);
    int64_t deadline = clock_now_ms() + period;
    for (int64_t left = period; left > 0; left = deadline - clock_now_ms()) {
        struct timespec ts = {.tv_sec = left / 1000, .tv_nsec = (left % 1000) * 1000000L};
        if (sigtimedwait(signals, NULL, &ts) > 0) {
            log_info("second stop signal: closing the listener now");
            return;
        }
    }
}

int service_run(service_t *svc)
{
    if (config_error_count(svc->cfg) > 0) {
        log_config_errors(svc->cfg);
        return 2;
    }
    if (!routes_match_table(svc))
        return 1;
    if (http_server_start(svc->http) != 0)
        return 1;
    log_info("%s %s started on port %d", svc->info.name, SERVICE_VERSION,
             http_server_port(svc->http));

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    int sig = 0;
    while (sigwait(&set, &sig) != 0) {
    }
    log_info("received %s, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    atomic_store(&svc->stopping, true); /* /readyz answers 503 from here on */
    http_server_drain(svc->http);
    serve_during_drain(svc, &set);
    http_server_stop(svc->http);
    for (int i = svc->hook_count - 1; i >= 0; i--)
        svc->hooks[i].fn(svc->hooks[i].ctx);
    log_info("%s stopped", svc->info.name);
    return 0;
}

int service_main(const service_info_t *info, int argc, char **argv, service_wire_fn wire, void *ctx)
{
    int rc = service_handle_args(info, argc, argv);
    if (rc >= 0)
        return rc;
    service_t *svc = service_new(info);
    if (!svc)
        return 1;
    if (wire && wire(svc, ctx) != 0) {
        log_error("%s: start-up wiring failed", info->name);
        rc = 1;
    } else {
        rc = service_run(svc);
    }
    service_free(svc);
    return rc;
}
