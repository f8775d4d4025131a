/*
 * stripe_response.c — fuzzes the Stripe connector's response parsers (a
 * gateway's answer is untrusted input too): a PaymentIntent, a Refund, and an
 * error answer under each status the connector types differently.
 */
#include <stddef.h>
#include <stdint.h>

#include "../common/payment/stripe_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    pay_error_t err = {0};
    pay_payment_t payment = {0};
    (void)stripe_parse_payment_intent(body, size, &payment, &err);
    pay_refund_t refund = {0};
    (void)stripe_parse_refund(body, size, &refund, &err);
    static const int statuses[] = {400, 402, 404, 409, 429, 500};
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        pay_error_t e = {0};
        (void)stripe_parse_error(statuses[i], body, size, &e);
    }
    return 0;
}
