/* Exact minor-unit amounts: zero-decimal currencies, precision refusal, round trips. */
#include <check.h>

#include "check_run.h"
#include "common/money.h"

START_TEST(test_exponents)
{
    ck_assert_int_eq(money_exponent("KRW"), 0);
    ck_assert_int_eq(money_exponent("JPY"), 0);
    ck_assert_int_eq(money_exponent("USD"), 2);
    ck_assert_int_eq(money_exponent("KWD"), 3);
    ck_assert_int_eq(money_exponent("krw"), -1);
    ck_assert_int_eq(money_exponent("XXX"), -1);
    ck_assert_int_eq(money_exponent(NULL), -1);
    ck_assert(money_currency_known("EUR"));
    ck_assert(!money_currency_known("EURO"));
}
END_TEST

START_TEST(test_decimal_text)
{
    int64_t m = -1;
    ck_assert_int_eq(money_from_decimal_text("250000", "KRW", &m), 0);
    ck_assert_int_eq(m, 250000);
    ck_assert_int_eq(money_from_decimal_text("250000.00", "KRW", &m), 0);
    ck_assert_int_eq(m, 250000);
    ck_assert_int_eq(money_from_decimal_text("250000.5", "KRW", &m),
                     -1); /* KRW has no minor unit */
    ck_assert_int_eq(money_from_decimal_text("189.5", "USD", &m), 0);
    ck_assert_int_eq(m, 18950);
    ck_assert_int_eq(money_from_decimal_text("189.50", "USD", &m), 0);
    ck_assert_int_eq(m, 18950);
    ck_assert_int_eq(money_from_decimal_text("189.505", "USD", &m), -1);
    ck_assert_int_eq(money_from_decimal_text("0.07", "USD", &m), 0);
    ck_assert_int_eq(m, 7);
    ck_assert_int_eq(money_from_decimal_text("-1", "USD", &m), -1);
    ck_assert_int_eq(money_from_decimal_text("1e3", "USD", &m), -1);
    ck_assert_int_eq(money_from_decimal_text("1.", "USD", &m), -1);
    ck_assert_int_eq(money_from_decimal_text("", "USD", &m), -1);
    ck_assert_int_eq(money_from_decimal_text("99999999999999999999", "KRW", &m), -1);
    ck_assert_int_eq(money_from_decimal_text("10", "ZZZ", &m), -1);
}
END_TEST

START_TEST(test_double)
{
    int64_t m = -1;
    ck_assert_int_eq(money_from_double(125000.0, "KRW", &m), 0);
    ck_assert_int_eq(m, 125000);
    ck_assert_int_eq(money_from_double(0.1 + 0.2, "USD", &m), 0); /* 0.30000000000000004 */
    ck_assert_int_eq(m, 30);
    ck_assert_int_eq(money_from_double(19.999, "USD", &m), -1);
    ck_assert_int_eq(money_from_double(-5, "USD", &m), -1);
    ck_assert_int_eq(money_from_double(1.0 / 0.0, "USD", &m), -1);
}
END_TEST

START_TEST(test_format)
{
    char out[32];
    ck_assert_int_eq(money_to_decimal_text(18950, "USD", out, sizeof out), 0);
    ck_assert_str_eq(out, "189.50");
    ck_assert_int_eq(money_to_decimal_text(7, "USD", out, sizeof out), 0);
    ck_assert_str_eq(out, "0.07");
    ck_assert_int_eq(money_to_decimal_text(250000, "KRW", out, sizeof out), 0);
    ck_assert_str_eq(out, "250000");
    ck_assert_int_eq(money_to_decimal_text(1234, "KWD", out, sizeof out), 0);
    ck_assert_str_eq(out, "1.234");
    ck_assert_int_eq(money_to_decimal_text(-1, "USD", out, sizeof out), -1);
    ck_assert_int_eq(money_to_decimal_text(1, "USD", out, 3), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("money");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_exponents);
    tcase_add_test(tc, test_decimal_text);
    tcase_add_test(tc, test_double);
    tcase_add_test(tc, test_format);
    suite_add_tcase(s, tc);
    return check_run(s);
}
