/*
 * Reads one of our topics with the official CloudEvents Java SDK
 * (io.cloudevents:cloudevents-kafka: CloudEventDeserializer in a plain
 * KafkaConsumer, the SDK's documented way) and checks every event against what
 * ce_publish sent (expected.tsv: id, type, subject, time, dataschema,
 * traceparent, key, data — tab-separated).
 *
 *     java -cp '<jars>/*' CloudEventsJavaSdk.java <brokers> <topic> <expected.tsv>
 *
 * Exit 0 when every event reads right; 1 with each problem on stderr.
 * Run by tests/contract/cloudevents_sdks.py --sdk java.
 */
import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.CloudEventDeserializer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

public class CloudEventsJavaSdk {
    private static final long WAIT_MS = 60_000;

    public static void main(String[] args) throws Exception {
        String brokers = args[0], topic = args[1];
        Map<String, String[]> expected = new HashMap<>();
        for (String line : Files.readAllLines(Path.of(args[2]), StandardCharsets.UTF_8)) {
            String[] f = line.split("\t", -1);
            expected.put(f[0], f);
        }

        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, topic + "-java");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, CloudEventDeserializer.class);

        Map<String, ConsumerRecord<String, CloudEvent>> seen = new HashMap<>();
        try (KafkaConsumer<String, CloudEvent> consumer = new KafkaConsumer<>(props)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + WAIT_MS;
            while (seen.size() < expected.size() && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, CloudEvent> r : consumer.poll(Duration.ofMillis(500)))
                    seen.put(r.value().getId(), r);
            }
        }

        List<String> problems = new ArrayList<>();
        for (String[] f : expected.values()) {
            ConsumerRecord<String, CloudEvent> r = seen.get(f[0]);
            if (r == null) {
                problems.add("event " + f[0] + " (" + f[1] + ") not read");
                continue;
            }
            CloudEvent ev = r.value();
            String where = f[1] + " " + f[0] + ": ";
            check(problems, where + "specversion", ev.getSpecVersion().toString(), "1.0");
            check(problems, where + "type", ev.getType(), f[1]);
            check(problems, where + "subject", ev.getSubject(), f[2]);
            if (ev.getTime() == null || !ev.getTime().isEqual(OffsetDateTime.parse(f[3])))
                problems.add(where + "time is " + ev.getTime() + ", expected " + f[3]);
            check(problems, where + "dataschema", String.valueOf(ev.getDataSchema()), f[4]);
            check(problems, where + "traceparent", String.valueOf(ev.getExtension("traceparent")),
                  f[5]);
            check(problems, where + "key", r.key(), f[6]);
            check(problems, where + "datacontenttype", ev.getDataContentType(), "application/json");
            String data = ev.getData() == null ? null
                          : new String(ev.getData().toBytes(), StandardCharsets.UTF_8);
            check(problems, where + "data", data, f[7]);
        }
        for (String p : problems)
            System.err.println("FAIL " + p);
        System.out.println(expected.size() + " events read with the Java SDK, " + problems.size()
                           + " problem(s)");
        System.exit(problems.isEmpty() ? 0 : 1);
    }

    private static void check(List<String> problems, String what, Object got, Object want) {
        if (!Objects.equals(got, want))
            problems.add(what + " is " + got + ", expected " + want);
    }
}
