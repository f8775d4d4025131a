/*
 * db.c — prepared statements over MariaDB Connector/C (see db.h).
 *
 * Each connection keeps the statements it prepared, keyed by their SQL text
 * (a small LRU), so a statement is prepared once per connection and every
 * later use is one COM_STMT_EXECUTE round trip. Statements live on the
 * server only as long as their connection: a reconnect starts an empty
 * cache. Results are read with every column bound as a string/blob buffer
 * sized from max_length (STMT_ATTR_UPDATE_MAX_LENGTH), so one code path
 * handles all types.
 */
#include "common/db.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/config.h"
#include "common/crypto.h"
#include "common/metrics.h"

#define DB_DEFAULT_PORT 3306
/* Statements kept prepared per connection; a service uses a few dozen. */
#define DB_STMT_CACHE_SIZE 96

typedef struct stmt_entry {
    char *sql;
    size_t len;
    uint64_t hash;
    uint64_t used; /* the connection's use counter when last used (LRU) */
    MYSQL_STMT *stmt;
} stmt_entry_t;

struct db {
    MYSQL *conn; /* NULL while disconnected */
    char *host;
    char *user;
    char *password;
    char *database;
    int port;
    bool in_transaction;
    unsigned int errcode; /* the server's or client's code of the last error */
    char error[512];
    stmt_entry_t cache[DB_STMT_CACHE_SIZE];
    size_t cached;
    uint64_t uses;
};

typedef struct cell {
    char *data; /* NULL for SQL NULL */
    size_t len;
} cell_t;

struct db_result {
    size_t rows, cols;
    cell_t *cells; /* rows × cols */
};

static pthread_once_t library_once = PTHREAD_ONCE_INIT;

static void library_init(void)
{
    mysql_library_init(0, NULL, NULL);
    metrics_add_collector(db_stats_publish);
}

static metric_t *queries_metric(void)
{
    return metrics_counter("db_queries_total", "Database statements by result", 1, "result");
}

/* Process-wide counts of what was sent to the server (db_stats). */
static struct {
    _Atomic uint64_t round_trips, prepares, executes, commits, rollbacks;
} stats;

static void count(_Atomic uint64_t *c)
{
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

void db_stats_get(db_stats_t *out)
{
    out->round_trips = atomic_load(&stats.round_trips);
    out->prepares = atomic_load(&stats.prepares);
    out->executes = atomic_load(&stats.executes);
    out->commits = atomic_load(&stats.commits);
    out->rollbacks = atomic_load(&stats.rollbacks);
}

/* The counts as counters, brought up to date by whoever renders /metrics:
 * each adds what was counted since the last render. */
void db_stats_publish(void)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static db_stats_t published;
    db_stats_t s;
    pthread_mutex_lock(&lock);
    db_stats_get(&s);
    metrics_counter_add(metrics_counter("db_round_trips_total",
                                        "Requests sent to the database server (prepare, "
                                        "execute, text query, commit, rollback, ping)",
                                        0),
                        (double)(s.round_trips - published.round_trips));
    metrics_counter_add(metrics_counter("db_statements_prepared_total",
                                        "Statements prepared (once per connection and SQL "
                                        "text while cached)",
                                        0),
                        (double)(s.prepares - published.prepares));
    metrics_counter_add(metrics_counter("db_commits_total", "Transactions committed", 0),
                        (double)(s.commits - published.commits));
    published = s;
    pthread_mutex_unlock(&lock);
}

static const char *err_label(db_err_t e)
{
    switch (e) {
    case DB_OK:
        return "ok";
    case DB_ERR_DUPLICATE:
        return "duplicate";
    case DB_ERR_DEADLOCK:
        return "deadlock";
    case DB_ERR_LOCK_TIMEOUT:
        return "lock_timeout";
    case DB_ERR_CONNECT:
    case DB_ERR_GONE:
        return "connection";
    default:
        return "error";
    }
}

