package dev.kstreams.bench;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.UUID;

/**
 * The Kafka Streams (Java) benchmark harness: the baseline kstreams is compared with.
 * Same options and output as build/tools/kstreams-bench; see docs/benchmarks.md.
 *
 * <pre>
 *   java -Xmx1g -jar kstreams-bench-java.jar --bootstrap-servers B --scenario streamcount
 * </pre>
 * stdout: one JSON line with the result; stderr: one human-readable line (and warnings).
 * Exit status 0 on success, 1 on failure or timeout, 2 on bad usage.
 */
public final class Bench {
    private static final String PROG = "kstreams-bench-java";

    /** N records were not processed within --timeout-s. */
    static final class TimeoutException extends Exception {
        TimeoutException() {
            super("timeout");
        }
    }

    /** The application failed before N records were processed. */
    static final class RunFailedException extends Exception {
        RunFailedException(Throwable cause) {
            super(cause.toString(), cause);
        }
    }

    private Bench() {
    }

    public static void main(String[] args) {
        Options o;
        try {
            o = Options.parse(args);
        } catch (Options.UsageException e) {
            if (e.getMessage() == null) {
                System.out.println(Options.USAGE);
                System.exit(0);
            }
            System.err.println(PROG + ": error: " + e.getMessage());
            System.err.println(Options.USAGE);
            System.exit(2);
            return;
        }
        System.exit(run(o));
    }

    private static int run(Options o) {
        if (o.load) {
            try {
                Loader.run(o);
                return 0;
            } catch (Exception e) {
                System.err.println(PROG + ": error: loading failed: " + e);
                return 1;
            }
        }
        if (o.applicationId == null) {
            o.applicationId = "bench-" + o.scenario + "-"
                              + UUID.randomUUID().toString().substring(0, 8);
        }
        Meter meter = new Meter(o.records);
        if (o.describe) {
            if (o.scenario.equals("consume") || o.scenario.equals("consumeproduce")) {
                System.out.println(o.scenario + ": plain KafkaConsumer/KafkaProducer, no topology");
            } else {
                try {
                    System.out.print(StreamsScenarios.topology(o, meter).describe());
                } catch (RuntimeException e) {  // say, a --config topology.optimization it rejects
                    System.err.println(PROG + ": error: " + o.scenario + ": " + e);
                    return 1;
                }
            }
            return 0;
        }
        Path tempStateDir = null;
        try {
            if (o.scenario.equals("consume") || o.scenario.equals("consumeproduce")) {
                ClientScenarios.run(o, meter);
            } else {
                String stateDir = o.stateDir;
                if (stateDir == null) {
                    tempStateDir = Files.createTempDirectory(PROG + "-");
                    stateDir = tempStateDir.toString();
                }
                StreamsScenarios.run(o, meter, stateDir);
            }
        } catch (TimeoutException e) {
            System.err.printf("%s: error: %s %s: only %d of %d records processed within %d s%n",
                              PROG, o.scenario, o.guarantee, meter.counted(), o.records, o.timeoutS);
            return 1;
        } catch (Exception e) {
            Throwable cause = e instanceof RunFailedException ? e.getCause() : e;
            System.err.printf("%s: error: %s %s failed after %d of %d records: %s%n",
                              PROG, o.scenario, o.guarantee, meter.counted(), o.records, cause);
            if (System.getenv("KSTREAMS_BENCH_DEBUG") != null) {
                cause.printStackTrace();
            }
            return 1;
        } finally {
            if (tempStateDir != null) {
                deleteRecursively(tempStateDir);
            }
        }
        Meter.Result result = meter.result(o);
        System.out.println(result.json());
        System.out.flush();
        System.err.println(result.human());
        return 0;
    }

    /** Deletes a folder and everything in it; warns (does not fail) if that is not possible. */
    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                        throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e)
                        throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            System.err.println(PROG + ": warning: could not delete " + dir + ": " + e);
        }
    }
}
