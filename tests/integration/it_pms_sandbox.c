/* Integration tests of pms-sandbox over HTTP: every vendor method's answers
 * and errors, holds racing for the last rooms from many threads (never
 * below zero, exact restore on release and on expiry), signed webhooks for
 * API and front-desk changes, fault injection, reset, the ledger dump, and
 * malformed requests answered with vendor-style 4xx while the sandbox stays
 * healthy. Each test runs its own sandbox on a free port. */
#include <check.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "check_run.h"
#include "common/crypto.h"
#include "common/dates.h"
#include "common/http_client.h"
#include "common/http_server.h"
#include "common/log.h"
#include "testsupport.h"
#include "ts_sandbox.h"

#define HOTEL "hotel_123"
#define KEY "cbk_sandbox_hotel_123"
#define ROOM "room_456"       /* 10 units, 125000 KRW */
#define LAST_ROOMS "room_458" /* 3 units */
#define SECRET "whsec_it_pms_sandbox"
#define RACERS 40
#define WAIT_MS 15000
#define MAX_RECEIVED 256

/* ------------------------------------------------ webhook receiver -- */

typedef struct received {
    char path[32];
    char *body;
    bool signature_ok;
} received_t;

static struct {
    pthread_mutex_t lock; /* guards the list */
    received_t list[MAX_RECEIVED];
    int count;
} inbox = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Verifies x-pms-signature as webhook-ingest will: HMAC-SHA256 of "<t>.<body>". */
static bool signature_valid(const char *header, const char *body, size_t len)
{
    long long t = 0;
    char given[CRYPTO_SHA256_HEX_LEN + 1] = "";
    if (!header || sscanf(header, "t=%lld,v1=%64s", &t, given) != 2)
        return false;
    char prefix[32];
    int n = snprintf(prefix, sizeof prefix, "%lld.", t);
    char *payload = malloc((size_t)n + len + 1);
    memcpy(payload, prefix, (size_t)n);
    memcpy(payload + n, body, len);
    char expected[CRYPTO_SHA256_HEX_LEN + 1];
    crypto_hmac_sha256_hex(SECRET, strlen(SECRET), payload, (size_t)n + len, expected);
    free(payload);
    long long age = (long long)time(NULL) - t;
    return crypto_equal_constant_time(expected, strlen(expected), given, strlen(given)) &&
           age >= -300 && age <= 300;
}

static int receive_webhook(http_request_t *req, void *ctx)
{
    (void)ctx;
    size_t len = 0;
    const char *body = http_request_body(req, &len);
    pthread_mutex_lock(&inbox.lock);
    if (inbox.count < MAX_RECEIVED) {
        received_t *r = &inbox.list[inbox.count++];
        snprintf(r->path, sizeof r->path, "%s", http_request_path(req));
        r->body = strndup(body, len);
        r->signature_ok = signature_valid(http_request_header(req, "x-pms-signature"), body, len);
    }
    pthread_mutex_unlock(&inbox.lock);
    return http_respond(req, 200, "application/json", "{\"received\":true}", 17);
}

static void inbox_clear(void)
{
    pthread_mutex_lock(&inbox.lock);
    for (int i = 0; i < inbox.count; i++)
        free(inbox.list[i].body);
    inbox.count = 0;
    pthread_mutex_unlock(&inbox.lock);
}

/* A copy of the first received event of `type` at `path` (NULL: any path)
 * whose body contains `needle` (may be NULL); NULL when none yet. */
static json_object *inbox_find(const char *path, const char *type, const char *needle,
                               bool *signature_ok)
{
    json_object *found = NULL;
    pthread_mutex_lock(&inbox.lock);
    for (int i = 0; i < inbox.count && !found; i++) {
        received_t *r = &inbox.list[i];
        json_object *o = json_tokener_parse(r->body);
        json_object *t = NULL;
        if (o && (!path || strcmp(r->path, path) == 0) &&
            json_object_object_get_ex(o, "eventType", &t) &&
            strcmp(json_object_get_string(t), type) == 0 && (!needle || strstr(r->body, needle))) {
            found = o;
            if (signature_ok)
                *signature_ok = r->signature_ok;
        } else {
            json_object_put(o);
        }
    }
    pthread_mutex_unlock(&inbox.lock);
    return found;
}

/* ----------------------------------------------------------- fixture -- */

static ts_sandbox_t sb;
static int port;
static http_server_t *receiver;
static http_client_t *client;
static char receiver_url[96];
static char seed_file[512];

static void start_with(const char *seed_path)
{
    inbox_clear();
    http_server_config_t hc = {.service = "it-receiver", .bind_address = "127.0.0.1", .threads = 2};
    receiver = http_server_new(&hc);
    http_server_route(receiver, "POST", "/hook", AUTH_RULE_OPEN, receive_webhook, NULL);
    http_server_route(receiver, "POST", "/sub", AUTH_RULE_OPEN, receive_webhook, NULL);
    ck_assert_int_eq(http_server_start(receiver), 0);
    snprintf(receiver_url, sizeof receiver_url, "http://127.0.0.1:%d", http_server_port(receiver));

    static char url_env[160], seed_env[200];
    snprintf(url_env, sizeof url_env, "PMS_SANDBOX_WEBHOOK_URL=%s/hook", receiver_url);
    snprintf(seed_env, sizeof seed_env, "PMS_SANDBOX_SEED=%s", seed_path);
    const char *env[] = {url_env,
                         seed_env,
                         "PMS_WEBHOOK_SECRET=" SECRET,
                         "PMS_SANDBOX_WEBHOOK_BACKOFF_MS=50",
                         "PMS_SANDBOX_SWEEP_INTERVAL_MS=50",
                         "HTTP_THREADS=8",
                         NULL};
    ts_sandbox_start(&sb, "pms-sandbox", "PMS_SANDBOX_PORT", env);
    port = sb.port;
    /* Generous: 40 threads connect at once on a loaded machine (ASan, parallel tests). */
    http_client_config_t cc = {
        .base_url = sb.base_url, .connect_timeout_ms = 10000, .total_timeout_ms = 20000};
    client = http_client_new(&cc);
}

static void setup(void)
{
    start_with(LODGING_SOURCE_DIR "/sandbox/pms-sandbox/seed.json");
}

static void teardown(void)
{
    http_client_free(client);
    client = NULL;
    ts_sandbox_stop(&sb); /* asserts exit 0: a clean shutdown */
    http_server_free(receiver);
    receiver = NULL;
    inbox_clear();
    if (seed_file[0]) {
        unlink(seed_file);
        seed_file[0] = '\0';
    }
}

/* ----------------------------------------------------------- helpers -- */

/* An answer: status and parsed body (NULL when not JSON). */
typedef struct answer {
    int status;
    json_object *json;
    char content_type[128];
    char transport[160]; /* why there is no answer, when status is 0 */
} answer_t;

static answer_t answer_of(http_client_err_t err, http_client_response_t *r)
{
    answer_t a = {.status = err == HTTP_CLIENT_OK ? r->status : 0};
    if (err != HTTP_CLIENT_OK)
        snprintf(a.transport, sizeof a.transport, "%s: %.120s", http_client_err_name(err),
                 r->error);
    a.json = r->body ? json_tokener_parse(r->body) : NULL;
    snprintf(a.content_type, sizeof a.content_type, "%s", r->content_type);
    http_client_response_clear(r);
    return a;
}

static void answer_clear(answer_t *a)
{
    json_object_put(a->json);
    a->json = NULL;
}

/* A vendor call. `query` / `form` are NULL-terminated key, value pairs. */
static answer_t vendor(const char *verb, const char *method, const char *key,
                       const char *const *pairs)
{
    char path[128], auth[128];
    snprintf(path, sizeof path, "/api/v1.3/%s", method);
    snprintf(auth, sizeof auth, "x-api-key: %s", key ? key : "");
    const char *headers[] = {auth, "Content-Type: application/x-www-form-urlencoded", NULL};
    http_client_response_t r;
    http_client_err_t err;
    if (strcmp(verb, "GET") == 0 || strcmp(verb, "DELETE") == 0) {
        err = http_client_request(client, verb, path, pairs, key ? headers : NULL, NULL, 0, &r);
    } else {
        char *body = http_client_form_encode(pairs);
        err = http_client_request(client, verb, path, NULL, key ? headers : headers + 1, body,
                                  strlen(body), &r);
        free(body);
    }
    return answer_of(err, &r);
}

static answer_t control(const char *verb, const char *path, const char *json)
{
    http_client_response_t r;
    const char *headers[] = {"Content-Type: application/json", NULL};
    http_client_err_t err =
        http_client_request(client, verb, path, NULL, headers, json, json ? strlen(json) : 0, &r);
    return answer_of(err, &r);
}

static json_object *member(json_object *o, const char *key)
{
    json_object *v = NULL;
    ck_assert_msg(o && json_object_object_get_ex(o, key, &v), "no member %s in %s", key,
                  o ? json_object_to_json_string(o) : "(null)");
    return v;
}

static const char *text_of(json_object *o, const char *key)
{
    return json_object_get_string(member(o, key));
}

static const char *message_of(const answer_t *a)
{
    return text_of(a->json, "message");
}

