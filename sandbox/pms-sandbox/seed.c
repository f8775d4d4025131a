/*
 * seed.c — loading and validating the demo-hotel seed (see seed.h).
 */
#include "seed.h"

#include <json-c/json.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/json.h"
#include "common/money.h"

#define SEED_TEXT_MAX_LEN 2000
#define SEED_URL_MAX_LEN 1000
#define SEED_MAX_PHOTOS 16
#define SEED_MAX_FEATURES 32

struct seed {
    atomic_int refs;
    seed_hotel_t *hotels;
    size_t hotel_count;
};

/* Where a field is, for error messages: "hotels[1].roomTypes[0]". */
typedef struct seed_parse {
    char where[96];
    char *err;
    size_t err_size;
} seed_parse_t;

/* ----------------------------------------------------------- freeing -- */

static void free_photos(seed_photo_t *photos, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(photos[i].thumb);
        free(photos[i].image);
    }
    free(photos);
}

static void free_room_type(seed_room_type_t *rt)
{
    free(rt->id);
    free(rt->name);
    free(rt->short_name);
    free(rt->description);
    free_photos(rt->photos, rt->photo_count);
    for (size_t i = 0; i < rt->feature_count; i++)
        free(rt->features[i]);
    free(rt->features);
}

static void free_hotel(seed_hotel_t *h)
{
    char **strings[] = {&h->id,
                        &h->taxes_json,
                        &h->api_key,
                        &h->name,
                        &h->type,
                        &h->description,
                        &h->currency_code,
                        &h->currency_symbol,
                        &h->currency_position,
                        &h->language,
                        &h->phone,
                        &h->email,
                        &h->address1,
                        &h->address2,
                        &h->city,
                        &h->state,
                        &h->zip,
                        &h->country,
                        &h->latitude,
                        &h->longitude,
                        &h->timezone};
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) {
        if (*strings[i] && strings[i] == &h->api_key)
            crypto_wipe(h->api_key, strlen(h->api_key));
        free(*strings[i]);
    }
    free_photos(h->photos, h->photo_count);
    for (size_t i = 0; i < h->room_type_count; i++)
        free_room_type(&h->room_types[i]);
    free(h->room_types);
}

static void seed_free(seed_t *seed)
{
    for (size_t i = 0; i < seed->hotel_count; i++)
        free_hotel(&seed->hotels[i]);
    free(seed->hotels);
    free(seed);
}

/* ----------------------------------------------------------- parsing -- */

static int fail(seed_parse_t *p, const char *field, const char *message)
{
    snprintf(p->err, p->err_size, "%s%s%s: %s", p->where, *p->where ? "." : "", field, message);
    return -1;
}

static int fail_json(seed_parse_t *p, const json_error_t *e)
{
    snprintf(p->err, p->err_size, "%s%s%s", p->where, *p->where ? "." : "", e->message);
    return -1;
}

/* A string field, copied; absent and optional → "". */
static int get_text(seed_parse_t *p, json_object *o, const char *key, bool required, size_t max_len,
                    char **out)
{
    const char *s = NULL;
    json_error_t e;
    if (json_get_string(o, key, required, required ? 1 : 0, max_len, &s, &e) != 0)
        return fail_json(p, &e);
    *out = strdup(s ? s : "");
    return *out ? 0 : fail(p, key, "out of memory");
}

static int get_int(seed_parse_t *p, json_object *o, const char *key, bool required, int min,
                   int max, int def, int *out)
{
    int64_t v = 0;
    json_error_t e;
    if (json_get_int64(o, key, required, min, max, def, &v, &e) != 0)
        return fail_json(p, &e);
    *out = (int)v;
    return 0;
}

/* A rate in major units of the hotel's currency, stored in minor units. */
static int get_rate(seed_parse_t *p, json_object *o, const char *key, const char *currency,
                    int64_t *out)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v))
        return fail(p, key, "is required");
    if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
        return fail(p, key, "must be a number");
    if (money_from_double(json_object_get_double(v), currency, out) != 0 || *out == 0)
        return fail(p, key, "must be a positive amount with no more decimals than the currency");
    return 0;
}

