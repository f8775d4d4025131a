/* The all-in price, end to end on the real stack through the connectors and
 * the sandboxes: a Cloudbeds hotel whose rates hold a 10% VAT and add a 10%
 * service charge (getTaxesAndFees) shows each night's items and what it
 * costs all in on GET /api/rates; a checkout paying the rates alone is
 * refused with AMOUNT_MISMATCH naming the all-in total, which books, keeps
 * the VAT on the booking and in its events; paid through Toss, the payment
 * is requested with the taxable / tax-free split the read states (the fee no
 * tax is charged on), and a window that requested another split is not
 * approved. An OPERA hotel's offers (amountBeforeTax / amountAfterTax,
 * total.taxes) read the same way, and its checkout takes the after-tax
 * total, not the before-tax one. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking_fixture.h"
#include "check_run.h"

#define TX_HOTEL "hotel_gangnam"
#define TX_ROOM "gangnam_deluxe"
#define TX_TRIPLE "gangnam_triple" /* two adults included, a third pays TX_EXTRA a night */
#define TX_EXTRA 33000
#define TX_KEY "PMS_hotel_gangnam_API_KEY=cbk_sandbox_hotel_gangnam"
#define OP_HOTEL "opera_jeju"
#define OP_ROOM "DLXK"

static bk_fixture_t f;
static ts_sandbox_t op;
static bk_inventory_t inventory;
static char op_url[96];

static void setup(void)
{
    bk_setup(&f);
    ts_sandbox_start(&op, "opera-sandbox", "OPERA_SANDBOX_PORT", NULL);
    snprintf(op_url, sizeof op_url, "PMS_OPERA_BASE_URL=%s", op.base_url);
    memset(&inventory, 0, sizeof inventory);
}

static void teardown(void)
{
    bk_inventory_stop(&inventory);
    bk_teardown(&f);
    ts_sandbox_stop(&op);
}

/* inventory-svc on the fixture's database, Redis, topics and sandboxes
 * (both vendors), then booking-svc pointed at it. */
static void start_stack(void)
{
    bk_inventory_start(
        &f, &inventory,
        (const char *[]){op_url, TX_KEY, "PMS_opera_jeju_VENDOR=opera",
                         "PMS_opera_jeju_API_KEY=lodging_integration:opera_sandbox_password",
                         "PMS_OPERA_CHANNEL_CODE=LODGING", NULL});
    const char *extra[] = {inventory.base_url_env,
                           TX_KEY,
                           op_url,
                           "PMS_opera_jeju_VENDOR=opera",
                           "PMS_OPERA_USERNAME=lodging_integration",
                           "PMS_OPERA_PASSWORD=opera_sandbox_password",
                           "PMS_OPERA_CHANNEL_CODE=LODGING",
                           "BOOKING_FREE_CANCEL_HOURS=0", /* a hotel's policy alone decides */
                           NULL};
    bk_service_start(&f, extra);
}

/* GET /api/rates of inventory-svc for [from, to] (caller puts). */
static struct json_object *rates(const char *vendor, const char *hotel, const char *room,
                                 dates_day_t from, dates_day_t to)
{
    char a[DATES_ISO_LEN + 1], b[DATES_ISO_LEN + 1], path[512], base[64];
    dates_format_iso(from, a);
    dates_format_iso(to, b);
    snprintf(path, sizeof path, "/api/rates?vendor=%s&hotelId=%s&roomTypeId=%s&from=%s&to=%s",
             vendor, hotel, room, a, b);
    snprintf(base, sizeof base, "http://127.0.0.1:%d", inventory.port);
    http_client_config_t cc = {.base_url = base, .total_timeout_ms = 20000};
    http_client_t *http = http_client_new(&cc);
    http_client_response_t r;
    ck_assert_int_eq(http_client_get(http, path, NULL, NULL, &r), HTTP_CLIENT_OK);
    ck_assert_msg(r.status == 200, "GET %s: %d %s (log: %s)", path, r.status, r.body,
                  inventory.log);
    json_error_t je;
    struct json_object *o = json_parse_object(r.body, r.body_len, &je);
    http_client_response_clear(&r);
    http_client_free(http);
    ck_assert(o != NULL);
    return o;
}