/* Asserts a vendor-style error: status, success false, message containing `part`. */
static void expect_vendor_error(answer_t a, int status, const char *part)
{
    ck_assert_msg(a.status == status, "status %d, expected %d: %s", a.status, status,
                  a.json ? json_object_to_json_string(a.json) : "(no JSON)");
    ck_assert_msg(a.json != NULL, "error body is not JSON");
    ck_assert(!json_object_get_boolean(member(a.json, "success")));
    ck_assert_msg(strstr(message_of(&a), part) != NULL, "message '%s' lacks '%s'", message_of(&a),
                  part);
    answer_clear(&a);
}

static void iso(dates_day_t day, char out[DATES_ISO_LEN + 1])
{
    dates_format_iso(day, out);
}

static int available_on(const char *room_type, dates_day_t night)
{
    char d[DATES_ISO_LEN + 1], path[160];
    iso(night, d);
    snprintf(path, sizeof path, "/_sandbox/inventory?propertyID=%s&roomTypeID=%s&from=%s&to=%s",
             HOTEL, room_type, d, d);
    answer_t a = control("GET", path, NULL);
    ck_assert_int_eq(a.status, 200);
    int v = json_object_get_int(member(json_object_array_get_idx(a.json, 0), "available"));
    answer_clear(&a);
    return v;
}

/* A reservation form: rooms of `room_type` for [in, in + nights), a hold
 * when hold_seconds > 0. Strings live in static storage of the caller's `buf`. */
typedef struct reservation_form {
    char start[DATES_ISO_LEN + 1];
    char end[DATES_ISO_LEN + 1];
    char quantity[8];
    char adults[8];
    char expires[32];
    char third_party[64];
    const char *pairs[48];
} reservation_form_t;

static void reservation_form(reservation_form_t *f, const char *room_type, dates_day_t in,
                             int nights, int quantity, int hold_seconds, const char *third_party)
{
    memset(f, 0, sizeof *f);
    iso(in, f->start);
    iso(in + nights, f->end);
    snprintf(f->quantity, sizeof f->quantity, "%d", quantity);
    snprintf(f->adults, sizeof f->adults, "%d", quantity);
    const char *base[] = {"propertyID",
                          HOTEL,
                          "startDate",
                          f->start,
                          "endDate",
                          f->end,
                          "guestFirstName",
                          "Gil-dong",
                          "guestLastName",
                          "Hong",
                          "guestCountry",
                          "KR",
                          "guestEmail",
                          "hong@example.com",
                          "rooms[0][roomTypeID]",
                          room_type,
                          "rooms[0][quantity]",
                          f->quantity,
                          "adults[0][roomTypeID]",
                          room_type,
                          "adults[0][quantity]",
                          f->adults,
                          "children[0][roomTypeID]",
                          room_type,
                          "children[0][quantity]",
                          "0",
                          "paymentMethod",
                          "credit"};
    size_t n = sizeof base / sizeof *base;
    memcpy(f->pairs, base, sizeof base);
    if (hold_seconds > 0) {
        time_t at = time(NULL) + hold_seconds;
        struct tm tm;
        gmtime_r(&at, &tm);
        strftime(f->expires, sizeof f->expires, "%Y-%m-%dT%H:%M:%SZ", &tm);
        f->pairs[n++] = "customFields[0][fieldName]";
        f->pairs[n++] = "holdExpiresAt";
        f->pairs[n++] = "customFields[0][fieldValue]";
        f->pairs[n++] = f->expires;
    }
    if (third_party) {
        snprintf(f->third_party, sizeof f->third_party, "%s", third_party);
        f->pairs[n++] = "thirdPartyIdentifier";
        f->pairs[n++] = f->third_party;
    }
    f->pairs[n] = NULL;
}

/* Posts a reservation; returns the answer (caller clears). */
static answer_t post_reservation(const char *room_type, dates_day_t in, int nights, int quantity,
                                 int hold_seconds, const char *third_party)
{
    reservation_form_t f;
    reservation_form(&f, room_type, in, nights, quantity, hold_seconds, third_party);
    return vendor("POST", "postReservation", KEY, f.pairs);
}

static answer_t put_status(const char *id, const char *status)
{
    const char *form[] = {"propertyID", HOTEL, "reservationID", id, "status", status, NULL};
    return vendor("PUT", "putReservation", KEY, form);
}

static void expect_status(const char *id, const char *status)
{
    const char *q[] = {"propertyID", HOTEL, "reservationID", id, NULL};
    answer_t a = vendor("GET", "getReservation", KEY, q);
    ck_assert_int_eq(a.status, 200);
    ck_assert_str_eq(text_of(member(a.json, "data"), "status"), status);
    answer_clear(&a);
}

/* A header of a GET answer (curl directly: the client keeps only Content-Type). */
typedef struct header_probe {
    const char *name;
    char value[128];
} header_probe_t;

static size_t on_header(char *data, size_t size, size_t n, void *userdata)
{
    header_probe_t *p = userdata;
    size_t len = size * n, name_len = strlen(p->name);
    if (len > name_len + 1 && strncasecmp(data, p->name, name_len) == 0 && data[name_len] == ':')
        snprintf(p->value, sizeof p->value, "%.*s", (int)(len - name_len - 1), data + name_len + 1);
    return len;
}

static void header_of(const char *path, const char *name, char *out, size_t size)
{
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    header_probe_t probe = {.name = name};
    CURL *curl = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "x-api-key: " KEY);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &probe);
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    curl_easy_perform(curl);
    curl_slist_free_all(h);
    curl_easy_cleanup(curl);
    char *v = probe.value;
    while (*v == ' ')
        v++;
    snprintf(out, size, "%.*s", (int)strcspn(v, "\r\n"), v);
}

/* ------------------------------------------------------ catalogue -- */

START_TEST(test_hotel_details_and_room_types_come_in_the_vendor_shape)
{
    const char *q[] = {"propertyID", HOTEL, NULL};
    answer_t a = vendor("GET", "getHotelDetails", KEY, q);
    ck_assert_int_eq(a.status, 200);
    ck_assert_ptr_nonnull(strstr(a.content_type, "application/json"));
    ck_assert(json_object_get_boolean(member(a.json, "success")));
    json_object *d = member(a.json, "data");
    ck_assert_str_eq(text_of(d, "propertyID"), HOTEL);
    ck_assert_str_eq(text_of(d, "propertyTimezone"), "Asia/Seoul");
    ck_assert_str_eq(text_of(member(d, "propertyCurrency"), "currencyCode"), "KRW");
    ck_assert_str_eq(text_of(member(d, "propertyAddress"), "propertyCity"), "Seoul");
    ck_assert_int_ge(json_object_array_length(member(d, "propertyImage")), 1);
    answer_clear(&a);

    char request_id[128];
    header_of("/api/v1.3/getHotelDetails?propertyID=" HOTEL, "X-Request-ID", request_id,
              sizeof request_id);
    ck_assert_uint_gt(strlen(request_id), 0);

    const char *rq[] = {"propertyIDs", HOTEL, NULL};
    a = vendor("GET", "getRoomTypes", KEY, rq);
    ck_assert_int_eq(a.status, 200);
    json_object *types = member(a.json, "data");
    ck_assert_int_eq(json_object_array_length(types), 3);
    ck_assert_int_eq(json_object_get_int(member(a.json, "count")), 3);
    json_object *deluxe = json_object_array_get_idx(types, 0);
    ck_assert_str_eq(text_of(deluxe, "roomTypeID"), ROOM);
    ck_assert_int_eq(json_object_get_int(member(deluxe, "roomTypeUnits")), 10);
    ck_assert_int_eq(json_object_get_int(member(deluxe, "maxGuests")), 3);
    ck_assert(json_object_get_boolean(member(deluxe, "isPrivate")));
    answer_clear(&a);

    const char *filtered[] = {"propertyIDs", HOTEL, "roomTypeIDs", "room_457, room_458", NULL};
    a = vendor("GET", "getRoomTypes", KEY, filtered);
    ck_assert_int_eq(json_object_array_length(member(a.json, "data")), 2);
    answer_clear(&a);
    const char *unknown[] = {"roomTypeIDs", "room_999", NULL};
    expect_vendor_error(vendor("GET", "getRoomTypes", KEY, unknown), 404, "room_999");
}
END_TEST

