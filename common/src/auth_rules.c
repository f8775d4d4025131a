/*
 * auth_rules.c — route rules, roles, principals and the rule decision
 * (see auth.h). Pure functions: no I/O, so every decision is unit-tested.
 *
 * The decision order matters for what a caller learns: a rule first asks
 * "do I know who you are" (401), then "may your kind of caller use this"
 * (403), then, for sessions only, the CSRF token (403 CSRF_REQUIRED). Which
 * objects a caller may see (hotel limits, booking tokens) is the handler's
 * business, because only it knows the object; it answers 404 so that an
 * object the caller may not see is indistinguishable from a missing one.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/auth.h"

/* ------------------------------------------------------------- names -- */

static const char *const RULE_NAMES[] = {
    [AUTH_RULE_OPEN] = "open",         [AUTH_RULE_PUBLIC] = "public",
    [AUTH_RULE_WEBHOOK] = "webhook",   [AUTH_RULE_BOOKING] = "booking",
    [AUTH_RULE_VIEWER] = "viewer",     [AUTH_RULE_OPERATOR] = "operator",
    [AUTH_RULE_ADMIN] = "admin",       [AUTH_RULE_SERVICE] = "service",
};

const char *auth_rule_name(auth_rule_t rule)
{
    if ((unsigned)rule >= sizeof RULE_NAMES / sizeof *RULE_NAMES)
        return "?";
    return RULE_NAMES[rule];
}

int auth_rule_parse(const char *name, auth_rule_t *out)
{
    for (size_t i = 0; name && i < sizeof RULE_NAMES / sizeof *RULE_NAMES; i++) {
        if (strcmp(name, RULE_NAMES[i]) == 0) {
            *out = (auth_rule_t)i;
            return 0;
        }
    }
    return -1;
}

const char *auth_role_name(auth_role_t role)
{
    switch (role) {
    case AUTH_ROLE_VIEWER:
        return "viewer";
    case AUTH_ROLE_OPERATOR:
        return "operator";
    case AUTH_ROLE_ADMIN:
        return "admin";
    default:
        return "none";
    }
}

int auth_role_parse(const char *name, auth_role_t *out)
{
    static const auth_role_t roles[] = {AUTH_ROLE_VIEWER, AUTH_ROLE_OPERATOR, AUTH_ROLE_ADMIN};
    for (size_t i = 0; name && i < sizeof roles / sizeof *roles; i++) {
        if (strcmp(name, auth_role_name(roles[i])) == 0) {
            *out = roles[i];
            return 0;
        }
    }
    return -1;
}

const char *auth_kind_name(auth_kind_t kind)
{
    switch (kind) {
    case AUTH_KIND_SESSION:
        return "session";
    case AUTH_KIND_API_KEY:
        return "api_key";
    case AUTH_KIND_SERVICE:
        return "service";
    case AUTH_KIND_BOOKING_TOKEN:
        return "booking_token";
    case AUTH_KIND_CLI:
        return "cli";
    default:
        return "anonymous";
    }
}

/* -------------------------------------------------------- principals -- */

void auth_principal_anonymous(auth_principal_t *p)
{
    memset(p, 0, sizeof *p);
    p->kind = AUTH_KIND_ANONYMOUS;
    p->role = AUTH_ROLE_NONE;
}

bool auth_principal_is_staff(const auth_principal_t *p)
{
    return p && (p->kind == AUTH_KIND_SESSION || p->kind == AUTH_KIND_API_KEY) &&
           p->role != AUTH_ROLE_NONE;
}

bool auth_principal_has_role(const auth_principal_t *p, auth_role_t role)
{
    return auth_principal_is_staff(p) && p->role >= role;
}

bool auth_principal_all_hotels(const auth_principal_t *p)
{
    return auth_principal_is_staff(p) && p->hotel_count == 0;
}

bool auth_principal_may_see_hotel(const auth_principal_t *p, const char *hotel_id)
{
    if (!auth_principal_is_staff(p) || !hotel_id)
        return false;
    if (p->hotel_count == 0)
        return true;
    for (int i = 0; i < p->hotel_count; i++)
        if (strcmp(p->hotels[i], hotel_id) == 0)
            return true;
    return false;
}

bool auth_principal_holds_booking_token(const auth_principal_t *p, const char *token_hash_hex)
{
    if (!p || p->kind != AUTH_KIND_BOOKING_TOKEN || !token_hash_hex ||
        strlen(token_hash_hex) != CRYPTO_SHA256_HEX_LEN)
        return false;
    return crypto_equal_constant_time(p->token_hash, CRYPTO_SHA256_HEX_LEN, token_hash_hex,
                                      CRYPTO_SHA256_HEX_LEN);
}

bool auth_principal_may_access_booking(const auth_principal_t *p, auth_role_t staff_role,
                                       const char *hotel_id, const char *token_hash_hex)
{
    if (auth_principal_holds_booking_token(p, token_hash_hex))
        return true;
    return auth_principal_has_role(p, staff_role) && auth_principal_may_see_hotel(p, hotel_id);
}

