package dev.kstreams.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The Kafka Streams scenarios, written as a Kafka Streams user would write them (after
 * Kafka's former SimpleBenchmark). Every topology counts its input in a peek() right after
 * the source: the stream side of a join; for tabletablejoin the left table, read as
 * {@code stream(input).peek(count).toTable()} (see docs/benchmarks.md).
 * Keys are Strings, values byte[]; all other settings are Kafka Streams' defaults, except
 * what --config sets.
 */
final class StreamsScenarios {
    static final String STORE = "store";

    private static final Serde<String> KEYS = Serdes.String();
    private static final Serde<byte[]> VALUES = Serdes.ByteArray();
    private static final Consumed<String, byte[]> CONSUMED = Consumed.with(KEYS, VALUES);
    private static final Produced<String, byte[]> PRODUCED = Produced.with(KEYS, VALUES);

    private StreamsScenarios() {
    }

    static Topology topology(Options o, Meter meter) {
        StreamsBuilder builder = new StreamsBuilder();
        KStream<String, byte[]> input =
            builder.stream(o.inputTopic, CONSUMED).peek(meter::record);
        switch (o.scenario) {
            case "streamprocess":
                break;
            case "streamprocesswithsink":
                input.to(o.outputTopic, PRODUCED);
                break;
            case "streamprocesswithstatestore":
                builder.addStateStore(Stores.keyValueStoreBuilder(
                    Stores.persistentKeyValueStore(STORE), KEYS, VALUES));
                input.process(KeyValueStoreProcessor::new, STORE);
                break;
            case "streamprocesswithwindowstore":
                builder.addStateStore(Stores.windowStoreBuilder(
                    Stores.persistentWindowStore(STORE, Duration.ofMinutes(10),
                                                 Duration.ofMinutes(1), false),
                    KEYS, VALUES));
                input.process(WindowStoreProcessor::new, STORE);
                break;
            case "streamcount":
                input.groupByKey(Grouped.with(KEYS, VALUES)).count();
                break;
            case "streamcountwindowed":
                input.groupByKey(Grouped.with(KEYS, VALUES))
                    .windowedBy(TimeWindows.ofSizeWithNoGrace(Duration.ofMinutes(1)))
                    .count();
                break;
            case "streamtablejoin": {
                KTable<String, byte[]> table = builder.table(o.tableTopic, CONSUMED);
                input.join(table, (v1, v2) -> v1).to(o.outputTopic, PRODUCED);
                break;
            }
            case "streamstreamjoin": {
                KStream<String, byte[]> other = builder.stream(o.secondInputTopic, CONSUMED);
                input.join(other, (v1, v2) -> v1,
                           JoinWindows.ofTimeDifferenceWithNoGrace(Duration.ofMinutes(1)),
                           StreamJoined.with(KEYS, VALUES, VALUES))
                    .to(o.outputTopic, PRODUCED);
                break;
            }
            case "tabletablejoin": {
                // table(input), except that each update of the left table is counted before
                // the table's store (and its cache) sees it.
                KTable<String, byte[]> left = input.toTable();
                KTable<String, byte[]> right = builder.table(o.secondInputTopic, CONSUMED);
                left.join(right, (v1, v2) -> v1).toStream().to(o.outputTopic, PRODUCED);
                break;
            }
            default:
                throw new IllegalArgumentException("not a Kafka Streams scenario: " + o.scenario);
        }
        // The user's settings reach the topology too (topology.optimization is read here).
        return builder.build(userConfig(o));
    }

    /** The --config settings alone. */
    static Properties userConfig(Options o) {
        Properties p = new Properties();
        p.putAll(o.config);
        return p;
    }

    static Properties config(Options o, String stateDir) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, o.applicationId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrapServers);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, o.threads);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
              o.exactlyOnce() ? StreamsConfig.EXACTLY_ONCE_V2 : StreamsConfig.AT_LEAST_ONCE);
        p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
        if (o.commitIntervalMs != null) {
            p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, o.commitIntervalMs);
        }
        p.putAll(userConfig(o));  // last: the user's settings win over the harness's
        return p;
    }

    /**
     * Runs the application until the meter has counted N records (or fails), then closes it.
     * Returns normally once N records were counted; throws otherwise.
     */
    static void run(Options o, Meter meter, String stateDir) throws Exception {
        Topology topology = topology(o, meter);
        KafkaStreams streams = new KafkaStreams(topology, config(o, stateDir));
        streams.setStateListener((newState, oldState) -> {
            if (newState == KafkaStreams.State.RUNNING) {
                meter.start();
            } else if (newState == KafkaStreams.State.ERROR
                       || (newState == KafkaStreams.State.PENDING_SHUTDOWN && !meter.finished())) {
                meter.fail(new IllegalStateException("Kafka Streams went from " + oldState
                                                     + " to " + newState));
            }
        });
        streams.setUncaughtExceptionHandler(e -> {
            meter.fail(e);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        try {
            streams.start();
            boolean done = meter.await(o.timeoutS);
            if (meter.failure() != null) {
                throw new Bench.RunFailedException(meter.failure());
            }
            if (!done) {
                throw new Bench.TimeoutException();
            }
        } finally {
            streams.close(Duration.ofSeconds(60));
            if (o.stateDir != null) {
                // The application's folder only (<state-dir>/<application-id>), not the
                // user's state dir; a temporary state dir is deleted whole by Bench.
                Bench.deleteRecursively(Path.of(stateDir, o.applicationId));
            }
        }
    }

    /** get(key) then put(key, value) in a persistent key-value store, for every record. */
    static final class KeyValueStoreProcessor implements Processor<String, byte[], Void, Void> {
        private KeyValueStore<String, byte[]> store;
        private long found;  // keeps the get() from being optimized away

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            store = context.getStateStore(STORE);
        }

        @Override
        public void process(Record<String, byte[]> record) {
            if (store.get(record.key()) != null) {
                found++;
            }
            store.put(record.key(), record.value());
        }
    }

    /** put(key, value, record timestamp) in a persistent window store, for every record. */
    static final class WindowStoreProcessor implements Processor<String, byte[], Void, Void> {
        private WindowStore<String, byte[]> store;

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            store = context.getStateStore(STORE);
        }

        @Override
        public void process(Record<String, byte[]> record) {
            store.put(record.key(), record.value(), record.timestamp());
        }
    }
}