START_TEST(test_rate_plans_price_every_night_and_take_the_lowest_availability)
{
    dates_day_t in = dates_today_utc() + 20;
    char s[DATES_ISO_LEN + 1], e[DATES_ISO_LEN + 1];
    iso(in, s);
    iso(in + 7, e);
    answer_t held = post_reservation(ROOM, in + 3, 1, 4, 0, NULL);
    ck_assert_int_eq(held.status, 200);
    answer_clear(&held);
    const char *q[] = {"propertyIDs", HOTEL, "roomTypeID",    ROOM,   "startDate", s,
                       "endDate",     e,     "detailedRates", "true", NULL};
    answer_t a = vendor("GET", "getRatePlans", KEY, q);
    ck_assert_int_eq(a.status, 200);
    json_object *plans = member(a.json, "data");
    /* the base plan, then the non-refundable and breakfast plans derived from it */
    ck_assert_int_eq(json_object_array_length(plans), 3);
    json_object *p = json_object_array_get_idx(plans, 0);
    ck_assert_str_eq(text_of(p, "rateID"), ROOM "-base");
    ck_assert(!json_object_get_boolean(member(p, "isDerived")));
    json_object *nr = json_object_array_get_idx(plans, 1);
    ck_assert_str_eq(text_of(nr, "rateID"), ROOM "-nr");
    ck_assert(json_object_get_boolean(member(nr, "isDerived")));
    ck_assert_str_eq(text_of(nr, "derivedType"), "percentage");
    ck_assert_int_eq(json_object_get_int(member(nr, "derivedValue")), -10);
    ck_assert_int_eq(json_object_get_int64(member(nr, "totalRate")) * 10,
                     json_object_get_int64(member(p, "totalRate")) * 9);
    ck_assert_int_eq(json_object_get_int(member(p, "roomsAvailable")), 6);
    json_object *nights = member(p, "roomRateDetailed");
    ck_assert_int_eq(json_object_array_length(nights), 7);
    int64_t sum = 0;
    for (int i = 0; i < 7; i++) {
        json_object *n = json_object_array_get_idx(nights, (size_t)i);
        int64_t rate = json_object_get_int64(member(n, "rateBase"));
        ck_assert(rate == 125000 || rate == 150000); /* weekday / Friday-Saturday */
        sum += rate;
        ck_assert_int_eq(json_object_get_int(member(n, "roomsAvailable")), i == 3 ? 6 : 10);
        char d[DATES_ISO_LEN + 1];
        iso(in + i, d);
        ck_assert_str_eq(text_of(n, "date"), d);
    }
    ck_assert_int_eq(json_object_get_int64(member(p, "totalRate")), sum);
    answer_clear(&a);

    /* USD rates are decimals. */
    const char *nyc[] = {"propertyIDs", "hotel_nyc", "startDate", s, "endDate", e, NULL};
    a = vendor("GET", "getRatePlans", "cbk_sandbox_hotel_nyc", nyc);
    ck_assert_int_eq(a.status, 200);
    json_object *queen = json_object_array_get_idx(member(a.json, "data"), 0);
    double rate = json_object_get_double(member(queen, "roomRate"));
    ck_assert(rate == 189.0 || rate == 229.5);
    ck_assert_ptr_null(json_object_object_get(queen, "roomRateDetailed"));
    answer_clear(&a);
}
END_TEST

START_TEST(test_available_room_types_fit_the_rooms_and_guests_asked_for)
{
    dates_day_t in = dates_today_utc() + 30;
    char s[DATES_ISO_LEN + 1], e[DATES_ISO_LEN + 1];
    iso(in, s);
    iso(in + 2, e);
    answer_t held = post_reservation(LAST_ROOMS, in + 1, 1, 2, 0, NULL);
    ck_assert_int_eq(held.status, 200);
    answer_clear(&held);
    /* One room for 3 adults: room_457 takes only 2 guests; room_458 has 1 left that night. */
    const char *q[] = {"propertyIDs", HOTEL,    "startDate", s,          "endDate", e,   "rooms",
                       "1",           "adults", "3",         "children", "0",       NULL};
    answer_t a = vendor("GET", "getAvailableRoomTypes", KEY, q);
    ck_assert_int_eq(a.status, 200);
    json_object *property = json_object_array_get_idx(member(a.json, "data"), 0);
    ck_assert_str_eq(text_of(property, "propertyID"), HOTEL);
    json_object *rooms = member(property, "propertyRooms");
    ck_assert_int_eq(json_object_array_length(rooms), 2); /* room_456 (3 guests), room_458 */
    ck_assert_int_eq(json_object_get_int(member(a.json, "roomCount")), 2);
    for (size_t i = 0; i < json_object_array_length(rooms); i++) {
        json_object *r = json_object_array_get_idx(rooms, i);
        if (strcmp(text_of(r, "roomTypeID"), LAST_ROOMS) == 0)
            ck_assert_int_eq(json_object_get_int(member(r, "roomsAvailable")), 1);
        else
            ck_assert_str_eq(text_of(r, "roomTypeID"), ROOM);
    }
    answer_clear(&a);
    /* Two rooms: room_458 has only 1 left. */
    const char *two_rooms[] = {"propertyIDs", HOTEL, "startDate", s,   "endDate", e, "rooms", "2",
                               "adults",      "2",   "children",  "0", NULL};
    a = vendor("GET", "getAvailableRoomTypes", KEY, two_rooms);
    rooms = member(json_object_array_get_idx(member(a.json, "data"), 0), "propertyRooms");
    ck_assert_int_eq(json_object_array_length(rooms), 2);
    for (size_t i = 0; i < json_object_array_length(rooms); i++)
        ck_assert_str_ne(text_of(json_object_array_get_idx(rooms, i), "roomTypeID"), LAST_ROOMS);
    answer_clear(&a);
}
END_TEST

/* ---------------------------------------------------- reservations -- */

START_TEST(test_a_hold_is_confirmed_read_back_and_canceled_exactly_once)
{
    dates_day_t in = dates_today_utc() + 5;
    answer_t a = post_reservation(ROOM, in, 2, 2, 180, NULL);
    ck_assert_int_eq(a.status, 200);
    ck_assert_str_eq(text_of(a.json, "status"), "not_confirmed");
    ck_assert(json_object_get_boolean(member(a.json, "success")));
    char id[64];
    snprintf(id, sizeof id, "%s", text_of(a.json, "reservationID"));
    ck_assert_int_eq(json_object_array_length(member(a.json, "unassigned")), 2);
    int64_t total = json_object_get_int64(member(a.json, "grandTotal"));
    ck_assert(total >= 2 * 2 * 125000 && total <= 2 * 2 * 150000);
    answer_clear(&a);
    ck_assert_int_eq(available_on(ROOM, in), 8);
    ck_assert_int_eq(available_on(ROOM, in + 1), 8);
    ck_assert_int_eq(available_on(ROOM, in + 2), 10);

    const char *q[] = {"propertyID", HOTEL, "reservationID", id, NULL};
    a = vendor("GET", "getReservation", KEY, q);
    ck_assert_int_eq(a.status, 200);
    json_object *d = member(a.json, "data");
    ck_assert_str_eq(text_of(d, "reservationID"), id);
    ck_assert_str_eq(text_of(d, "status"), "not_confirmed");
    ck_assert_int_eq(json_object_get_int64(member(d, "total")), total);
    json_object *field = json_object_array_get_idx(member(d, "customFields"), 0);
    ck_assert_str_eq(text_of(field, "customFieldName"), "holdExpiresAt");
    ck_assert_str_eq(text_of(json_object_array_get_idx(member(d, "unassigned"), 0), "roomTypeID"),
                     ROOM);
    answer_clear(&a);

    a = put_status(id, "confirmed");
    ck_assert_int_eq(a.status, 200);
    ck_assert_str_eq(text_of(member(a.json, "data"), "status"), "confirmed");
    answer_clear(&a);
    a = put_status(id, "confirmed"); /* idempotent */
    ck_assert_int_eq(a.status, 200);
    answer_clear(&a);
    expect_status(id, "confirmed");
    ck_assert_int_eq(available_on(ROOM, in), 8);

    for (int i = 0; i < 3; i++) {
        a = put_status(id, "canceled");
        ck_assert_int_eq(a.status, 200);
        answer_clear(&a);
    }
    ck_assert_int_eq(available_on(ROOM, in), 10);
    ck_assert_int_eq(available_on(ROOM, in + 1), 10);
    expect_vendor_error(put_status(id, "confirmed"), 409, "is canceled");
    expect_vendor_error(put_status(id, "checked_in"), 400, "status");
    expect_vendor_error(put_status("999", "confirmed"), 404, "999");
}
END_TEST

START_TEST(test_an_expired_hold_gives_its_rooms_back_and_cannot_be_confirmed)
{
    dates_day_t in = dates_today_utc() + 6;
    answer_t a = post_reservation(ROOM, in, 3, 3, 1, NULL);
    ck_assert_int_eq(a.status, 200);
    char id[64];
    snprintf(id, sizeof id, "%s", text_of(a.json, "reservationID"));
    answer_clear(&a);
    ck_assert_int_eq(available_on(ROOM, in + 2), 7);
    ck_assert(TS_POLL_UNTIL(available_on(ROOM, in) == 10, WAIT_MS));
    ck_assert_int_eq(available_on(ROOM, in + 1), 10);
    ck_assert_int_eq(available_on(ROOM, in + 2), 10);
    expect_vendor_error(put_status(id, "confirmed"), 409, "is canceled");
    expect_status(id, "canceled");
    a = put_status(id, "canceled"); /* releasing after expiry: no-op success */
    ck_assert_int_eq(a.status, 200);
    answer_clear(&a);
    ck_assert_int_eq(available_on(ROOM, in), 10);
    /* The expiry was announced. */
    json_object *ev = NULL;
    ck_assert(
        TS_POLL_UNTIL((ev = inbox_find("/hook", "booking_cancel", id, NULL)) != NULL, WAIT_MS));
    json_object_put(ev);
}
END_TEST