/* A hotel id as the checkout accepts it: 1..64 of [A-Za-z0-9_.-]. */
static bool hotel_id_ok(const char *s, size_t n)
{
    if (n == 0 || n > AUTH_HOTEL_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

/* Appends one hotel id (n bytes of s). 0 or -1. */
static int add_hotel(auth_principal_t *p, const char *s, size_t n)
{
    if (!hotel_id_ok(s, n) || p->hotel_count == AUTH_MAX_HOTELS)
        return -1;
    memcpy(p->hotels[p->hotel_count], s, n);
    p->hotels[p->hotel_count][n] = '\0';
    p->hotel_count++;
    return 0;
}

int auth_principal_set_hotels_csv(auth_principal_t *p, const char *csv)
{
    p->hotel_count = 0;
    if (!csv || !*csv)
        return 0;
    const char *s = csv;
    for (;;) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        if (add_hotel(p, s, n) != 0) {
            p->hotel_count = 0;
            return -1;
        }
        if (!comma)
            return 0;
        s = comma + 1;
    }
}

char *auth_principal_hotels_json(const auth_principal_t *p)
{
    if (p->hotel_count == 0)
        return NULL;
    json_object *arr = json_object_new_array();
    for (int i = 0; arr && i < p->hotel_count; i++)
        json_object_array_add(arr, json_object_new_string(p->hotels[i]));
    char *text = arr ? strdup(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN)) : NULL;
    json_object_put(arr);
    return text;
}

int auth_principal_set_hotels_json(auth_principal_t *p, const char *json_text)
{
    p->hotel_count = 0;
    if (!json_text || !*json_text)
        return 0;
    json_object *arr = json_tokener_parse(json_text);
    int rc = arr && json_object_is_type(arr, json_type_array) ? 0 : -1;
    size_t n = rc == 0 ? json_object_array_length(arr) : 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        json_object *v = json_object_array_get_idx(arr, i);
        const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
        rc = add_hotel(p, s, strlen(s));
    }
    json_object_put(arr);
    if (rc != 0)
        p->hotel_count = 0;
    return rc;
}

/* --------------------------------------------------------- decisions -- */

/* GET, HEAD and OPTIONS change nothing; everything else needs a session's
 * CSRF token, so another site's form cannot act with the user's cookie. */
static bool method_changes_state(const char *method)
{
    return !(strcasecmp(method, "GET") == 0 || strcasecmp(method, "HEAD") == 0 ||
             strcasecmp(method, "OPTIONS") == 0);
}

static bool csrf_ok(const auth_principal_t *p, const char *method, const char *csrf_header)
{
    if (p->kind != AUTH_KIND_SESSION || !method_changes_state(method))
        return true;
    return csrf_header && p->csrf_token[0] &&
           crypto_equal_constant_time(p->csrf_token, strlen(p->csrf_token), csrf_header,
                                      strlen(csrf_header));
}

/* Staff routes: who is unknown (401), who is known but not staff or lacks
 * the role (403). */
static auth_decision_t check_staff(const auth_principal_t *p, auth_role_t role)
{
    if (p->kind == AUTH_KIND_ANONYMOUS)
        return AUTH_DENY_UNAUTHENTICATED;
    if (!auth_principal_has_role(p, role))
        return AUTH_DENY_FORBIDDEN;
    return AUTH_ALLOW;
}

auth_decision_t auth_rule_check(auth_rule_t rule, const auth_principal_t *p, const char *method,
                                const char *csrf_header)
{
    auth_decision_t d;
    switch (rule) {
    case AUTH_RULE_OPEN:
    case AUTH_RULE_PUBLIC:
    case AUTH_RULE_WEBHOOK:
        return AUTH_ALLOW;
    case AUTH_RULE_BOOKING:
        if (p->kind == AUTH_KIND_ANONYMOUS)
            return AUTH_DENY_UNAUTHENTICATED;
        if (p->kind == AUTH_KIND_SERVICE)
            return AUTH_DENY_FORBIDDEN;
        d = AUTH_ALLOW;
        break;
    case AUTH_RULE_VIEWER:
        d = check_staff(p, AUTH_ROLE_VIEWER);
        break;
    case AUTH_RULE_OPERATOR:
        d = check_staff(p, AUTH_ROLE_OPERATOR);
        break;
    case AUTH_RULE_ADMIN:
        d = check_staff(p, AUTH_ROLE_ADMIN);
        break;
    case AUTH_RULE_SERVICE:
        if (p->kind == AUTH_KIND_SERVICE)
            return AUTH_ALLOW;
        return p->kind == AUTH_KIND_ANONYMOUS ? AUTH_DENY_UNAUTHENTICATED : AUTH_DENY_FORBIDDEN;
    default:
        return AUTH_DENY_FORBIDDEN; /* an unknown rule opens nothing */
    }
    if (d == AUTH_ALLOW && !csrf_ok(p, method, csrf_header))
        return AUTH_DENY_CSRF;
    return d;
}
