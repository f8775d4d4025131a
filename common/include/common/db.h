/*
 * db.h — MariaDB/MySQL access (MariaDB Connector/C) with prepared statements
 * only, typed parameters, transactions, reconnect, typed errors, and a pool.
 *
 * Values are never spliced into SQL text: every query takes db_param_t
 * parameters bound to '?' placeholders. Money is DECIMAL in the schema and
 * travels as text ("250000.00"), never as a float. Results are fully
 * buffered and read as text (or bytes), with typed helpers for integers.
 *
 * Usage:
 *     char err[256];
 *     db_t *db = db_new("mysql://lodging:lodging@127.0.0.1:13306/lodging", err, sizeof err);
 *     db_param_t p[] = {DB_STR("bk_1"), DB_STR("250000.00"), DB_INT(2)};
 *     if (db_exec(db, "INSERT INTO t (id, price, n) VALUES (?, ?, ?)", p, 3, NULL, NULL)
 *         == DB_ERR_DUPLICATE) ...                     // the UNIQUE key said no
 *     db_result_t *res; db_query(db, "SELECT price FROM t WHERE id = ?", p, 1, &res);
 *     const char *price = db_result_text(res, 0, 0);  ...  db_result_free(res);
 *
 * Reconnect: a connection that went away is re-established on the next call;
 * a statement that failed before it was sent (at prepare) is retried once,
 * one that may have run is reported (DB_ERR_GONE) — never silently repeated.
 * Thread-safety: a db_t is ONE connection: one thread at a time (per-thread
 * connections or db_pool). Ownership: results are the caller's (db_result_free).
 */
#ifndef COMMON_DB_H
#define COMMON_DB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef enum {
    DB_OK = 0,
    DB_ERR_CONNECT = -1,      /* cannot connect */
    DB_ERR_DUPLICATE = -2,    /* UNIQUE / PRIMARY KEY violation (1062) */
    DB_ERR_DEADLOCK = -3,     /* 1213: retry the transaction */
    DB_ERR_LOCK_TIMEOUT = -4, /* 1205 */
    DB_ERR_GONE = -5,         /* connection lost mid-statement: outcome unknown */
    DB_ERR_QUERY = -6,        /* any other server error (syntax, constraint...) */
    DB_ERR_INVALID = -7,      /* bad arguments, OOM */
} db_err_t;

typedef enum { DB_PARAM_NULL, DB_PARAM_INT64, DB_PARAM_TEXT, DB_PARAM_BLOB } db_param_type_t;

typedef struct db_param {
    db_param_type_t type;
    int64_t i;
    const void *data;
    size_t len;
} db_param_t;

#define DB_NULL ((db_param_t){.type = DB_PARAM_NULL})
#define DB_INT(v) ((db_param_t){.type = DB_PARAM_INT64, .i = (int64_t)(v)})
/* Text (also DATE 'YYYY-MM-DD', DECIMAL '250000.00'); a NULL pointer binds NULL. */
static inline db_param_t db_param_text(const char *s)
{
    return s ? (db_param_t){.type = DB_PARAM_TEXT, .data = s, .len = strlen(s)} : DB_NULL;
}
#define DB_STR(s) db_param_text(s)
#define DB_BLOB(p, n) ((db_param_t){.type = DB_PARAM_BLOB, .data = (p), .len = (n)})

typedef struct db db_t;
typedef struct db_result db_result_t;

#define DB_CONNECT_TIMEOUT_S 5
#define DB_READ_WRITE_TIMEOUT_S 30
/* Most parameters one statement takes (db_exec / db_query refuse more). */
#define DB_MAX_PARAMS 64

/* Parses the mysql:// URL and connects (utf8mb4, UTC session time zone).
 * NULL with a reason in err. */
db_t *db_new(const char *url, char *err, size_t err_size);
void db_free(db_t *db);

/* The last error text (for logs; contains no parameter values). */
const char *db_error(const db_t *db);
/* The last error's code (MariaDB's, e.g. 1644 for a SIGNAL of SQLSTATE 45000). */
unsigned int db_errno(const db_t *db);
#define DB_ERRNO_SIGNAL 1644 /* ER_SIGNAL_EXCEPTION: a routine's SIGNAL SQLSTATE '45000' */
db_err_t db_ping(db_t *db);
/* The server's id of the current connection (0 while disconnected): it
 * changes when the connection was re-established, which ends whatever was
 * scoped to the session (named locks, temporary tables). */
unsigned long db_session_id(const db_t *db);

/* Executes a statement. affected / insert_id may be NULL. */
db_err_t db_exec(db_t *db, const char *sql, const db_param_t *params, size_t n, uint64_t *affected,
                 uint64_t *insert_id);
/* Executes a query and buffers every row. */
db_err_t db_query(db_t *db, const char *sql, const db_param_t *params, size_t n, db_result_t **out);
/* Runs SQL text with no parameters (DDL in migrations; never with values). */
db_err_t db_exec_script_statement(db_t *db, const char *sql);

db_err_t db_begin(db_t *db);
db_err_t db_commit(db_t *db);
db_err_t db_rollback(db_t *db);

size_t db_result_rows(const db_result_t *res);
size_t db_result_cols(const db_result_t *res);
/* Cell as NUL-terminated text (binary-safe length in *len), or NULL for SQL NULL. */
const char *db_result_text(const db_result_t *res, size_t row, size_t col);
const void *db_result_bytes(const db_result_t *res, size_t row, size_t col, size_t *len);
/* 0 and the value, or -1 when NULL or not an integer. */
int db_result_int64(const db_result_t *res, size_t row, size_t col, int64_t *out);
void db_result_free(db_result_t *res);

/* What this process sent to the database server since it started (all
 * connections): deterministic per operation, so tests can bound them. */
typedef struct db_stats {
    uint64_t round_trips; /* prepares + executes + text queries + commits + rollbacks + pings */
    uint64_t prepares;
    uint64_t executes;
    uint64_t commits;
    uint64_t rollbacks;
} db_stats_t;
void db_stats_get(db_stats_t *out);
/* Adds the counts since the last call to the counters db_round_trips_total,
 * db_statements_prepared_total
 * and db_commits_total (runs before every render of /metrics). */
void db_stats_publish(void);

/* --- pool --- */
typedef struct db_pool db_pool_t;
db_pool_t *db_pool_new(const char *url, size_t size, char *err, size_t err_size);
void db_pool_free(db_pool_t *p);
size_t db_pool_size(const db_pool_t *p);
db_t *db_pool_acquire(db_pool_t *p);
void db_pool_release(db_pool_t *p, db_t *db);

#endif /* COMMON_DB_H */
