/* Unit tests for auth_rules.c, auth_credentials.c and auth_session.c's
 * cookie parsing — every rule against every kind of caller, CSRF, hotel
 * limits, booking tokens, bearer and session cookie parsing. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "common/auth.h"

#define SERVICE_TOKEN "svc-token-0123456789abcdef0123456789abcdef"

static auth_principal_t staff(auth_kind_t kind, auth_role_t role, const char *hotels)
{
    auth_principal_t p;
    auth_principal_anonymous(&p);
    p.kind = kind;
    p.role = role;
    snprintf(p.id, sizeof p.id, "k1");
    ck_assert_int_eq(auth_principal_set_hotels_csv(&p, hotels), 0);
    return p;
}

START_TEST(test_each_rule_answers_each_kind_of_caller_as_its_table_says)
{
    auth_principal_t anon, viewer, operator, admin, service, token;
    auth_principal_anonymous(&anon);
    viewer = staff(AUTH_KIND_API_KEY, AUTH_ROLE_VIEWER, NULL);
    operator = staff(AUTH_KIND_API_KEY, AUTH_ROLE_OPERATOR, NULL);
    admin = staff(AUTH_KIND_API_KEY, AUTH_ROLE_ADMIN, NULL);
    auth_principal_anonymous(&service);
    service.kind = AUTH_KIND_SERVICE;
    auth_principal_anonymous(&token);
    token.kind = AUTH_KIND_BOOKING_TOKEN;
    const auth_principal_t *callers[] = {&anon, &viewer, &operator, &admin, &service, &token};
    enum { A = AUTH_ALLOW, U = AUTH_DENY_UNAUTHENTICATED, F = AUTH_DENY_FORBIDDEN };
    static const struct {
        auth_rule_t rule;
        int expect[6]; /* anon, viewer, operator, admin, service, booking token */
    } table[] = {
        {AUTH_RULE_OPEN, {A, A, A, A, A, A}},     {AUTH_RULE_PUBLIC, {A, A, A, A, A, A}},
        {AUTH_RULE_WEBHOOK, {A, A, A, A, A, A}},  {AUTH_RULE_BOOKING, {U, A, A, A, F, A}},
        {AUTH_RULE_VIEWER, {U, A, A, A, F, F}},   {AUTH_RULE_OPERATOR, {U, F, A, A, F, F}},
        {AUTH_RULE_ADMIN, {U, F, F, A, F, F}},    {AUTH_RULE_SERVICE, {U, F, F, F, A, F}},
    };
    for (size_t r = 0; r < sizeof table / sizeof *table; r++)
        for (size_t c = 0; c < 6; c++)
            ck_assert_msg((int)auth_rule_check(table[r].rule, callers[c], "POST", NULL) ==
                              table[r].expect[c],
                          "rule %s caller %zu", auth_rule_name(table[r].rule), c);
}
END_TEST

START_TEST(test_a_session_needs_its_csrf_token_to_change_anything)
{
    auth_principal_t s = staff(AUTH_KIND_SESSION, AUTH_ROLE_OPERATOR, NULL);
    snprintf(s.csrf_token, sizeof s.csrf_token, "csrf-abc");
    ck_assert_int_eq(auth_rule_check(AUTH_RULE_OPERATOR, &s, "GET", NULL), AUTH_ALLOW);
    ck_assert_int_eq(auth_rule_check(AUTH_RULE_OPERATOR, &s, "PUT", NULL), AUTH_DENY_CSRF);
    ck_assert_int_eq(auth_rule_check(AUTH_RULE_OPERATOR, &s, "POST", "csrf-abd"), AUTH_DENY_CSRF);
    ck_assert_int_eq(auth_rule_check(AUTH_RULE_OPERATOR, &s, "POST", "csrf-abc"), AUTH_ALLOW);
    /* bearer credentials are not sent by browsers on their own: no CSRF */
    auth_principal_t k = staff(AUTH_KIND_API_KEY, AUTH_ROLE_OPERATOR, NULL);
    ck_assert_int_eq(auth_rule_check(AUTH_RULE_OPERATOR, &k, "DELETE", NULL), AUTH_ALLOW);
}
END_TEST

