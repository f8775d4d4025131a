/*
 * envelope.c — CloudEvents for pms.events with deterministic ids (see envelope.h).
 */
#include "envelope.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UUID_BYTES 16

int envelope_event_id(const char *vendor, const char *event_id, size_t index,
                      char out[CRYPTO_UUID_LEN + 1])
{
    char input[256];
    int n =
        snprintf(input, sizeof input, "%s\n%s\n%s\n%zu", ENVELOPE_SOURCE, vendor, event_id, index);
    if (n < 0 || (size_t)n >= sizeof input)
        return -1;
    char hex[CRYPTO_SHA256_HEX_LEN + 1];
    if (crypto_sha256_hex(input, (size_t)n, hex) != 0)
        return -1;
    uint8_t b[UUID_BYTES];
    for (size_t i = 0; i < UUID_BYTES; i++) {
        unsigned v = 0;
        sscanf(hex + 2 * i, "%2x", &v);
        b[i] = (uint8_t)v;
    }
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x80); /* version 8 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC variant */
    snprintf(out, CRYPTO_UUID_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
    return 0;
}

cloudevent_t *envelope_new(normalized_t *n, size_t index)
{
    normalized_event_t *e = &n->events[index];
    char id[CRYPTO_UUID_LEN + 1];
    if (envelope_event_id(n->vendor, n->event_id, index, id) != 0)
        return NULL;
    cloudevent_t *ev =
        cloudevent_new(normalize_cloudevent_type(e->type), ENVELOPE_SOURCE, n->hotel_id, e->data);
    e->data = NULL; /* taken by cloudevent_new, even on failure */
    if (!ev)
        return NULL;
    char *copy = strdup(id);
    if (!copy) {
        cloudevent_free(ev);
        return NULL;
    }
    free(ev->id);
    ev->id = copy;
    return ev;
}
