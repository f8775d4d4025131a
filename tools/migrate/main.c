/*
 * lodging-migrate — applies db/migrations to a database (creating the
 * database first when it does not exist) and prints what is applied.
 *
 *   lodging-migrate [--url mysql://user:pass@host:port/db] [--dir db/migrations] [--status]
 *
 * --url defaults to $MYSQL_URL, then to the local stack's database.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/db.h"
#include "common/log.h"
#include "common/migrate.h"

#define DEFAULT_URL "mysql://lodging:lodging@127.0.0.1:13306/lodging"
#define DEFAULT_DIR "db/migrations"

static int usage(void)
{
    fprintf(stderr, "usage: lodging-migrate [--url URL] [--dir DIR] [--status]\n");
    return 2;
}

/* Connects to the server without a database and creates it if missing. The
 * name cannot be a bound parameter, so it is checked against [A-Za-z0-9_]. */
static int ensure_database(const char *url)
{
    char err[512];
    config_url_t u;
    if (config_url_parse(url, &u, err, sizeof err) != 0 || !u.path) {
        fprintf(stderr, "lodging-migrate: bad --url: %s\n", u.path ? err : "no database name");
        config_url_clear(&u);
        return -1;
    }
    for (const char *p = u.path; *p; p++) {
        if (!isalnum((unsigned char)*p) && *p != '_') {
            fprintf(stderr, "lodging-migrate: database name may only use [A-Za-z0-9_]\n");
            config_url_clear(&u);
            return -1;
        }
    }
    char server_url[1024], sql[256];
    const char *slash = strrchr(url, '/');
    snprintf(server_url, sizeof server_url, "%.*s", (int)(slash - url), url);
    snprintf(sql, sizeof sql,
             "CREATE DATABASE IF NOT EXISTS `%s` CHARACTER SET utf8mb4 "
             "COLLATE utf8mb4_unicode_ci",
             u.path);
    config_url_clear(&u);
    db_t *db = db_new(server_url, err, sizeof err);
    if (!db) {
        fprintf(stderr, "lodging-migrate: %s\n", err);
        return -1;
    }
    int rc = db_exec_script_statement(db, sql) == DB_OK ? 0 : -1;
    if (rc != 0)
        fprintf(stderr, "lodging-migrate: cannot create the database: %s\n", db_error(db));
    db_free(db);
    return rc;
}

static void print_status(db_t *db)
{
    db_result_t *res = NULL;
    if (db_query(db, "SELECT version, name, applied_at FROM schema_migrations ORDER BY version",
                 NULL, 0, &res) != DB_OK) {
        printf("no migrations applied\n");
        return;
    }
    for (size_t i = 0; i < db_result_rows(res); i++)
        printf("%s  %-40s %s\n", db_result_text(res, i, 0), db_result_text(res, i, 1),
               db_result_text(res, i, 2));
    db_result_free(res);
}

int main(int argc, char **argv)
{
    const char *url = getenv("MYSQL_URL");
    const char *dir = DEFAULT_DIR;
    int status_only = 0;
    if (!url || !*url)
        url = DEFAULT_URL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--url") == 0 && i + 1 < argc)
            url = argv[++i];
        else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--status") == 0)
            status_only = 1;
        else
            return usage();
    }
    log_init("lodging-migrate", LOG_LEVEL_WARN);
    if (!status_only && ensure_database(url) != 0)
        return 1;
    char err[1024];
    db_t *db = db_new(url, err, sizeof err);
    if (!db) {
        fprintf(stderr, "lodging-migrate: %s\n", err);
        return 1;
    }
    int rc = 0, applied = 0;
    if (!status_only) {
        if (migrate_apply(db, dir, &applied, err, sizeof err) != 0) {
            fprintf(stderr, "lodging-migrate: %s\n", err);
            rc = 1;
        } else {
            printf("applied %d migration(s)\n", applied);
        }
    }
    print_status(db);
    db_free(db);
    return rc;
}
