/*
 * auth_credentials.c — reading credentials out of headers and minting new
 * secrets (see auth.h). Secrets are hex of CSPRNG bytes: at least 128 bits,
 * so their SHA-256 is all we store and all we compare.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/auth.h"

const char *auth_bearer_token(const char *header)
{
    static const char scheme[] = "Bearer";
    if (!header)
        return NULL;
    header += strspn(header, " \t");
    if (strncasecmp(header, scheme, sizeof scheme - 1) != 0)
        return NULL;
    const char *t = header + sizeof scheme - 1;
    if (*t != ' ' && *t != '\t')
        return NULL;
    t += strspn(t, " \t");
    return *t ? t : NULL;
}

int auth_random_hex(size_t bytes, char *out, size_t out_size)
{
    uint8_t buf[64];
    if (bytes > sizeof buf || out_size < 2 * bytes + 1 || crypto_random_bytes(buf, bytes) != 0)
        return -1;
    for (size_t i = 0; i < bytes; i++)
        snprintf(out + 2 * i, 3, "%02x", buf[i]);
    crypto_wipe(buf, sizeof buf);
    return 0;
}

int auth_booking_token_new(char token[AUTH_BOOKING_TOKEN_LEN + 1],
                           char hash_hex[CRYPTO_SHA256_HEX_LEN + 1])
{
    memcpy(token, AUTH_BOOKING_TOKEN_PREFIX, 3);
    if (auth_random_hex(AUTH_SECRET_HEX_LEN / 2, token + 3, AUTH_SECRET_HEX_LEN + 1) != 0)
        return -1;
    return crypto_sha256_hex(token, AUTH_BOOKING_TOKEN_LEN, hash_hex);
}
