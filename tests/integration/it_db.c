/* db.c against the real MariaDB of the local stack, in a throw-away database. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "testsupport.h"
#include "check_run.h"

static char dbname[64], url[512];
static db_t *db;

static void setup(void)
{
    ck_assert_int_eq(ts_db_create("lodging_it_db", dbname, sizeof dbname, url, sizeof url), 0);
    char err[256];
    db = db_new(url, err, sizeof err);
    ck_assert_msg(db != NULL, "%s", err);
    ck_assert_int_eq(db_exec_script_statement(db, "CREATE TABLE t ("
                                                  " id VARCHAR(40) NOT NULL PRIMARY KEY,"
                                                  " price DECIMAL(15,2) NOT NULL,"
                                                  " nights INT NULL,"
                                                  " stay DATE NULL,"
                                                  " name VARCHAR(64) NULL,"
                                                  " blob_col VARBINARY(64) NULL) ENGINE=InnoDB"),
                     DB_OK);
}

static void teardown(void)
{
    db_free(db);
    ts_db_drop(dbname);
}

static int64_t db_query_count(const char *sql)
{
    db_result_t *res = NULL;
    ck_assert_int_eq(db_query(db, sql, NULL, 0, &res), DB_OK);
    int64_t n = -1;
    ck_assert_int_eq(db_result_int64(res, 0, 0, &n), 0);
    db_result_free(res);
    return n;
}

static db_err_t insert(const char *id, const char *price)
{
    db_param_t p[] = {DB_STR(id),           DB_STR(price),    DB_INT(2),
                      DB_STR("2025-11-01"), DB_STR("홍길동"), DB_BLOB("\x00\x01\x02", 3)};
    return db_exec(db,
                   "INSERT INTO t (id, price, nights, stay, name, blob_col) "
                   "VALUES (?, ?, ?, ?, ?, ?)",
                   p, 6, NULL, NULL);
}

START_TEST(test_every_bind_type_round_trips_exactly)
{
    ck_assert_int_eq(insert("bk_1", "250000.00"), DB_OK);
    db_param_t p[] = {DB_STR("bk_1")};
    db_result_t *res = NULL;
    ck_assert_int_eq(
        db_query(db, "SELECT price, nights, stay, name, blob_col FROM t WHERE id = ?", p, 1, &res),
        DB_OK);
    ck_assert_uint_eq(db_result_rows(res), 1);
    ck_assert_str_eq(db_result_text(res, 0, 0), "250000.00");
    int64_t nights = 0;
    ck_assert_int_eq(db_result_int64(res, 0, 1, &nights), 0);
    ck_assert_int_eq(nights, 2);
    ck_assert_str_eq(db_result_text(res, 0, 2), "2025-11-01");
    ck_assert_str_eq(db_result_text(res, 0, 3), "홍길동");
    size_t len = 0;
    const void *b = db_result_bytes(res, 0, 4, &len);
    ck_assert_uint_eq(len, 3);
    ck_assert(memcmp(b, "\x00\x01\x02", 3) == 0);
    db_result_free(res);
}
END_TEST

/* A statement is prepared once per connection and executed as often as it
 * is used, with fresh parameters and results every time; a reconnect
 * (a new session) prepares it again on the new one. */
START_TEST(test_a_statement_is_prepared_once_per_connection)
{
    db_stats_t s0, s1;
    db_stats_get(&s0);
    for (int i = 0; i < 5; i++) {
        char id[16];
        snprintf(id, sizeof id, "bk_%d", i);
        ck_assert_int_eq(insert(id, "1.00"), DB_OK);
        db_param_t p[] = {DB_STR(id)};
        db_result_t *res = NULL;
        ck_assert_int_eq(db_query(db, "SELECT id, nights FROM t WHERE id = ?", p, 1, &res), DB_OK);
        ck_assert_uint_eq(db_result_rows(res), 1);
        ck_assert_str_eq(db_result_text(res, 0, 0), id);
        db_result_free(res);
    }
    ck_assert_int_eq(insert("bk_0", "1.00"), DB_ERR_DUPLICATE); /* still usable after an error */
    ck_assert_int_eq(insert("bk_9", "1.00"), DB_OK);
    db_stats_get(&s1);
    ck_assert_uint_eq(s1.prepares - s0.prepares, 2);
    ck_assert_uint_eq(s1.executes - s0.executes, 12);
    ck_assert_uint_eq(s1.round_trips - s0.round_trips, 14);
    /* the server forgets the statements with the session */
    unsigned long session = db_session_id(db);
    char err[256], kill[64];
    db_t *other = db_new(url, err, sizeof err);
    ck_assert_msg(other != NULL, "%s", err);
    snprintf(kill, sizeof kill, "KILL CONNECTION %lu", session);
    ck_assert_int_eq(db_exec_script_statement(other, kill), DB_OK);
    db_free(other);
    ck_assert_int_ne(insert("bk_10", "1.00"), DB_OK); /* it may have run: not repeated */
    ck_assert_int_eq(insert("bk_11", "1.00"), DB_OK);
    ck_assert_uint_ne(db_session_id(db), session);
    ck_assert_int_eq(db_query_count("SELECT COUNT(*) FROM t"), 7);
}
END_TEST