/* GET /api/rates with a party query (e.g. "adults=2"; caller puts). */
static struct json_object *rates_party(const char *vendor, const char *hotel, const char *room,
                                       dates_day_t from, dates_day_t to, const char *party)
{
    char a[DATES_ISO_LEN + 1], b[DATES_ISO_LEN + 1], path[512], base[64];
    dates_format_iso(from, a);
    dates_format_iso(to, b);
    snprintf(path, sizeof path, "/api/rates?vendor=%s&hotelId=%s&roomTypeId=%s&from=%s&to=%s&%s",
             vendor, hotel, room, a, b, party);
    snprintf(base, sizeof base, "http://127.0.0.1:%d", inventory.port);
    http_client_config_t cc = {.base_url = base, .total_timeout_ms = 20000};
    http_client_t *http = http_client_new(&cc);
    http_client_response_t r;
    ck_assert_int_eq(http_client_get(http, path, NULL, NULL, &r), HTTP_CLIENT_OK);
    ck_assert_msg(r.status == 200, "GET %s: %d %s (log: %s)", path, r.status, r.body,
                  inventory.log);
    json_error_t je;
    struct json_object *o = json_parse_object(r.body, r.body_len, &je);
    http_client_response_clear(&r);
    http_client_free(http);
    ck_assert(o != NULL);
    return o;
}

/* The pms-sandbox's rate of a hotel_gangnam room for each night. */
static void sandbox_room_rates(const char *room, dates_day_t in, int nights, int64_t *out)
{
    char from[DATES_ISO_LEN + 1], to[DATES_ISO_LEN + 1];
    dates_format_iso(in, from);
    dates_format_iso(in + nights - 1, to);
    const char *q[] = {"propertyID", TX_HOTEL, "roomTypeID", room, "from", from, "to", to, NULL};
    struct json_object *o = ts_sandbox_get_json(&f.pms, "/_sandbox/inventory", q), *arr = o, *x;
    if (json_object_object_get_ex(o, "inventory", &x))
        arr = x;
    ck_assert_int_eq(json_object_array_length(arr), nights);
    for (int i = 0; i < nights; i++)
        out[i] = bk_int_of(json_object_array_get_idx(arr, (size_t)i), "rate");
    json_object_put(o);
}

static void sandbox_rates(dates_day_t in, int nights, int64_t *out)
{
    sandbox_room_rates(TX_ROOM, in, nights, out);
}

/* A checkout body (malloc'd) for hotel's room and a party of `adults`;
 * payment is the inside of "payment":{...} before the amount. */
static char *party_body_for(const char *vendor, const char *hotel, const char *room, dates_day_t in,
                            int nights, int adults, const char *payment, int64_t amount)
{
    char ci[DATES_ISO_LEN + 1], co[DATES_ISO_LEN + 1];
    dates_format_iso(in, ci);
    dates_format_iso(in + nights, co);
    char *body = NULL;
    ck_assert(asprintf(&body,
                       "{\"vendor\":\"%s\",\"hotelId\":\"%s\",\"roomTypeId\":\"%s\","
                       "\"checkIn\":\"%s\",\"checkOut\":\"%s\",\"guestInfo\":{"
                       "\"firstName\":\"홍\",\"lastName\":\"길동\",\"email\":\"hong@example.com\","
                       "\"phone\":\"+82-10-1234-5678\"},\"adults\":%d,\"children\":0,\"payment\":{"
                       "%s\"amount\":%lld,\"currency\":\"KRW\"}}",
                       vendor, hotel, room, ci, co, adults, payment, (long long)amount) > 0);
    return body;
}

static char *body_for(const char *vendor, const char *hotel, const char *room, dates_day_t in,
                      int nights, const char *payment, int64_t amount)
{
    return party_body_for(vendor, hotel, room, in, nights, 2, payment, amount);
}

