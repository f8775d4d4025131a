/*
 * migrate.h — versioned schema migrations (db/migrations/NNN_name.sql).
 *
 * migrate_apply() brings a database up to date: it creates
 * schema_migrations(version, name, checksum, applied_at) if missing, takes a
 * server-side lock (GET_LOCK) so two replicas starting together never race,
 * verifies that files already applied have not changed since (SHA-256), and
 * applies the pending ones in version order, one statement at a time, each
 * file inside a transaction that also records it. MariaDB commits DDL
 * implicitly, so a file of DDL is not atomic: a failure mid-file stops the run
 * with the file and statement named, and the file stays unrecorded. Files of
 * DML only are atomic. Safe to run any number of times.
 *
 * Usage:
 *     int applied; char err[512];
 *     if (migrate_apply(db, "db/migrations", &applied, err, sizeof err) != 0)
 *         log_error("migration failed: %s", err);
 *
 * Thread-safety: uses the caller's connection; run it from one thread.
 */
#ifndef COMMON_MIGRATE_H
#define COMMON_MIGRATE_H

#include <stddef.h>

#include "common/db.h"

#define MIGRATE_LOCK_NAME "lodging_schema_migrations"
#define MIGRATE_LOCK_TIMEOUT_S 60
#define MIGRATE_MAX_FILES 512

/* 0 with *applied = files applied now, or -1 with a reason in err. */
int migrate_apply(db_t *db, const char *dir, int *applied, char *err, size_t err_size);

/* Splits SQL text into statements on ';' outside quotes and comments; a
 * "DELIMITER <token>" line (as the mariadb client takes it) makes <token> the
 * separator until the next one, so a routine's body may contain ';'. Calls
 * fn for each non-empty statement (NUL-terminated, without the ';'); stops and
 * returns fn's non-zero result. */
int migrate_split_sql(const char *sql, int (*fn)(const char *stmt, void *ctx), void *ctx);

#endif /* COMMON_MIGRATE_H */
