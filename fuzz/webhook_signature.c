/*
 * webhook_signature.c — fuzzes webhook-ingest's x-pms-signature check. The
 * input is "<header value>\n<raw body>": the header reaches the parser as the
 * client sent it, the body is what the HMAC covers. Two secrets (a rotation)
 * and a fixed clock keep every run deterministic; a matching HMAC is out of
 * the fuzzer's reach, the header parsing and the comparisons are not.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "signature.h"

#define FUZZ_NOW_S 1767225600 /* 2026-01-01T00:00:00Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *header = fuzz_text(data, size);
    if (!header)
        return 0;
    const uint8_t *nl = memchr(data, '\n', size);
    const uint8_t *body = nl ? nl + 1 : data + size;
    size_t body_len = (size_t)(data + size - body);
    fuzz_split(header, '\n');
    const char *secrets[] = {"whsec_current", NULL, "whsec_previous"};
    signature_result_t r =
        signature_verify(header, body, body_len, secrets, 3, FUZZ_NOW_S, SIGNATURE_TOLERANCE_S);
    (void)signature_result_text(r);
    (void)signature_result_reason(r);
    free(header);
    return 0;
}
