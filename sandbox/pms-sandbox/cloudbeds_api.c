/*
 * cloudbeds_api.c — routing, authentication, property resolution, parameter
 * readers and responses of the vendor API (see cloudbeds_api.h and
 * cloudbeds_call.h). The methods themselves live in api_catalog.c,
 * api_reservations.c and api_webhooks.c.
 */
#include "cloudbeds_api.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cloudbeds_call.h"
#include "common/log.h"

#define MESSAGE_MAX_LEN 512
#define BEARER_PREFIX "Bearer "
#define FORM_CONTENT_TYPE "application/x-www-form-urlencoded"

/* One vendor method: its name (also the fault-injection op), HTTP method,
 * the name its property parameter has in the vendor's description, handler. */
typedef struct api_method {
    const char *name;
    const char *http_method;
    const char *property_param;
    int (*fn)(api_call_t *call);
} api_method_t;

static const api_method_t METHODS[] = {
    {"getHotelDetails", "GET", "propertyID", api_get_hotel_details},
    {"getTaxesAndFees", "GET", "propertyID", api_get_taxes_and_fees},
    {"getCustomFields", "GET", "propertyID", api_get_custom_fields},
    {"getPaymentMethods", "GET", "propertyID", api_get_payment_methods},
    {"getRoomTypes", "GET", "propertyIDs", api_get_room_types},
    {"getRatePlans", "GET", "propertyIDs", api_get_rate_plans},
    {"getAvailableRoomTypes", "GET", "propertyIDs", api_get_available_room_types},
    {"postReservation", "POST", "propertyID", api_post_reservation},
    {"putReservation", "PUT", "propertyID", api_put_reservation},
    {"getReservation", "GET", "propertyID", api_get_reservation},
    {"getReservations", "GET", "propertyID", api_get_reservations},
    {"postWebhook", "POST", "propertyID", api_post_webhook},
    {"getWebhooks", "GET", "propertyID", api_get_webhooks},
    {"deleteWebhook", "DELETE", "propertyIDs", api_delete_webhook},
};

static const char *const HTTP_METHODS[] = {"GET", "POST", "PUT", "DELETE", "PATCH"};

/* --------------------------------------------------------- responses -- */

void cloudbeds_api_error(http_request_t *req, int status, const char *message, long retry_after_s,
                         void *ctx)
{
    (void)retry_after_s; /* the Retry-After header is already set by the caller */
    (void)ctx;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "success", json_object_new_boolean(0));
    json_object_object_add(o, "message", json_object_new_string(message ? message : "Error"));
    http_respond_json(req, status, o);
    json_object_put(o);
}

/* Answers Cloudbeds' error with a printf-style message. */
static void respond_error_v(http_request_t *req, int status, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void respond_error_v(http_request_t *req, int status, const char *fmt, va_list ap)
{
    char message[MESSAGE_MAX_LEN];
    vsnprintf(message, sizeof message, fmt, ap);
    cloudbeds_api_error(req, status, message, 0, NULL);
}

static int fail_request(http_request_t *req, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_request(http_request_t *req, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    respond_error_v(req, status, fmt, ap);
    va_end(ap);
    return 0;
}

int api_fail(api_call_t *call, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    respond_error_v(call->req, status, fmt, ap);
    va_end(ap);
    return 0;
}

int api_reply_raw(api_call_t *call, json_object *body)
{
    /* an afterCommit fault acts on the answer the method has made: a late
     * read answer still says what the ledger held when it was read */
    if (!call->op || !sandbox_faults_apply_after(call->api->faults, call->req, call->op,
                                                 cloudbeds_api_error, NULL))
        http_respond_json(call->req, 200, body);
    json_object_put(body);
    return 0;
}

int api_reply(api_call_t *call, json_object *data)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "success", json_object_new_boolean(1));
    json_object_object_add(o, "data", data);
    return api_reply_raw(call, o);
}

/* -------------------------------------------------------- parameters -- */

int api_param_fail(api_call_t *call, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    respond_error_v(call->req, status, fmt, ap);
    va_end(ap);
    return -1;
}

