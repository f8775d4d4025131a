/*
 * checkout.c — fuzzes booking-svc's checkout body validation: the bytes of a
 * POST /api/booking/checkout body, parsed as the handler does
 * (json_parse_object) and validated by checkout_parse for a connector that
 * serves "cloudbeds" (so the "sandbox" vendor path is reached too), with
 * Stripe and with Toss Payments as the default payment provider.
 */
#include <stddef.h>
#include <stdint.h>

#include "checkout.h"
#include "common/crypto.h"
#include "common/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t err;
    struct json_object *body = json_parse_object((const char *)data, size, &err);
    if (!body)
        return 0;
    booking_request_t rq;
    checkout_parse(body, "cloudbeds", &rq, &err);
    crypto_wipe(&rq, sizeof rq);
    checkout_parse_with(body, "cloudbeds", "toss", &rq, &err);
    crypto_wipe(&rq, sizeof rq);
    json_object_put(body);
    return 0;
}
