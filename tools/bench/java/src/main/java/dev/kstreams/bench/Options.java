package dev.kstreams.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Command-line options of the harness. The same options, with the same meaning and defaults,
 * are accepted by the C++ harness (build/tools/kstreams-bench); see docs/benchmarks.md.
 * Both "--name value" and "--name=value" are accepted.
 */
final class Options {
    static final List<String> SCENARIOS = List.of(
        "consume", "consumeproduce",
        "streamprocess", "streamprocesswithsink", "streamprocesswithstatestore", "streamcount",
        "streamprocesswithwindowstore", "streamcountwindowed",
        "streamtablejoin", "streamstreamjoin", "tabletablejoin");

    static final String AT_LEAST_ONCE = "at_least_once";
    static final String EXACTLY_ONCE_V2 = "exactly_once_v2";

    String bootstrapServers;
    String scenario;
    String guarantee = AT_LEAST_ONCE;
    long records = 1_000_000L;
    String inputTopic = "bench-input";
    String secondInputTopic = "bench-input-2";
    String tableTopic = "bench-table";
    String outputTopic = "bench-output";
    int threads = 1;
    String stateDir;          // null: a fresh temporary folder, deleted at exit
    String applicationId;     // null: bench-<scenario>-<random>
    Long commitIntervalMs;    // null: the Kafka Streams default for the guarantee
    long timeoutS = 600;
    /** --config KEY=VALUE, in order (a repeated KEY: the last value); applied last. */
    final Map<String, String> config = new LinkedHashMap<>();

    boolean describe;         // --describe: print the scenario's topology and exit

    // --load (writes the input data; for testing without the C++ harness)
    boolean load;
    Long keys;                // null: as many keys as records
    int valueBytes = 100;
    int partitions = 4;
    double skew = 0.0;        // 0: uniform keys; > 0: Zipf exponent

    static final String USAGE = String.join("\n",
        "usage: java -jar kstreams-bench-java.jar --bootstrap-servers HOST:PORT --scenario NAME [options]",
        "       java -jar kstreams-bench-java.jar --load --bootstrap-servers HOST:PORT [load options]",
        "",
        "scenarios: " + String.join(", ", SCENARIOS),
        "",
        "options:",
        "  --guarantee at_least_once|exactly_once_v2   processing.guarantee (default at_least_once)",
        "  --records N                 input records to process (default 1000000)",
        "  --input-topic T             default bench-input",
        "  --second-input-topic T      default bench-input-2 (streamstreamjoin, tabletablejoin)",
        "  --table-topic T             default bench-table (streamtablejoin)",
        "  --output-topic T            default bench-output",
        "  --threads N                 num.stream.threads (default 1)",
        "  --state-dir DIR             default: a fresh temporary folder, deleted at exit",
        "  --application-id ID         default bench-<scenario>-<random>",
        "  --commit-interval-ms N      default: Kafka Streams' default for the guarantee",
        "  --timeout-s S               fail if N records are not processed in S seconds (default 600)",
        "  --config KEY=VALUE          extra configuration, repeatable, applied after the harness's own:",
        "                              Kafka Streams' for the streams scenarios (its consumer., producer.,",
        "                              main.consumer. ... prefixes as usual); the clients' for consume and",
        "                              consumeproduce (consumer.K / producer.K: K for that client only)",
        "  --describe                  print the scenario's Kafka Streams topology and exit",
        "",
        "load options (create the four topics again and fill them):",
        "  --records N  --keys K (default N)  --value-bytes B (default 100)",
        "  --partitions P (default 4)  --skew S (Zipf exponent; default 0 = uniform)",
        "",
        "Prints one JSON line on stdout and one human-readable line on stderr.",
        "Exit status: 0 ok, 1 failure or timeout, 2 bad usage.");

    /** Thrown for bad usage; Bench prints the message and the usage and exits 2. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    static Options parse(String[] args) throws UsageException {
        Options o = new Options();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            switch (name) {
                case "-h":
                case "--help":
                    throw new UsageException(null);
                case "--load":
                    o.load = true;
                    continue;
                case "--describe":
                    o.describe = true;
                    continue;
                default:
                    break;
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new UsageException(name + " needs a value");
                }
                value = args[++i];
            }
            switch (name) {
                case "--bootstrap-servers": o.bootstrapServers = value; break;
                case "--scenario": o.scenario = value; break;
                case "--guarantee": o.guarantee = value; break;
                case "--records": o.records = positiveLong(name, value); break;
                case "--input-topic": o.inputTopic = value; break;
                case "--second-input-topic": o.secondInputTopic = value; break;
                case "--table-topic": o.tableTopic = value; break;
                case "--output-topic": o.outputTopic = value; break;
                case "--threads": o.threads = (int) positiveLong(name, value); break;
                case "--state-dir": o.stateDir = value; break;
                case "--application-id": o.applicationId = value; break;
                case "--commit-interval-ms": o.commitIntervalMs = positiveLong(name, value); break;
                case "--timeout-s": o.timeoutS = positiveLong(name, value); break;
                case "--keys": o.keys = positiveLong(name, value); break;
                case "--value-bytes": o.valueBytes = (int) positiveLong(name, value); break;
                case "--partitions": o.partitions = (int) positiveLong(name, value); break;
                case "--skew": o.skew = nonNegativeDouble(name, value); break;
                case "--config": putConfig(o.config, name, value); break;
                default: throw new UsageException("unknown option: " + name);
            }
        }
        if (o.describe) {
            o.bootstrapServers = o.bootstrapServers == null ? "unused:9092" : o.bootstrapServers;
        }
        if (o.bootstrapServers == null || o.bootstrapServers.isEmpty()) {
            throw new UsageException("--bootstrap-servers is required");
        }
        if (o.load) {
            return o;
        }
        if (o.scenario == null) {
            throw new UsageException("--scenario is required");
        }
        o.scenario = o.scenario.toLowerCase(Locale.ROOT);
        if (!SCENARIOS.contains(o.scenario)) {
            throw new UsageException("unknown scenario: " + o.scenario);
        }
        if (!o.guarantee.equals(AT_LEAST_ONCE) && !o.guarantee.equals(EXACTLY_ONCE_V2)) {
            throw new UsageException("--guarantee must be at_least_once or exactly_once_v2");
        }
        return o;
    }

    boolean exactlyOnce() {
        return guarantee.equals(EXACTLY_ONCE_V2);
    }

    private static void putConfig(Map<String, String> config, String name, String value)
            throws UsageException {
        int eq = value.indexOf('=');
        if (eq <= 0 || value.substring(0, eq).isBlank()) {
            throw new UsageException(name + " wants KEY=VALUE, got '" + value + "'");
        }
        config.remove(value.substring(0, eq));  // a repeated key moves to the end: it wins
        config.put(value.substring(0, eq), value.substring(eq + 1));
    }

    private static long positiveLong(String name, String value) throws UsageException {
        try {
            long v = Long.parseLong(value);
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new UsageException(name + " must be a positive integer, got '" + value + "'");
    }

    private static double nonNegativeDouble(String name, String value) throws UsageException {
        try {
            double v = Double.parseDouble(value);
            if (v >= 0 && !Double.isInfinite(v)) {
                return v;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new UsageException(name + " must be a number >= 0, got '" + value + "'");
    }
}
