/* Unit tests for client_address.c: trusted-proxy CIDRs (IPv4, IPv6, mapped),
 * and who the client is given a peer and X-Forwarded-For — spoofed headers
 * from untrusted peers ignored, the right-most untrusted hop chosen. */
#include <check.h>
#include <string.h>

#include "check_run.h"
#include "common/client_address.h"

static client_proxies_t *proxies(const char *text)
{
    char err[160] = "";
    client_proxies_t *p = client_proxies_parse(text, err, sizeof err);
    ck_assert_msg(p != NULL, "%s: %s", text, err);
    return p;
}

static const char *resolve(client_proxies_t *p, const char *peer, const char *xff)
{
    static char out[CLIENT_ADDRESS_MAX];
    return client_address_resolve(p, peer, xff, out, sizeof out);
}

START_TEST(test_cidr_lists_parse_ipv4_ipv6_and_bare_addresses)
{
    client_proxies_t *p = proxies(" 10.0.0.0/8, 192.168.1.7 ,fd00::/8,::1 ");
    ck_assert_int_eq(client_proxies_count(p), 4);
    ck_assert(client_proxies_contains(p, "10.255.3.4"));
    ck_assert(!client_proxies_contains(p, "11.0.0.1"));
    ck_assert(client_proxies_contains(p, "192.168.1.7"));
    ck_assert(!client_proxies_contains(p, "192.168.1.8"));
    ck_assert(client_proxies_contains(p, "fd12:3456::1"));
    ck_assert(!client_proxies_contains(p, "fe80::1"));
    ck_assert(client_proxies_contains(p, "::1"));
    ck_assert(client_proxies_contains(p, "::ffff:10.1.1.1")); /* a mapped v4 peer */
    ck_assert(!client_proxies_contains(p, "not-an-ip"));
    ck_assert(!client_proxies_contains(p, NULL));
    client_proxies_free(p);
}
END_TEST

START_TEST(test_odd_prefixes_match_bit_by_bit)
{
    client_proxies_t *p = proxies("172.16.0.0/12,2001:db8:8000::/33,0.0.0.0/0");
    ck_assert(client_proxies_contains(p, "172.31.255.255"));
    ck_assert(client_proxies_contains(p, "2001:db8:ffff::1"));
    ck_assert(!client_proxies_contains(p, "2001:db8:7fff::1"));
    client_proxies_free(p);
    p = proxies("172.16.0.0/12");
    ck_assert(!client_proxies_contains(p, "172.32.0.0"));
    ck_assert(!client_proxies_contains(p, "172.15.255.255"));
    client_proxies_free(p);
}
END_TEST

START_TEST(test_an_empty_list_trusts_nobody)
{
    client_proxies_t *p = proxies("");
    ck_assert_int_eq(client_proxies_count(p), 0);
    ck_assert_str_eq(resolve(p, "127.0.0.1", "203.0.113.9"), "127.0.0.1");
    client_proxies_free(p);
    p = proxies(NULL);
    ck_assert_int_eq(client_proxies_count(p), 0);
    client_proxies_free(p);
    ck_assert_str_eq(resolve(NULL, "198.51.100.1", "203.0.113.9"), "198.51.100.1");
}
END_TEST

START_TEST(test_malformed_lists_are_refused_naming_the_entry)
{
    const char *bad[] = {"10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0/8", "proxy.local",
                         "10.0.0.0/-1", "10.0.0.0/8x", "1.2.3.4,,nope"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[160] = "";
        ck_assert_msg(client_proxies_parse(bad[i], err, sizeof err) == NULL, "%s", bad[i]);
        ck_assert_msg(strstr(err, "is not an IPv4 or IPv6") != NULL, "%s", err);
    }
}
END_TEST