static int get_photos(seed_parse_t *p, json_object *o, seed_photo_t **out, size_t *count)
{
    json_object *arr = NULL;
    json_error_t e;
    *out = NULL;
    *count = 0;
    if (json_get_array(o, "photos", false, &arr, &e) != 0)
        return fail_json(p, &e);
    size_t n = arr ? json_object_array_length(arr) : 0;
    if (n > SEED_MAX_PHOTOS)
        return fail(p, "photos", "has too many entries");
    if (n == 0)
        return 0;
    *out = calloc(n, sizeof **out);
    if (!*out)
        return fail(p, "photos", "out of memory");
    for (size_t i = 0; i < n; i++, (*count)++) {
        json_object *ph = json_object_array_get_idx(arr, i);
        if (!json_object_is_type(ph, json_type_object))
            return fail(p, "photos", "entries must be objects with thumb and image");
        if (get_text(p, ph, "thumb", true, SEED_URL_MAX_LEN, &(*out)[i].thumb) != 0 ||
            get_text(p, ph, "image", true, SEED_URL_MAX_LEN, &(*out)[i].image) != 0)
            return -1;
    }
    return 0;
}

static int get_features(seed_parse_t *p, json_object *o, seed_room_type_t *rt)
{
    json_object *arr = NULL;
    json_error_t e;
    if (json_get_array(o, "features", false, &arr, &e) != 0)
        return fail_json(p, &e);
    size_t n = arr ? json_object_array_length(arr) : 0;
    if (n > SEED_MAX_FEATURES)
        return fail(p, "features", "has too many entries");
    if (n == 0)
        return 0;
    rt->features = calloc(n, sizeof *rt->features);
    if (!rt->features)
        return fail(p, "features", "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_object *f = json_object_array_get_idx(arr, i);
        if (!json_object_is_type(f, json_type_string))
            return fail(p, "features", "entries must be strings");
        if (!(rt->features[i] = strdup(json_object_get_string(f))))
            return fail(p, "features", "out of memory");
        rt->feature_count++;
    }
    return 0;
}

static int parse_room_type(seed_parse_t *p, json_object *o, const char *currency,
                           seed_room_type_t *rt)
{
    if (!json_object_is_type(o, json_type_object))
        return fail(p, "roomTypes", "entries must be objects");
    if (get_text(p, o, "roomTypeID", true, SEED_ID_MAX_LEN, &rt->id) != 0 ||
        get_text(p, o, "name", true, SEED_TEXT_MAX_LEN, &rt->name) != 0 ||
        get_text(p, o, "shortName", true, SEED_ID_MAX_LEN, &rt->short_name) != 0 ||
        get_text(p, o, "description", false, SEED_TEXT_MAX_LEN, &rt->description) != 0 ||
        get_int(p, o, "maxGuests", true, 1, SEED_MAX_GUESTS, 0, &rt->max_guests) != 0 ||
        get_int(p, o, "adultsIncluded", false, 0, SEED_MAX_GUESTS, 1, &rt->adults_included) != 0 ||
        get_int(p, o, "childrenIncluded", false, 0, SEED_MAX_GUESTS, 0, &rt->children_included) !=
            0 ||
        get_int(p, o, "units", true, 1, SEED_MAX_UNITS, 0, &rt->units) != 0 ||
        get_rate(p, o, "baseRate", currency, &rt->base_rate_minor) != 0 ||
        get_rate(p, o, "weekendRate", currency, &rt->weekend_rate_minor) != 0 ||
        (json_object_object_get_ex(o, "extraAdultRate", NULL) &&
         get_rate(p, o, "extraAdultRate", currency, &rt->extra_adult_rate_minor) != 0) ||
        get_photos(p, o, &rt->photos, &rt->photo_count) != 0 || get_features(p, o, rt) != 0)
        return -1;
    return 0;
}