/* Checks out, asserting the status; the answer (caller puts). */
static struct json_object *checkout(const char *body, int want)
{
    int status;
    struct json_object *r = bk_checkout(&f, body, NULL, &status);
    ck_assert_msg(status == want, "want %d, got %d %s (log: %s)", want, status,
                  json_object_to_json_string(r), f.log_path);
    return r;
}

/* The refusal names the all-in total the stay costs. */
static void assert_mismatch_names(struct json_object *r, int64_t total)
{
    char want[32];
    snprintf(want, sizeof want, "%lld", (long long)total);
    ck_assert_str_eq(bk_str(r, "errorCode"), "AMOUNT_MISMATCH");
    ck_assert_msg(strstr(bk_str(r, "error"), want) != NULL, "'%s' does not name %s",
                  bk_str(r, "error"), want);
}

START_TEST(test_cloudbeds_taxes_are_itemised_and_the_all_in_total_is_what_books)
{
    start_stack();
    dates_day_t in = dates_today_utc() + 20;
    int64_t rate[2];
    sandbox_rates(in, 2, rate);

    /* the read: the rate as the PMS states it, its VAT shown (in it), the
     * service charge added, the all-in total; the base plan says the same */
    struct json_object *o = rates("cloudbeds", TX_HOTEL, TX_ROOM, in, in + 1);
    struct json_object *nights = bk_member(o, "nights");
    ck_assert_int_eq(json_object_array_length(nights), 2);
    int64_t all_in = 0, pre_tax = 0, vat = 0;
    for (size_t i = 0; i < 2; i++) {
        struct json_object *n = json_object_array_get_idx(nights, i);
        int64_t r = rate[i], v = r - llround((double)r * 100.0 / 110.0);
        int64_t fee = llround((double)r * 0.1);
        ck_assert_int_eq(bk_int_of(n, "amount"), r);
        ck_assert_int_eq(bk_int_of(n, "totalAmount"), r + fee);
        struct json_object *taxes = bk_member(n, "taxes");
        ck_assert_int_eq(json_object_array_length(taxes), 2);
        struct json_object *t0 = json_object_array_get_idx(taxes, 0);
        struct json_object *t1 = json_object_array_get_idx(taxes, 1);
        ck_assert_str_eq(bk_str(t0, "name"), "VAT");
        ck_assert_str_eq(bk_str(t0, "type"), "tax");
        ck_assert(json_object_get_boolean(bk_member(t0, "inclusive")));
        ck_assert_int_eq(bk_int_of(t0, "amount"), v);
        ck_assert_str_eq(bk_str(t1, "name"), "Service charge");
        ck_assert_str_eq(bk_str(t1, "type"), "fee");
        ck_assert(!json_object_get_boolean(bk_member(t1, "inclusive")));
        ck_assert_int_eq(bk_int_of(t1, "amount"), fee);
        struct json_object *plan = json_object_array_get_idx(bk_member(n, "ratePlans"), 0);
        ck_assert_int_eq(bk_int_of(plan, "totalAmount"), r + fee);
        ck_assert_int_eq(json_object_array_length(bk_member(plan, "taxes")), 2);
        all_in += r + fee;
        pre_tax += r;
        vat += v;
    }
    json_object_put(o);

    /* the rates alone are refused, naming what the stay costs all in */
    char *body =
        body_for("cloudbeds", TX_HOTEL, TX_ROOM, in, 2, "\"cardToken\":\"tok_visa\",", pre_tax);
    struct json_object *r = checkout(body, 409);
    assert_mismatch_names(r, all_in);
    json_object_put(r);
    free(body);
    ck_assert_int_eq(bk_summary(&f.pms, "openHolds"), 0);
    ck_assert_int_eq(bk_summary(&f.pay, "paymentIntents"), 0);

    /* the all-in total books; Cloudbeds' grandTotal agrees, so the hold passes */
    body = body_for("cloudbeds", TX_HOTEL, TX_ROOM, in, 2, "\"cardToken\":\"tok_visa\",", all_in);
    r = checkout(body, 200);
    const char *id = bk_str(r, "bookingId");
    ck_assert_ptr_nonnull(id);
    char booking_id[64];
    snprintf(booking_id, sizeof booking_id, "%s", id);
    json_object_put(r);
    free(body);
    ck_assert_int_eq(
        bk_db_int(&f, "SELECT CAST(total_price AS SIGNED) FROM booking WHERE booking_id = ?",
                  booking_id),
        all_in);
    ck_assert_int_eq(
        bk_db_int(&f, "SELECT CAST(tax_amount AS SIGNED) FROM booking WHERE booking_id = ?",
                  booking_id),
        vat);
    struct json_object *b = bk_get_booking(&f, booking_id, NULL);
    ck_assert_int_eq(bk_int_of(b, "amount"), all_in);
    ck_assert_int_eq(bk_int_of(b, "taxAmount"), vat);
    json_object_put(b);
    char like[64];
    snprintf(like, sizeof like, "%%\"taxAmount\":%lld%%", (long long)vat);
    db_param_t p[] = {DB_STR(booking_id), DB_STR(like)};
    db_result_t *res = NULL;
    ck_assert_int_eq(db_query(f.db,
                              "SELECT COUNT(*) FROM outbox WHERE aggregate_id = ? AND event_type = "
                              "'lodging.booking.confirmed' AND payload LIKE ?",
                              p, 2, &res),
                     DB_OK);
    int64_t events = 0;
    db_result_int64(res, 0, 0, &events);
    db_result_free(res);
    ck_assert_int_eq(events, 1);
    bk_assert_ledgers_clean(&f, 1);
}
END_TEST