static db_err_t classify(unsigned int code)
{
    switch (code) {
    case ER_DUP_ENTRY:
        return DB_ERR_DUPLICATE;
    case ER_LOCK_DEADLOCK:
        return DB_ERR_DEADLOCK;
    case ER_LOCK_WAIT_TIMEOUT:
        return DB_ERR_LOCK_TIMEOUT;
    case ER_CONNECTION_KILLED: /* the session is gone, and its statements with it */
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
        return DB_ERR_GONE;
    default:
        return DB_ERR_QUERY;
    }
}

static void cache_drop(db_t *db, size_t i)
{
    mysql_stmt_close(db->cache[i].stmt);
    free(db->cache[i].sql);
    db->cache[i] = db->cache[--db->cached];
    memset(&db->cache[db->cached], 0, sizeof db->cache[0]);
}

static void cache_clear(db_t *db)
{
    while (db->cached > 0)
        cache_drop(db, db->cached - 1);
}

static void disconnect(db_t *db)
{
    cache_clear(db);
    if (db->conn)
        mysql_close(db->conn);
    db->conn = NULL;
    db->in_transaction = false;
}

static int connect_now(db_t *db)
{
    if (db->conn)
        return 0;
    MYSQL *m = mysql_init(NULL);
    if (!m) {
        snprintf(db->error, sizeof db->error, "out of memory");
        return -1;
    }
    unsigned int connect_s = DB_CONNECT_TIMEOUT_S, rw_s = DB_READ_WRITE_TIMEOUT_S;
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &connect_s);
    mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &rw_s);
    mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &rw_s);
    mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_options(m, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
    if (!mysql_real_connect(m, db->host, db->user, db->password, db->database, (unsigned)db->port,
                            NULL, 0)) {
        snprintf(db->error, sizeof db->error, "cannot connect to %s:%d: %s", db->host, db->port,
                 mysql_error(m));
        mysql_close(m);
        return -1;
    }
    db->conn = m;
    return 0;
}

db_t *db_new(const char *url, char *err, size_t err_size)
{
    pthread_once(&library_once, library_init);
    config_url_t u;
    if (config_url_parse(url, &u, err, err_size) != 0)
        return NULL;
    if (strcasecmp(u.scheme, "mysql") != 0 && strcasecmp(u.scheme, "mariadb") != 0) {
        snprintf(err, err_size, "only mysql:// or mariadb:// URLs are supported");
        config_url_clear(&u);
        return NULL;
    }
    db_t *db = calloc(1, sizeof *db);
    if (!db) {
        config_url_clear(&u);
        return NULL;
    }
    db->host = u.host;
    db->user = u.user;
    db->password = u.password;
    db->database = u.path;
    db->port = u.port ? u.port : DB_DEFAULT_PORT;
    free(u.scheme);
    if (connect_now(db) != 0) {
        snprintf(err, err_size, "%s", db->error);
        db_free(db);
        return NULL;
    }
    return db;
}

void db_free(db_t *db)
{
    if (!db)
        return;
    disconnect(db);
    if (db->password)
        crypto_wipe(db->password, strlen(db->password));
    free(db->password);
    free(db->host);
    free(db->user);
    free(db->database);
    free(db);
}

const char *db_error(const db_t *db)
{
    return db->error;
}

unsigned int db_errno(const db_t *db)
{
    return db->errcode;
}

unsigned long db_session_id(const db_t *db)
{
    return db->conn ? mysql_thread_id(db->conn) : 0;
}

/* ------------------------------------------------------------ statements -- */

static db_err_t stmt_fail(db_t *db, MYSQL_STMT *stmt)
{
    unsigned int code = stmt ? mysql_stmt_errno(stmt) : mysql_errno(db->conn);
    db->errcode = code;
    snprintf(db->error, sizeof db->error, "%s (%u)",
             stmt ? mysql_stmt_error(stmt) : mysql_error(db->conn), code);
    db_err_t e = classify(code);
    if (e == DB_ERR_GONE)
        disconnect(db);
    return e;
}