/* The raw value: the form body first, then the query string. */
static const char *param_raw(api_call_t *call, const char *name)
{
    const char *v = sandbox_form_get(call->form, name);
    return v ? v : http_request_query(call->req, name);
}

int api_param_text(api_call_t *call, const char *name, bool required, size_t max_len,
                   const char **out)
{
    const char *v = param_raw(call, name);
    *out = NULL;
    if (!v || !*v) {
        if (required)
            return api_param_fail(call, 400, "Parameter %s is required", name);
        return 0;
    }
    size_t len = strlen(v);
    if (!sandbox_form_utf8_valid(v, len))
        return api_param_fail(call, 400, "Parameter %s is not valid UTF-8", name);
    if (len > max_len)
        return api_param_fail(call, 400, "Parameter %s is longer than %zu characters", name,
                              max_len);
    *out = v;
    return 0;
}

int api_param_date(api_call_t *call, const char *name, bool required, dates_day_t *out)
{
    const char *v = NULL;
    if (api_param_text(call, name, required, DATES_ISO_LEN + 16, &v) != 0)
        return -1;
    if (v && dates_parse_iso(v, out) != 0)
        return api_param_fail(call, 400, "Invalid date format for %s, expected YYYY-MM-DD", name);
    return 0;
}

int api_param_int(api_call_t *call, const char *name, bool required, long min, long max, long def,
                  long *out)
{
    const char *v = NULL;
    if (api_param_text(call, name, required, 32, &v) != 0)
        return -1;
    *out = def;
    if (!v)
        return 0;
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || isspace((unsigned char)*v) || n < min || n > max)
        return api_param_fail(call, 400, "Parameter %s must be an integer between %ld and %ld",
                              name, min, max);
    *out = n;
    return 0;
}

int api_param_bool(api_call_t *call, const char *name, bool def, bool *out)
{
    const char *v = NULL;
    if (api_param_text(call, name, false, 8, &v) != 0)
        return -1;
    *out = def;
    if (!v)
        return 0;
    if (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0)
        *out = true;
    else if (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0)
        *out = false;
    else
        return api_param_fail(call, 400, "Parameter %s must be true or false", name);
    return 0;
}

int api_param_stay(api_call_t *call, int max_nights, dates_day_t *start, dates_day_t *end)
{
    if (api_param_date(call, "startDate", true, start) != 0 ||
        api_param_date(call, "endDate", true, end) != 0)
        return -1;
    if (*end <= *start)
        return api_param_fail(call, 400, "Parameter endDate must be after startDate");
    if (*end - *start > max_nights)
        return api_param_fail(
            call, 400, "The stay from startDate to endDate may be at most %d nights", max_nights);
    dates_day_t first, last;
    char from[DATES_ISO_LEN + 1], to[DATES_ISO_LEN + 1];
    ledger_window(call->api->ledger, &first, &last);
    dates_format_iso(first, from);
    dates_format_iso(last + 1, to);
    if (*start < first || *start > last)
        return api_param_fail(
            call, 400, "Parameter startDate must be between %s and %s (the sandbox's inventory)",
            from, to);
    if (*end - 1 > last)
        return api_param_fail(call, 400,
                              "Parameter endDate must be at most %s (the sandbox's inventory)", to);
    return 0;
}

bool api_list_next(const char **p, char *out, size_t size, bool *too_long)
{
    *too_long = false;
    if (!*p || !**p)
        return false;
    size_t n = strcspn(*p, ",");
    const char *s = *p;
    size_t len = n;
    while (len > 0 && isspace((unsigned char)*s))
        s++, len--;
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    *too_long = len >= size;
    snprintf(out, size, "%.*s", *too_long ? 0 : (int)len, s);
    *p += n;
    if (**p == ',')
        (*p)++;
    return true;
}

bool api_list_contains(const char *list, const char *id)
{
    if (!list)
        return true;
    char item[API_ID_MAX_LEN + 1];
    bool too_long = false;
    while (api_list_next(&list, item, sizeof item, &too_long))
        if (!too_long && strcmp(item, id) == 0)
            return true;
    return false;
}

/* ------------------------------------------------------------- JSON -- */

json_object *api_date_json(dates_day_t day)
{
    char text[DATES_ISO_LEN + 1];
    dates_format_iso(day, text);
    return json_object_new_string(text);
}