/* A party beyond what the rate includes is priced by the PMS (getRatePlans
 * with the adults: totalRate), before the taxes and fees it adds: the
 * checkout makes it all in night by night as the rates are, so the pre-tax
 * party price is refused naming the all-in one, which books with its VAT and
 * agrees with the hold's grandTotal. */
START_TEST(test_cloudbeds_a_party_beyond_the_rate_pays_its_price_all_in)
{
    start_stack();
    dates_day_t in = dates_today_utc() + 24;
    int64_t rate[2];
    sandbox_room_rates(TX_TRIPLE, in, 2, rate);
    /* a first-night fee from now on: what it keeps is the party's first night */
    ck_assert_int_eq(db_exec(f.db,
                             "INSERT INTO cancellation_policy (vendor, hotel_id, rate_plan_id, "
                             "policy) VALUES ('cloudbeds', '" TX_HOTEL "', '*', '{\"type\":"
                             "\"free_until\",\"hoursBefore\":1200,\"fee\":\"first_night\"}')",
                             NULL, 0, NULL, NULL),
                     DB_OK);
    int64_t all_in = 0, pre_tax = 0, vat = 0, included = 0;
    for (int i = 0; i < 2; i++) {
        int64_t r = rate[i] + TX_EXTRA; /* the third adult's charge is taxed like the rate */
        all_in += r + llround((double)r * 0.1);
        vat += r - llround((double)r * 100.0 / 110.0);
        pre_tax += r;
        included += rate[i] + llround((double)rate[i] * 0.1);
    }

    /* the rates read is the included occupancy's, all in */
    struct json_object *o = rates("cloudbeds", TX_HOTEL, TX_TRIPLE, in, in + 1);
    struct json_object *nights = bk_member(o, "nights");
    ck_assert_int_eq(bk_int_of(json_object_array_get_idx(nights, 0), "totalAmount") +
                         bk_int_of(json_object_array_get_idx(nights, 1), "totalAmount"),
                     included);
    ck_assert_int_eq(bk_int_of(o, "totalAmount"), included); /* one adult, within the rate */
    json_object_put(o);
    /* asked for three adults, the read states the party's own price, all in
     * (the PMS's, as the checkout asks it): what the checkout will demand */
    o = rates_party("cloudbeds", TX_HOTEL, TX_TRIPLE, in, in + 1, "adults=3&children=0");
    ck_assert_int_eq(bk_int_of(o, "totalAmount"), all_in);
    ck_assert_int_eq(bk_int_of(o, "taxAmount"), vat);
    ck_assert(json_object_get_boolean(bk_member(o, "partyPriced")));
    json_object_put(o);

    /* three adults: the PMS's pre-tax party price is refused, and so is
     * the included occupancy's all-in price */
    const char *card = "\"cardToken\":\"tok_visa\",";
    int64_t wrong[] = {pre_tax, included};
    for (size_t k = 0; k < 2; k++) {
        char *body = party_body_for("cloudbeds", TX_HOTEL, TX_TRIPLE, in, 2, 3, card, wrong[k]);
        struct json_object *r = checkout(body, 409);
        assert_mismatch_names(r, all_in);
        json_object_put(r);
        free(body);
    }
    ck_assert_int_eq(bk_summary(&f.pms, "openHolds"), 0);
    ck_assert_int_eq(bk_summary(&f.pay, "paymentIntents"), 0);

    /* the all-in party price books: the hold's grandTotal agrees */
    char *body = party_body_for("cloudbeds", TX_HOTEL, TX_TRIPLE, in, 2, 3, card, all_in);
    struct json_object *r = checkout(body, 200);
    char booking_id[64];
    snprintf(booking_id, sizeof booking_id, "%s", bk_str(r, "bookingId"));
    json_object_put(r);
    free(body);
    ck_assert_int_eq(
        bk_db_int(&f, "SELECT CAST(total_price AS SIGNED) FROM booking WHERE booking_id = ?",
                  booking_id),
        all_in);
    ck_assert_int_eq(
        bk_db_int(&f, "SELECT CAST(tax_amount AS SIGNED) FROM booking WHERE booking_id = ?",
                  booking_id),
        vat);
    bk_assert_ledgers_clean(&f, 1);

    /* past the policy's deadline the fee is the party's first night all in
     * (the third adult and the taxes on it), not the included occupancy's */
    int64_t first = rate[0] + TX_EXTRA + llround((double)(rate[0] + TX_EXTRA) * 0.1);
    char path[128];
    snprintf(path, sizeof path, "/api/bookings/%s/cancel", booking_id);
    http_client_response_t cr;
    ck_assert_int_eq(http_client_request(f.http, "POST", path, NULL, NULL, NULL, 0, &cr),
                     HTTP_CLIENT_OK);
    ck_assert_msg(cr.status == 200, "cancel: %d %s", cr.status, cr.body);
    json_error_t je;
    struct json_object *c = json_parse_object(cr.body, cr.body_len, &je);
    http_client_response_clear(&cr);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(bk_int_of(c, "cancellationFee"), first);
    ck_assert_int_eq(bk_int_of(c, "refundedAmount"), all_in - first);
    json_object_put(c);
}
END_TEST

