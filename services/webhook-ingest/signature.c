/*
 * signature.c — x-pms-signature verification (see signature.h).
 *
 * The header is split on ',' into key=value items; unknown keys are ignored
 * (forward compatible, as Stripe does). The expected HMAC is computed once per
 * secret over "<t>.<body>" and compared with every v1= in constant time.
 */
#include "signature.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"

#define SIGNATURE_MAX_T_DIGITS 19

typedef struct parsed_header {
    int64_t t;
    bool has_t;
    const char *v1[SIGNATURE_MAX_V1]; /* pointers into the header */
    size_t v1_len[SIGNATURE_MAX_V1];
    size_t v1_count;
} parsed_header_t;

/* Parses "t=...,v1=...,v1=..." into *out; -1 when t= is not a plain number. */
static int parse_header(const char *header, parsed_header_t *out)
{
    memset(out, 0, sizeof *out);
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 2 && p[0] == 't' && p[1] == '=') {
            size_t digits = len - 2;
            if (digits > SIGNATURE_MAX_T_DIGITS)
                return -1;
            char buf[SIGNATURE_MAX_T_DIGITS + 1];
            memcpy(buf, p + 2, digits);
            buf[digits] = '\0';
            for (size_t i = 0; i < digits; i++)
                if (buf[i] < '0' || buf[i] > '9')
                    return -1;
            errno = 0;
            long long t = strtoll(buf, NULL, 10);
            if (errno != 0)
                return -1;
            out->t = t;
            out->has_t = true;
        } else if (len > 3 && strncmp(p, "v1=", 3) == 0 && out->v1_count < SIGNATURE_MAX_V1) {
            out->v1[out->v1_count] = p + 3;
            out->v1_len[out->v1_count] = len - 3;
            out->v1_count++;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

/* HMAC-SHA256(secret, "<t>.<body>") in lower-case hex. 0 or -1. */
static int expected_hex(const char *secret, int64_t t, const void *body, size_t body_len,
                        char out[CRYPTO_SHA256_HEX_LEN + 1])
{
    char prefix[32];
    int n = snprintf(prefix, sizeof prefix, "%lld.", (long long)t);
    size_t total = (size_t)n + body_len;
    char *signed_payload = malloc(total ? total : 1);
    if (!signed_payload)
        return -1;
    memcpy(signed_payload, prefix, (size_t)n);
    if (body_len)
        memcpy(signed_payload + n, body, body_len);
    int rc = crypto_hmac_sha256_hex(secret, strlen(secret), signed_payload, total, out);
    crypto_wipe(signed_payload, total);
    free(signed_payload);
    return rc;
}

signature_result_t signature_verify(const char *header, const void *body, size_t body_len,
                                    const char *const *secrets, size_t secret_count, int64_t now_s,
                                    int64_t tolerance_s)
{
    if (!header || !*header)
        return SIGNATURE_MISSING;
    parsed_header_t h;
    if (parse_header(header, &h) != 0 || !h.has_t || h.v1_count == 0)
        return SIGNATURE_MALFORMED;
    int64_t skew = now_s - h.t;
    if (skew > tolerance_s || skew < -tolerance_s)
        return SIGNATURE_STALE;
    bool matched = false;
    for (size_t s = 0; s < secret_count; s++) {
        if (!secrets[s] || !*secrets[s])
            continue;
        char want[CRYPTO_SHA256_HEX_LEN + 1];
        if (expected_hex(secrets[s], h.t, body, body_len, want) != 0)
            continue;
        /* Compare with every v1= (no early exit): timing says nothing about which. */
        for (size_t i = 0; i < h.v1_count; i++)
            matched |=
                crypto_equal_constant_time(want, CRYPTO_SHA256_HEX_LEN, h.v1[i], h.v1_len[i]);
        crypto_wipe(want, sizeof want);
    }
    return matched ? SIGNATURE_OK : SIGNATURE_MISMATCH;
}

const char *signature_result_text(signature_result_t r)
{
    switch (r) {
    case SIGNATURE_OK:
        return "signature valid";
    case SIGNATURE_MISSING:
        return "x-pms-signature header is required";
    case SIGNATURE_MALFORMED:
        return "x-pms-signature must be t=<unix seconds>,v1=<hex HMAC-SHA256>";
    case SIGNATURE_STALE:
        return "x-pms-signature timestamp is outside the 300 s window (replay?)";
    case SIGNATURE_MISMATCH:
        return "x-pms-signature does not match the body";
    }
    return "invalid signature";
}

const char *signature_result_reason(signature_result_t r)
{
    switch (r) {
    case SIGNATURE_OK:
        return "ok";
    case SIGNATURE_MISSING:
        return "missing_signature";
    case SIGNATURE_MALFORMED:
        return "malformed_signature";
    case SIGNATURE_STALE:
        return "stale_signature";
    case SIGNATURE_MISMATCH:
        return "bad_signature";
    }
    return "bad_signature";
}

int signature_sign(const char *secret, int64_t t, const void *body, size_t body_len, char *out,
                   size_t out_size)
{
    char hex[CRYPTO_SHA256_HEX_LEN + 1];
    if (expected_hex(secret, t, body, body_len, hex) != 0)
        return -1;
    int n = snprintf(out, out_size, "t=%lld,v1=%s", (long long)t, hex);
    return n > 0 && (size_t)n < out_size ? 0 : -1;
}