START_TEST(test_a_retry_with_the_same_third_party_identifier_books_once)
{
    dates_day_t in = dates_today_utc() + 8;
    answer_t first = post_reservation(ROOM, in, 1, 1, 180, "booking-abc");
    answer_t again = post_reservation(ROOM, in, 1, 1, 180, "booking-abc");
    ck_assert_int_eq(first.status, 200);
    ck_assert_int_eq(again.status, 200);
    ck_assert_str_eq(text_of(again.json, "reservationID"), text_of(first.json, "reservationID"));
    answer_clear(&first);
    answer_clear(&again);
    ck_assert_int_eq(available_on(ROOM, in), 9);
    answer_t other = post_reservation(ROOM, in, 1, 1, 0, "booking-xyz");
    ck_assert_int_eq(other.status, 200);
    ck_assert_str_eq(text_of(other.json, "status"), "confirmed");
    answer_clear(&other);
    ck_assert_int_eq(available_on(ROOM, in), 8);
}
END_TEST

/* --------------------------------------------------- concurrency -- */

typedef struct racer {
    dates_day_t in;
    int hold_seconds;
    pthread_barrier_t *start;
    int status;
    char id[64];
    char message[160];
    char transport[160];
} racer_t;

static void *race(void *arg)
{
    racer_t *r = arg;
    reservation_form_t f;
    reservation_form(&f, LAST_ROOMS, r->in, 2, 1, r->hold_seconds, NULL);
    pthread_barrier_wait(r->start);
    answer_t a = vendor("POST", "postReservation", KEY, f.pairs);
    r->status = a.status;
    snprintf(r->transport, sizeof r->transport, "%s", a.transport);
    json_object *v = NULL;
    if (a.json && json_object_object_get_ex(a.json, "reservationID", &v))
        snprintf(r->id, sizeof r->id, "%s", json_object_get_string(v));
    if (a.json && json_object_object_get_ex(a.json, "message", &v))
        snprintf(r->message, sizeof r->message, "%s", json_object_get_string(v));
    answer_clear(&a);
    return NULL;
}

static void *release(void *arg)
{
    racer_t *r = arg;
    pthread_barrier_wait(r->start);
    answer_t a = put_status(r->id, "canceled");
    r->status = a.status;
    snprintf(r->transport, sizeof r->transport, "%s", a.transport);
    answer_clear(&a);
    return NULL;
}

/* Runs RACERS threads of `fn` at once over `racers`. */
static void run_racers(racer_t *racers, void *(*fn)(void *))
{
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, RACERS);
    pthread_t threads[RACERS];
    for (int i = 0; i < RACERS; i++) {
        racers[i].start = &start;
        ck_assert_int_eq(pthread_create(&threads[i], NULL, fn, &racers[i]), 0);
    }
    for (int i = 0; i < RACERS; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&start);
}

/* Runs the race for the 3 rooms of LAST_ROOMS; returns how many won. */
static int race_for_last_rooms(racer_t *racers, dates_day_t in, int hold_seconds)
{
    char night[DATES_ISO_LEN + 1], expected[96];
    iso(in, night);
    snprintf(expected, sizeof expected, "No availability for room type %s on %s", LAST_ROOMS,
             night);
    for (int i = 0; i < RACERS; i++)
        racers[i] = (racer_t){.in = in, .hold_seconds = hold_seconds};
    run_racers(racers, race);
    int won = 0;
    for (int i = 0; i < RACERS; i++) {
        if (racers[i].status == 200) {
            won++;
            continue;
        }
        ck_assert_msg(racers[i].status == 409, "racer %d: %d %s", i, racers[i].status,
                      racers[i].transport);
        ck_assert_str_eq(racers[i].message, expected);
    }
    return won;
}

START_TEST(test_many_threads_holding_the_last_rooms_never_overbook)
{
    dates_day_t in = dates_today_utc() + 12;
    racer_t racers[RACERS];
    ck_assert_int_eq(race_for_last_rooms(racers, in, 180), 3);
    ck_assert_int_eq(available_on(LAST_ROOMS, in), 0);
    ck_assert_int_eq(available_on(LAST_ROOMS, in + 1), 0);
    answer_t ledger = control("GET", "/_sandbox/ledger?propertyID=" HOTEL, NULL);
    ck_assert_int_eq(json_object_get_int(member(member(ledger.json, "summary"), "openHolds")), 3);
    answer_clear(&ledger);

    /* Every thread releases one of the 3 holds (each hold by ~13 threads at once). */
    int winner = 0;
    racer_t releasers[RACERS];
    for (int i = 0; i < RACERS; i++) {
        while (racers[winner % RACERS].status != 200)
            winner++;
        releasers[i] = (racer_t){0};
        snprintf(releasers[i].id, sizeof releasers[i].id, "%s", racers[winner % RACERS].id);
        winner++;
    }
    run_racers(releasers, release);
    for (int i = 0; i < RACERS; i++)
        ck_assert_msg(releasers[i].status == 200, "releaser %d: %d %s", i, releasers[i].status,
                      releasers[i].transport);
    ck_assert_int_eq(available_on(LAST_ROOMS, in), 3);
    ck_assert_int_eq(available_on(LAST_ROOMS, in + 1), 3);
    ck_assert_int_eq(available_on(LAST_ROOMS, in + 2), 3);
}
END_TEST

START_TEST(test_holds_won_in_a_race_expire_back_to_exactly_the_rooms_there_were)
{
    dates_day_t in = dates_today_utc() + 14;
    racer_t racers[RACERS];
    ck_assert_int_eq(race_for_last_rooms(racers, in, 2), 3);
    ck_assert_int_eq(available_on(LAST_ROOMS, in), 0);
    ck_assert(TS_POLL_UNTIL(available_on(LAST_ROOMS, in) != 0, WAIT_MS));
    ck_assert_int_eq(available_on(LAST_ROOMS, in), 3);
    ck_assert_int_eq(available_on(LAST_ROOMS, in + 1), 3);
    answer_t ledger = control("GET", "/_sandbox/ledger?propertyID=" HOTEL, NULL);
    json_object *summary = member(ledger.json, "summary");
    ck_assert_int_eq(json_object_get_int(member(summary, "openHolds")), 0);
    ck_assert_int_eq(json_object_get_int(member(summary, "canceled")), 3);
    answer_clear(&ledger);
    /* And the rooms can be sold again, to exactly 3 more. */
    ck_assert_int_eq(race_for_last_rooms(racers, in, 180), 3);
}
END_TEST

/* ------------------------------------------------------- webhooks -- */

static json_object *wait_for_event(const char *path, const char *type, const char *needle)
{
    json_object *ev = NULL;
    bool signed_ok = false;
    ck_assert_msg(TS_POLL_UNTIL((ev = inbox_find(path, type, needle, &signed_ok)) != NULL, WAIT_MS),
                  "no %s webhook at %s", type, path);
    ck_assert_msg(signed_ok, "the %s webhook's signature does not verify", type);
    return ev;
}

START_TEST(test_front_desk_changes_send_signed_webhooks)
{
    dates_day_t from = dates_today_utc() + 40;
    char f[DATES_ISO_LEN + 1], t[DATES_ISO_LEN + 1], body[256];
    iso(from, f);
    iso(from + 1, t);
    snprintf(body, sizeof body,
             "{\"propertyID\":\"%s\",\"roomTypeID\":\"%s\",\"from\":\"%s\",\"to\":\"%s\","
             "\"available\":2}",
             HOTEL, ROOM, f, t);
    answer_t a = control("POST", "/_sandbox/frontdesk/availability", body);
    ck_assert_int_eq(a.status, 200);
    answer_clear(&a);
    ck_assert_int_eq(available_on(ROOM, from + 1), 2);
    json_object *ev = wait_for_event("/hook", "inventory_update", f);
    ck_assert_str_eq(text_of(ev, "vendor"), "cloudbeds");
    ck_assert_str_eq(text_of(ev, "hotelId"), HOTEL);
    ck_assert_int_eq(strncmp(text_of(ev, "eventId"), "evt_", 4), 0);
    json_object *data = member(ev, "data");
    ck_assert_str_eq(text_of(data, "roomTypeId"), ROOM);
    ck_assert_str_eq(text_of(data, "from"), f);
    ck_assert_str_eq(text_of(data, "to"), t);
    json_object *night = json_object_array_get_idx(member(data, "nights"), 1);
    ck_assert_int_eq(json_object_get_int(member(night, "available")), 2);
    ck_assert_int_eq(json_object_get_int(member(night, "total")), 10);
    json_object_put(ev);

    snprintf(body, sizeof body,
             "{\"propertyID\":\"%s\",\"roomTypeID\":\"%s\",\"from\":\"%s\",\"to\":\"%s\","
             "\"rate\":99000}",
             HOTEL, ROOM, f, f);
    a = control("POST", "/_sandbox/frontdesk/rate", body);
    ck_assert_int_eq(a.status, 200);
    answer_clear(&a);
    ev = wait_for_event("/hook", "rate_update", f);
    json_object *rate = json_object_array_get_idx(member(member(ev, "data"), "nights"), 0);
    ck_assert_int_eq(json_object_get_int64(member(rate, "amount")), 99000);
    ck_assert_str_eq(text_of(rate, "currency"), "KRW");
    json_object_put(ev);

    a = post_reservation(ROOM, from, 1, 1, 0, NULL);
    ck_assert_int_eq(a.status, 200);
    ck_assert_int_eq(json_object_get_int64(member(a.json, "grandTotal")), 99000);
    char id[64];
    snprintf(id, sizeof id, "%s", text_of(a.json, "reservationID"));
    answer_clear(&a);
    ev = wait_for_event("/hook", "booking_confirm", id);
    ck_assert_str_eq(text_of(member(ev, "data"), "status"), "confirmed");
    json_object_put(ev);
    snprintf(body, sizeof body, "{\"propertyID\":\"%s\",\"reservationID\":\"%s\"}", HOTEL, id);
    a = control("POST", "/_sandbox/frontdesk/cancel", body);
    ck_assert_int_eq(a.status, 200);
    ck_assert_str_eq(text_of(a.json, "status"), "canceled");
    answer_clear(&a);
    expect_status(id, "canceled");
    ck_assert_int_eq(available_on(ROOM, from), 2);
    ev = wait_for_event("/hook", "booking_cancel", id);
    json_object *bd = member(ev, "data");
    ck_assert_str_eq(text_of(bd, "reservationId"), id);
    ck_assert_str_eq(text_of(bd, "roomTypeId"), ROOM);
    ck_assert_str_eq(text_of(bd, "checkIn"), f);
    ck_assert_str_eq(text_of(bd, "checkOut"), t);
    ck_assert_str_eq(text_of(bd, "status"), "cancelled");
    json_object_put(ev);

    a = control("GET", "/_sandbox/webhooks/deliveries", NULL);
    ck_assert_int_eq(a.status, 200);
    ck_assert_int_ge(json_object_get_int(member(a.json, "delivered")), 4);
    ck_assert_ptr_null(strstr(json_object_to_json_string(a.json), SECRET));
    answer_clear(&a);
}
END_TEST