static int parse_currency(seed_parse_t *p, json_object *o, seed_hotel_t *h)
{
    json_object *cur = NULL;
    json_error_t e;
    if (json_get_object(o, "currency", true, &cur, &e) != 0)
        return fail_json(p, &e);
    if (get_text(p, cur, "code", true, 3, &h->currency_code) != 0 ||
        get_text(p, cur, "symbol", true, 8, &h->currency_symbol) != 0 ||
        get_text(p, cur, "position", false, 6, &h->currency_position) != 0)
        return -1;
    if (!money_currency_known(h->currency_code))
        return fail(p, "currency.code", "must be a known ISO 4217 code such as KRW");
    if (!*h->currency_position) {
        free(h->currency_position);
        h->currency_position = strdup("before");
    }
    if (!h->currency_position ||
        (strcmp(h->currency_position, "before") != 0 && strcmp(h->currency_position, "after") != 0))
        return fail(p, "currency.position", "must be \"before\" or \"after\"");
    h->currency_exponent = money_exponent(h->currency_code);
    return 0;
}

static int parse_address(seed_parse_t *p, json_object *o, seed_hotel_t *h)
{
    json_object *a = NULL;
    json_error_t e;
    if (json_get_object(o, "address", true, &a, &e) != 0)
        return fail_json(p, &e);
    struct {
        const char *key;
        bool required;
        char **out;
    } fields[] = {{"address1", true, &h->address1}, {"address2", false, &h->address2},
                  {"city", true, &h->city},         {"state", false, &h->state},
                  {"zip", false, &h->zip},          {"country", true, &h->country},
                  {"latitude", true, &h->latitude}, {"longitude", true, &h->longitude}};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (get_text(p, a, fields[i].key, fields[i].required, SEED_TEXT_MAX_LEN, fields[i].out) !=
            0)
            return -1;
    return 0;
}

static int parse_room_types(seed_parse_t *p, json_object *o, seed_hotel_t *h)
{
    json_object *arr = NULL;
    json_error_t e;
    if (json_get_array(o, "roomTypes", true, &arr, &e) != 0)
        return fail_json(p, &e);
    size_t n = json_object_array_length(arr);
    if (n == 0 || n > SEED_MAX_ROOM_TYPES)
        return fail(p, "roomTypes", "must have 1 to 32 entries");
    h->room_types = calloc(n, sizeof *h->room_types);
    if (!h->room_types)
        return fail(p, "roomTypes", "out of memory");
    size_t where_len = strlen(p->where);
    for (size_t i = 0; i < n; i++) {
        snprintf(p->where + where_len, sizeof p->where - where_len, ".roomTypes[%zu]", i);
        h->room_type_count++;
        if (parse_room_type(p, json_object_array_get_idx(arr, i), h->currency_code,
                            &h->room_types[i]) != 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(h->room_types[j].id, h->room_types[i].id) == 0)
                return fail(p, "roomTypeID", "is used twice in this hotel");
    }
    p->where[where_len] = '\0';
    return 0;
}

/* A number member that may be a string ("10", as Cloudbeds writes them). */
static bool tax_number(json_object *o, const char *key, double *out)
{
    json_object *v;
    if (!o || !json_object_object_get_ex(o, key, &v))
        return false;
    if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) {
        *out = json_object_get_double(v);
        return true;
    }
    if (!json_object_is_type(v, json_type_string))
        return false;
    char *end;
    const char *t = json_object_get_string(v);
    *out = strtod(t, &end);
    return *t && *end == '\0';
}

static int tax_fail(char *err, size_t err_size, size_t i, const char *message)
{
    snprintf(err, err_size, "taxesAndFees[%zu]: %s", i, message);
    return -1;
}

/* An amount of entry t (or of its first date range when t states none). */
static int tax_money(json_object *t, const char *key, const char *currency, int64_t *out,
                     bool *present)
{
    double v = 0;
    json_object *ranges;
    *present = tax_number(t, key, &v);
    if (!*present && json_object_object_get_ex(t, "dateRanges", &ranges) &&
        json_object_is_type(ranges, json_type_array) && json_object_array_length(ranges) > 0)
        *present = tax_number(json_object_array_get_idx(ranges, 0), key, &v);
    *out = 0;
    return *present && (v < 0 || money_from_double(v, currency, out) != 0) ? -1 : 0;
}

