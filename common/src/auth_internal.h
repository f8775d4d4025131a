/*
 * auth_internal.h — what the auth_*.c files share and nobody else needs.
 */
#ifndef COMMON_AUTH_INTERNAL_H
#define COMMON_AUTH_INTERNAL_H

#include "common/auth.h"

/* How often api_key.last_used_at may be written, from the config. */
int auth_last_used_interval_s(const auth_t *a);
/* True when a database URL was configured (an unreachable one is 503, no
 * store at all is "no such credential"). */
bool auth_has_store(const auth_t *a);
/* SESSION_IDLE_S, and how often session.last_seen_at may be written. */
int auth_session_idle_s(const auth_t *a);
int auth_session_touch_interval_s(const auth_t *a);

/* Resolves a Cookie header's lodging_session into *out: AUTH_OK (anonymous
 * when the header has no such cookie), AUTH_ERR_INVALID (unknown, expired or
 * revoked), AUTH_ERR_UNAVAILABLE. */
auth_err_t auth_session_resolve_cookie(auth_t *a, const char *cookie, auth_principal_t *out);

#endif /* COMMON_AUTH_INTERNAL_H */
