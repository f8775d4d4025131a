/*
 * booking-svc — the checkout saga: hold, pre-authorise, confirm, capture, with compensation;
 * bookings and booking events.
 *
 * main.c is wiring only (STYLE.md rule 3): the common service runtime gives
 * configuration, logging, /healthz /readyz /metrics and graceful shutdown.
 *
 * Plugs in with the checkout-saga issue (SPEC §4, proto/openapi.yaml):
 *   routes     POST /api/booking/checkout, GET /api/bookings/:bookingId,
 *              POST /api/bookings/:bookingId/cancel
 *   consumers  pms.events (PMS-side confirm/cancel), booking.compensations
 *   workers    outbox relay to booking.events, saga recovery on start
 */
#include "common/service.h"

int main(int argc, char **argv)
{
    static const service_info_t info = {
        .name = "booking-svc",
        .description = "the checkout saga: hold, pre-authorise, confirm, capture, with "
                       "compensation; bookings and booking events.",
        .port_env = "BOOKING_SVC_PORT",
        .default_port = 8081,
    };
    return service_main(&info, argc, argv, NULL, NULL);
}