/* The toss-sandbox ledger's entry of orderId (caller puts), or NULL. */
static struct json_object *toss_payment(const char *order_id)
{
    struct json_object *o = ts_sandbox_get_json(&f.toss, "/_sandbox/ledger", NULL), *list;
    struct json_object *found = NULL;
    ck_assert(json_object_object_get_ex(o, "payments", &list));
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        struct json_object *p = json_object_array_get_idx(list, i);
        const char *order = bk_str(p, "orderId");
        if (order && strcmp(order, order_id) == 0)
            found = json_object_get(p);
    }
    json_object_put(o);
    return found;
}

START_TEST(test_a_toss_payment_is_requested_with_the_tax_free_part)
{
    start_stack();
    dates_day_t in = dates_today_utc() + 24;
    int64_t rate[1];
    sandbox_rates(in, 1, rate);
    /* the service charge is a fee the hotel's VAT is not charged on (no tax
     * lists it in feesCharged): the tax-free part of the price */
    int64_t fee = llround((double)rate[0] * 0.1), all_in = rate[0] + fee;
    struct json_object *o = rates_party("cloudbeds", TX_HOTEL, TX_ROOM, in, in, "adults=2");
    ck_assert_int_eq(bk_int_of(o, "totalAmount"), all_in);
    ck_assert_int_eq(bk_int_of(o, "taxFreeAmount"), fee);
    struct json_object *n0 = json_object_array_get_idx(bk_member(o, "nights"), 0);
    struct json_object *svc = json_object_array_get_idx(bk_member(n0, "taxes"), 1);
    ck_assert(json_object_get_boolean(bk_member(svc, "taxFree")));
    json_object_put(o);

    /* the window requests the payment with that split: approved (confirm
     * states no split of its own) and Toss' VAT is 1/11 of the taxable part */
    char order[40], key[128], pay[400], extra[64];
    ck_assert_int_eq(crypto_random_id("ord-", order, sizeof order), 0);
    snprintf(extra, sizeof extra, "\"taxFreeAmount\":%lld", (long long)fee);
    bk_toss_window(&f, order, all_in, extra, key, sizeof key);
    snprintf(pay, sizeof pay, "\"provider\":\"toss\",\"paymentKey\":\"%s\",\"orderId\":\"%s\",",
             key, order);
    char *body = body_for("cloudbeds", TX_HOTEL, TX_ROOM, in, 1, pay, all_in);
    struct json_object *r = checkout(body, 200);
    json_object_put(r);
    free(body);
    struct json_object *p = toss_payment(order);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(bk_int_of(p, "totalAmount"), all_in);
    ck_assert_int_eq(bk_int_of(p, "taxFreeAmount"), fee);
    json_object_put(p);
    char path[200];
    snprintf(path, sizeof path, "/v1/payments/%s", key);
    http_client_response_t resp;
    const char *auth[] = {"Authorization: Basic dGVzdF9za19zYW5kYm94Og==", NULL};
    ck_assert_int_eq(http_client_get(f.toss.control, path, NULL, auth, &resp), HTTP_CLIENT_OK);
    ck_assert_msg(resp.status == 200, "%d %s", resp.status, resp.body);
    json_error_t je;
    struct json_object *payment = json_parse_object(resp.body, resp.body_len, &je);
    http_client_response_clear(&resp);
    ck_assert_ptr_nonnull(payment);
    ck_assert_int_eq(bk_int_of(payment, "vat"), (all_in - fee + 5) / 11);
    ck_assert_int_eq(bk_int_of(payment, "taxFreeAmount"), fee);
    json_object_put(payment);

    /* a window that requested the payment as wholly taxable misstates the
     * VAT: not approved, the guest told the payment does not match */
    ck_assert_int_eq(crypto_random_id("ord-", order, sizeof order), 0);
    bk_toss_window(&f, order, all_in, "\"taxFreeAmount\":0", key, sizeof key);
    snprintf(pay, sizeof pay, "\"provider\":\"toss\",\"paymentKey\":\"%s\",\"orderId\":\"%s\",",
             key, order);
    body = body_for("cloudbeds", TX_HOTEL, TX_ROOM, in, 1, pay, all_in);
    r = checkout(body, 402);
    ck_assert_str_eq(bk_str(r, "errorCode"), "PAYMENT_PREAUTH_FAILED");
    ck_assert_str_eq(bk_str(r, "paymentError"), "PAYMENT_MISMATCH");
    json_object_put(r);
    free(body);
    p = toss_payment(order);
    ck_assert_ptr_nonnull(p);
    ck_assert_str_ne(bk_str(p, "status"), "DONE");
    json_object_put(p);

    /* the sandbox's window refuses a split Toss would refuse */
    char bad[300];
    ck_assert_int_eq(crypto_random_id("ord-", order, sizeof order), 0);
    snprintf(bad, sizeof bad, "{\"orderId\":\"%s\",\"amount\":%lld,\"taxFreeAmount\":%lld}", order,
             (long long)all_in, (long long)all_in + 1);
    ck_assert_int_eq(http_client_post_json(f.toss.control, "/_sandbox/window", NULL, bad, &resp),
                     HTTP_CLIENT_OK);
    ck_assert_int_eq(resp.status, 400);
    ck_assert_ptr_nonnull(strstr(resp.body, "taxFreeAmount"));
    http_client_response_clear(&resp);
}
END_TEST

