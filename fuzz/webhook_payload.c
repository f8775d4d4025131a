/*
 * webhook_payload.c — fuzzes webhook-ingest's payload normalisation: the raw
 * body of a PMS webhook, on each vendor's route ("cloudbeds": Cloudbeds' own
 * payloads and the normalised shape; "sandbox": the normalised shape), plus
 * the hotel-id peek that runs before the signature is checked.
 */
#include <stddef.h>
#include <stdint.h>

#include "normalize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    char hotel[NORMALIZE_ID_MAX + 1];
    (void)normalize_peek_hotel_id(body, size, hotel, sizeof hotel);
    static const char *const vendors[] = {"cloudbeds", "sandbox"};
    for (size_t i = 0; i < sizeof vendors / sizeof vendors[0]; i++) {
        normalized_t n;
        normalize_error_t err;
        if (normalize_webhook(vendors[i], body, size, &n, &err) == 0)
            normalized_clear(&n);
    }
    return 0;
}