START_TEST(test_post_webhook_subscribers_get_the_property_events)
{
    char url[128];
    snprintf(url, sizeof url, "%s/sub", receiver_url);
    const char *form[] = {"propertyID", HOTEL,         "object", "reservation", "action",
                          "created",    "endpointUrl", url,      NULL};
    answer_t a = vendor("POST", "postWebhook", KEY, form);
    ck_assert_int_eq(a.status, 200);
    char sub[64];
    snprintf(sub, sizeof sub, "%s", text_of(member(a.json, "data"), "subscriptionID"));
    answer_clear(&a);
    const char *q[] = {"propertyID", HOTEL, NULL};
    a = vendor("GET", "getWebhooks", KEY, q);
    ck_assert_int_eq(json_object_array_length(member(a.json, "data")), 1);
    ck_assert_str_eq(text_of(json_object_array_get_idx(member(a.json, "data"), 0), "id"), sub);
    answer_clear(&a);

    a = post_reservation(ROOM, dates_today_utc() + 3, 1, 1, 60, NULL);
    ck_assert_int_eq(a.status, 200);
    answer_clear(&a);
    json_object *ev = wait_for_event("/sub", "inventory_update", ROOM);
    json_object_put(ev);

    const char *del[] = {"subscriptionID", sub, NULL};
    a = vendor("DELETE", "deleteWebhook", KEY, del);
    ck_assert_int_eq(a.status, 200);
    answer_clear(&a);
    expect_vendor_error(vendor("DELETE", "deleteWebhook", KEY, del), 404, sub);
    const char *bad[] = {"object",      "reservation",         "action", "created",
                         "endpointUrl", "ftp://example.com/x", NULL};
    expect_vendor_error(vendor("POST", "postWebhook", KEY, bad), 400, "endpointUrl");
}
END_TEST

START_TEST(test_a_hotel_with_webhooks_switched_off_sends_none)
{
    answer_t a =
        control("POST", "/_sandbox/webhooks", "{\"propertyID\":\"" HOTEL "\",\"enabled\":false}");
    ck_assert_int_eq(a.status, 200);
    answer_clear(&a);
    a = post_reservation(ROOM, dates_today_utc() + 3, 1, 1, 0, NULL);
    ck_assert_int_eq(a.status, 200);
    answer_clear(&a);
    /* Another hotel still sends: its event arriving shows the queue ran past ours. */
    char body[256], d[DATES_ISO_LEN + 1];
    iso(dates_today_utc() + 3, d);
    snprintf(body, sizeof body,
             "{\"propertyID\":\"hotel_tokyo\",\"roomTypeID\":\"tokyo_tatami\",\"from\":\"%s\","
             "\"to\":\"%s\",\"available\":1}",
             d, d);
    a = control("POST", "/_sandbox/frontdesk/availability", body);
    ck_assert_int_eq(a.status, 200);
    answer_clear(&a);
    json_object *ev = wait_for_event("/hook", "inventory_update", "hotel_tokyo");
    json_object_put(ev);
    ck_assert_ptr_null(inbox_find("/hook", "inventory_update", HOTEL, NULL));
    ck_assert_ptr_null(inbox_find("/hook", "booking_confirm", HOTEL, NULL));
    a = control("GET", "/_sandbox/webhooks/deliveries", NULL);
    ck_assert_int_ge(json_object_get_int(member(a.json, "suppressed")), 2);
    answer_clear(&a);
}
END_TEST

/* ------------------------------------------------- auth and faults -- */

START_TEST(test_the_api_key_must_be_the_property_s_own)
{
    const char *q[] = {"propertyID", HOTEL, NULL};
    expect_vendor_error(vendor("GET", "getHotelDetails", NULL, q), 401, "Invalid API key");
    expect_vendor_error(vendor("GET", "getHotelDetails", "cbk_wrong", q), 401, "Invalid API key");
    expect_vendor_error(vendor("GET", "getHotelDetails", "cbk_sandbox_hotel_busan", q), 401,
                        "Invalid API key");
    const char *unknown[] = {"propertyID", "hotel_nowhere", NULL};
    expect_vendor_error(vendor("GET", "getHotelDetails", KEY, unknown), 404, "hotel_nowhere");

    /* Bearer works too, and X-PROPERTY-ID names the property when the parameter is absent. */
    http_client_response_t r;
    const char *headers[] = {"Authorization: Bearer cbk_sandbox_hotel_busan",
                             "X-PROPERTY-ID: hotel_busan", NULL};
    answer_t a =
        answer_of(http_client_get(client, "/api/v1.3/getHotelDetails", NULL, headers, &r), &r);
    ck_assert_int_eq(a.status, 200);
    ck_assert_str_eq(text_of(member(a.json, "data"), "propertyID"), "hotel_busan");
    answer_clear(&a);
    const char *mismatch[] = {"x-api-key: " KEY, "X-PROPERTY-ID: hotel_busan", NULL};
    a = answer_of(http_client_get(client, "/api/v1.3/getHotelDetails", NULL, mismatch, &r), &r);
    ck_assert_int_eq(a.status, 401);
    answer_clear(&a);
}
END_TEST

START_TEST(test_injected_faults_fail_the_named_method_then_clear)
{
    answer_t a = control("POST", "/_sandbox/faults",
                         "{\"op\":\"postReservation\",\"status\":503,\"failNext\":2}");
    ck_assert_int_eq(a.status, 201);
    answer_clear(&a);
    dates_day_t in = dates_today_utc() + 9;
    for (int i = 0; i < 2; i++)
        expect_vendor_error(post_reservation(ROOM, in, 1, 1, 60, NULL), 503, "");
    ck_assert_int_eq(available_on(ROOM, in), 10);
    a = post_reservation(ROOM, in, 1, 1, 60, NULL);
    ck_assert_int_eq(a.status, 200);
    answer_clear(&a);
    const char *q[] = {"propertyID", HOTEL, NULL};
    a = control("POST", "/_sandbox/faults", "{\"down\":true}");
    ck_assert_int_eq(a.status, 201);
    answer_clear(&a);
    expect_vendor_error(vendor("GET", "getHotelDetails", KEY, q), 503, "");
    a = control("POST", "/_sandbox/reset", NULL);
    ck_assert_int_eq(a.status, 200);
    answer_clear(&a);
    a = vendor("GET", "getHotelDetails", KEY, q);
    ck_assert_int_eq(a.status, 200);
    answer_clear(&a);
}
END_TEST

/* ------------------------------------------- request limit, stats -- */

/* A getHotelDetails of the property: its status, its Retry-After in ms (-1
 * when absent) and the body (in body, when not NULL). */
static int hotel_details_answer(const char *property, const char *key, long *retry_after_ms,
                                char *body, size_t body_size)
{
    char path[128], auth[128];
    snprintf(path, sizeof path, "/api/v1.3/getHotelDetails?propertyID=%s", property);
    snprintf(auth, sizeof auth, "x-api-key: %s", key);
    const char *headers[] = {auth, NULL};
    http_client_response_t r;
    http_client_err_t err = http_client_request(client, "GET", path, NULL, headers, NULL, 0, &r);
    ck_assert_msg(err == HTTP_CLIENT_OK, "%s", http_client_err_name(err));
    int status = r.status;
    *retry_after_ms = r.retry_after_ms;
    if (body)
        snprintf(body, body_size, "%s", r.body ? r.body : "");
    http_client_response_clear(&r);
    return status;
}

static int hotel_details_status(const char *property, const char *key, long *retry_after_ms)
{
    return hotel_details_answer(property, key, retry_after_ms, NULL, 0);
}