static void bind_params(MYSQL_BIND *b, const db_param_t *params, size_t n)
{
    static my_bool is_null = 1;
    memset(b, 0, sizeof *b * n);
    for (size_t i = 0; i < n; i++) {
        switch (params[i].type) {
        case DB_PARAM_NULL:
            b[i].buffer_type = MYSQL_TYPE_NULL;
            b[i].is_null = &is_null;
            break;
        case DB_PARAM_INT64:
            b[i].buffer_type = MYSQL_TYPE_LONGLONG;
            b[i].buffer = (void *)&params[i].i;
            break;
        case DB_PARAM_TEXT:
        case DB_PARAM_BLOB:
            b[i].buffer_type =
                params[i].type == DB_PARAM_TEXT ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
            b[i].buffer = (void *)params[i].data;
            b[i].buffer_length = (unsigned long)params[i].len;
            break;
        }
    }
}

static uint64_t sql_hash(const char *sql, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)sql[i]) * 1099511628211ULL;
    return h;
}

/* The connection's prepared statement for sql, preparing it on first use
 * (and dropping the least recently used one when the cache is full). */
static db_err_t cached_stmt(db_t *db, const char *sql, MYSQL_STMT **out)
{
    size_t len = strlen(sql);
    uint64_t h = sql_hash(sql, len);
    db->uses++;
    for (size_t i = 0; i < db->cached; i++) {
        stmt_entry_t *c = &db->cache[i];
        if (c->hash == h && c->len == len && memcmp(c->sql, sql, len) == 0) {
            c->used = db->uses;
            *out = c->stmt;
            return DB_OK;
        }
    }
    MYSQL_STMT *stmt = mysql_stmt_init(db->conn);
    char *copy = stmt ? strdup(sql) : NULL;
    if (!copy) {
        if (stmt)
            mysql_stmt_close(stmt);
        return DB_ERR_INVALID;
    }
    count(&stats.prepares);
    count(&stats.round_trips);
    int rc = mysql_stmt_prepare(stmt, sql, (unsigned long)len);
    if (rc != 0 && mysql_stmt_errno(stmt) == ER_MAX_PREPARED_STMT_COUNT_REACHED && db->cached > 0) {
        /* the server's max_prepared_stmt_count is shared by every client:
         * give back what this connection keeps and try once more */
        cache_clear(db);
        count(&stats.prepares);
        count(&stats.round_trips);
        rc = mysql_stmt_prepare(stmt, sql, (unsigned long)len);
    }
    if (rc != 0) {
        db_err_t e = stmt_fail(db, stmt);
        mysql_stmt_close(stmt);
        free(copy);
        return e;
    }
    my_bool update_max = 1;
    mysql_stmt_attr_set(stmt, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max);
    if (db->cached == DB_STMT_CACHE_SIZE) {
        size_t lru = 0;
        for (size_t i = 1; i < db->cached; i++)
            if (db->cache[i].used < db->cache[lru].used)
                lru = i;
        cache_drop(db, lru);
    }
    db->cache[db->cached++] =
        (stmt_entry_t){.sql = copy, .len = len, .hash = h, .used = db->uses, .stmt = stmt};
    *out = stmt;
    return DB_OK;
}

/* Forgets sql's statement (after the server said it must be prepared again). */
static void cache_forget(db_t *db, MYSQL_STMT *stmt)
{
    for (size_t i = 0; i < db->cached; i++)
        if (db->cache[i].stmt == stmt) {
            cache_drop(db, i);
            return;
        }
}

/* Executes sql's cached statement; retries once on a fresh connection when
 * the connection was found dead before anything was sent, and once when the
 * server asks for a new prepare (a table changed under the statement). The
 * statement stays the connection's: never close it. */