int seed_hotel_set_taxes(seed_hotel_t *h, json_object *list, char *err, size_t err_size)
{
    static const char *const kinds[] = {
        [SEED_TAX_PERCENTAGE] = "percentage",
        [SEED_TAX_FIXED] = "fixed",
        [SEED_TAX_PER_PERSON] = "fixed_per_person",
        [SEED_TAX_PER_ACCOMMODATION] = "fixed_per_accomodation", /* Cloudbeds' spelling */
        [SEED_TAX_PER_RESERVATION] = "fixed_per_reservation",
        [SEED_TAX_RATE_BASED] = "percentage_rate_based",
    };
    if (!json_object_is_type(list, json_type_array) ||
        json_object_array_length(list) > SEED_MAX_TAXES) {
        snprintf(err, err_size, "taxesAndFees must be a list of at most %d entries",
                 SEED_MAX_TAXES);
        return -1;
    }
    seed_tax_t taxes[SEED_MAX_TAXES];
    memset(taxes, 0, sizeof taxes);
    size_t n = json_object_array_length(list);
    for (size_t i = 0; i < n; i++) {
        json_object *t = json_object_array_get_idx(list, i), *v;
        if (!json_object_is_type(t, json_type_object))
            return tax_fail(err, err_size, i, "must be an object");
        const char *kind =
            json_object_object_get_ex(t, "amountType", &v) ? json_object_get_string(v) : NULL;
        const char *incl = json_object_object_get_ex(t, "inclusiveOrExclusive", &v)
                               ? json_object_get_string(v)
                               : NULL;
        const char *name =
            json_object_object_get_ex(t, "name", &v) ? json_object_get_string(v) : NULL;
        const char *code =
            json_object_object_get_ex(t, "code", &v) ? json_object_get_string(v) : NULL;
        const char *type =
            json_object_object_get_ex(t, "type", &v) ? json_object_get_string(v) : NULL;
        seed_tax_t *x = &taxes[i];
        x->inclusive = incl && strcmp(incl, "inclusive") == 0;
        snprintf(x->name, sizeof x->name, "%s", name ? name : "");
        snprintf(x->code, sizeof x->code, "%s", code ? code : "");
        if (!type || (strcmp(type, "fee") != 0 && strcmp(type, "tax") != 0))
            return tax_fail(err, err_size, i, "type must be tax or fee");
        x->fee = strcmp(type, "fee") == 0;
        int k = -1;
        for (size_t j = 0; kind && j < sizeof kinds / sizeof *kinds; j++)
            if (strcmp(kind, kinds[j]) == 0)
                k = (int)j;
        if (k < 0)
            return tax_fail(err, err_size, i,
                            "amountType must be percentage, fixed, fixed_per_person, "
                            "fixed_per_accomodation, fixed_per_reservation or "
                            "percentage_rate_based");
        x->kind = (seed_tax_kind_t)k;
        x->percentage = x->kind == SEED_TAX_PERCENTAGE;
        double amount = 0;
        bool present = false, child = false;
        json_object *tiers = NULL, *ranges = NULL;
        switch (x->kind) {
        case SEED_TAX_PERCENTAGE:
            if (!tax_number(t, "amount", &amount) || amount < 0 || amount > 100)
                return tax_fail(err, err_size, i, "amount must be a percentage 0..100");
            x->percent = amount;
            break;
        case SEED_TAX_FIXED:
        case SEED_TAX_PER_ACCOMMODATION:
        case SEED_TAX_PER_RESERVATION:
            if (tax_money(t, "amount", h->currency_code, &x->amount_minor, &present) != 0 ||
                !present)
                return tax_fail(err, err_size, i,
                                "amount is required, not negative, in the hotel's currency");
            break;
        case SEED_TAX_PER_PERSON:
            if (tax_money(t, "amountAdult", h->currency_code, &x->adult_minor, &present) != 0 ||
                tax_money(t, "amountChild", h->currency_code, &x->child_minor, &child) != 0 ||
                (!present && !child))
                return tax_fail(err, err_size, i,
                                "amountAdult / amountChild are required, not negative, in the "
                                "hotel's currency");
            if (json_object_object_get_ex(t, "dateRanges", &ranges) &&
                json_object_is_type(ranges, json_type_array))
                for (size_t r = 0; r < json_object_array_length(ranges); r++)
                    if (tax_number(json_object_array_get_idx(ranges, r), "maxLength", &amount) &&
                        amount >= 1 && amount <= 365) {
                        x->max_nights = (int)amount;
                        break;
                    }
            break;
        case SEED_TAX_RATE_BASED:
            if (!json_object_object_get_ex(t, "amountRateBased", &tiers) ||
                !json_object_is_type(tiers, json_type_array) ||
                json_object_array_length(tiers) < 1 ||
                json_object_array_length(tiers) > SEED_MAX_TAX_TIERS)
                return tax_fail(err, err_size, i, "amountRateBased must list 1..8 tiers");
            for (size_t r = 0; r < json_object_array_length(tiers); r++) {
                json_object *tier = json_object_array_get_idx(tiers, r);
                double rate, pct;
                int64_t rate_minor;
                if (!tax_number(tier, "rate", &rate) || rate < 0 ||
                    money_from_double(rate, h->currency_code, &rate_minor) != 0 ||
                    !tax_number(tier, "percentage", &pct) || pct < 0 || pct > 100)
                    return tax_fail(err, err_size, i,
                                    "amountRateBased tiers need rate and percentage 0..100");
                x->tier_max_minor[x->tier_count] = rate_minor;
                x->tier_percent[x->tier_count] = pct;
                x->tier_count++;
            }
            /* by rate ascending (insertion sort: a handful of tiers) */
            for (int a = 1; a < x->tier_count; a++)
                for (int b = a; b > 0 && x->tier_max_minor[b - 1] > x->tier_max_minor[b]; b--) {
                    int64_t m = x->tier_max_minor[b];
                    double q = x->tier_percent[b];
                    x->tier_max_minor[b] = x->tier_max_minor[b - 1];
                    x->tier_percent[b] = x->tier_percent[b - 1];
                    x->tier_max_minor[b - 1] = m;
                    x->tier_percent[b - 1] = q;
                }
            break;
        }
    }
    char *text = strdup(json_object_to_json_string_ext(list, JSON_C_TO_STRING_PLAIN));
    if (!text) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    free(h->taxes_json);
    h->taxes_json = text;
    memcpy(h->taxes, taxes, sizeof h->taxes);
    h->tax_count = n;
    return 0;
}