/* GET /_sandbox/stats?propertyID=: the property's count of `method` (0 when
 * absent) and, through *limited, its 429s. */
static long stats_of(const char *property, const char *method, long *limited)
{
    const char *q[] = {"propertyID", property, NULL};
    json_object *o = ts_sandbox_get_json(&sb, "/_sandbox/stats", q), *n;
    json_object *methods = member(member(o, "requests"), property);
    long count = json_object_object_get_ex(methods, method, &n) ? json_object_get_int64(n) : 0;
    *limited = json_object_get_int64(member(member(o, "rateLimited"), property));
    json_object_put(o);
    return count;
}

START_TEST(test_a_property_over_its_request_limit_gets_429_with_retry_after)
{
    answer_t a = control("POST", "/_sandbox/limits", "{\"perSecond\":1,\"burst\":3}");
    ck_assert_int_eq(a.status, 200);
    ck_assert_double_eq(json_object_get_double(member(a.json, "perSecond")), 1);
    ck_assert_double_eq(json_object_get_double(member(a.json, "burst")), 3);
    answer_clear(&a);
    /* One token a second: however slow this machine, 20 calls cannot all pass. */
    long retry_after_ms = -1;
    char body[512] = "";
    int passed = 0, status = 0, sent = 0;
    while (sent < 20 && (status = hotel_details_answer(HOTEL, KEY, &retry_after_ms, body,
                                                       sizeof body)) == 200)
        passed++, sent++;
    sent++;
    ck_assert_int_eq(status, 429);
    ck_assert_int_ge(passed, 3); /* the burst */
    ck_assert_int_ge(retry_after_ms, 1000); /* whole seconds */
    ck_assert_msg(strstr(body, "\"success\":false") && strstr(body, "API rate limit exceeded"),
                  "429 body: %s", body);
    /* The limit is per property: another hotel is not affected. */
    ck_assert_int_eq(hotel_details_status("hotel_nyc", "cbk_sandbox_hotel_nyc", &retry_after_ms),
                     200);
    long limited = 0;
    ck_assert_int_eq(stats_of(HOTEL, "getHotelDetails", &limited), sent);
    ck_assert_int_eq(limited, sent - passed);
    ck_assert_int_eq(stats_of("hotel_nyc", "getHotelDetails", &limited), 1);
    ck_assert_int_eq(limited, 0);
}
END_TEST

START_TEST(test_request_counters_clear_and_the_limit_survives_a_reset)
{
    const char *q[] = {"propertyID", HOTEL, NULL};
    answer_t a = vendor("GET", "getRoomTypes", KEY, q);
    ck_assert_int_eq(a.status, 200);
    answer_clear(&a);
    long limited = -1;
    ck_assert_int_eq(stats_of(HOTEL, "getRoomTypes", &limited), 1);
    ck_assert_int_eq(limited, 0);
    /* Unauthenticated calls never reach a property: not counted. */
    expect_vendor_error(vendor("GET", "getRoomTypes", "cbk_wrong", q), 401, "Invalid API key");
    ck_assert_int_eq(stats_of(HOTEL, "getRoomTypes", &limited), 1);
    a = control("DELETE", "/_sandbox/stats", NULL);
    ck_assert_int_eq(a.status, 200);
    answer_clear(&a);
    ck_assert_int_eq(stats_of(HOTEL, "getRoomTypes", &limited), 0);

    a = control("POST", "/_sandbox/limits", "{\"perSecond\":2}");
    ck_assert_int_eq(a.status, 200);
    ck_assert_double_eq(json_object_get_double(member(a.json, "burst")), 2); /* = the rate */
    answer_clear(&a);
    a = vendor("GET", "getRoomTypes", KEY, q);
    answer_clear(&a);
    a = control("POST", "/_sandbox/reset", NULL);
    ck_assert_int_eq(a.status, 200);
    answer_clear(&a);
    ck_assert_int_eq(stats_of(HOTEL, "getRoomTypes", &limited), 0);
    json_object *o = ts_sandbox_get_json(&sb, "/_sandbox/limits", NULL);
    ck_assert_double_eq(json_object_get_double(member(o, "perSecond")), 2);
    json_object_put(o);
    /* perSecond 0 switches the limit off. */
    a = control("POST", "/_sandbox/limits", "{\"perSecond\":0}");
    ck_assert_int_eq(a.status, 200);
    answer_clear(&a);
    long retry_after_ms = 0;
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(hotel_details_status(HOTEL, KEY, &retry_after_ms), 200);
    ck_assert_int_eq(stats_of(HOTEL, "getHotelDetails", &limited), 10);
    ck_assert_int_eq(limited, 0);
    /* Bad limits are refused naming the field. */
    static const struct {
        const char *body, *field;
    } bad[] = {{"{}", "perSecond"},
               {"{\"perSecond\":-1}", "perSecond"},
               {"{\"perSecond\":1.5}", "perSecond"},
               {"{\"perSecond\":5,\"burst\":0}", "burst"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        a = control("POST", "/_sandbox/limits", bad[i].body);
        ck_assert_msg(a.status == 400, "%s: %d", bad[i].body, a.status);
        ck_assert_str_eq(text_of(a.json, "field"), bad[i].field);
        answer_clear(&a);
    }
}
END_TEST

/* ---------------------------------------------- control endpoints -- */

START_TEST(test_reset_reloads_the_seed_and_forgets_every_reservation)
{
    dates_day_t in = dates_today_utc() + 10;
    answer_t a = post_reservation(ROOM, in, 2, 5, 0, NULL);
    ck_assert_int_eq(a.status, 200);
    char id[64];
    snprintf(id, sizeof id, "%s", text_of(a.json, "reservationID"));
    answer_clear(&a);
    ck_assert_int_eq(available_on(ROOM, in), 5);
    a = control("POST", "/_sandbox/reset", NULL);
    ck_assert_int_eq(a.status, 200);
    ck_assert_int_eq(json_object_get_int(member(a.json, "hotels")), 7); /* the seed's hotels */
    answer_clear(&a);
    ck_assert_int_eq(available_on(ROOM, in), 10);
    const char *q[] = {"propertyID", HOTEL, "reservationID", id, NULL};
    expect_vendor_error(vendor("GET", "getReservation", KEY, q), 404, id);
    a = control("GET", "/_sandbox/ledger", NULL);
    ck_assert_int_eq(json_object_array_length(member(a.json, "reservations")), 0);
    answer_clear(&a);
}
END_TEST

START_TEST(test_the_ledger_lists_every_reservation_with_its_state)
{
    dates_day_t in = dates_today_utc() + 11;
    answer_t hold = post_reservation(ROOM, in, 1, 1, 120, "tp-1");
    answer_t booked = post_reservation(ROOM, in, 2, 2, 0, NULL);
    answer_t gone = post_reservation(ROOM, in, 1, 1, 120, NULL);
    char gone_id[64];
    snprintf(gone_id, sizeof gone_id, "%s", text_of(gone.json, "reservationID"));
    answer_t c = put_status(gone_id, "canceled");
    ck_assert_int_eq(c.status, 200);
    answer_clear(&c);
    answer_t a = control("GET", "/_sandbox/ledger?propertyID=" HOTEL, NULL);
    ck_assert_int_eq(a.status, 200);
    json_object *summary = member(a.json, "summary");
    ck_assert_int_eq(json_object_get_int(member(summary, "openHolds")), 1);
    ck_assert_int_eq(json_object_get_int(member(summary, "confirmed")), 1);
    ck_assert_int_eq(json_object_get_int(member(summary, "canceled")), 1);
    json_object *first = json_object_array_get_idx(member(a.json, "reservations"), 0);
    ck_assert_str_eq(text_of(first, "reservationID"), text_of(hold.json, "reservationID"));
    ck_assert_str_eq(text_of(first, "status"), "not_confirmed");
    ck_assert(json_object_get_boolean(member(first, "isHold")));
    ck_assert_str_eq(text_of(first, "thirdPartyIdentifier"), "tp-1");
    ck_assert_str_eq(text_of(first, "currency"), "KRW");
    ck_assert_ptr_nonnull(text_of(first, "holdExpiresAt"));
    json_object *second = json_object_array_get_idx(member(a.json, "reservations"), 1);
    ck_assert_int_eq(json_object_get_int(member(second, "quantity")), 2);
    ck_assert_int_eq(json_object_get_int64(member(second, "grandTotal")),
                     json_object_get_int64(member(booked.json, "grandTotal")));
    answer_clear(&a);
    answer_clear(&hold);
    answer_clear(&booked);
    answer_clear(&gone);
    a = control("GET", "/_sandbox/ledger?propertyID=nowhere", NULL);
    ck_assert_int_eq(a.status, 404);
    answer_clear(&a);
}
END_TEST

START_TEST(test_control_inputs_are_validated_naming_the_field)
{
    static const struct {
        const char *verb, *path, *body;
        int status;
        const char *field;
    } cases[] = {
        {"POST", "/_sandbox/frontdesk/availability", "{", 400, "body"},
        {"POST", "/_sandbox/frontdesk/availability",
         "{\"roomTypeID\":\"room_456\",\"from\":\"2030-01-01\",\"to\":\"2030-01-01\",\"available\":"
         "1}",
         400, "propertyID"},
        {"POST", "/_sandbox/frontdesk/availability",
         "{\"propertyID\":\"hotel_123\",\"roomTypeID\":\"room_456\",\"from\":\"2030-13-01\","
         "\"to\":\"2030-01-01\",\"available\":1}",
         400, "from"},
        {"POST", "/_sandbox/frontdesk/availability",
         "{\"propertyID\":\"hotel_123\",\"roomTypeID\":\"room_456\",\"from\":\"2099-01-01\","
         "\"to\":\"2099-01-01\",\"available\":1}",
         400, "from"},
        {"POST", "/_sandbox/frontdesk/availability",
         "{\"propertyID\":\"hotel_123\",\"roomTypeID\":\"room_456\",\"from\":\"%s\","
         "\"to\":\"%s\",\"available\":11}",
         400, "available"},
        {"POST", "/_sandbox/frontdesk/availability",
         "{\"propertyID\":\"hotel_123\",\"roomTypeID\":\"room_456\",\"from\":\"%s\","
         "\"to\":\"%s\",\"available\":-1}",
         400, "available"},
        {"POST", "/_sandbox/frontdesk/rate",
         "{\"propertyID\":\"hotel_123\",\"roomTypeID\":\"room_456\",\"from\":\"%s\","
         "\"to\":\"%s\",\"rate\":\"cheap\"}",
         400, "rate"},
        {"POST", "/_sandbox/frontdesk/rate",
         "{\"propertyID\":\"hotel_123\",\"roomTypeID\":\"room_456\",\"from\":\"%s\","
         "\"to\":\"%s\",\"rate\":12.5}",
         400, "rate"},
        {"POST", "/_sandbox/frontdesk/rate",
         "{\"propertyID\":\"hotel_123\",\"roomTypeID\":\"nope\",\"from\":\"%s\","
         "\"to\":\"%s\",\"rate\":100}",
         404, "roomTypeID"},
        {"POST", "/_sandbox/frontdesk/cancel", "{\"propertyID\":\"hotel_123\"}", 400,
         "reservationID"},
        {"POST", "/_sandbox/frontdesk/cancel",
         "{\"propertyID\":\"hotel_123\",\"reservationID\":\"42\"}", 404, "reservationID"},
        {"POST", "/_sandbox/webhooks", "{\"propertyID\":\"hotel_123\",\"enabled\":\"yes\"}", 400,
         "enabled"},
        {"POST", "/_sandbox/holds/expire-now", "{}", 400, "reservationID"},
        {"GET", "/_sandbox/inventory?propertyID=hotel_123", NULL, 400, "roomTypeID"},
        {"GET", "/_sandbox/inventory?propertyID=hotel_123&roomTypeID=room_456&from=x", NULL, 400,
         "from"},
        {"POST", "/_sandbox/faults", "{\"op\":\"postReservation\",\"status\":42}", 400, NULL},
    };
    char today[DATES_ISO_LEN + 1];
    iso(dates_today_utc(), today);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char body[512];
        if (cases[i].body)
            snprintf(body, sizeof body, cases[i].body, today, today);
        answer_t a = control(cases[i].verb, cases[i].path, cases[i].body ? body : NULL);
        ck_assert_msg(a.status == cases[i].status, "case %zu: status %d, expected %d", i, a.status,
                      cases[i].status);
        ck_assert_msg(a.json != NULL, "case %zu: not JSON", i);
        if (cases[i].field)
            ck_assert_msg(strcmp(text_of(a.json, "field"), cases[i].field) == 0,
                          "case %zu: field %s, expected %s", i, text_of(a.json, "field"),
                          cases[i].field);
        answer_clear(&a);
    }
}
END_TEST

