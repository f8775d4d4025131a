/*
 * auth_credentials.c — fuzzes how a request's credentials are read: the
 * Authorization header (bearer scheme in any letter case, API keys
 * lk_<keyId>_<secret>, booking tokens bt_<hex>, the service token) and the
 * Cookie header (lodging_session=<sessionId>.<secret> among other cookies).
 * The input is "<Authorization>\n<Cookie>"; an empty line stands for an
 * absent header. The authenticator has a service token and no credential
 * store, so every path that would ask the database answers "unavailable"
 * without a network: what is fuzzed is the parsing up to that point.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/auth.h"
#include "fuzz_input.h"

#define FUZZ_SERVICE_TOKEN "fuzz-service-token-0123456789abcdef0123456789"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static auth_t *auth;
    if (!auth) {
        auth_config_t cfg = {.service_token = FUZZ_SERVICE_TOKEN};
        if (!(auth = auth_new(&cfg)))
            abort();
    }
    char *authorization = fuzz_text(data, size);
    if (!authorization)
        return 0;
    const char *cookie = fuzz_split(authorization, '\n');
    auth_principal_t p;
    auth_err_t e = auth_authenticate(auth, *authorization ? authorization : NULL,
                                     cookie && *cookie ? cookie : NULL, &p);
    if (e == AUTH_OK) {
        /* whatever was recognised must be a coherent principal */
        (void)auth_kind_name(p.kind);
        (void)auth_role_name(p.role);
        for (int rule = 0; rule <= AUTH_RULE_SERVICE; rule++)
            (void)auth_rule_check((auth_rule_t)rule, &p, "POST", NULL);
    }
    (void)auth_bearer_token(authorization);
    (void)auth_authenticate(NULL, *authorization ? authorization : NULL, NULL, &p);
    free(authorization);
    return 0;
}