/* taxesAndFees (optional): entries in getTaxesAndFees' own shape, kept as
 * text for the answer; the ones on room nights are read for the totals. */
static int parse_taxes(seed_parse_t *p, json_object *o, seed_hotel_t *h)
{
    json_object *list = NULL;
    if (!json_object_object_get_ex(o, "taxesAndFees", &list)) {
        h->taxes_json = strdup("[]");
        return h->taxes_json ? 0 : fail(p, "taxesAndFees", "out of memory");
    }
    char err[200];
    if (seed_hotel_set_taxes(h, list, err, sizeof err) != 0)
        return fail(p, "taxesAndFees", err);
    return 0;
}

double seed_inclusive_percent(const seed_hotel_t *h)
{
    double pct = 0;
    for (size_t i = 0; h && i < h->tax_count; i++)
        if (h->taxes[i].inclusive && h->taxes[i].percentage && !h->taxes[i].fee)
            pct += h->taxes[i].percent;
    return pct;
}

/* A rate-based tax's percentage at rate_minor: the tier with the lowest
 * maximum rate at or above it (the top tier's above every one). */
static double tier_percent(const seed_tax_t *x, int64_t rate_minor)
{
    for (int i = 0; i < x->tier_count; i++)
        if (rate_minor <= x->tier_max_minor[i])
            return x->tier_percent[i];
    return x->tier_count > 0 ? x->tier_percent[x->tier_count - 1] : 0;
}

