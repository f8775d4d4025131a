/*
 * poller — per-hotel polling schedules for PMSs without webhooks: emits 30-day sync jobs, tracks
 * results, raises alerts.
 *
 * main.c is wiring only (STYLE.md rule 3): the common service runtime gives
 * configuration, logging, /healthz /readyz /metrics and graceful shutdown.
 *
 * Plugs in with the read-side issue (SPEC §6, proto/openapi.yaml):
 *   routes     GET /api/polling, GET /api/polling/:vendor/:hotelId, POST .../start|stop|sync
 *   producer   sync.jobs, ops.alerts; consumer sync.results
 */
#include "common/service.h"

int main(int argc, char **argv)
{
    static const service_info_t info = {
        .name = "poller",
        .description = "per-hotel polling schedules for PMSs without webhooks: emits 30-day sync "
                       "jobs, tracks results, raises alerts.",
        .port_env = "POLLER_PORT",
        .default_port = 8084,
    };
    return service_main(&info, argc, argv, NULL, NULL);
}
