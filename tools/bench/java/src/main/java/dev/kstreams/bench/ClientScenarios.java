package dev.kstreams.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The two scenarios without Kafka Streams: the plain clients' ceiling.
 *
 * <ul>
 *   <li>consume: a KafkaConsumer assigned all partitions of the input topic, from the
 *       beginning, without a group and without commits, reads N records.</li>
 *   <li>consumeproduce: the same consumer, and a KafkaProducer copying every record (same key
 *       and value) to the output topic. Under exactly_once_v2 the producer is transactional
 *       and commits, every commit interval (default 100 ms, as Kafka Streams), a transaction
 *       holding the copies and the consumed offsets (sendOffsetsToTransaction, group
 *       {@code application-id}); the consumer reads read_committed.</li>
 * </ul>
 * Both clients run with their defaults otherwise, except what --config sets: each KEY=VALUE
 * goes to both clients, after the harness's own settings; {@code consumer.K=V} sets K on the
 * consumer only and {@code producer.K=V} K on the producer only (see {@link #withUserConfig}).
 */
final class ClientScenarios {
    private static final Duration POLL = Duration.ofMillis(100);

    private static final String CONSUMER_PREFIX = "consumer.";
    private static final String PRODUCER_PREFIX = "producer.";

    private ClientScenarios() {
    }

    /**
     * Puts the --config settings into one client's properties, over the harness's: a key with
     * {@code own} prefix without it, a key with the {@code other} client's prefix not at all,
     * any other key as it is (a Kafka Streams-only key, such as main.consumer.K, is then
     * unknown to the client, which warns and ignores it).
     */
    static Properties withUserConfig(Properties props, Options o, String own, String other) {
        for (Map.Entry<String, String> e : o.config.entrySet()) {
            String key = e.getKey();
            if (key.startsWith(other)) {
                continue;
            }
            if (key.startsWith(own)) {
                key = key.substring(own.length());
            }
            props.put(key, e.getValue());
        }
        return props;
    }

    static void run(Options o, Meter meter) throws Exception {
        boolean produce = o.scenario.equals("consumeproduce");
        Properties cp = new Properties();
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrapServers);
        cp.put(ConsumerConfig.CLIENT_ID_CONFIG, o.applicationId + "-consumer");
        cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        if (o.exactlyOnce()) {
            cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            if (produce) {
                // sendOffsetsToTransaction needs a group; partitions are still assigned by hand.
                cp.put(ConsumerConfig.GROUP_ID_CONFIG, o.applicationId);
            }
        }
        withUserConfig(cp, o, CONSUMER_PREFIX, PRODUCER_PREFIX);

        KafkaProducer<String, byte[]> producer = null;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(cp)) {
            if (produce) {
                Properties pp = new Properties();
                pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrapServers);
                pp.put(ProducerConfig.CLIENT_ID_CONFIG, o.applicationId + "-producer");
                pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
                pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
                // As the C++ loop's producer and both systems' streams producers: batches
                // wait up to 100 ms to fill (the Java client's default is 0).
                pp.put(ProducerConfig.LINGER_MS_CONFIG, 100);
                if (o.exactlyOnce()) {
                    pp.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, o.applicationId);
                }
                withUserConfig(pp, o, PRODUCER_PREFIX, CONSUMER_PREFIX);
                producer = new KafkaProducer<>(pp);
                if (o.exactlyOnce()) {
                    producer.initTransactions();
                }
            }

            List<TopicPartition> partitions = new ArrayList<>();
            List<PartitionInfo> infos = consumer.partitionsFor(o.inputTopic, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("topic " + o.inputTopic + " does not exist");
            }
            for (PartitionInfo info : infos) {
                partitions.add(new TopicPartition(info.topic(), info.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            // The clock starts at the first record, as the C++ harness's does for these
            // scenarios: connecting and the first fetch are start-up.

            if (producer == null) {
                consume(o, meter, consumer);
            } else if (o.exactlyOnce()) {
                copyTransactionally(o, meter, consumer, producer);
            } else {
                copy(o, meter, consumer, producer);
            }
        } finally {
            if (producer != null) {
                producer.close(Duration.ofSeconds(30));
            }
        }
    }

    private static long deadline(Options o) {
        return System.nanoTime() + o.timeoutS * 1_000_000_000L;
    }

    private static void checkDeadline(long deadline) throws Bench.TimeoutException {
        if (System.nanoTime() - deadline > 0) {
            throw new Bench.TimeoutException();
        }
    }

    private static void consume(Options o, Meter meter, KafkaConsumer<String, byte[]> consumer)
            throws Bench.TimeoutException {
        long deadline = deadline(o);
        while (!meter.finished()) {
            checkDeadline(deadline);
            ConsumerRecords<String, byte[]> records = consumer.poll(POLL);
            for (ConsumerRecord<String, byte[]> r : records) {
                meter.record(r.key(), r.value());
                if (meter.finished()) {
                    break;
                }
            }
        }
    }

    private static void copy(Options o, Meter meter, KafkaConsumer<String, byte[]> consumer,
                             KafkaProducer<String, byte[]> producer) throws Exception {
        AtomicReference<Exception> sendError = new AtomicReference<>();
        Callback callback = (metadata, e) -> {
            if (e != null) {
                sendError.compareAndSet(null, e);
            }
        };
        long deadline = deadline(o);
        while (!meter.finished()) {
            checkDeadline(deadline);
            if (sendError.get() != null) {
                throw sendError.get();
            }
            ConsumerRecords<String, byte[]> records = consumer.poll(POLL);
            for (ConsumerRecord<String, byte[]> r : records) {
                producer.send(new ProducerRecord<>(o.outputTopic, r.key(), r.value()), callback);
                meter.record(r.key(), r.value());
                if (meter.finished()) {
                    break;
                }
            }
        }
        producer.flush();  // after the measured interval, as Kafka Streams' final commit
        if (sendError.get() != null) {
            throw sendError.get();
        }
    }

    private static void copyTransactionally(Options o, Meter meter,
                                            KafkaConsumer<String, byte[]> consumer,
                                            KafkaProducer<String, byte[]> producer)
            throws Bench.TimeoutException {
        long commitIntervalNanos =
            (o.commitIntervalMs != null ? o.commitIntervalMs : 100L) * 1_000_000L;
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        long deadline = deadline(o);
        producer.beginTransaction();
        long lastCommit = System.nanoTime();
        while (!meter.finished()) {
            checkDeadline(deadline);
            ConsumerRecords<String, byte[]> records = consumer.poll(POLL);
            for (ConsumerRecord<String, byte[]> r : records) {
                producer.send(new ProducerRecord<>(o.outputTopic, r.key(), r.value()));
                offsets.put(new TopicPartition(r.topic(), r.partition()),
                            new OffsetAndMetadata(r.offset() + 1));
                meter.record(r.key(), r.value());
                if (meter.finished()) {
                    break;
                }
            }
            if (!meter.finished() && System.nanoTime() - lastCommit >= commitIntervalNanos) {
                commit(producer, consumer, offsets);
                producer.beginTransaction();
                lastCommit = System.nanoTime();
            }
        }
        commit(producer, consumer, offsets);  // after the measured interval
    }

    private static void commit(KafkaProducer<String, byte[]> producer,
                               KafkaConsumer<String, byte[]> consumer,
                               Map<TopicPartition, OffsetAndMetadata> offsets) {
        if (!offsets.isEmpty()) {
            producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
            offsets.clear();
        }
        producer.commitTransaction();  // a send error surfaces here as an exception
    }
}
