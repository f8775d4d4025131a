/*
 * toss_response.c — fuzzes the Toss Payments connector's response parsers (a
 * gateway's answer is untrusted input too): a Payment under both acquisition
 * contracts, the search for our cancel in cancels[], an error answer under
 * each status the connector types differently, and Toss' timestamps.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../common/payment/toss_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    pay_error_t err = {0};
    pay_payment_t payment = {0};
    (void)toss_parse_payment(body, size, false, &payment, &err);
    (void)toss_parse_payment(body, size, true, &payment, &err);
    pay_refund_t refund = {0};
    (void)toss_find_cancel(body, size, "bk_fuzz:refund", &refund);
    static const int statuses[] = {400, 401, 403, 404, 409, 429, 500};
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        pay_error_t e = {0};
        (void)toss_parse_error(statuses[i], body, size, &e);
    }
    char *text = malloc(size + 1);
    if (text) {
        memcpy(text, data, size);
        text[size] = '\0';
        (void)toss_parse_time(text);
        free(text);
    }
    return 0;
}
