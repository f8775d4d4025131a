/*
 * lodging-admin — issuing and revoking API keys, and creating people's
 * accounts, from a shell with database access (the first credential of a
 * fresh install cannot come from the HTTP API, which itself needs one).
 *
 *   lodging-admin api-key create --name NAME --role viewer|operator|admin [--hotels a,b]
 *   lodging-admin api-key list
 *   lodging-admin api-key revoke KEYID
 *   lodging-admin create-account --email E --role ROLE [--hotels a,b]
 *                                (--password-stdin | --generate-password) [--if-no-admin]
 *
 * The database is $MYSQL_URL (default: the local stack's). A created key or
 * generated password is printed once on stdout and never stored; a password
 * is read from stdin, never from the command line (where `ps` would show
 * it). Every change is written to the audit log as done by "cli".
 */
#include <json-c/json.h>
#include <stdbool.h>
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
                    "       lodging-admin create-account --email E --role ROLE [--hotels a,b]\n"
                    "                      (--password-stdin | --generate-password) "
                    "[--if-no-admin]\n"
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

/* ---------------------------------------------------------- accounts -- */

typedef struct account_args {
    auth_account_spec_t spec;
    bool password_stdin, generate, if_no_admin;
} account_args_t;

/* Parses create-account's options. 0, or -1 (usage). */
static int parse_account_args(int argc, char **argv, account_args_t *a)
{
    const char *role = NULL;
    for (int i = 0; i < argc; i++) {
        bool has_value = i + 1 < argc;
        if (strcmp(argv[i], "--email") == 0 && has_value)
            a->spec.email = argv[++i];
        else if (strcmp(argv[i], "--role") == 0 && has_value)
            role = argv[++i];
        else if (strcmp(argv[i], "--hotels") == 0 && has_value)
            a->spec.hotels_csv = argv[++i];
        else if (strcmp(argv[i], "--password-stdin") == 0)
            a->password_stdin = true;
        else if (strcmp(argv[i], "--generate-password") == 0)
            a->generate = true;
        else if (strcmp(argv[i], "--if-no-admin") == 0)
            a->if_no_admin = true;
        else
            return -1;
    }
    if (!a->spec.email || auth_role_parse(role, &a->spec.role) != 0 ||
        a->password_stdin == a->generate)
        return -1;
    return 0;
}

/* Reads the password: stdin's first line without its line end. 0 or -1. */
static int read_password(char *out, size_t size)
{
    if (!fgets(out, (int)size, stdin))
        return -1;
    size_t n = strcspn(out, "\r\n");
    if (out[n] == '\0' && !feof(stdin))
        return -1; /* no line end before the buffer filled: longer than we take */
    out[n] = '\0';
    return 0;
}

static const char *account_error(auth_account_err_t rc)
{
    switch (rc) {
    case AUTH_ACCOUNT_ERR_EMAIL:
        return "the e-mail is not an address like name@example.com";
    case AUTH_ACCOUNT_ERR_HOTELS:
        return "bad hotel list (at most 32 ids of A-Z a-z 0-9 _ - .)";
    case AUTH_ACCOUNT_ERR_PASSWORD:
        return "the password must be 12 to 1024 characters";
    case AUTH_ACCOUNT_ERR_TAKEN:
        return "an account with this e-mail exists";
    case AUTH_ACCOUNT_ERR_ROLE:
        return "role must be viewer, operator or admin";
    default:
        return "the account was not stored";
    }
}

static int account_create(db_t *db, int argc, char **argv)
{
    account_args_t a = {0};
    if (parse_account_args(argc, argv, &a) != 0)
        return usage();
    if (a.if_no_admin) {
        int64_t admins = auth_account_count(db, AUTH_ROLE_ADMIN);
        if (admins < 0) {
            fprintf(stderr, "lodging-admin: %s\n", db_error(db));
            return 1;
        }
        if (admins > 0) {
            fprintf(stderr, "an admin account exists already: nothing created\n");
            return 0;
        }
    }
    char password[AUTH_PASSWORD_MAX_LEN + 2];
    if ((a.generate && auth_password_generate(password, sizeof password) != 0) ||
        (a.password_stdin && read_password(password, sizeof password) != 0)) {
        fprintf(stderr, "lodging-admin: no password read\n");
        return 2;
    }
    a.spec.password = password;
    char id[AUTH_ID_MAX + 1];
    auth_account_err_t rc = auth_account_create(db, &a.spec, id);
    if (rc != AUTH_ACCOUNT_OK) {
        crypto_wipe(password, sizeof password);
        fprintf(stderr, "lodging-admin: %s\n", account_error(rc));
        return rc == AUTH_ACCOUNT_ERR_DB ? 1 : 2;
    }
    auth_principal_t me;
    cli_principal(&me);
    char detail[128];
    snprintf(detail, sizeof detail, "{\"accountId\":\"%s\",\"role\":\"%s\"}", id,
             auth_role_name(a.spec.role));
    auth_audit_record(db, &me, &(auth_audit_entry_t){.action = "account.create",
                                                     .detail_json = detail});
    if (a.generate)
        printf("%s\n", password);
    crypto_wipe(password, sizeof password);
    fprintf(stderr, "account %s (%s) created%s\n", id, auth_role_name(a.spec.role),
            a.generate ? "; its password is shown only now" : "");
    return 0;
}

int main(int argc, char **argv)
{
    bool keys = argc >= 3 && strcmp(argv[1], "api-key") == 0;
    bool accounts = argc >= 2 && strcmp(argv[1], "create-account") == 0;
    if (!keys && !accounts)
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
    if (accounts)
        rc = account_create(db, argc - 2, argv + 2);
    else if (strcmp(argv[2], "create") == 0)
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
