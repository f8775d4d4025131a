/*
 * migrate.c — the migration runner (see migrate.h).
 */
#include "common/migrate.h"

#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/crypto.h"

#define VERSION_DIGITS 3
#define MAX_FILE_BYTES (4 * 1024 * 1024)

typedef struct migration {
    int version;
    char name[256];
} migration_t;

/* ----------------------------------------------------------- splitting -- */

static bool only_space(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return false;
    return true;
}

/* A "DELIMITER <token>" line at sql + i (the start of a line): the new
 * delimiter in delim, and i moved to the end of that line. */
static bool delimiter_line(const char *sql, size_t len, size_t *i, char *delim, size_t size)
{
    static const char kw[] = "DELIMITER";
    size_t k = sizeof kw - 1;
    if (*i + k >= len || strncasecmp(sql + *i, kw, k) != 0 ||
        (sql[*i + k] != ' ' && sql[*i + k] != '\t'))
        return false;
    size_t p = *i + k;
    while (p < len && (sql[p] == ' ' || sql[p] == '\t'))
        p++;
    size_t n = 0;
    while (p + n < len && !isspace((unsigned char)sql[p + n]))
        n++;
    if (n == 0 || n >= size)
        return false;
    memcpy(delim, sql + p, n);
    delim[n] = '\0';
    p += n;
    while (p < len && sql[p] != '\n')
        p++;
    *i = p;
    return true;
}

int migrate_split_sql(const char *sql, int (*fn)(const char *stmt, void *ctx), void *ctx)
{
    size_t len = strlen(sql);
    char *buf = malloc(len + 1);
    if (!buf)
        return -1;
    size_t out = 0;
    char quote = 0;
    char delim[16] = ";";
    int rc = 0;
    for (size_t i = 0; i < len && rc == 0; i++) {
        char c = sql[i];
        bool line_start = i == 0 || sql[i - 1] == '\n';
        if (!quote && line_start && only_space(buf, out) &&
            delimiter_line(sql, len, &i, delim, sizeof delim)) {
            out = 0; /* a client command, not SQL: routine bodies contain ';' */
        } else if (quote) {
            buf[out++] = c;
            if (c == '\\' && quote != '`' && i + 1 < len)
                buf[out++] = sql[++i];
            else if (c == quote)
                quote = 0;
        } else if (c == '-' && sql[i + 1] == '-') {
            while (i < len && sql[i] != '\n')
                i++; /* line comment: dropped */
            buf[out++] = '\n';
        } else if (c == '/' && sql[i + 1] == '*') {
            const char *end = strstr(sql + i + 2, "*/");
            i = end ? (size_t)(end - sql) + 1 : len;
            buf[out++] = ' ';
        } else if (strncmp(sql + i, delim, strlen(delim)) == 0) {
            buf[out] = '\0';
            if (!only_space(buf, out))
                rc = fn(buf, ctx);
            out = 0;
            i += strlen(delim) - 1;
        } else {
            if (c == '\'' || c == '"' || c == '`')
                quote = c;
            buf[out++] = c;
        }
    }
    buf[out] = '\0';
    if (rc == 0 && !only_space(buf, out))
        rc = fn(buf, ctx);
    free(buf);
    return rc;
}

/* --------------------------------------------------------------- files -- */

static int cmp_migration(const void *a, const void *b)
{
    return ((const migration_t *)a)->version - ((const migration_t *)b)->version;
}

/* Lists NNN_*.sql in dir, sorted; refuses duplicate versions. */
static int list_migrations(const char *dir, migration_t *out, int *count, char *err,
                           size_t err_size)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, err_size, "cannot open migrations directory %s", dir);
        return -1;
    }
    *count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        size_t len = strlen(n);
        if (len < VERSION_DIGITS + 6 || strcmp(n + len - 4, ".sql") != 0)
            continue;
        if (!isdigit((unsigned char)n[0]) || !isdigit((unsigned char)n[1]) ||
            !isdigit((unsigned char)n[2]) || n[3] != '_' || len >= sizeof out->name)
            continue;
        if (*count == MIGRATE_MAX_FILES) {
            closedir(d);
            snprintf(err, err_size, "more than %d migration files", MIGRATE_MAX_FILES);
            return -1;
        }
        out[*count].version = atoi(n);
        snprintf(out[*count].name, sizeof out->name, "%s", n);
        (*count)++;
    }
    closedir(d);
    qsort(out, (size_t)*count, sizeof *out, cmp_migration);
    for (int i = 1; i < *count; i++) {
        if (out[i].version == out[i - 1].version) {
            snprintf(err, err_size, "two migrations share version %03d: %s and %s", out[i].version,
                     out[i - 1].name, out[i].name);
            return -1;
        }
    }
    return 0;
}

