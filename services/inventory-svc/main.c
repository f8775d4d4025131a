/*
 * inventory-svc — the Redis inventory and rate cache in front of the PMS: cache-first reads,
 * invalidation, sync jobs, admin.
 *
 * main.c is wiring only (STYLE.md rule 3): the common service runtime gives
 * configuration, logging, /healthz /readyz /metrics and graceful shutdown.
 *
 * Plugs in with the read-side issue (SPEC §3, §7, proto/openapi.yaml):
 *   routes     GET /api/inventory, GET /api/rates, GET /api/hotels/:hotelId/room-types,
 *              cache decrement/increment, admin API and the /admin page
 *   consumers  pms.events (invalidate), sync.jobs (30-day refresh -> sync.results)
 */
#include "common/service.h"

int main(int argc, char **argv)
{
    static const service_info_t info = {
        .name = "inventory-svc",
        .description = "the Redis inventory and rate cache in front of the PMS: cache-first reads, "
                       "invalidation, sync jobs, admin.",
        .port_env = "INVENTORY_SVC_PORT",
        .default_port = 8082,
    };
    return service_main(&info, argc, argv, NULL, NULL);
}
