/*
 * auth_session.c — browser sessions from the lodging_session cookie (see
 * auth.h). Accounts and sessions are not stored yet, so a session cookie is
 * never a valid credential: rules that need one answer 401, public routes
 * treat the caller as anonymous.
 */
#include <string.h>

#include "auth_internal.h"

/* The value of cookie `name` in a Cookie header, copied into out. 0, or -1
 * when absent or too long. */
static int cookie_value(const char *header, const char *name, char *out, size_t out_size)
{
    size_t name_len = strlen(name);
    for (const char *s = header; s && *s;) {
        s += strspn(s, " \t;");
        const char *end = strchr(s, ';');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        if (len > name_len && strncmp(s, name, name_len) == 0 && s[name_len] == '=') {
            size_t vlen = len - name_len - 1;
            if (vlen >= out_size)
                return -1;
            memcpy(out, s + name_len + 1, vlen);
            out[vlen] = '\0';
            return 0;
        }
        s = end;
    }
    return -1;
}

auth_err_t auth_session_resolve_cookie(auth_t *a, const char *cookie, auth_principal_t *out)
{
    (void)a;
    char value[160];
    auth_principal_anonymous(out);
    if (cookie_value(cookie, AUTH_SESSION_COOKIE, value, sizeof value) != 0)
        return AUTH_OK;
    crypto_wipe(value, sizeof value);
    return AUTH_ERR_INVALID;
}
