/*
 * seed.h — the demo hotels the sandbox serves, read from a JSON seed file
 * (sandbox/pms-sandbox/seed.json, or PMS_SANDBOX_SEED): each hotel's API key,
 * name, address, currency, time zone and photos, and its room types with
 * units, base and weekend rates, photos and features. See README.md for the
 * file format.
 *
 * Usage:
 *     char err[256];
 *     seed_t *seed = seed_load_file("seed.json", err, sizeof err);   // NULL → err says why
 *     const seed_hotel_t *h = seed_find_hotel(seed, "hotel_123");
 *     const seed_room_type_t *rt = seed_find_room_type(h, "room_456", NULL);
 *     seed_t *again = seed_ref(seed); ... seed_unref(again); seed_unref(seed);
 *
 * A seed is immutable once loaded and reference-counted, so a reset can load
 * a new one while requests still render from the old. Thread-safety: reads,
 * seed_ref and seed_unref are thread-safe. Ownership: every string belongs to
 * the seed and lives until the last reference is dropped.
 */
#ifndef PMS_SANDBOX_SEED_H
#define PMS_SANDBOX_SEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

#define SEED_MAX_HOTELS 64
#define SEED_MAX_ROOM_TYPES 32
#define SEED_MAX_UNITS 1000
#define SEED_MAX_GUESTS 20
#define SEED_ID_MAX_LEN 64
#define SEED_MAX_FILE_BYTES (4 * 1024 * 1024)

typedef struct seed_photo {
    char *thumb;
    char *image;
} seed_photo_t;

typedef struct seed_room_type {
    char *id;
    char *name;
    char *short_name;
    char *description;
    int max_guests;
    int adults_included;
    int children_included;
    int units;                  /* rooms of this type */
    int64_t base_rate_minor;    /* Sunday..Thursday nights */
    int64_t weekend_rate_minor; /* Friday and Saturday nights */
    /* Each adult beyond adults_included costs this much more a night
     * (Cloudbeds' adultsExtraCharge); 0 = the price does not depend on it. */
    int64_t extra_adult_rate_minor;
    seed_photo_t *photos;
    size_t photo_count;
    char **features;
    size_t feature_count;
} seed_room_type_t;

#define SEED_MAX_TAXES 8
#define SEED_MAX_TAX_TIERS 8
/* Cloudbeds' amountType of a tax or fee. */
typedef enum seed_tax_kind {
    SEED_TAX_PERCENTAGE = 0,    /* of the night's rate */
    SEED_TAX_FIXED,             /* per room night */
    SEED_TAX_PER_PERSON,        /* per adult / child per night, up to max_nights */
    SEED_TAX_PER_ACCOMMODATION, /* once per room per stay */
    SEED_TAX_PER_RESERVATION,   /* once per reservation */
    SEED_TAX_RATE_BASED,        /* a percentage by the night's rate (tiers) */
} seed_tax_kind_t;
typedef struct seed_tax {
    char name[48];
    char code[16];
    bool fee;
    bool inclusive;
    bool percentage; /* kind SEED_TAX_PERCENTAGE */
    seed_tax_kind_t kind;
    double percent;
    int64_t amount_minor;
    int64_t adult_minor, child_minor; /* SEED_TAX_PER_PERSON */
    int max_nights;                   /* SEED_TAX_PER_PERSON: 0 = every night */
    int tier_count;                   /* SEED_TAX_RATE_BASED, by max rate ascending */
    int64_t tier_max_minor[SEED_MAX_TAX_TIERS];
    double tier_percent[SEED_MAX_TAX_TIERS];
} seed_tax_t;

typedef struct seed_hotel {
    char *id; /* propertyID */
    char *api_key;
    char *name;
    char *type;
    char *description;
    char *currency_code; /* ISO 4217 */
    char *currency_symbol;
    char *currency_position; /* "before" | "after" */
    int currency_exponent;   /* minor-unit decimals (common/money.h) */
    char *language;
    char *phone;
    char *email;
    char *address1;
    char *address2;
    char *city;
    char *state;
    char *zip;
    char *country;
    char *latitude;
    char *longitude;
    char *timezone;
    bool webhooks_enabled;
    seed_photo_t *photos;
    size_t photo_count;
    seed_room_type_t *room_types;
    size_t room_type_count;
    /* taxesAndFees: the getTaxesAndFees data list as Cloudbeds writes it
     * (JSON text, "[]" when the hotel has none), and what it adds to a room
     * night: the exclusive ones of amountType percentage or fixed */
    char *taxes_json;
    seed_tax_t taxes[SEED_MAX_TAXES];
    size_t tax_count;
} seed_hotel_t;

/* The percentage of the inclusive taxes (0 when none): what an after-tax
 * amount holds, for a vendor that states amounts before and after tax. */
double seed_inclusive_percent(const seed_hotel_t *h);

/* What the exclusive taxes and fees charged per room night add to a night
 * at rate_minor, one room. */
int64_t seed_taxes_added(const seed_hotel_t *h, int64_t rate_minor);
/* What the exclusive ones charged per guest or per stay add to a stay of
 * `nights` nights in `rooms` rooms for adults and children (all rooms). */
int64_t seed_stay_charges(const seed_hotel_t *h, int nights, int rooms, int adults, int children);
/* The hotel's taxesAndFees entries (getTaxesAndFees' data list) checked and
 * read into h (taxes_json, taxes, tax_count); -1 with a reason in err. */
int seed_hotel_set_taxes(seed_hotel_t *h, struct json_object *list, char *err, size_t err_size);

typedef struct seed seed_t;

/* Parses a seed. NULL with a reason naming the field ("hotels[1].roomTypes[0]
 * .units must be an integer between 1 and 1000") when it is invalid. The
 * result holds one reference. */
seed_t *seed_parse(const char *text, size_t len, char *err, size_t err_size);
/* Reads and parses a file (at most SEED_MAX_FILE_BYTES). */
seed_t *seed_load_file(const char *path, char *err, size_t err_size);

seed_t *seed_ref(seed_t *seed);
void seed_unref(seed_t *seed); /* frees with the last reference; accepts NULL */

size_t seed_hotel_count(const seed_t *seed);
const seed_hotel_t *seed_hotel_at(const seed_t *seed, size_t index);
const seed_hotel_t *seed_find_hotel(const seed_t *seed, const char *property_id);
/* Replaces the taxes and fees of hotel property_id in a seed not yet in
 * use (seed_hotel_set_taxes); -1 with a reason in err. */
int seed_set_hotel_taxes(seed_t *seed, const char *property_id, struct json_object *list, char *err,
                         size_t err_size);
/* The hotel whose API key this is (compared in constant time), or NULL. */
const seed_hotel_t *seed_find_hotel_by_key(const seed_t *seed, const char *api_key);
/* The room type and (when index is not NULL) its position, or NULL. */
const seed_room_type_t *seed_find_room_type(const seed_hotel_t *hotel, const char *room_type_id,
                                            size_t *index);

#endif /* PMS_SANDBOX_SEED_H */