json_object *api_time_json(int64_t unix_ms)
{
    time_t secs = (time_t)(unix_ms / 1000);
    struct tm tm;
    char text[32];
    gmtime_r(&secs, &tm);
    strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_object_new_string(text);
}

json_object *api_photos_json(const seed_photo_t *photos, size_t n)
{
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "thumb", json_object_new_string(photos[i].thumb));
        json_object_object_add(o, "image", json_object_new_string(photos[i].image));
        json_object_array_add(arr, o);
    }
    return arr;
}

json_object *api_strings_json(char *const *strings, size_t n)
{
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, json_object_new_string(strings[i]));
    return arr;
}

/* ---------------------------------------------------------- dispatch -- */

static const api_method_t *find_method(const char *name)
{
    for (size_t i = 0; name && i < sizeof METHODS / sizeof *METHODS; i++)
        if (strcmp(METHODS[i].name, name) == 0)
            return &METHODS[i];
    return NULL;
}

/* True for a name worth echoing in an error (letters and digits, short). */
static bool is_plain_name(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > API_ID_MAX_LEN)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_')
            return false;
    return true;
}

/* The API key of the request (x-api-key, or Authorization: Bearer), or NULL. */
static const char *request_api_key(http_request_t *req)
{
    const char *key = http_request_header(req, "x-api-key");
    if (key && *key)
        return key;
    const char *auth = http_request_header(req, "Authorization");
    if (auth && strncasecmp(auth, BEARER_PREFIX, strlen(BEARER_PREFIX)) == 0) {
        auth += strlen(BEARER_PREFIX);
        while (*auth == ' ')
            auth++;
        return *auth ? auth : NULL;
    }
    return NULL;
}

/* Parses a POST/PUT body as a form (an empty body is an empty form). */
static int read_form(api_call_t *call)
{
    size_t len = 0;
    const char *body = http_request_body(call->req, &len);
    const char *type = http_request_header(call->req, "Content-Type");
    if (len > 0 && type && strncasecmp(type, FORM_CONTENT_TYPE, strlen(FORM_CONTENT_TYPE)) != 0)
        return api_param_fail(call, 400, "The request body must be %s", FORM_CONTENT_TYPE);
    char err[160];
    call->form = sandbox_form_parse(body, len, err, sizeof err);
    if (!call->form)
        return api_param_fail(call, 400, "%s", err);
    return 0;
}

/* The property the call names: the method's property parameter (a list must
 * name one property), then X-PROPERTY-ID, then the API key's own hotel. */
static int resolve_property(api_call_t *call, const api_method_t *m, const seed_hotel_t *key_hotel)
{
    const char *other = strcmp(m->property_param, "propertyID") == 0 ? "propertyIDs" : "propertyID";
    const char *given = NULL;
    const char *name = m->property_param;
    if (api_param_text(call, m->property_param, false, 1024, &given) != 0)
        return -1;
    if (!given && api_param_text(call, other, false, 1024, &given) != 0)
        return -1;
    if (!given) {
        name = "X-PROPERTY-ID";
        given = http_request_header(call->req, "X-PROPERTY-ID");
        if (given && !sandbox_form_utf8_valid(given, strlen(given)))
            return api_param_fail(call, 400, "Header X-PROPERTY-ID is not valid UTF-8");
    }
    if (!given || !*given) {
        call->hotel = key_hotel;
        return 0;
    }
    char id[API_ID_MAX_LEN + 2];
    size_t n = strcspn(given, ",");
    snprintf(id, sizeof id, "%.*s", (int)(n < sizeof id - 1 ? n : sizeof id - 1), given);
    if (given[n] == ',' && !api_list_contains(given + n + 1, id))
        return api_param_fail(call, 400, "Parameter %s may name only one property here", name);
    if (strlen(id) > API_ID_MAX_LEN || !sandbox_form_utf8_valid(id, strlen(id)))
        return api_param_fail(call, 404, "Property not found");
    const seed_hotel_t *h = seed_find_hotel(call->seed, id);
    if (!h)
        return api_param_fail(call, 404, "Property %s not found", id);
    if (h != key_hotel)
        return api_param_fail(call, 401, "Invalid API key");
    call->hotel = h;
    return 0;
}