int64_t seed_taxes_added(const seed_hotel_t *h, int64_t rate_minor)
{
    int64_t added = 0;
    for (size_t i = 0; i < h->tax_count; i++) {
        const seed_tax_t *x = &h->taxes[i];
        if (x->inclusive)
            continue;
        if (x->kind == SEED_TAX_PERCENTAGE)
            added += llround((double)rate_minor * x->percent / 100.0);
        else if (x->kind == SEED_TAX_RATE_BASED)
            added += llround((double)rate_minor * tier_percent(x, rate_minor) / 100.0);
        else if (x->kind == SEED_TAX_FIXED)
            added += x->amount_minor;
    }
    return added;
}

int64_t seed_stay_charges(const seed_hotel_t *h, int nights, int rooms, int adults, int children)
{
    int64_t added = 0;
    for (size_t i = 0; h && i < h->tax_count; i++) {
        const seed_tax_t *x = &h->taxes[i];
        if (x->inclusive)
            continue;
        if (x->kind == SEED_TAX_PER_PERSON) {
            int charged = x->max_nights > 0 && x->max_nights < nights ? x->max_nights : nights;
            added += (x->adult_minor * adults + x->child_minor * children) * charged;
        } else if (x->kind == SEED_TAX_PER_ACCOMMODATION) {
            added += x->amount_minor * rooms;
        } else if (x->kind == SEED_TAX_PER_RESERVATION) {
            added += x->amount_minor;
        }
    }
    return added;
}

static int parse_hotel(seed_parse_t *p, json_object *o, seed_hotel_t *h)
{
    json_error_t e;
    if (!json_object_is_type(o, json_type_object))
        return fail(p, "hotels", "entries must be objects");
    if (get_text(p, o, "propertyID", true, SEED_ID_MAX_LEN, &h->id) != 0 ||
        get_text(p, o, "apiKey", true, 256, &h->api_key) != 0 ||
        get_text(p, o, "name", true, SEED_TEXT_MAX_LEN, &h->name) != 0 ||
        get_text(p, o, "type", false, SEED_ID_MAX_LEN, &h->type) != 0 ||
        get_text(p, o, "description", false, SEED_TEXT_MAX_LEN, &h->description) != 0 ||
        get_text(p, o, "language", false, 8, &h->language) != 0 ||
        get_text(p, o, "phone", false, SEED_ID_MAX_LEN, &h->phone) != 0 ||
        get_text(p, o, "email", false, 256, &h->email) != 0 ||
        get_text(p, o, "timezone", true, SEED_ID_MAX_LEN, &h->timezone) != 0 ||
        parse_currency(p, o, h) != 0 || parse_address(p, o, h) != 0 ||
        get_photos(p, o, &h->photos, &h->photo_count) != 0)
        return -1;
    if (json_get_bool(o, "webhooksEnabled", false, true, &h->webhooks_enabled, &e) != 0)
        return fail_json(p, &e);
    if (parse_taxes(p, o, h) != 0)
        return -1;
    return parse_room_types(p, o, h);
}

seed_t *seed_parse(const char *text, size_t len, char *err, size_t err_size)
{
    seed_parse_t p = {.err = err, .err_size = err_size};
    json_error_t e;
    json_object *root = json_parse_object(text, len, &e);
    json_object *arr = NULL;
    seed_t *seed = calloc(1, sizeof *seed);
    if (!seed || !root) {
        snprintf(err, err_size, "%s", seed ? e.message : "out of memory");
        goto fail;
    }
    atomic_init(&seed->refs, 1);
    if (json_get_array(root, "hotels", true, &arr, &e) != 0) {
        fail_json(&p, &e);
        goto fail;
    }
    size_t n = json_object_array_length(arr);
    if (n == 0 || n > SEED_MAX_HOTELS) {
        fail(&p, "hotels", "must have 1 to 64 entries");
        goto fail;
    }
    if (!(seed->hotels = calloc(n, sizeof *seed->hotels)))
        goto fail;
    for (size_t i = 0; i < n; i++) {
        snprintf(p.where, sizeof p.where, "hotels[%zu]", i);
        seed->hotel_count++;
        if (parse_hotel(&p, json_object_array_get_idx(arr, i), &seed->hotels[i]) != 0)
            goto fail;
        for (size_t j = 0; j < i; j++)
            if (strcmp(seed->hotels[j].id, seed->hotels[i].id) == 0 ||
                strcmp(seed->hotels[j].api_key, seed->hotels[i].api_key) == 0) {
                fail(&p, "propertyID", "and apiKey must be unique across hotels");
                goto fail;
            }
    }
    json_object_put(root);
    return seed;
fail:
    json_object_put(root);
    if (seed)
        seed_free(seed);
    return NULL;
}

