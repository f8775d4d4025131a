/*
 * sandbox_form.c — fuzzes the sandboxes' application/x-www-form-urlencoded
 * parser (the request bodies of the Stripe- and Cloudbeds-compatible APIs):
 * parsing, then every reader a sandbox uses on a parsed form.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "sandbox_form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)sandbox_form_utf8_valid((const char *)data, size);
    char err[160];
    sandbox_form_t *f = sandbox_form_parse((const char *)data, size, err, sizeof err);
    if (!f)
        return 0;
    size_t n = sandbox_form_field_count(f);
    for (size_t i = 0; i <= n; i++) {
        const char *key = sandbox_form_field_key(f, i);
        (void)sandbox_form_field_value(f, i);
        if (key) {
            (void)sandbox_form_get(f, key);
            (void)sandbox_form_count(f, key);
        }
    }
    int max = sandbox_form_max_index(f, "rooms");
    for (int i = 0; i <= max && i <= SANDBOX_FORM_MAX_INDEX; i++)
        (void)sandbox_form_get_indexed(f, "rooms", i, "roomTypeID");
    (void)sandbox_form_get(f, "metadata[booking_id]");
    free(sandbox_form_canonical(f));
    sandbox_form_free(f);
    return 0;
}
