/*
 * http_route.c — fuzzes the HTTP server's routing of untrusted request
 * paths: path splitting, pattern matching, path parameters, 404 versus 405.
 * The input is "<method> <path>" (the path as libmicrohttpd hands it over,
 * without the query string). The server is never started: http_server_match
 * routes exactly as a request would be routed.
 *
 * The route table is the real one where it is reachable from a library
 * (inventory-svc's and the poller's tables, the server's built-in health
 * routes); booking-svc and webhook-ingest register theirs in main.c, so
 * their patterns are repeated here.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../services/inventory-svc/api.h"
#include "../services/poller/api.h"
#include "common/http_server.h"
#include "fuzz_input.h"

static int no_handler(http_request_t *req, void *ctx)
{
    (void)req;
    (void)ctx;
    return -1;
}

static http_server_t *router(void)
{
    static http_server_t *srv;
    if (srv)
        return srv;
    http_server_config_t cfg = {.service = "fuzz"};
    srv = http_server_new(&cfg);
    if (!srv)
        abort();
    static const char *const main_routes[][2] = {
        {"POST", "/api/booking/checkout"},
        {"GET", "/api/bookings/:bookingId"},
        {"POST", "/api/bookings/:bookingId/cancel"},
        {"POST", "/api/webhooks/pms/:vendor"},
    };
    for (size_t i = 0; i < sizeof main_routes / sizeof main_routes[0]; i++)
        if (http_server_route(srv, main_routes[i][0], main_routes[i][1], AUTH_RULE_OPEN, no_handler,
                              NULL) != 0)
            abort();
    if (inv_api_routes(NULL, srv) != 0 || api_register(srv, NULL) != 0)
        abort();
    return srv;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    http_server_t *srv = router();
    char *method = fuzz_text(data, size);
    if (!method)
        return 0;
    const char *path = fuzz_split(method, ' ');
    bool path_known;
    int params;
    (void)http_server_match(srv, method, path, &path_known, &params);
    free(method);
    return 0;
}