static db_err_t prepare_execute(db_t *db, const char *sql, const db_param_t *params, size_t n,
                                MYSQL_STMT **out)
{
    *out = NULL;
    if (n > DB_MAX_PARAMS)
        return DB_ERR_INVALID;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (connect_now(db) != 0)
            return DB_ERR_CONNECT;
        bool was_tx = db->in_transaction;
        MYSQL_STMT *stmt = NULL;
        db_err_t e = cached_stmt(db, sql, &stmt);
        if (e != DB_OK) {
            if (e == DB_ERR_GONE && !was_tx && attempt == 0)
                continue; /* nothing ran: safe to retry */
            return e;
        }
        if (mysql_stmt_param_count(stmt) != n) {
            snprintf(db->error, sizeof db->error, "statement takes %lu parameters, %zu given",
                     mysql_stmt_param_count(stmt), n);
            return DB_ERR_INVALID;
        }
        MYSQL_BIND binds[DB_MAX_PARAMS];
        bind_params(binds, params, n);
        if (n > 0 && mysql_stmt_bind_param(stmt, binds) != 0)
            return stmt_fail(db, stmt);
        count(&stats.executes);
        count(&stats.round_trips);
        if (mysql_stmt_execute(stmt) != 0) {
            unsigned int code = mysql_stmt_errno(stmt);
            e = stmt_fail(db, stmt); /* DB_ERR_GONE has emptied the cache */
            if (code == ER_NEED_REPREPARE && attempt == 0) {
                cache_forget(db, stmt); /* not executed: safe to retry */
                continue;
            }
            return e;
        }
        *out = stmt;
        return DB_OK;
    }
    return DB_ERR_GONE;
}

db_err_t db_exec(db_t *db, const char *sql, const db_param_t *params, size_t n, uint64_t *affected,
                 uint64_t *insert_id)
{
    MYSQL_STMT *stmt;
    db_err_t e = prepare_execute(db, sql, params, n, &stmt);
    if (e == DB_OK) {
        if (affected)
            *affected = (uint64_t)mysql_stmt_affected_rows(stmt);
        if (insert_id)
            *insert_id = (uint64_t)mysql_stmt_insert_id(stmt);
        if (mysql_stmt_field_count(stmt) > 0) { /* a result nobody asked for */
            mysql_stmt_store_result(stmt);
            mysql_stmt_free_result(stmt);
        }
    }
    metrics_counter_inc(queries_metric(), err_label(e));
    return e;
}