static char *read_file(const char *path, char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_size, "cannot read %s", path);
        return NULL;
    }
    char *buf = malloc(MAX_FILE_BYTES + 1);
    size_t n = buf ? fread(buf, 1, MAX_FILE_BYTES + 1, f) : 0;
    fclose(f);
    if (!buf || n > MAX_FILE_BYTES) {
        free(buf);
        snprintf(err, err_size, "%s is larger than %d bytes", path, MAX_FILE_BYTES);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* --------------------------------------------------------------- apply -- */

typedef struct exec_ctx {
    db_t *db;
    int statement;
} exec_ctx_t;

static int exec_statement(const char *stmt, void *ctx)
{
    exec_ctx_t *x = ctx;
    x->statement++;
    return db_exec_script_statement(x->db, stmt) == DB_OK ? 0 : -1;
}

static const char CREATE_TABLE_SQL[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INT UNSIGNED NOT NULL PRIMARY KEY,"
    " name VARCHAR(255) NOT NULL,"
    " checksum CHAR(64) NOT NULL,"
    " applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

/* The recorded checksum of a version, or NULL (caller frees). */
static char *applied_checksum(db_t *db, int version)
{
    db_param_t p[] = {DB_INT(version)};
    db_result_t *res = NULL;
    char *sum = NULL;
    if (db_query(db, "SELECT checksum FROM schema_migrations WHERE version = ?", p, 1, &res) ==
            DB_OK &&
        db_result_rows(res) == 1 && db_result_text(res, 0, 0))
        sum = strdup(db_result_text(res, 0, 0));
    db_result_free(res);
    return sum;
}

/* Applies one file (or verifies it when already applied). 1 applied, 0 up to
 * date, -1 error. */
static int apply_one(db_t *db, const char *dir, const migration_t *m, char *err, size_t err_size)
{
    char path[1024], sum[CRYPTO_SHA256_HEX_LEN + 1];
    snprintf(path, sizeof path, "%s/%s", dir, m->name);
    char *sql = read_file(path, err, err_size);
    if (!sql)
        return -1;
    crypto_sha256_hex(sql, strlen(sql), sum);
    int rc = 0;
    char *recorded = applied_checksum(db, m->version);
    if (recorded) {
        if (strcmp(recorded, sum) != 0) {
            snprintf(err, err_size,
                     "%s was changed after it was applied (checksum mismatch); add a new "
                     "migration instead of editing an applied one",
                     m->name);
            rc = -1;
        }
        goto done;
    }
    exec_ctx_t x = {db, 0};
    if (db_begin(db) != DB_OK || migrate_split_sql(sql, exec_statement, &x) != 0) {
        snprintf(err, err_size, "%s failed at statement %d: %s", m->name, x.statement,
                 db_error(db));
        db_rollback(db);
        rc = -1;
        goto done;
    }
    db_param_t p[] = {DB_INT(m->version), DB_STR(m->name), DB_STR(sum)};
    if (db_exec(db, "INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)", p,
                3, NULL, NULL) != DB_OK ||
        db_commit(db) != DB_OK) {
        snprintf(err, err_size, "%s: cannot record it: %s", m->name, db_error(db));
        db_rollback(db);
        rc = -1;
        goto done;
    }
    rc = 1;
done:
    free(recorded);
    free(sql);
    return rc;
}

int migrate_apply(db_t *db, const char *dir, int *applied, char *err, size_t err_size)
{
    migration_t *list = calloc(MIGRATE_MAX_FILES, sizeof *list);
    int count = 0, rc = -1;
    *applied = 0;
    if (!list)
        return -1;
    if (list_migrations(dir, list, &count, err, err_size) != 0)
        goto out;
    if (db_exec_script_statement(db, CREATE_TABLE_SQL) != DB_OK) {
        snprintf(err, err_size, "cannot create schema_migrations: %s", db_error(db));
        goto out;
    }
    db_param_t lock[] = {DB_STR(MIGRATE_LOCK_NAME), DB_INT(MIGRATE_LOCK_TIMEOUT_S)};
    db_result_t *res = NULL;
    int64_t got = 0;
    if (db_query(db, "SELECT GET_LOCK(?, ?)", lock, 2, &res) != DB_OK ||
        db_result_int64(res, 0, 0, &got) != 0 || got != 1) {
        snprintf(err, err_size, "could not take the migration lock within %d s",
                 MIGRATE_LOCK_TIMEOUT_S);
        db_result_free(res);
        goto out;
    }
    db_result_free(res);
    rc = 0;
    for (int i = 0; i < count && rc == 0; i++) {
        int r = apply_one(db, dir, &list[i], err, err_size);
        if (r < 0)
            rc = -1;
        else
            *applied += r;
    }
    res = NULL;
    db_query(db, "SELECT RELEASE_LOCK(?)", lock, 1, &res);
    db_result_free(res);
out:
    free(list);
    return rc;
}
