/*
 * lodging-admin — issuing and revoking API keys from a shell with database
 * access (the first credential of a fresh install cannot come from the HTTP
 * API, which itself needs one).
 *
 *   lodging-admin api-key create --name NAME --role viewer|operator|admin [--hotels a,b]
 *   lodging-admin api-key list
 *   lodging-admin api-key revoke KEYID
 *
 * The database is $MYSQL_URL (default: the local stack's). A created key is
 * printed once on stdout and never stored; every create and revoke is
 * written to the audit log as done by "cli".
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/auth_store.h"
#include "common/db.h"
#include "common/log.h"

#define DEFAULT_URL "mysql://lodging:lodging@127.0.0.1:13306/lodging"

static int usage(void)
{
    fprintf(stderr, "usage: lodging-admin api-key create --name NAME --role ROLE [--hotels a,b]\n"
                    "       lodging-admin api-key list\n"
                    "       lodging-admin api-key revoke KEYID\n"
                    "The database is $MYSQL_URL.\n");
    return 2;
}

/* The principal audit rows of the CLI are written as. */
static void cli_principal(auth_principal_t *p)
{
    auth_principal_anonymous(p);
    p->kind = AUTH_KIND_CLI;
    snprintf(p->id, sizeof p->id, "cli");
    snprintf(p->display, sizeof p->display, "lodging-admin");
}

static int key_create(db_t *db, int argc, char **argv)
{
    auth_api_key_spec_t spec = {.created_by = "cli"};
    const char *role = NULL;
    for (int i = 0; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--name") == 0)
            spec.name = argv[i + 1];
        else if (strcmp(argv[i], "--role") == 0)
            role = argv[i + 1];
        else if (strcmp(argv[i], "--hotels") == 0)
            spec.hotels_csv = argv[i + 1];
        else
            return usage();
    }
    if (argc % 2 != 0 || !spec.name || auth_role_parse(role, &spec.role) != 0)
        return usage();
    char key[AUTH_API_KEY_LEN + 1], key_id[AUTH_KEY_ID_LEN + 1];
    int rc = auth_api_key_create(db, &spec, key, key_id);
    if (rc == -2) {
        fprintf(stderr,
                "lodging-admin: bad name or hotel list (at most %d ids of A-Z a-z 0-9 _ - .)\n",
                AUTH_MAX_HOTELS);
        return 2;
    }
    if (rc != 0) {
        fprintf(stderr, "lodging-admin: the key was not stored: %s\n", db_error(db));
        return 1;
    }
    auth_principal_t me;
    cli_principal(&me);
    char detail[128];
    snprintf(detail, sizeof detail, "{\"keyId\":\"%s\",\"role\":\"%s\"}", key_id,
             auth_role_name(spec.role));
    auth_audit_record(db, &me, &(auth_audit_entry_t){.action = "apikey.create",
                                                     .detail_json = detail});
    printf("%s\n", key);
    fprintf(stderr, "key %s (%s) created; it is shown only now\n", key_id,
            auth_role_name(spec.role));
    crypto_wipe(key, sizeof key);
    return 0;
}

static int key_list(db_t *db)
{
    json_object *arr = auth_api_key_list_json(db);
    if (!arr) {
        fprintf(stderr, "lodging-admin: %s\n", db_error(db));
        return 1;
    }
    for (size_t i = 0; i < json_object_array_length(arr); i++)
        printf("%s\n", json_object_to_json_string_ext(json_object_array_get_idx(arr, i),
                                                      JSON_C_TO_STRING_PLAIN));
    json_object_put(arr);
    return 0;
}

static int key_revoke(db_t *db, const char *key_id)
{
    int rc = auth_api_key_revoke(db, key_id);
    if (rc == 1) {
        fprintf(stderr, "lodging-admin: no active key %s\n", key_id);
        return 1;
    }
    if (rc != 0) {
        fprintf(stderr, "lodging-admin: %s\n", db_error(db));
        return 1;
    }
    auth_principal_t me;
    cli_principal(&me);
    char detail[128];
    snprintf(detail, sizeof detail, "{\"keyId\":\"%.32s\"}", key_id);
    auth_audit_record(db, &me, &(auth_audit_entry_t){.action = "apikey.revoke",
                                                     .detail_json = detail});
    fprintf(stderr, "key %s revoked\n", key_id);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3 || strcmp(argv[1], "api-key") != 0)
        return usage();
    log_init("lodging-admin", LOG_LEVEL_WARN);
    const char *url = getenv("MYSQL_URL");
    char err[256];
    db_t *db = db_new(url && *url ? url : DEFAULT_URL, err, sizeof err);
    if (!db) {
        fprintf(stderr, "lodging-admin: %s\n", err);
        return 1;
    }
    int rc;
    if (strcmp(argv[2], "create") == 0)
        rc = key_create(db, argc - 3, argv + 3);
    else if (strcmp(argv[2], "list") == 0 && argc == 3)
        rc = key_list(db);
    else if (strcmp(argv[2], "revoke") == 0 && argc == 4)
        rc = key_revoke(db, argv[3]);
    else
        rc = usage();
    db_free(db);
    return rc;
}