START_TEST(test_expire_now_ends_a_hold_at_once)
{
    dates_day_t in = dates_today_utc() + 15;
    answer_t a = post_reservation(ROOM, in, 1, 2, 600, NULL);
    char id[64], body[128];
    snprintf(id, sizeof id, "%s", text_of(a.json, "reservationID"));
    answer_clear(&a);
    snprintf(body, sizeof body, "{\"reservationID\":\"%s\"}", id);
    a = control("POST", "/_sandbox/holds/expire-now", body);
    ck_assert_int_eq(a.status, 200);
    ck_assert_str_eq(text_of(a.json, "cancelReason"), "expired");
    answer_clear(&a);
    ck_assert_int_eq(available_on(ROOM, in), 10);
    expect_vendor_error(put_status(id, "confirmed"), 409, "is canceled");
    a = control("POST", "/_sandbox/holds/expire-now", body);
    ck_assert_int_eq(a.status, 409);
    answer_clear(&a);
}
END_TEST

/* ------------------------------------------------ malformed input -- */

/* Sends a raw request body with curl; returns the status and fills `body`. */
static int raw_request(const char *verb, const char *path, const char *content_type,
                       const char *data, size_t len, char *body, size_t body_size)
{
    http_client_response_t r;
    char ct[128];
    snprintf(ct, sizeof ct, "Content-Type: %s", content_type);
    const char *headers[] = {"x-api-key: " KEY, ct, NULL};
    http_client_err_t err = http_client_request(client, verb, path, NULL, headers, data, len, &r);
    int status = err == HTTP_CLIENT_OK ? r.status : 0;
    snprintf(body, body_size, "%s", r.body ? r.body : "");
    http_client_response_clear(&r);
    return status;
}

/* Sends only the headers of a POST declaring `declared` body bytes and reads
 * the answer; its status (0 when none) and body. */
static int oversize_request(const char *path, size_t declared, char *body, size_t body_size)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char req[512];
    int n = snprintf(req, sizeof req,
                     "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: " KEY
                     "\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     path, declared);
    ck_assert_int_eq(write(fd, req, (size_t)n), n);
    char buf[4096];
    size_t got = 0;
    ssize_t r;
    while (got < sizeof buf - 1 && (r = read(fd, buf + got, sizeof buf - 1 - got)) > 0) {
        got += (size_t)r;
        buf[got] = '\0';
        const char *end = strstr(buf, "\r\n\r\n");
        const char *cl = strcasestr(buf, "content-length:");
        if (end && cl && got >= (size_t)(end + 4 - buf) + strtoul(cl + 15, NULL, 10))
            break;
    }
    close(fd);
    buf[got] = '\0';
    int status = 0;
    sscanf(buf, "HTTP/1.%*d %d", &status);
    const char *sep = strstr(buf, "\r\n\r\n");
    snprintf(body, body_size, "%s", sep ? sep + 4 : "");
    return status;
}