/* Fetches every row of an executed statement into a db_result_t. */
static db_err_t fetch_all(db_t *db, MYSQL_STMT *stmt, db_result_t **out)
{
    if (mysql_stmt_store_result(stmt) != 0)
        return stmt_fail(db, stmt);
    MYSQL_RES *meta = mysql_stmt_result_metadata(stmt);
    db_result_t *res = calloc(1, sizeof *res);
    if (!meta || !res) {
        if (meta)
            mysql_free_result(meta);
        free(res);
        return meta ? DB_ERR_INVALID : DB_OK;
    }
    res->cols = mysql_num_fields(meta);
    res->rows = (size_t)mysql_stmt_num_rows(stmt);
    MYSQL_FIELD *fields = mysql_fetch_fields(meta);
    res->cells = calloc(res->rows * res->cols + 1, sizeof *res->cells);
    MYSQL_BIND *b = calloc(res->cols + 1, sizeof *b);
    unsigned long *lens = calloc(res->cols + 1, sizeof *lens);
    my_bool *nulls = calloc(res->cols + 1, sizeof *nulls);
    char **bufs = calloc(res->cols + 1, sizeof *bufs);
    db_err_t e = (res->cells && b && lens && nulls && bufs) ? DB_OK : DB_ERR_INVALID;
    for (size_t c = 0; e == DB_OK && c < res->cols; c++) {
        size_t cap = fields[c].max_length + 1;
        if (cap < 64)
            cap = 64; /* numbers report small max_length before conversion to text */
        bufs[c] = malloc(cap);
        b[c].buffer_type = MYSQL_TYPE_STRING;
        b[c].buffer = bufs[c];
        b[c].buffer_length = (unsigned long)cap;
        b[c].length = &lens[c];
        b[c].is_null = &nulls[c];
        if (!bufs[c])
            e = DB_ERR_INVALID;
    }
    if (e == DB_OK && res->cols > 0 && mysql_stmt_bind_result(stmt, b) != 0)
        e = stmt_fail(db, stmt);
    for (size_t r = 0; e == DB_OK && r < res->rows; r++) {
        int rc = mysql_stmt_fetch(stmt);
        if (rc == 1 || rc == MYSQL_NO_DATA) {
            e = rc == 1 ? stmt_fail(db, stmt) : DB_ERR_INVALID;
            break;
        }
        for (size_t c = 0; c < res->cols; c++) {
            cell_t *cell = &res->cells[r * res->cols + c];
            if (nulls[c])
                continue;
            if (lens[c] >= b[c].buffer_length) { /* would have been truncated */
                snprintf(db->error, sizeof db->error, "column %zu value longer than reported", c);
                e = DB_ERR_INVALID;
                break;
            }
            cell->data = malloc(lens[c] + 1);
            if (!cell->data) {
                e = DB_ERR_INVALID;
                break;
            }
            memcpy(cell->data, bufs[c], lens[c]);
            cell->data[lens[c]] = '\0';
            cell->len = lens[c];
        }
    }
    for (size_t c = 0; bufs && c < res->cols; c++)
        free(bufs[c]);
    free(bufs);
    free(nulls);
    free(lens);
    free(b);
    mysql_free_result(meta);
    if (e != DB_OK) {
        db_result_free(res);
        return e;
    }
    *out = res;
    return DB_OK;
}

db_err_t db_query(db_t *db, const char *sql, const db_param_t *params, size_t n, db_result_t **out)
{
    *out = NULL;
    MYSQL_STMT *stmt;
    db_err_t e = prepare_execute(db, sql, params, n, &stmt);
    if (e == DB_OK) {
        e = fetch_all(db, stmt, out);
        if (db->conn) /* still connected: the statement is still cached */
            mysql_stmt_free_result(stmt);
        if (e == DB_OK && !*out)
            e = DB_ERR_INVALID; /* the statement returned no result set */
    }
    metrics_counter_inc(queries_metric(), err_label(e));
    return e;
}

db_err_t db_exec_script_statement(db_t *db, const char *sql)
{
    if (connect_now(db) != 0)
        return DB_ERR_CONNECT;
    count(&stats.round_trips);
    if (mysql_real_query(db->conn, sql, (unsigned long)strlen(sql)) != 0)
        return stmt_fail(db, NULL);
    MYSQL_RES *r = mysql_store_result(db->conn);
    if (r)
        mysql_free_result(r);
    return DB_OK;
}

db_err_t db_ping(db_t *db)
{
    if (connect_now(db) != 0)
        return DB_ERR_CONNECT;
    count(&stats.round_trips);
    if (mysql_ping(db->conn) != 0) {
        stmt_fail(db, NULL);
        disconnect(db);
        return connect_now(db) == 0 ? DB_OK : DB_ERR_CONNECT;
    }
    return DB_OK;
}

/* ---------------------------------------------------------- transactions -- */

db_err_t db_begin(db_t *db)
{
    db_err_t e = db_exec_script_statement(db, "START TRANSACTION");
    if (e == DB_OK)
        db->in_transaction = true;
    return e;
}