seed_t *seed_load_file(const char *path, char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_size, "cannot open the seed file %s", path);
        return NULL;
    }
    char *buf = malloc(SEED_MAX_FILE_BYTES + 1);
    size_t n = buf ? fread(buf, 1, SEED_MAX_FILE_BYTES + 1, f) : 0;
    bool read_error = ferror(f) != 0;
    fclose(f);
    seed_t *seed = NULL;
    if (!buf)
        snprintf(err, err_size, "out of memory");
    else if (read_error)
        snprintf(err, err_size, "cannot read the seed file %s", path);
    else if (n > SEED_MAX_FILE_BYTES)
        snprintf(err, err_size, "the seed file %s is larger than %d bytes", path,
                 SEED_MAX_FILE_BYTES);
    else
        seed = seed_parse(buf, n, err, err_size);
    free(buf);
    return seed;
}

/* ------------------------------------------------------------ access -- */

seed_t *seed_ref(seed_t *seed)
{
    if (seed)
        atomic_fetch_add(&seed->refs, 1);
    return seed;
}

void seed_unref(seed_t *seed)
{
    if (seed && atomic_fetch_sub(&seed->refs, 1) == 1)
        seed_free(seed);
}

size_t seed_hotel_count(const seed_t *seed)
{
    return seed ? seed->hotel_count : 0;
}

const seed_hotel_t *seed_hotel_at(const seed_t *seed, size_t index)
{
    return seed && index < seed->hotel_count ? &seed->hotels[index] : NULL;
}

int seed_set_hotel_taxes(seed_t *seed, const char *property_id, json_object *list, char *err,
                         size_t err_size)
{
    for (size_t i = 0; seed && i < seed->hotel_count; i++)
        if (strcmp(seed->hotels[i].id, property_id) == 0)
            return seed_hotel_set_taxes(&seed->hotels[i], list, err, err_size);
    snprintf(err, err_size, "no hotel %s in the seed", property_id);
    return -1;
}

const seed_hotel_t *seed_find_hotel(const seed_t *seed, const char *property_id)
{
    for (size_t i = 0; seed && property_id && i < seed->hotel_count; i++)
        if (strcmp(seed->hotels[i].id, property_id) == 0)
            return &seed->hotels[i];
    return NULL;
}

const seed_hotel_t *seed_find_hotel_by_key(const seed_t *seed, const char *api_key)
{
    const seed_hotel_t *found = NULL;
    size_t len = api_key ? strlen(api_key) : 0;
    /* Every key is compared, so the time taken says nothing about which matched. */
    for (size_t i = 0; seed && api_key && i < seed->hotel_count; i++) {
        const char *k = seed->hotels[i].api_key;
        if (crypto_equal_constant_time(k, strlen(k), api_key, len))
            found = &seed->hotels[i];
    }
    return found;
}

const seed_room_type_t *seed_find_room_type(const seed_hotel_t *hotel, const char *room_type_id,
                                            size_t *index)
{
    for (size_t i = 0; hotel && room_type_id && i < hotel->room_type_count; i++)
        if (strcmp(hotel->room_types[i].id, room_type_id) == 0) {
            if (index)
                *index = i;
            return &hotel->room_types[i];
        }
    return NULL;
}