/* Counts the call against its property's limit. False after answering 429
 * with Retry-After, as the vendor does to a client over its limit. */
static bool within_limit(api_call_t *call, const api_method_t *m)
{
    long retry_after_s = 0;
    if (!call->api->limits ||
        api_limits_admit(call->api->limits, call->hotel->id, m->name, &retry_after_s))
        return true;
    double per_second = 0, burst = 0;
    api_limits_get(call->api->limits, &per_second, &burst);
    char value[32];
    snprintf(value, sizeof value, "%ld", retry_after_s);
    http_response_header(call->req, "Retry-After", value);
    api_fail(call, 429,
             "API rate limit exceeded: at most %g requests a second for property %s; retry "
             "after %ld s",
             per_second, call->hotel->id, retry_after_s);
    return false;
}

static int run_method(api_call_t *call, const api_method_t *m)
{
    const seed_hotel_t *key_hotel = seed_find_hotel_by_key(call->seed, request_api_key(call->req));
    if (!key_hotel)
        return api_fail(call, 401, "Invalid API key");
    bool has_body = strcmp(m->http_method, "POST") == 0 || strcmp(m->http_method, "PUT") == 0;
    if (has_body && read_form(call) != 0)
        return 0;
    if (resolve_property(call, m, key_hotel) != 0)
        return 0;
    if (!within_limit(call, m))
        return 0;
    return m->fn(call);
}

static int handle_vendor(http_request_t *req, void *ctx)
{
    cloudbeds_api_t *api = ctx;
    const char *name = http_request_param(req, "method");
    const api_method_t *m = find_method(name);
    if (!m)
        return is_plain_name(name) ? fail_request(req, 404, "Unknown API method %s", name)
                                   : fail_request(req, 404, "Unknown API method");
    const char *verb = http_request_method(req);
    if (strcmp(verb, m->http_method) != 0 &&
        !(strcmp(verb, "HEAD") == 0 && strcmp(m->http_method, "GET") == 0)) {
        http_response_header(req, "Allow", m->http_method);
        return fail_request(req, 405, "Method %s must be called with HTTP %s", m->name,
                            m->http_method);
    }
    if (sandbox_faults_apply(api->faults, req, m->name, cloudbeds_api_error, NULL))
        return 0;
    api_call_t call = {.req = req, .api = api, .seed = ledger_seed(api->ledger), .op = m->name};
    int rc = run_method(&call, m);
    sandbox_form_free(call.form);
    seed_unref(call.seed);
    return rc;
}

static int handle_unknown_path(http_request_t *req, void *ctx)
{
    (void)ctx;
    return fail_request(req, 404, "Unknown API method");
}

/* --------------------------------------------------------- lifecycle -- */

cloudbeds_api_t *cloudbeds_api_new(ledger_t *ledger, webhooks_t *webhooks, sandbox_faults_t *faults,
                                   api_limits_t *limits)
{
    cloudbeds_api_t *api = calloc(1, sizeof *api);
    if (!api)
        return NULL;
    api->ledger = ledger;
    api->webhooks = webhooks;
    api->faults = faults;
    api->limits = limits;
    return api;
}

void cloudbeds_api_free(cloudbeds_api_t *api)
{
    free(api);
}

int cloudbeds_api_routes(cloudbeds_api_t *api, http_server_t *srv)
{
    for (size_t i = 0; i < sizeof HTTP_METHODS / sizeof *HTTP_METHODS; i++) {
        const char *verb = HTTP_METHODS[i];
        if (http_server_route(srv, verb, CLOUDBEDS_API_PREFIX "/:method", AUTH_RULE_OPEN,
                              handle_vendor, api) !=
                0 ||
            http_server_route(srv, verb, CLOUDBEDS_API_PREFIX, AUTH_RULE_OPEN, handle_unknown_path,
                              api) != 0 ||
            http_server_route(srv, verb, CLOUDBEDS_API_PREFIX "/:method/:rest", AUTH_RULE_OPEN,
                              handle_unknown_path,
                              api) != 0)
            return -1;
    }
    return 0;
}