db_err_t db_commit(db_t *db)
{
    if (!db->conn)
        return DB_ERR_GONE;
    count(&stats.round_trips);
    count(&stats.commits);
    db_err_t e = mysql_commit(db->conn) == 0 ? DB_OK : stmt_fail(db, NULL);
    db->in_transaction = false;
    return e;
}

db_err_t db_rollback(db_t *db)
{
    if (!db->conn)
        return DB_ERR_GONE; /* a lost connection rolled back by itself */
    count(&stats.round_trips);
    count(&stats.rollbacks);
    db_err_t e = mysql_rollback(db->conn) == 0 ? DB_OK : stmt_fail(db, NULL);
    db->in_transaction = false;
    return e;
}

/* --------------------------------------------------------------- results -- */

size_t db_result_rows(const db_result_t *res)
{
    return res ? res->rows : 0;
}

size_t db_result_cols(const db_result_t *res)
{
    return res ? res->cols : 0;
}

static const cell_t *cell_at(const db_result_t *res, size_t row, size_t col)
{
    if (!res || row >= res->rows || col >= res->cols)
        return NULL;
    return &res->cells[row * res->cols + col];
}

const char *db_result_text(const db_result_t *res, size_t row, size_t col)
{
    const cell_t *c = cell_at(res, row, col);
    return c ? c->data : NULL;
}

const void *db_result_bytes(const db_result_t *res, size_t row, size_t col, size_t *len)
{
    const cell_t *c = cell_at(res, row, col);
    *len = c && c->data ? c->len : 0;
    return c ? c->data : NULL;
}

int db_result_int64(const db_result_t *res, size_t row, size_t col, int64_t *out)
{
    const char *t = db_result_text(res, row, col);
    if (!t || !*t)
        return -1;
    char *end = NULL;
    long long v = strtoll(t, &end, 10);
    if (*end != '\0')
        return -1;
    *out = v;
    return 0;
}

void db_result_free(db_result_t *res)
{
    if (!res)
        return;
    for (size_t i = 0; res->cells && i < res->rows * res->cols; i++)
        free(res->cells[i].data);
    free(res->cells);
    free(res);
}

/* ------------------------------------------------------------------ pool -- */

struct db_pool {
    pthread_mutex_t lock; /* guards free_list, free_count */
    pthread_cond_t available;
    db_t **all;
    db_t **free_list;
    size_t size, free_count;
};

db_pool_t *db_pool_new(const char *url, size_t size, char *err, size_t err_size)
{
    db_pool_t *p = calloc(1, sizeof *p);
    if (!p || size == 0) {
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->available, NULL);
    p->all = calloc(size, sizeof *p->all);
    p->free_list = calloc(size, sizeof *p->free_list);
    p->size = size;
    for (size_t i = 0; p->all && p->free_list && i < size; i++) {
        if (!(p->all[i] = db_new(url, err, err_size))) {
            db_pool_free(p);
            return NULL;
        }
        p->free_list[p->free_count++] = p->all[i];
    }
    if (!p->all || !p->free_list) {
        db_pool_free(p);
        return NULL;
    }
    return p;
}

void db_pool_free(db_pool_t *p)
{
    if (!p)
        return;
    for (size_t i = 0; p->all && i < p->size; i++)
        db_free(p->all[i]);
    free(p->all);
    free(p->free_list);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->available);
    free(p);
}

size_t db_pool_size(const db_pool_t *p)
{
    return p ? p->size : 0;
}

db_t *db_pool_acquire(db_pool_t *p)
{
    pthread_mutex_lock(&p->lock);
    while (p->free_count == 0)
        pthread_cond_wait(&p->available, &p->lock);
    db_t *db = p->free_list[--p->free_count];
    pthread_mutex_unlock(&p->lock);
    return db;
}

void db_pool_release(db_pool_t *p, db_t *db)
{
    pthread_mutex_lock(&p->lock);
    p->free_list[p->free_count++] = db;
    pthread_cond_signal(&p->available);
    pthread_mutex_unlock(&p->lock);
}
