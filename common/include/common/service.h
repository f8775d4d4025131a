/*
 * service.h — the runtime every service's main.c wires up, so that main.c is
 * wiring only: common configuration, logging, the HTTP
 * server with /healthz /readyz /metrics, readiness checks, signal handling and
 * graceful shutdown.
 *
 * Usage (a whole main.c):
 *     static int wire(service_t *svc, void *ctx) {           // routes, consumers, hooks
 *         http_server_routes(service_http(svc), ROUTES, ROUTE_COUNT, ctx);
 *         return service_on_shutdown(svc, stop_scheduler, ctx);
 *     }
 *     int main(int argc, char **argv) {
 *         static const service_info_t info = {.name = "poller", .port_env = "POLLER_PORT",
 *                                             .default_port = 8084, .description = "...",
 *                                             .routes = ROUTES, .route_count = ROUTE_COUNT};
 *         return service_main(&info, argc, argv, wire, &jobs);   // until SIGTERM
 *     }
 *
 * Shutdown (SIGTERM or SIGINT): /readyz turns 503 at once, and the listener
 * goes on serving for SHUTDOWN_DRAIN_MS (every answer closing its connection),
 * the time load balancers take to notice and route elsewhere; a second signal
 * cuts that short. Then the HTTP server stops accepting and waits for the
 * in-flight requests (up to SHUTDOWN_DRAIN_TIMEOUT_MS), the shutdown hooks run
 * in reverse order of registration (flush producers, commit offsets, close
 * pools), and service_run returns 0. A malformed configuration
 * value makes service_run log every error and return 2 without starting.
 *
 * Access control: the service's route table (info.routes) is the one list of
 * its routes and their rules; `--routes` prints it (with the built-ins) as
 * JSON lines, and service_run refuses to start when wire registered a route
 * the table does not list with the same rule. The HTTP server resolves
 * callers with an authenticator made from LODGING_SERVICE_TOKEN and
 * MYSQL_URL (service_auth).
 *
 * Thread-safety: service_new blocks SIGTERM/SIGINT in the calling thread, so
 * call it in main() before creating any thread: every thread created later
 * inherits the mask and the signals are taken only by service_run (sigwait).
 * service_stopping() may be called from any thread. Ownership: the service
 * owns its config, HTTP server and settings; hooks' ctx are borrowed.
 */
#ifndef COMMON_SERVICE_H
#define COMMON_SERVICE_H

#include <stdbool.h>

#include "common/config.h"
#include "common/http_server.h"

#define SERVICE_VERSION "0.1.0"
#define SERVICE_DEFAULT_KAFKA_BROKERS "127.0.0.1:19092"
#define SERVICE_DEFAULT_REDIS_URL "redis://127.0.0.1:16379"
#define SERVICE_DEFAULT_MYSQL_URL "mysql://lodging:lodging@127.0.0.1:13306/lodging"
#define SERVICE_MAX_HTTP_THREADS 256
#define SERVICE_MAX_BODY_BYTES (64 * 1024 * 1024)
#define SERVICE_MAX_DRAIN_MS 300000
/* SIGTERM to closing the listener (SHUTDOWN_DRAIN_MS); the Helm chart sets it
 * next to its preStop pause. */
#define SERVICE_DEFAULT_SHUTDOWN_DRAIN_MS 2000
#define SERVICE_MAX_HEADER_BYTES (1024 * 1024)
#define SERVICE_MAX_CONNECTIONS 100000
#define SERVICE_MAX_TIMEOUT_S 3600
#define SERVICE_MAX_SESSION_S (30 * 86400)

typedef struct service_info {
    const char *name;        /* "booking-svc" */
    const char *description; /* one line for --help */
    const char *port_env;    /* "BOOKING_SVC_PORT" */
    int default_port;
    const char *env_help; /* extra lines for --help (service-specific vars), or NULL */
    /* Serve each connection on its own thread (http_server_config_t); for
     * handlers that may block for long. HTTP_THREADS is then unused. */
    bool http_thread_per_connection;
    /* Handlers may answer later from another thread (http_request_defer). */
    bool http_deferred_responses;
    /* Every route wire registers, with its rule (see http_route_t). */
    const http_route_t *routes;
    size_t route_count;
    /* A vendor simulator (the sandboxes): no table, every route must be OPEN. */
    bool routes_all_open;
} service_info_t;

/* Settings every service reads (README "Configuration"). Strings are owned by
 * the service's config. */
typedef struct service_settings {
    int port;
    const char *bind_address;
    unsigned http_threads;
    size_t max_body_bytes;
    unsigned drain_timeout_ms;  /* SHUTDOWN_DRAIN_TIMEOUT_MS: waiting for in-flight requests */
    unsigned shutdown_drain_ms; /* SHUTDOWN_DRAIN_MS: serving on with /readyz 503 */
    size_t max_header_bytes;
    unsigned max_connections;
    unsigned max_connections_per_ip;
    unsigned connection_timeout_s;
    unsigned request_timeout_ms;
    const char *trusted_proxies;
    const char *kafka_brokers;
    const char *kafka_topic_prefix;
    const char *redis_url;
    const char *mysql_url;
    const char *service_token; /* LODGING_SERVICE_TOKEN, or NULL */
    int session_idle_s;           /* SESSION_IDLE_S: browser sessions end after this idle time */
    int session_max_s;            /* SESSION_MAX_S: ... and this long after login at the latest */
    int session_touch_interval_s; /* SESSION_TOUCH_INTERVAL_S */
} service_settings_t;

typedef struct service service_t;
typedef bool (*service_check_fn)(void *ctx, const char **reason);
typedef void (*service_hook_fn)(void *ctx);

/* Handles --help, --version and --routes (returns 0 after printing), an unknown
 * argument (returns 2 after printing usage), or returns -1: go on. */
int service_handle_args(const service_info_t *info, int argc, char **argv);

/* Reads the configuration, initialises logging, creates (does not start) the
 * HTTP server. NULL only on OOM. */
service_t *service_new(const service_info_t *info);
void service_free(service_t *svc);

config_t *service_config(service_t *svc);
http_server_t *service_http(service_t *svc);
const service_settings_t *service_settings(const service_t *svc);
/* The authenticator the HTTP server uses (the admin API and audit share its pool). */
auth_t *service_auth(service_t *svc);

/* /readyz is 200 only while every check passes; the reason names the check. */
int service_add_ready_check(service_t *svc, const char *name, service_check_fn fn, void *ctx);
/* Runs during shutdown, after the HTTP drain, last registered first. */
int service_on_shutdown(service_t *svc, service_hook_fn fn, void *ctx);

/* Starts serving and blocks until SIGTERM/SIGINT; returns the exit code:
 * 0 clean stop, 1 could not start, 2 bad configuration. */
int service_run(service_t *svc);

/* Wires a service's own parts into svc; non-zero aborts the start (exit 1). */
typedef int (*service_wire_fn)(service_t *svc, void *ctx);

/* The whole life of a service: arguments, service_new, wire (may be NULL),
 * service_run, service_free. Returns the process exit code. */
int service_main(const service_info_t *info, int argc, char **argv, service_wire_fn wire,
                 void *ctx);

/* True once shutdown began (for worker loops). */
bool service_stopping(const service_t *svc);

#endif /* COMMON_SERVICE_H */
