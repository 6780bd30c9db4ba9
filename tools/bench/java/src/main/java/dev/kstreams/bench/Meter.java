package dev.kstreams.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Counts input records and measures the interval in which the first {@code target} of them
 * are processed: wall-clock time, the process's CPU time (user + system, all threads) and,
 * at the end, the peak resident set size (VmHWM).
 *
 * <p>The clock starts at {@link #start()} (the application reached RUNNING) or at the first
 * counted record, whichever comes first (the plain consumer scenarios: the first record): with several
 * stream threads one thread may process records before the whole client is RUNNING.
 * It stops when the {@code target}-th record is counted. Thread-safe: {@link #record} is called
 * from every stream thread.
 */
final class Meter {
    private static final double MIB = 1024.0 * 1024.0;

    private final long target;
    private final AtomicLong count = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicBoolean started = new AtomicBoolean();
    private final CountDownLatch done = new CountDownLatch(1);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private volatile long startNanos;
    private volatile long startCpuNanos;
    private volatile long endNanos;
    private volatile long endCpuNanos;
    private volatile double peakRssMib = Double.NaN;
    private volatile boolean finished;

    Meter(long target) {
        this.target = target;
    }

    /** Starts the clock unless it runs already. */
    void start() {
        if (started.compareAndSet(false, true)) {
            startCpuNanos = os.getProcessCpuTime();
            startNanos = System.nanoTime();
        }
    }

    /** Counts one input record of the given key and value (either may be null). */
    void record(String key, byte[] value) {
        long c = count.incrementAndGet();
        if (c > target) {
            return;
        }
        if (c == 1) {
            start();
        }
        bytes.addAndGet(utf8Length(key) + (value == null ? 0 : value.length));
        if (c == target) {
            endNanos = System.nanoTime();
            endCpuNanos = os.getProcessCpuTime();
            peakRssMib = readPeakRssMib();
            finished = true;
            done.countDown();
        }
    }

    /** Ends the wait of {@link #await} without a result. */
    void fail(Throwable cause) {
        failure.compareAndSet(null, cause);
        done.countDown();
    }

    /** Waits until target records are counted or {@link #fail} was called; false on timeout. */
    boolean await(long timeoutS) throws InterruptedException {
        return done.await(timeoutS, TimeUnit.SECONDS);
    }

    boolean finished() {
        return finished;
    }

    Throwable failure() {
        return failure.get();
    }

    long counted() {
        return Math.min(count.get(), target);
    }

    /** The result: one JSON line (stdout) and one human-readable line (stderr). */
    Result result(Options o) {
        double seconds = Math.max(endNanos - startNanos, 1) / 1e9;
        double cpuSeconds = (endCpuNanos - startCpuNanos) / 1e9;
        return new Result(o.scenario, o.guarantee, target, seconds, target / seconds,
            bytes.get() / MIB / seconds, cpuSeconds, cpuSeconds * 1e6 / target, peakRssMib,
            o.threads);
    }

    record Result(String scenario, String guarantee, long records, double seconds,
                  double recordsPerSec, double mbPerSec, double cpuSeconds,
                  double cpuSecPerMillion, double peakRssMb, int threads) {

        String json() {
            return String.format(Locale.ROOT,
                "{\"system\":\"kafka-streams\",\"scenario\":\"%s\",\"guarantee\":\"%s\","
                    + "\"records\":%d,\"seconds\":%.3f,\"records_per_sec\":%.1f,"
                    + "\"mb_per_sec\":%.3f,\"cpu_seconds\":%.3f,\"cpu_sec_per_million\":%.3f,"
                    + "\"peak_rss_mb\":%s,\"threads\":%d}",
                scenario, guarantee, records, seconds, recordsPerSec, mbPerSec, cpuSeconds,
                cpuSecPerMillion,
                Double.isNaN(peakRssMb) ? "null" : String.format(Locale.ROOT, "%.1f", peakRssMb),
                threads);
        }

        String human() {
            return String.format(Locale.ROOT,
                "kafka-streams %s %s: %d records in %.2f s = %.0f records/s, %.2f MB/s; "
                    + "CPU %.2f s (%.2f s per million records); peak RSS %.1f MiB; %d thread(s)",
                scenario, guarantee, records, seconds, recordsPerSec, mbPerSec, cpuSeconds,
                cpuSecPerMillion, peakRssMb, threads);
        }
    }

    /** VmHWM of /proc/self/status in MiB, NaN where there is no /proc. */
    static double readPeakRssMib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"),
                                                  StandardCharsets.US_ASCII)) {
                if (line.startsWith("VmHWM:")) {
                    String[] parts = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(parts[0]) / 1024.0;  // kB
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return Double.NaN;
    }

    private static int utf8Length(String s) {
        if (s == null) {
            return 0;
        }
        int n = s.length();
        int bytes = n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                if (c < 0x800) {
                    bytes += 1;
                } else if (Character.isHighSurrogate(c)) {
                    bytes += 2;  // 4 bytes for the pair: 2 chars + 2
                    i++;
                } else {
                    bytes += 2;
                }
            }
        }
        return bytes;
    }
}
