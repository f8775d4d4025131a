/*
 * ts_redis_cluster.c — a 3-master Redis Cluster on loopback for tests (see
 * ts_redis_cluster.h).
 */
#include "ts_redis_cluster.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "testsupport.h"

#define NODE_TIMEOUT_MS "2000" /* cluster-node-timeout: small, the nodes share one host */
#define START_TIMEOUT_MS 20000
#define CLUSTER_BUS_OFFSET 10000 /* a node's bus port is its port + 10000 */
#define PORT_TRIES 50

static bool port_bindable(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

/* A free port whose bus port (+10000) is free too. */
static int free_node_port(void)
{
    for (int i = 0; i < PORT_TRIES; i++) {
        int p = ts_free_port();
        if (p > 0 && p + CLUSTER_BUS_OFFSET <= 65535 && port_bindable(p + CLUSTER_BUS_OFFSET))
            return p;
    }
    return -1;
}

/* fork+exec argv with stdout/stderr to log_path; the child dies with us. */
static pid_t spawn(const char *const *argv, const char *log_path)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

redis_client_t *ts_redis_cluster_node_client(const ts_redis_cluster_t *c, size_t i)
{
    char url[64], err[128];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", c->ports[i]);
    return redis_client_new(url, 500, 2000, err, sizeof err);
}

/* True when node i answers `argv` with a reply containing `want`. */
static bool node_says(const ts_redis_cluster_t *c, size_t i, int argc, const char **argv,
                      const char *want)
{
    redis_client_t *r = ts_redis_cluster_node_client(c, i);
    char *s = NULL;
    bool ok =
        r && redis_command_argv(r, argc, argv, NULL, &s) == REDIS_CLIENT_OK && s && strstr(s, want);
    free(s);
    redis_client_free(r);
    return ok;
}

static bool all_nodes_say(const ts_redis_cluster_t *c, int argc, const char **argv,
                          const char *want)
{
    for (size_t i = 0; i < c->count; i++)
        if (!node_says(c, i, argc, argv, want))
            return false;
    return true;
}

static int start_node(ts_redis_cluster_t *c, size_t i)
{
    char node_dir[320], log[352], port[16];
    snprintf(node_dir, sizeof node_dir, "%s/node-%zu", c->dir, i);
    snprintf(log, sizeof log, "%s/redis.log", node_dir);
    if (mkdir(node_dir, 0755) != 0 || (c->ports[i] = free_node_port()) < 0)
        return -1;
    snprintf(port, sizeof port, "%d", c->ports[i]);
    const char *argv[] = {"redis-server",
                          "--port",
                          port,
                          "--bind",
                          "127.0.0.1",
                          "--dir",
                          node_dir,
                          "--cluster-enabled",
                          "yes",
                          "--cluster-config-file",
                          "nodes.conf",
                          "--cluster-node-timeout",
                          NODE_TIMEOUT_MS,
                          "--save",
                          "",
                          "--appendonly",
                          "no",
                          NULL};
    c->pids[i] = spawn(argv, log);
    return c->pids[i] > 0 ? 0 : -1;
}

/* redis-cli --cluster create over every node, no replicas; 0 or -1. */
static int create_cluster(ts_redis_cluster_t *c)
{
    char addrs[TS_REDIS_CLUSTER_MAX_NODES][32], log[320];
    const char *argv[TS_REDIS_CLUSTER_MAX_NODES + 8];
    size_t n = 0;
    argv[n++] = "redis-cli";
    argv[n++] = "--cluster";
    argv[n++] = "create";
    for (size_t i = 0; i < c->count; i++) {
        snprintf(addrs[i], sizeof addrs[i], "127.0.0.1:%d", c->ports[i]);
        argv[n++] = addrs[i];
    }
    argv[n++] = "--cluster-replicas";
    argv[n++] = "0";
    argv[n++] = "--cluster-yes";
    argv[n] = NULL;
    snprintf(log, sizeof log, "%s/cluster-create.log", c->dir);
    pid_t pid = spawn(argv, log);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        fprintf(stderr, "redis-cli --cluster create failed; see %s\n", log);
        return -1;
    }
    return 0;
}

int ts_redis_cluster_start(ts_redis_cluster_t *c, size_t masters)
{
    memset(c, 0, sizeof *c);
    char name[64], parent[160];
    snprintf(parent, sizeof parent, "%s/redis-cluster", LODGING_BINARY_DIR);
    mkdir(parent, 0755);
    snprintf(c->dir, sizeof c->dir, "%s/%s", parent, ts_unique_name("cluster", name, sizeof name));
    if (masters == 0 || masters > TS_REDIS_CLUSTER_MAX_NODES || mkdir(c->dir, 0755) != 0) {
        fprintf(stderr, "cannot make %s: %s\n", c->dir, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < masters; i++, c->count++)
        if (start_node(c, i) != 0) {
            fprintf(stderr, "cannot start redis-server %zu\n", i);
            goto fail;
        }
    const char *ping[] = {"PING"};
    if (!TS_POLL_UNTIL(all_nodes_say(c, 1, ping, "PONG"), START_TIMEOUT_MS)) {
        fprintf(stderr, "redis-server nodes did not answer; logs in %s\n", c->dir);
        goto fail;
    }
    if (create_cluster(c) != 0)
        goto fail;
    const char *info[] = {"CLUSTER", "INFO"};
    if (!TS_POLL_UNTIL(all_nodes_say(c, 2, info, "cluster_state:ok"), START_TIMEOUT_MS)) {
        fprintf(stderr, "the cluster did not reach cluster_state:ok; logs in %s\n", c->dir);
        goto fail;
    }
    size_t len = (size_t)snprintf(c->url, sizeof c->url, "redis-cluster://");
    for (size_t i = 0; i < c->count; i++)
        len += (size_t)snprintf(c->url + len, sizeof c->url - len, "%s127.0.0.1:%d", i ? "," : "",
                                c->ports[i]);
    return 0;
fail:
    ts_redis_cluster_stop(c);
    return -1;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

void ts_redis_cluster_stop(ts_redis_cluster_t *c)
{
    for (size_t i = 0; i < c->count; i++) {
        if (c->pids[i] > 0) {
            kill(c->pids[i], SIGKILL);
            waitpid(c->pids[i], NULL, 0);
        }
        c->pids[i] = 0;
    }
    c->count = 0;
    if (c->dir[0])
        nftw(c->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    c->dir[0] = '\0';
}

int ts_redis_cluster_owner(const ts_redis_cluster_t *c, const char *key)
{
    /* Only the owner answers GET without a redirect. */
    for (size_t i = 0; i < c->count; i++) {
        redis_client_t *r = ts_redis_cluster_node_client(c, i);
        char *v = NULL;
        redis_client_err_t rc = r ? redis_get(r, key, &v) : REDIS_CLIENT_ERR_CONNECT;
        free(v);
        redis_client_free(r);
        if (rc == REDIS_CLIENT_OK)
            return (int)i;
    }
    return -1;
}
