/*
 * webhook-ingest — receives PMS webhooks, verifies their HMAC signature, de-duplicates and
 * publishes them to pms.events.
 *
 * main.c is wiring only (STYLE.md rule 3): the common service runtime gives
 * configuration, logging, /healthz /readyz /metrics and graceful shutdown.
 *
 * Plugs in with the read-side issue (SPEC §5, proto/openapi.yaml):
 *   routes     POST /api/webhooks/pms/:vendor (2xx only after Kafka acks)
 *   producer   pms.events, keyed by hotelId
 */
#include "common/service.h"

int main(int argc, char **argv)
{
    static const service_info_t info = {
        .name = "webhook-ingest",
        .description = "receives PMS webhooks, verifies their HMAC signature, de-duplicates and "
                       "publishes them to pms.events.",
        .port_env = "WEBHOOK_INGEST_PORT",
        .default_port = 8083,
    };
    return service_main(&info, argc, argv, NULL, NULL);
}