START_TEST(test_a_spoofed_header_from_an_untrusted_peer_is_ignored)
{
    client_proxies_t *p = proxies("10.0.0.0/8");
    ck_assert_str_eq(resolve(p, "198.51.100.23", "1.1.1.1"), "198.51.100.23");
    ck_assert_str_eq(resolve(p, "198.51.100.23", "10.0.0.1, 1.1.1.1"), "198.51.100.23");
    ck_assert_str_eq(resolve(p, "198.51.100.23", NULL), "198.51.100.23");
    client_proxies_free(p);
}
END_TEST

START_TEST(test_behind_our_proxies_the_right_most_untrusted_hop_is_the_client)
{
    client_proxies_t *p = proxies("10.0.0.0/8");
    /* the client put a fake entry first; our proxy appended the real peer */
    ck_assert_str_eq(resolve(p, "10.0.0.5", "6.6.6.6, 203.0.113.9"), "203.0.113.9");
    /* two of our proxies in a row */
    ck_assert_str_eq(resolve(p, "10.0.0.5", "6.6.6.6,203.0.113.9, 10.1.1.1"), "203.0.113.9");
    /* spaces and empty elements are tolerated */
    ck_assert_str_eq(resolve(p, "10.0.0.5", " 203.0.113.9 ,, "), "203.0.113.9");
    /* a trusted peer without the header is the client itself */
    ck_assert_str_eq(resolve(p, "10.0.0.5", NULL), "10.0.0.5");
    ck_assert_str_eq(resolve(p, "10.0.0.5", ""), "10.0.0.5");
    /* every hop ours: the left-most */
    ck_assert_str_eq(resolve(p, "10.0.0.5", "10.9.9.9, 10.1.1.1"), "10.9.9.9");
    client_proxies_free(p);
}
END_TEST

START_TEST(test_garbage_in_the_header_never_becomes_the_client)
{
    client_proxies_t *p = proxies("10.0.0.0/8");
    /* the hop that wrote the garbage is taken, not the garbage nor what is left of it */
    ck_assert_str_eq(resolve(p, "10.0.0.5", "203.0.113.9, bogus"), "10.0.0.5");
    ck_assert_str_eq(resolve(p, "10.0.0.5", "1.1.1.1, unknown, 10.2.2.2"), "10.2.2.2");
    ck_assert_str_eq(resolve(p, "10.0.0.5", "203.0.113.9:4711"), "10.0.0.5");
    char long_entry[300];
    memset(long_entry, '1', sizeof long_entry - 1);
    long_entry[sizeof long_entry - 1] = '\0';
    ck_assert_str_eq(resolve(p, "10.0.0.5", long_entry), "10.0.0.5");
    client_proxies_free(p);
}
END_TEST

START_TEST(test_ipv6_clients_and_proxies_are_normalised)
{
    client_proxies_t *p = proxies("fd00::/8, 127.0.0.1");
    ck_assert_str_eq(resolve(p, "fd00::0:1", "2001:DB8:0:0::7"), "2001:db8::7");
    ck_assert_str_eq(resolve(p, "::ffff:127.0.0.1", "203.0.113.9"), "203.0.113.9");
    ck_assert_str_eq(resolve(p, "::ffff:198.51.100.1", "203.0.113.9"), "198.51.100.1");
    ck_assert_str_eq(resolve(p, "", "203.0.113.9"), "");
    client_proxies_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("client_address");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_cidr_lists_parse_ipv4_ipv6_and_bare_addresses);
    tcase_add_test(tc, test_odd_prefixes_match_bit_by_bit);
    tcase_add_test(tc, test_an_empty_list_trusts_nobody);
    tcase_add_test(tc, test_malformed_lists_are_refused_naming_the_entry);
    tcase_add_test(tc, test_a_spoofed_header_from_an_untrusted_peer_is_ignored);
    tcase_add_test(tc, test_behind_our_proxies_the_right_most_untrusted_hop_is_the_client);
    tcase_add_test(tc, test_garbage_in_the_header_never_becomes_the_client);
    tcase_add_test(tc, test_ipv6_clients_and_proxies_are_normalised);
    suite_add_tcase(s, tc);
    return check_run(s);
}