/* The opera-sandbox's price of a stay of OP_ROOM (after tax, minor units). */
static int64_t op_amount(dates_day_t in, int nights)
{
    char from[DATES_ISO_LEN + 1], days[8];
    dates_format_iso(in, from);
    snprintf(days, sizeof days, "%d", nights);
    const char *q[] = {"hotelCode", OP_HOTEL, "roomType", OP_ROOM, "from",
                       from,        "days",   days,       NULL};
    struct json_object *o = ts_sandbox_get_json(&op, "/_sandbox/inventory", q);
    int64_t total = 0;
    for (size_t i = 0; i < json_object_array_length(o); i++)
        total += bk_int_of(json_object_array_get_idx(o, i), "rate");
    json_object_put(o);
    return total;
}

START_TEST(test_opera_after_tax_offers_read_with_their_vat_and_book_after_tax)
{
    start_stack();
    dates_day_t in = dates_today_utc() + 30;
    int64_t after = op_amount(in, 2);
    struct json_object *o = rates("opera", OP_HOTEL, OP_ROOM, in, in + 1);
    struct json_object *nights = bk_member(o, "nights");
    int64_t sum = 0, before = 0;
    for (size_t i = 0; i < 2; i++) {
        struct json_object *n = json_object_array_get_idx(nights, i);
        int64_t amount = bk_int_of(n, "amount"), vat = amount - llround((double)amount / 1.1);
        /* the after-tax rate holds the VAT: shown, never added again */
        ck_assert_int_eq(bk_int_of(n, "totalAmount"), amount);
        struct json_object *taxes = bk_member(n, "taxes");
        ck_assert_int_eq(json_object_array_length(taxes), 1);
        struct json_object *t = json_object_array_get_idx(taxes, 0);
        ck_assert_str_eq(bk_str(t, "name"), "VAT");
        ck_assert(json_object_get_boolean(bk_member(t, "inclusive")));
        ck_assert_int_eq(bk_int_of(t, "amount"), vat);
        sum += amount;
        before += amount - vat;
    }
    json_object_put(o);
    ck_assert_int_eq(sum, after);
    /* asked for the party (two adults), OPERA prices the stay itself, as the
     * checkout asks it: the same after-tax total */
    o = rates_party("opera", OP_HOTEL, OP_ROOM, in, in + 1, "adults=2");
    ck_assert_int_eq(bk_int_of(o, "totalAmount"), after);
    ck_assert(json_object_get_boolean(bk_member(o, "partyPriced")));
    json_object_put(o);

    /* the before-tax total is refused, naming the after-tax one; that one books */
    char *body = body_for("opera", OP_HOTEL, OP_ROOM, in, 2, "\"cardToken\":\"tok_visa\",", before);
    struct json_object *r = checkout(body, 409);
    assert_mismatch_names(r, after);
    json_object_put(r);
    free(body);
    body = body_for("opera", OP_HOTEL, OP_ROOM, in, 2, "\"cardToken\":\"tok_visa\",", after);
    r = checkout(body, 200);
    json_object_put(r);
    free(body);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("it_all_in_price");
    TCase *tc = tcase_create("all_in");
    tcase_set_timeout(tc, 180);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_cloudbeds_taxes_are_itemised_and_the_all_in_total_is_what_books);
    tcase_add_test(tc, test_cloudbeds_a_party_beyond_the_rate_pays_its_price_all_in);
    tcase_add_test(tc, test_a_toss_payment_is_requested_with_the_tax_free_part);
    tcase_add_test(tc, test_opera_after_tax_offers_read_with_their_vat_and_book_after_tax);
    suite_add_tcase(s, tc);
    return check_run(s);
}