START_TEST(test_malformed_requests_get_vendor_errors_and_the_sandbox_stays_up)
{
    char in[DATES_ISO_LEN + 1], out[DATES_ISO_LEN + 1], far[DATES_ISO_LEN + 1];
    iso(dates_today_utc() + 5, in);
    iso(dates_today_utc() + 7, out);
    iso(dates_today_utc() + 60, far);
    char good[512];
    snprintf(good, sizeof good,
             "propertyID=hotel_123&startDate=%s&endDate=%s&guestFirstName=A&guestLastName=B"
             "&guestCountry=KR&guestEmail=a%%40example.com&rooms%%5B0%%5D%%5BroomTypeID%%5D="
             "room_456&rooms%%5B0%%5D%%5Bquantity%%5D=1&adults%%5B0%%5D%%5Bquantity%%5D=2"
             "&paymentMethod=cash",
             in, out);
    static const struct {
        const char *verb, *path, *content_type;
        const char *body; /* "%G" = the good form followed by the rest */
        int status;
        const char *message;
    } cases[] = {
        {"GET", "/api/v1.3/getRatePlans", "text/plain", NULL, 400,
         "Parameter startDate is required"},
        {"GET", "/api/v1.3/getRatePlans?startDate=2025-02-30&endDate=2025-03-01", "text/plain",
         NULL, 400, "Invalid date format for startDate, expected YYYY-MM-DD"},
        {"GET", "/api/v1.3/getRatePlans?startDate=tomorrow&endDate=2025-03-01", "text/plain", NULL,
         400, "Invalid date format for startDate"},
        {"GET",
         "/api/v1.3/getAvailableRoomTypes?startDate="
         "%I"
         "&endDate="
         "%I",
         "text/plain", NULL, 400, "endDate must be after startDate"},
        {"GET",
         "/api/v1.3/getAvailableRoomTypes?startDate=%I&endDate=%O&rooms=999999999999999999999",
         "text/plain", NULL, 400, "Parameter rooms must be an integer"},
        {"GET", "/api/v1.3/getAvailableRoomTypes?startDate=%I&endDate=%O&adults=-1", "text/plain",
         NULL, 400, "Parameter adults"},
        {"GET", "/api/v1.3/getRatePlans?startDate=%I&endDate=%O&detailedRates=maybe", "text/plain",
         NULL, 400, "detailedRates"},
        {"GET", "/api/v1.3/getReservation", "text/plain", NULL, 400,
         "Parameter reservationID is required"},
        {"GET", "/api/v1.3/getReservation?reservationID=%ff%fe", "text/plain", NULL, 400,
         "not valid UTF-8"},
        {"GET", "/api/v1.3/noSuchMethod", "text/plain", NULL, 404, "Unknown API method"},
        {"GET", "/api/v1.3/getHotelDetails/extra", "text/plain", NULL, 404, "Unknown API method"},
        {"DELETE", "/api/v1.3/getHotelDetails", "text/plain", NULL, 405, "must be called with"},
        {"POST", "/api/v1.3/postReservation", "application/x-www-form-urlencoded", "rooms[0]=%zz",
         400, "Malformed form body"},
        {"POST", "/api/v1.3/postReservation", "application/json", "{\"propertyID\":1}", 400,
         "application/x-www-form-urlencoded"},
        {"POST", "/api/v1.3/postReservation", "application/x-www-form-urlencoded", "", 400,
         "Parameter startDate is required"},
        {"POST", "/api/v1.3/postReservation", "application/x-www-form-urlencoded",
         "%G&guestEmail=x", 200, NULL},
        {"POST", "/api/v1.3/postReservation", "application/x-www-form-urlencoded",
         "startDate=%I&endDate=%F", 400, "at most 30 nights"},
        {"POST", "/api/v1.3/postReservation", "application/x-www-form-urlencoded",
         "%G&rooms%5B1%5D%5BroomTypeID%5D=room_457", 400, "Only rooms[0]"},
        {"PUT", "/api/v1.3/putReservation", "application/x-www-form-urlencoded",
         "reservationID=1&status=", 400, "Parameter status is required"},
        {"PUT", "/api/v1.3/putReservation", "application/x-www-form-urlencoded",
         "reservationID=1&status=exploded", 400, "Parameter status must be"},
        {"PUT", "/api/v1.3/putReservation", "application/x-www-form-urlencoded",
         "reservationID="
         "99999999999999999999999999999999999999999999999999&status=canceled",
         404, "Reservation not found"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        /* Expand %I / %O / %F (dates) and %G (the good form) in path and body. */
        char path[512] = "", body[4096] = "";
        const char *srcs[2] = {cases[i].path, cases[i].body ? cases[i].body : ""};
        char *dsts[2] = {path, body};
        size_t caps[2] = {sizeof path, sizeof body};
        for (int k = 0; k < 2; k++) {
            size_t n = 0;
            for (const char *p = srcs[k]; *p && n + 300 < caps[k]; p++) {
                const char *sub = NULL;
                if (p[0] == '%' && p[1] == 'I')
                    sub = in;
                else if (p[0] == '%' && p[1] == 'O')
                    sub = out;
                else if (p[0] == '%' && p[1] == 'F')
                    sub = far;
                else if (p[0] == '%' && p[1] == 'G' && k == 1)
                    sub = good;
                if (sub) {
                    n += (size_t)snprintf(dsts[k] + n, caps[k] - n, "%s", sub);
                    p++;
                } else {
                    dsts[k][n++] = *p;
                    dsts[k][n] = '\0';
                }
            }
        }
        char answer[2048];
        int status = raw_request(cases[i].verb, path, cases[i].content_type,
                                 cases[i].body ? body : NULL, strlen(body), answer, sizeof answer);
        ck_assert_msg(status == cases[i].status, "case %zu (%s %s): status %d, expected %d: %s", i,
                      cases[i].verb, path, status, cases[i].status, answer);
        json_object *o = json_tokener_parse(answer);
        ck_assert_msg(o != NULL, "case %zu: answer is not JSON: %s", i, answer);
        if (cases[i].message) {
            ck_assert(!json_object_get_boolean(member(o, "success")));
            ck_assert_msg(strstr(text_of(o, "message"), cases[i].message) != NULL,
                          "case %zu: message '%s' lacks '%s'", i, text_of(o, "message"),
                          cases[i].message);
        }
        json_object_put(o);
    }
    /* A body over the server's limit is refused whole, as JSON, from its
     * declared length alone, before any of it is read. (Sent by hand: a client
     * streaming 2 MiB races the server's close, which may reset the connection
     * before the 413 is read.) */
    char answer[1024];
    ck_assert_int_eq(
        oversize_request("/api/v1.3/postReservation", 2 * 1024 * 1024, answer, sizeof answer), 413);
    ck_assert_msg(strstr(answer, "\"PAYLOAD_TOO_LARGE\"") != NULL, "413 body: %s", answer);
    /* Garbage bytes: no crash, a 4xx, and the sandbox still answers. */
    unsigned char junk[512];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)(i * 37 + 11);
    int status =
        raw_request("POST", "/api/v1.3/postReservation", "application/x-www-form-urlencoded",
                    (const char *)junk, sizeof junk, answer, sizeof answer);
    ck_assert_int_ge(status, 400);
    ck_assert_int_lt(status, 500);
    ck_assert(ts_proc_alive(sb.proc));
    ck_assert(ts_http_wait_ok(port, "/healthz", 2000));
    const char *q[] = {"propertyID", HOTEL, NULL};
    answer_t a = vendor("GET", "getHotelDetails", KEY, q);
    ck_assert_int_eq(a.status, 200);
    answer_clear(&a);
}
END_TEST

/* -------------------------------------------------- a test's own seed -- */

START_TEST(test_a_seed_file_of_the_test_s_own_is_served)
{
    /* Replace the default sandbox with one on a seed written here. */
    teardown();
    snprintf(seed_file, sizeof seed_file, "%s/it_pms_sandbox_seed_%d.json", LODGING_BINARY_DIR,
             (int)getpid());
    FILE *f = fopen(seed_file, "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\"hotels\":[{\"propertyID\":\"tiny_inn\",\"apiKey\":\"cbk_tiny\",\"name\":\"Tiny Inn\","
          "\"currency\":{\"code\":\"EUR\",\"symbol\":\"€\",\"position\":\"after\"},"
          "\"timezone\":\"Europe/Paris\",\"address\":{\"address1\":\"1 rue\",\"city\":\"Paris\","
          "\"country\":\"FR\",\"latitude\":\"48.85\",\"longitude\":\"2.35\"},"
          "\"roomTypes\":[{\"roomTypeID\":\"attic\",\"name\":\"Attic\",\"shortName\":\"AT\","
          "\"maxGuests\":2,\"units\":1,\"baseRate\":80.25,\"weekendRate\":80.25}]}]}",
          f);
    fclose(f);
    start_with(seed_file);
    char s[DATES_ISO_LEN + 1], e[DATES_ISO_LEN + 1];
    iso(dates_today_utc() + 2, s);
    iso(dates_today_utc() + 4, e);
    const char *q[] = {"startDate", s, "endDate", e, NULL};
    answer_t a = vendor("GET", "getRatePlans", "cbk_tiny", q);
    ck_assert_int_eq(a.status, 200);
    json_object *plan = json_object_array_get_idx(member(a.json, "data"), 0);
    ck_assert_str_eq(text_of(plan, "propertyID"), "tiny_inn");
    ck_assert_str_eq(json_object_to_json_string(member(plan, "totalRate")), "160.50");
    answer_clear(&a);
    const char *hq[] = {"propertyID", HOTEL, NULL};
    expect_vendor_error(vendor("GET", "getHotelDetails", KEY, hq), 401, "Invalid API key");
}
END_TEST

int main(void)
{
    log_init("it_pms_sandbox", LOG_LEVEL_WARN); /* the test's own receiver */
    Suite *s = suite_create("it_pms_sandbox");
    TCase *tc = tcase_create("pms_sandbox");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_hotel_details_and_room_types_come_in_the_vendor_shape);
    tcase_add_test(tc, test_rate_plans_price_every_night_and_take_the_lowest_availability);
    tcase_add_test(tc, test_available_room_types_fit_the_rooms_and_guests_asked_for);
    tcase_add_test(tc, test_a_hold_is_confirmed_read_back_and_canceled_exactly_once);
    tcase_add_test(tc, test_an_expired_hold_gives_its_rooms_back_and_cannot_be_confirmed);
    tcase_add_test(tc, test_a_retry_with_the_same_third_party_identifier_books_once);
    tcase_add_test(tc, test_many_threads_holding_the_last_rooms_never_overbook);
    tcase_add_test(tc, test_holds_won_in_a_race_expire_back_to_exactly_the_rooms_there_were);
    tcase_add_test(tc, test_front_desk_changes_send_signed_webhooks);
    tcase_add_test(tc, test_post_webhook_subscribers_get_the_property_events);
    tcase_add_test(tc, test_a_hotel_with_webhooks_switched_off_sends_none);
    tcase_add_test(tc, test_the_api_key_must_be_the_property_s_own);
    tcase_add_test(tc, test_injected_faults_fail_the_named_method_then_clear);
    tcase_add_test(tc, test_a_property_over_its_request_limit_gets_429_with_retry_after);
    tcase_add_test(tc, test_request_counters_clear_and_the_limit_survives_a_reset);
    tcase_add_test(tc, test_reset_reloads_the_seed_and_forgets_every_reservation);
    tcase_add_test(tc, test_the_ledger_lists_every_reservation_with_its_state);
    tcase_add_test(tc, test_control_inputs_are_validated_naming_the_field);
    tcase_add_test(tc, test_expire_now_ends_a_hold_at_once);
    tcase_add_test(tc, test_malformed_requests_get_vendor_errors_and_the_sandbox_stays_up);
    tcase_add_test(tc, test_a_seed_file_of_the_test_s_own_is_served);
    suite_add_tcase(s, tc);
    return check_run(s);
}
