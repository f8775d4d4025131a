/*
 * lodging-kafka-admin — topic administration for the local stack and
 * operators, without a JVM:
 *
 *   lodging-kafka-admin [--brokers B] create-topics [--partitions N] [--replication-factor R]
 * NAME... lodging-kafka-admin [--brokers B] delete-topics NAME... lodging-kafka-admin [--brokers B]
 * wait-ready [--timeout-ms T]
 *
 * --brokers defaults to $KAFKA_BROKERS, then 127.0.0.1:19092. Creating a topic
 * that exists succeeds. Exit 0 on success, 1 on failure, 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kafka.h"
#include "common/log.h"

#define DEFAULT_BROKERS "127.0.0.1:19092"
#define DEFAULT_TIMEOUT_MS 30000
#define MAX_NAMES 256

static int usage(void)
{
    fprintf(stderr, "usage: lodging-kafka-admin [--brokers B] create-topics [--partitions N] "
                    "[--replication-factor R] NAME...\n"
                    "       lodging-kafka-admin [--brokers B] delete-topics NAME...\n"
                    "       lodging-kafka-admin [--brokers B] wait-ready [--timeout-ms T]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *brokers = getenv("KAFKA_BROKERS");
    const char *command = NULL;
    const char *names[MAX_NAMES];
    size_t n = 0;
    int partitions = 3, replication = 1, timeout_ms = DEFAULT_TIMEOUT_MS;
    if (!brokers || !*brokers)
        brokers = DEFAULT_BROKERS;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--brokers") == 0 && i + 1 < argc)
            brokers = argv[++i];
        else if (strcmp(argv[i], "--partitions") == 0 && i + 1 < argc)
            partitions = atoi(argv[++i]);
        else if (strcmp(argv[i], "--replication-factor") == 0 && i + 1 < argc)
            replication = atoi(argv[++i]);
        else if (strcmp(argv[i], "--timeout-ms") == 0 && i + 1 < argc)
            timeout_ms = atoi(argv[++i]);
        else if (argv[i][0] == '-')
            return usage();
        else if (!command)
            command = argv[i];
        else if (n < MAX_NAMES)
            names[n++] = argv[i];
        else
            return usage();
    }
    if (!command || partitions < 1 || replication < 1 || timeout_ms < 1)
        return usage();
    log_init("lodging-kafka-admin", LOG_LEVEL_ERROR);
    char err[512] = "";
    int rc;
    if (strcmp(command, "create-topics") == 0 && n > 0)
        rc = kafka_admin_create_topics(brokers, names, n, partitions, replication, timeout_ms, err,
                                       sizeof err);
    else if (strcmp(command, "delete-topics") == 0 && n > 0)
        rc = kafka_admin_delete_topics(brokers, names, n, timeout_ms, err, sizeof err);
    else if (strcmp(command, "wait-ready") == 0 && n == 0)
        rc = kafka_admin_wait_ready(brokers, NULL, timeout_ms, err, sizeof err);
    else
        return usage();
    if (rc != 0) {
        fprintf(stderr, "lodging-kafka-admin %s: %s\n", command, err);
        return 1;
    }
    if (n > 0)
        printf("%s: %zu topic(s) ok\n", command, n);
    return 0;
}