START_TEST(test_hotel_limits_decide_what_staff_may_see)
{
    auth_principal_t all = staff(AUTH_KIND_API_KEY, AUTH_ROLE_OPERATOR, "");
    auth_principal_t some = staff(AUTH_KIND_API_KEY, AUTH_ROLE_OPERATOR, "hotel_1,hotel_2");
    ck_assert(auth_principal_may_see_hotel(&all, "hotel_9"));
    ck_assert(auth_principal_all_hotels(&all));
    ck_assert(auth_principal_may_see_hotel(&some, "hotel_2"));
    ck_assert(!auth_principal_may_see_hotel(&some, "hotel_9"));
    ck_assert(!auth_principal_all_hotels(&some));
    char *json = auth_principal_hotels_json(&some);
    ck_assert_str_eq(json, "[\"hotel_1\",\"hotel_2\"]");
    auth_principal_t back;
    auth_principal_anonymous(&back);
    ck_assert_int_eq(auth_principal_set_hotels_json(&back, json), 0);
    ck_assert_int_eq(back.hotel_count, 2);
    free(json);
    ck_assert_int_eq(auth_principal_set_hotels_csv(&back, "ok,bad id"), -1);
    ck_assert_int_eq(auth_principal_set_hotels_json(&back, "{\"a\":1}"), -1);
    auth_principal_t anon;
    auth_principal_anonymous(&anon);
    ck_assert(!auth_principal_may_see_hotel(&anon, "hotel_1"));
}
END_TEST

START_TEST(test_a_booking_token_opens_only_its_own_booking)
{
    char token[AUTH_BOOKING_TOKEN_LEN + 1], hash[CRYPTO_SHA256_HEX_LEN + 1];
    char other[AUTH_BOOKING_TOKEN_LEN + 1], other_hash[CRYPTO_SHA256_HEX_LEN + 1];
    ck_assert_int_eq(auth_booking_token_new(token, hash), 0);
    ck_assert_int_eq(auth_booking_token_new(other, other_hash), 0);
    ck_assert_str_ne(token, other);
    ck_assert_int_eq(strncmp(token, "bt_", 3), 0);
    ck_assert_uint_eq(strlen(token), AUTH_BOOKING_TOKEN_LEN);
    char header[128];
    snprintf(header, sizeof header, "Bearer %s", token);
    auth_principal_t p;
    ck_assert_int_eq(auth_authenticate(NULL, header, NULL, &p), AUTH_OK);
    ck_assert_int_eq(p.kind, AUTH_KIND_BOOKING_TOKEN);
    ck_assert(auth_principal_may_access_booking(&p, AUTH_ROLE_OPERATOR, "h", hash));
    ck_assert(!auth_principal_may_access_booking(&p, AUTH_ROLE_OPERATOR, "h", other_hash));
    ck_assert(!auth_principal_may_access_booking(&p, AUTH_ROLE_OPERATOR, "h", ""));
    /* staff: by role and hotel */
    auth_principal_t viewer = staff(AUTH_KIND_API_KEY, AUTH_ROLE_VIEWER, "h");
    ck_assert(auth_principal_may_access_booking(&viewer, AUTH_ROLE_VIEWER, "h", hash));
    ck_assert(!auth_principal_may_access_booking(&viewer, AUTH_ROLE_OPERATOR, "h", hash));
    ck_assert(!auth_principal_may_access_booking(&viewer, AUTH_ROLE_VIEWER, "other", hash));
}
END_TEST

START_TEST(test_the_service_token_is_recognised_and_nothing_else_is)
{
    auth_t *a = auth_new(&(auth_config_t){.service_token = SERVICE_TOKEN});
    auth_principal_t p;
    ck_assert(auth_has_service_token(a));
    ck_assert_int_eq(auth_authenticate(a, "Bearer " SERVICE_TOKEN, NULL, &p), AUTH_OK);
    ck_assert_int_eq(p.kind, AUTH_KIND_SERVICE);
    ck_assert_int_eq(auth_authenticate(a, "bearer  " SERVICE_TOKEN, NULL, &p), AUTH_OK);
    ck_assert_int_eq(auth_authenticate(a, "Bearer " SERVICE_TOKEN "x", NULL, &p),
                     AUTH_ERR_INVALID);
    ck_assert_int_eq(p.kind, AUTH_KIND_ANONYMOUS);
    ck_assert_int_eq(auth_authenticate(a, "Basic abc", NULL, &p), AUTH_ERR_INVALID);
    ck_assert_int_eq(auth_authenticate(a, "Bearer bt_short", NULL, &p), AUTH_ERR_INVALID);
    /* no store: an API key cannot be checked, so it is simply invalid */
    ck_assert_int_eq(auth_authenticate(a, "Bearer lk_x_y", NULL, &p), AUTH_ERR_INVALID);
    ck_assert_int_eq(auth_authenticate(a, NULL, NULL, &p), AUTH_OK);
    ck_assert_int_eq(p.kind, AUTH_KIND_ANONYMOUS);
    auth_free(a);
    auth_t *none = auth_new(&(auth_config_t){0});
    ck_assert(!auth_has_service_token(none));
    ck_assert_int_eq(auth_authenticate(none, "Bearer " SERVICE_TOKEN, NULL, &p), AUTH_ERR_INVALID);
    auth_free(none);
}
END_TEST

