package dev.kstreams.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code --load}: (re)creates the four benchmark topics and writes the input data, the same
 * data the C++ harness's --load writes (a stand-in when that binary is not built):
 * <ul>
 *   <li>table topic: one record per key, key-0 .. key-(K-1), in order;</li>
 *   <li>input and second input topics: N records each, written interleaved (so their
 *       timestamps are alike, as a stream-stream join with a 1-minute window needs), keys
 *       {@code key-<n>} with n drawn uniformly from [0, K) or, with --skew S, from a Zipf
 *       distribution of exponent S (key-0 the most frequent);</li>
 *   <li>output topic: empty.</li>
 * </ul>
 * Values are --value-bytes random bytes. All topics get --partitions partitions and the
 * broker's default replication factor; keys are placed by the Java default partitioner
 * (murmur2), as Kafka Streams places them.
 */
final class Loader {
    private Loader() {
    }

    static void run(Options o) throws Exception {
        long keys = o.keys != null ? o.keys : o.records;
        List<String> topics = List.of(o.inputTopic, o.secondInputTopic, o.tableTopic, o.outputTopic);
        long t0 = System.nanoTime();
        recreateTopics(o, topics);

        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrapServers);
        pp.put(ProducerConfig.CLIENT_ID_CONFIG, "kstreams-bench-java-load");
        pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        pp.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        pp.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        AtomicReference<Exception> error = new AtomicReference<>();
        Callback callback = (metadata, e) -> {
            if (e != null) {
                error.compareAndSet(null, e);
            }
        };
        SplittableRandom random = new SplittableRandom();
        KeyChooser chooser = o.skew > 0 ? new Zipf(keys, o.skew, random) : () -> random.nextLong(keys);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(pp)) {
            for (long k = 0; k < keys && error.get() == null; k++) {
                producer.send(new ProducerRecord<>(o.tableTopic, "key-" + k, value(o, random)), callback);
            }
            for (long i = 0; i < o.records && error.get() == null; i++) {
                producer.send(new ProducerRecord<>(o.inputTopic, "key-" + chooser.next(),
                                                   value(o, random)), callback);
                producer.send(new ProducerRecord<>(o.secondInputTopic, "key-" + chooser.next(),
                                                   value(o, random)), callback);
            }
            producer.flush();
        }
        if (error.get() != null) {
            throw error.get();
        }
        System.err.printf("kstreams-bench-java: loaded %d records into %s and %s, %d into %s"
                              + " (%d partitions, %d keys, %d-byte values, skew %s) in %.1f s%n",
                          o.records, o.inputTopic, o.secondInputTopic, keys, o.tableTopic,
                          o.partitions, keys, o.valueBytes, o.skew, (System.nanoTime() - t0) / 1e9);
    }

    private static byte[] value(Options o, SplittableRandom random) {
        byte[] v = new byte[o.valueBytes];
        random.nextBytes(v);
        return v;
    }

    private static void recreateTopics(Options o, List<String> topics) throws Exception {
        Properties ap = new Properties();
        ap.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrapServers);
        try (Admin admin = Admin.create(ap)) {
            Set<String> existing = admin.listTopics().names().get();
            List<String> old = new ArrayList<>();
            for (String t : topics) {
                if (existing.contains(t)) {
                    old.add(t);
                }
            }
            if (!old.isEmpty()) {
                admin.deleteTopics(old).all().get();
            }
            // A deleted topic can take a moment to disappear: retry for up to 60 s.
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            for (String t : topics) {
                while (true) {
                    try {
                        admin.createTopics(List.of(new NewTopic(t, Optional.of(o.partitions), Optional.empty())))
                            .all().get();
                        break;
                    } catch (ExecutionException e) {
                        if (!(e.getCause() instanceof TopicExistsException)
                            || System.nanoTime() - deadline > 0) {
                            throw e;
                        }
                        Thread.sleep(500);
                    }
                }
            }
        }
    }

    private interface KeyChooser {
        long next();
    }

    /** Zipf-distributed ranks in [0, n): P(k) proportional to 1 / (k + 1)^s. */
    private static final class Zipf implements KeyChooser {
        private final double[] cdf;
        private final SplittableRandom random;

        Zipf(long n, double s, SplittableRandom random) {
            if (n > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("--keys too large for --skew");
            }
            this.random = random;
            cdf = new double[(int) n];
            double sum = 0;
            for (int k = 0; k < n; k++) {
                sum += 1.0 / Math.pow(k + 1, s);
                cdf[k] = sum;
            }
            for (int k = 0; k < n; k++) {
                cdf[k] /= sum;
            }
        }

        @Override
        public long next() {
            double u = random.nextDouble();
            int lo = 0;
            int hi = cdf.length - 1;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (cdf[mid] < u) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }
    }
}
