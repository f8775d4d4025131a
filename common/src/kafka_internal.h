/*
 * kafka_internal.h — what the kafka_*.c files share and nobody else needs.
 */
#ifndef COMMON_KAFKA_INTERNAL_H
#define COMMON_KAFKA_INTERNAL_H

#include <librdkafka/rdkafka.h>

/* Routes librdkafka's own log lines and errors into our JSON log. */
void kafka_conf_route_logs(rd_kafka_conf_t *conf);

/* Sets kafka_consumer_lag_messages{topic,group} from one librdkafka
 * statistics JSON: per topic, the sum of the partitions' consumer_lag that
 * are known (>= 0). Returns the number of topics recorded, -1 on bad JSON. */
int kafka_stats_record_lag(const char *json, size_t json_len, const char *group);

#endif /* COMMON_KAFKA_INTERNAL_H */