START_TEST(test_rule_and_role_names_round_trip)
{
    for (int r = AUTH_RULE_OPEN; r <= AUTH_RULE_SERVICE; r++) {
        auth_rule_t back;
        ck_assert_int_eq(auth_rule_parse(auth_rule_name((auth_rule_t)r), &back), 0);
        ck_assert_int_eq(back, r);
    }
    auth_role_t role;
    ck_assert_int_eq(auth_role_parse("operator", &role), 0);
    ck_assert_int_eq(role, AUTH_ROLE_OPERATOR);
    ck_assert_int_eq(auth_role_parse("root", &role), -1);
    ck_assert_ptr_null(auth_bearer_token("Bearer"));
    ck_assert_str_eq(auth_bearer_token("  Bearer abc"), "abc");
}
END_TEST

#define SID "abcdefghijkmnpqrstuvw2345"
#define SECRET "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

START_TEST(test_the_session_cookie_is_found_among_others_and_split)
{
    char id[AUTH_SESSION_ID_LEN + 1], secret[AUTH_SECRET_HEX_LEN + 1];
    /* a 24-character id: SID without its last character */
    const char *value = "abcdefghijkmnpqrstuvw234." SECRET;
    char header[256];
    snprintf(header, sizeof header, "theme=dark; lodging_session=%s; lang=ko", value);
    ck_assert_int_eq(auth_session_cookie_parse(header, id, secret), 0);
    ck_assert_str_eq(id, "abcdefghijkmnpqrstuvw234");
    ck_assert_str_eq(secret, SECRET);
    snprintf(header, sizeof header, "lodging_session=%s", value);
    ck_assert_int_eq(auth_session_cookie_parse(header, id, secret), 0);
    snprintf(header, sizeof header, "a=b;lodging_session=%s  ", value); /* blanks before the end */
    ck_assert_int_eq(auth_session_cookie_parse(header, id, secret), 0);
    /* the first of two wins, as browsers send the most specific first */
    snprintf(header, sizeof header, "lodging_session=%s; lodging_session=junk", value);
    ck_assert_int_eq(auth_session_cookie_parse(header, id, secret), 0);
}
END_TEST

START_TEST(test_a_session_cookie_of_another_shape_is_refused_and_none_is_absent)
{
    char id[AUTH_SESSION_ID_LEN + 1], secret[AUTH_SECRET_HEX_LEN + 1];
    ck_assert_int_eq(auth_session_cookie_parse(NULL, id, secret), 1);
    ck_assert_int_eq(auth_session_cookie_parse("", id, secret), 1);
    ck_assert_int_eq(auth_session_cookie_parse("theme=dark", id, secret), 1);
    /* names that merely contain ours are other cookies */
    ck_assert_int_eq(auth_session_cookie_parse("xlodging_session=" SID, id, secret), 1);
    ck_assert_int_eq(auth_session_cookie_parse("lodging_session2=abc", id, secret), 1);
    ck_assert_int_eq(auth_session_cookie_parse("lodging_session", id, secret), 1);
    static const char *const bad[] = {
        "lodging_session=",
        "lodging_session=abc.def",
        "lodging_session=" SID "." SECRET,                    /* id one too long */
        "lodging_session=abcdefghijkmnpqrstuvw234" SECRET,    /* no dot */
        "lodging_session=abcdefghijkmnpqrstuvw234." SECRET "0", /* secret too long */
        "lodging_session=ABCDEFGHIJKMNPQRSTUVW234." SECRET,   /* upper-case id */
        "lodging_session=abcdefghijkmnpqrstuvw234.0123456789ABCDEF0123456789abcdef"
        "0123456789abcdef0123456789abcdef",                   /* upper-case hex */
        "lodging_session=\"abcdefghijkmnpqrstuvw234." SECRET "\"", /* quoted */
        "lodging_session=abcdefghijkmnpqrstu w234." SECRET,   /* a space inside */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(auth_session_cookie_parse(bad[i], id, secret) == -1, "%s", bad[i]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("auth");
    TCase *tc = tcase_create("auth");
    tcase_add_test(tc, test_each_rule_answers_each_kind_of_caller_as_its_table_says);
    tcase_add_test(tc, test_a_session_needs_its_csrf_token_to_change_anything);
    tcase_add_test(tc, test_hotel_limits_decide_what_staff_may_see);
    tcase_add_test(tc, test_a_booking_token_opens_only_its_own_booking);
    tcase_add_test(tc, test_the_service_token_is_recognised_and_nothing_else_is);
    tcase_add_test(tc, test_rule_and_role_names_round_trip);
    tcase_add_test(tc, test_the_session_cookie_is_found_among_others_and_split);
    tcase_add_test(tc, test_a_session_cookie_of_another_shape_is_refused_and_none_is_absent);
    suite_add_tcase(s, tc);
    return check_run(s);
}