START_TEST(test_null_parameters_and_null_columns)
{
    db_param_t p[] = {DB_STR("bk_n"), DB_STR("1.00"), DB_NULL, DB_STR(NULL)};
    ck_assert_int_eq(db_exec(db, "INSERT INTO t (id, price, nights, name) VALUES (?, ?, ?, ?)", p,
                             4, NULL, NULL),
                     DB_OK);
    db_result_t *res = NULL;
    ck_assert_int_eq(db_query(db, "SELECT nights, name FROM t WHERE id = ?", p, 1, &res), DB_OK);
    ck_assert_ptr_null(db_result_text(res, 0, 0));
    ck_assert_ptr_null(db_result_text(res, 0, 1));
    int64_t v;
    ck_assert_int_eq(db_result_int64(res, 0, 0, &v), -1);
    db_result_free(res);
}
END_TEST

static size_t count_rows(void)
{
    db_result_t *res = NULL;
    int64_t n = -1;
    ck_assert_int_eq(db_query(db, "SELECT COUNT(*) FROM t", NULL, 0, &res), DB_OK);
    db_result_int64(res, 0, 0, &n);
    db_result_free(res);
    return (size_t)n;
}

START_TEST(test_rollback_leaves_no_row_and_commit_keeps_it)
{
    ck_assert_int_eq(db_begin(db), DB_OK);
    ck_assert_int_eq(insert("bk_r", "10.00"), DB_OK);
    ck_assert_int_eq(db_rollback(db), DB_OK);
    ck_assert_uint_eq(count_rows(), 0);
    ck_assert_int_eq(db_begin(db), DB_OK);
    ck_assert_int_eq(insert("bk_c", "10.00"), DB_OK);
    ck_assert_int_eq(db_commit(db), DB_OK);
    ck_assert_uint_eq(count_rows(), 1);
}
END_TEST

START_TEST(test_a_duplicate_key_is_reported_as_such)
{
    ck_assert_int_eq(insert("bk_d", "10.00"), DB_OK);
    ck_assert_int_eq(insert("bk_d", "20.00"), DB_ERR_DUPLICATE);
    ck_assert_ptr_nonnull(strstr(db_error(db), "Duplicate"));
}
END_TEST

START_TEST(test_affected_rows_and_sql_errors)
{
    ck_assert_int_eq(insert("bk_a", "10.00"), DB_OK);
    db_param_t p[] = {DB_STR("11.50"), DB_STR("bk_a")};
    uint64_t affected = 0;
    ck_assert_int_eq(db_exec(db, "UPDATE t SET price = ? WHERE id = ?", p, 2, &affected, NULL),
                     DB_OK);
    ck_assert_uint_eq(affected, 1);
    ck_assert_int_eq(db_exec(db, "UPDATE nosuchtable SET x = 1", NULL, 0, NULL, NULL),
                     DB_ERR_QUERY);
    ck_assert_int_eq(db_ping(db), DB_OK);
}
END_TEST

START_TEST(test_a_killed_connection_is_replaced_on_the_next_call)
{
    db_result_t *res = NULL;
    int64_t id = 0;
    ck_assert_int_eq(db_query(db, "SELECT CONNECTION_ID()", NULL, 0, &res), DB_OK);
    db_result_int64(res, 0, 0, &id);
    db_result_free(res);
    char err[256];
    db_t *admin = db_new(url, err, sizeof err);
    db_param_t p[] = {DB_INT(id)};
    ck_assert_int_eq(db_exec(admin, "KILL ?", p, 1, NULL, NULL), DB_OK);
    db_free(admin);
    ck_assert_uint_eq(count_rows(), 0); /* reconnected before anything was sent */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("db");
    TCase *tc = tcase_create("db");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_every_bind_type_round_trips_exactly);
    tcase_add_test(tc, test_a_statement_is_prepared_once_per_connection);
    tcase_add_test(tc, test_null_parameters_and_null_columns);
    tcase_add_test(tc, test_rollback_leaves_no_row_and_commit_keeps_it);
    tcase_add_test(tc, test_a_duplicate_key_is_reported_as_such);
    tcase_add_test(tc, test_affected_rows_and_sql_errors);
    tcase_add_test(tc, test_a_killed_connection_is_replaced_on_the_next_call);
    suite_add_tcase(s, tc);
    return check_run(s);
}
