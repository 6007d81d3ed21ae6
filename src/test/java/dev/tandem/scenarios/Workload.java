package dev.tandem.scenarios;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.tandem.engine.DatabaseTarget;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * What the application does while a migration runs: writer threads, each picking one of the
 * scenario's statements by weight and running it in a transaction of its own (autocommit), with a
 * seeded random per thread so that a run can be repeated. Statements name their placeholders
 * {@code :n} (a number unique to this write), {@code :r} (a random number in 1..rows) and
 * {@code :rows} (the size). Writes are counted per kind (only those that changed a row); errors
 * whose SQLSTATE the statement tolerates are counted as "{kind} refused", every other error is
 * collected. Between phases the workload is paused: each write holds a shared lock, the pause takes
 * it exclusively, so no write is in flight while the harness compares.
 */
public final class Workload implements AutoCloseable {
    /**
     * One kind of write; {@code after: cutover} marks a write of the new version that needs the
     * cutover's changes (a column no longer required), left out while it writes before cutover.
     */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record Write(@JsonProperty("kind") String kind, @JsonProperty("weight") Integer weight,
                        @JsonProperty("sql") String sql, @JsonProperty("tolerate") List<String> tolerate,
                        @JsonProperty("after") String after) {
        public Write {
            if (after != null && !after.equals("cutover")) {
                throw new IllegalArgumentException("write '" + kind + "': after must be 'cutover' (or left out), not '"
                        + after + "'");
            }
        }

        boolean afterCutover() {
            return after != null;
        }

        int weightOrOne() {
            return weight == null ? 1 : weight;
        }

        boolean tolerates(String sqlState) {
            return tolerate != null && tolerate.contains(sqlState);
        }
    }

    /**
     * A scenario's workload.yaml.
     *
     * @param old                the current application version: writes through the old schema, until cutover
     * @param newApp             the new version: writes through the new schema, after cutover and after contract
     * @param newDuringMigration the new version also writes during expand, backfill and verify (a reverse mapping)
     */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record Definition(@JsonProperty("old") List<Write> old, @JsonProperty("new") List<Write> newApp,
                             @JsonProperty("newDuringMigration") Boolean newDuringMigration) {
        static Definition load(Path file) throws IOException {
            Definition d = new ObjectMapper(new YAMLFactory()).readValue(file.toFile(), Definition.class);
            if (d.old == null || d.old.isEmpty() || d.newApp == null || d.newApp.isEmpty()) {
                throw new IllegalArgumentException(file + ": needs writes under both 'old' and 'new'");
            }
            return d;
        }

        boolean concurrentNew() {
            return Boolean.TRUE.equals(newDuringMigration);
        }

        /** The new version's writes before cutover: those not marked {@code after: cutover}. */
        List<Write> newBeforeCutover() {
            return newApp.stream().filter(w -> !w.afterCutover()).toList();
        }
    }

    private final DatabaseTarget db;
    private final String application;
    private final List<Write> writes;
    private final long rows;
    private final long seed;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock(true);
    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
    private final List<String> errors = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong attempts = new AtomicLong();
    private final List<Thread> threads = new ArrayList<>();

    private Workload(DatabaseTarget db, String application, List<Write> writes, long rows, long seed) {
        this.db = db;
        this.application = application;
        this.writes = List.copyOf(writes);
        this.rows = rows;
        this.seed = seed;
    }

    /** Starts {@code threads} writers that run until {@link #stop()}. */
    public static Workload start(DatabaseTarget db, String application, List<Write> writes, int threads, long rows,
                                 long seed) {
        Workload w = new Workload(db, application, writes, rows, seed);
        for (int i = 0; i < threads; i++) {
            int index = i;
            Thread t = new Thread(() -> w.loop(index, threads, Long.MAX_VALUE), application + "-writer-" + i);
            t.setDaemon(true);
            w.threads.add(t);
        }
        w.threads.forEach(Thread::start);
        return w;
    }

    /** Runs {@code perThread} writes on each of {@code threads} writers and returns when all are done. */
    public static Workload runFixed(DatabaseTarget db, String application, List<Write> writes, int threads, long rows,
                                    long seed, long perThread) throws InterruptedException {
        Workload w = new Workload(db, application, writes, rows, seed);
        for (int i = 0; i < threads; i++) {
            int index = i;
            w.threads.add(new Thread(() -> w.loop(index, threads, perThread), application + "-writer-" + i));
        }
        w.threads.forEach(Thread::start);
        for (Thread t : w.threads) {
            t.join();
        }
        return w;
    }

    private void loop(int index, int threadCount, long limit) {
        Random random = new Random(seed * 7919 + index);
        int total = writes.stream().mapToInt(Write::weightOrOne).sum();
        long base = (seed + 1) * 1_000_000_000L;
        try (Connection c = db.connect(application); Statement s = c.createStatement()) {
            for (long i = 0; i < limit && !stopping.get(); i++) {
                Write write = pick(random.nextInt(total));
                String sql = bind(write.sql(), base + index + i * threadCount, 1 + (long) (random.nextDouble() * rows));
                gate.readLock().lock();
                try {
                    attempts.incrementAndGet();
                    int changed = s.executeUpdate(sql);
                    if (changed > 0) {
                        counts.computeIfAbsent(write.kind(), k -> new LongAdder()).add(1);
                    }
                } catch (SQLException e) {
                    if (write.tolerates(e.getSQLState())) {
                        counts.computeIfAbsent(write.kind() + " refused", k -> new LongAdder()).add(1);
                    } else {
                        errors.add(write.kind() + " [" + e.getSQLState() + "] " + e.getMessage() + " -- " + sql);
                    }
                } finally {
                    gate.readLock().unlock();
                }
            }
        } catch (SQLException | RuntimeException e) {
            errors.add(application + " writer " + index + " stopped: " + e);
        }
    }

    private Write pick(int ticket) {
        for (Write w : writes) {
            ticket -= w.weightOrOne();
            if (ticket < 0) {
                return w;
            }
        }
        throw new IllegalStateException("unreachable");
    }

    private String bind(String sql, long n, long r) {
        return sql.replaceAll("(?<!:):n\\b", Long.toString(n)).replaceAll("(?<!:):r\\b", Long.toString(r))
                .replaceAll("(?<!:):rows\\b", Long.toString(rows));
    }

    /** Waits for the writes in flight and holds the next ones until {@link #resume()}. */
    public void pause() {
        gate.writeLock().lock();
    }

    public void resume() {
        gate.writeLock().unlock();
    }

    /** Stops the writers after their current write and waits for them. */
    public Workload stop() throws InterruptedException {
        stopping.set(true);
        for (Thread t : threads) {
            t.join(30_000);
            if (t.isAlive()) {
                errors.add(t.getName() + " did not stop within 30 s");
            }
        }
        return this;
    }

    /** Writes attempted so far (changed a row, refused or failed). */
    public long attempts() {
        return attempts.get();
    }

    /** Writes that changed a row, per kind (and the tolerated refusals, as "{kind} refused"). */
    public Map<String, Long> counts() {
        Map<String, Long> m = new TreeMap<>();
        counts.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    /** Writes that changed a row. */
    public long writes() {
        return counts().entrySet().stream().filter(e -> !e.getKey().endsWith(" refused")).mapToLong(Map.Entry::getValue)
                .sum();
    }

    public List<String> errors() {
        synchronized (errors) {
            return List.copyOf(errors);
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (gate.isWriteLockedByCurrentThread()) {
            resume();
        }
        stop();
    }
}
