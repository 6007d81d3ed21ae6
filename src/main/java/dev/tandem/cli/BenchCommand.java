package dev.tandem.cli;

import dev.tandem.api.v1alpha1.DatabaseSpec;
import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.api.v1alpha1.SqlSpec;
import dev.tandem.api.v1alpha1.SyncSource;
import dev.tandem.api.v1alpha1.SyncSpec;
import dev.tandem.api.v1alpha1.SyncTarget;
import dev.tandem.engine.Backfiller;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.engine.EngineException;
import dev.tandem.engine.EngineSettings;
import dev.tandem.engine.MigrationEngine;
import dev.tandem.engine.StepListener;
import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.CompiledSync;
import dev.tandem.plan.Ident;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import dev.tandem.plan.Step;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Measures, in one run, what Tandem costs against doing the same by hand: the backfill against a
 * single INSERT ... SELECT, a verification pass against that backfill, and the generated sync
 * trigger against a minimal hand-written one under a concurrent single-row UPDATE workload.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmark the backfill against a single INSERT ... SELECT, verification against the backfill, "
                + "and the generated sync trigger "
                + "against no trigger and a minimal hand-written one, under concurrent single-row updates.",
                "Without --database an embedded PostgreSQL is started. With --database, the benchmark's own tables "
                        + "(bench_users, bench_pii_*, bench_w_*, in the first schema of the search path) and the "
                        + "schema " + BenchCommand.TRACKING_SCHEMA + " are dropped before and after the run."})
public class BenchCommand implements Callable<Integer> {
    static final String TRACKING_SCHEMA = "tandem_bench";
    private static final String NAMESPACE = "tandem-bench";
    static final String WHERE = "full_name IS NOT NULL";
    static final long WARMUP_MILLIS = 2_000;
    static final int NULL_EVERY = 10;

    static final String USERS = "bench_users";
    private static final String PII_SINGLE_1 = "bench_pii_a";
    private static final String PII_SINGLE_2 = "bench_pii_a2";
    private static final String PII_BACKFILL = "bench_pii_b";
    private static final String PII_PARALLEL = "bench_pii_c";
    static final String W_NONE = "bench_w_none";
    static final String W_HAND = "bench_w_hand";
    static final String W_HAND_PII = "bench_w_hand_pii";
    static final String W_HAND_FUNCTION = "bench_w_hand_sync";
    static final String W_GEN = "bench_w_gen";
    static final String W_GEN_PII = "bench_w_gen_pii";
    static final String W_FAIL = "bench_w_fail";
    static final String W_FAIL_PII = "bench_w_fail_pii";
    /** The sync targets' column types. */
    static final Map<String, String> PII_TYPES = Map.of("user_id", "bigint", "full_name", "text");
    private static final List<String> TABLES = List.of(PII_SINGLE_1, PII_SINGLE_2, PII_BACKFILL, PII_PARALLEL, USERS,
            W_NONE, W_HAND_PII, W_HAND, W_GEN_PII, W_GEN, W_FAIL_PII, W_FAIL);

    @Spec
    CommandSpec spec;

    @Option(names = "--rows", defaultValue = "2000000", description = "Rows of the copied table (default: ${DEFAULT-VALUE}).")
    long rows;

    @Option(names = "--database", description = "JDBC URL, e.g. jdbc:postgresql://localhost:5432/bench (default: an "
            + "embedded PostgreSQL). The password comes from the environment (PGPASSWORD), never from the command line.")
    String database;

    @Option(names = "--user", description = "Database user (default: PGUSER, or the one in the URL).")
    String user;

    @Option(names = "--seconds", defaultValue = "10", description = "Measured seconds of each write run, after a "
            + "2 s warm-up (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--writers", defaultValue = "4", description = "Concurrent writer connections (default: ${DEFAULT-VALUE}).")
    int writers;

    @Option(names = "--parts", split = ",", defaultValue = "copy,verify,writes", description = "Which parts to run, "
            + "comma-separated: copy, verify, writes; copy is always needed (default: ${DEFAULT-VALUE}).")
    List<String> parts;

    private PrintWriter out;
    private DatabaseTarget db;
    private EngineSettings settings;

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (rows < 1 || seconds < 1 || writers < 1) {
            err.println("error: --rows, --seconds and --writers must be at least 1");
            return 2;
        }
        if (!parts.contains("copy") || !List.of("copy", "verify", "writes").containsAll(parts)) {
            err.println("error: --parts: give copy, optionally with verify and writes (both read the table copy fills), "
                    + "e.g. --parts copy,verify");
            return 2;
        }
        EmbeddedDatabase embedded = null;
        try {
            if (database != null) {
                try {
                    db = DatabaseTarget.ofJdbcUrl(database, user != null ? user : System.getenv("PGUSER"),
                            System.getenv("PGPASSWORD"));
                } catch (IllegalArgumentException e) {
                    err.println("error: --database: " + e.getMessage());
                    return 2;
                }
            } else {
                out.println("Starting an embedded PostgreSQL (no --database given) ...");
                out.flush();
                embedded = EmbeddedDatabase.start();
                db = embedded.target();
            }
            settings = EngineSettings.defaults("bench").withTrackingSchema(TRACKING_SCHEMA);
            List<MigrationPlan> plans = plans();
            try {
                header(embedded != null);
                dropAll(plans);
                if (parts.contains("copy")) {
                    copyBenchmark(plans.get(0), plans.get(1));
                }
                if (parts.contains("writes")) {
                    new WriteBench(db, settings, out, rows, writers, seconds).run(plans.get(2), plans.get(3));
                }
            } finally {
                if (embedded == null) {
                    cleanUp(plans, err);
                }
            }
            return 0;
        } catch (EngineException e) {
            err.println("error: " + e.reason() + ": " + db.redact(e.getMessage()));
            return 1;
        } catch (SQLException e) {
            err.println("error: " + (db == null ? e.getMessage() : db.redact(e.getMessage())));
            return 1;
        } finally {
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    // ---------------------------------------------------------------- setup

    private List<MigrationPlan> plans() {
        String pii = "(user_id bigint PRIMARY KEY, full_name text NOT NULL)";
        return List.of(
                plan("bench-backfill", "CREATE TABLE " + Ident.quote(PII_BACKFILL) + " " + pii, USERS, PII_BACKFILL),
                plan("bench-backfill-parallel", "CREATE TABLE " + Ident.quote(PII_PARALLEL) + " " + pii, USERS,
                        PII_PARALLEL),
                // The write benchmark's target table is created and filled beforehand, like the hand-written one's.
                plan("bench-writes", null, W_GEN, W_GEN_PII),
                plan("bench-writes-fail", null, W_FAIL, W_FAIL_PII, SyncSpec.OnError.Fail));
    }

    private static MigrationPlan plan(String name, String expandSql, String from, String to) {
        return plan(name, expandSql, from, to, SyncSpec.OnError.Record);
    }

    private static MigrationPlan plan(String name, String expandSql, String from, String to, SyncSpec.OnError onError) {
        SyncSpec entry = new SyncSpec();
        entry.setName("full-name");
        SyncSource source = new SyncSource();
        source.setTable(from);
        source.setKey(List.of("id"));
        source.setWhere(WHERE);
        entry.setFrom(source);
        SyncTarget target = new SyncTarget();
        target.setTable(to);
        target.setKey(List.of("user_id"));
        entry.setTo(target);
        Map<String, String> columns = new LinkedHashMap<>();
        columns.put("user_id", "id");
        columns.put("full_name", "full_name");
        entry.setColumns(columns);
        entry.setOnError(onError);
        SchemaMigrationSpec spec = new SchemaMigrationSpec();
        DatabaseSpec database = new DatabaseSpec();
        database.setTrackingSchema(TRACKING_SCHEMA);
        spec.setDatabase(database);
        if (expandSql != null) {
            spec.setExpand(new SqlSpec(expandSql));
        }
        spec.setSync(List.of(entry));
        return Planner.plan(NAMESPACE, name, spec);
    }

    private void header(boolean embedded) throws SQLException {
        Runtime rt = Runtime.getRuntime();
        String physical = "?";
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            physical = gib(os.getTotalMemorySize());
        }
        out.println();
        out.println("Tandem benchmark");
        out.printf(Locale.ROOT, "  machine     %d cores, %s RAM, JVM max heap %s%n", rt.availableProcessors(), physical,
                gib(rt.maxMemory()));
        out.printf(Locale.ROOT, "  JVM         %s (%s %s)%n", System.getProperty("java.version"),
                System.getProperty("java.vm.name"), System.getProperty("java.vm.version"));
        try (Connection c = connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_setting('server_version'), current_setting('shared_buffers'), "
                     + "current_setting('synchronous_commit'), current_setting('fsync'), current_setting('max_wal_size')")) {
            rs.next();
            out.printf(Locale.ROOT, "  PostgreSQL  %s (%s), shared_buffers=%s, synchronous_commit=%s, fsync=%s, "
                            + "max_wal_size=%s%n", rs.getString(1), embedded ? "embedded" : db.server(), rs.getString(2),
                    rs.getString(3), rs.getString(4), rs.getString(5));
        }
        out.printf(Locale.ROOT, "  parameters  --rows %,d (every %dth full_name NULL), --writers %d, --seconds %d%n",
                rows, NULL_EVERY, writers, seconds);
        out.flush();
    }

    private void dropAll(List<MigrationPlan> plans) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            for (String t : TABLES) {
                s.execute("DROP TABLE IF EXISTS " + Ident.quote(t) + " CASCADE");
            }
            s.execute("DROP FUNCTION IF EXISTS " + Ident.quote(W_HAND_FUNCTION) + "()");
            for (MigrationPlan p : plans) {
                for (CompiledSync entry : p.sync()) {
                    s.execute("DROP FUNCTION IF EXISTS " + entry.qualifiedFunction() + "()");
                }
            }
            s.execute("DROP SCHEMA IF EXISTS " + Ident.quote(TRACKING_SCHEMA) + " CASCADE");
        }
    }

    private void cleanUp(List<MigrationPlan> plans, PrintWriter err) {
        try {
            dropAll(plans);
        } catch (SQLException e) {
            err.println("warning: could not drop the benchmark's tables: " + db.redact(e.getMessage()));
        }
    }

    // ---------------------------------------------------------------- 1. copy

    private void copyBenchmark(MigrationPlan backfillPlan, MigrationPlan parallelPlan) throws SQLException, EngineException,
            InterruptedException {
        out.println();
        out.printf(Locale.ROOT, "1. Copy: %s(id bigint primary key, email text not null, full_name text), %,d rows, "
                + "where %s%n", USERS, rows, WHERE);
        out.flush();
        long fillStart = System.nanoTime();
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + Ident.quote(USERS) + " (id bigint PRIMARY KEY, email text NOT NULL, full_name text)");
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + Ident.quote(USERS)
                    + " (id, email, full_name) SELECT g, 'user' || g || '@example.com', "
                    + "CASE WHEN g % ? = 0 THEN NULL ELSE 'Full Name ' || g END FROM generate_series(1::bigint, ?) AS g")) {
                ps.setInt(1, NULL_EVERY);
                ps.setLong(2, rows);
                ps.executeUpdate();
            }
            s.execute("VACUUM ANALYZE " + Ident.quote(USERS));
            // Warm-up: both contenders read this table; a full scan brings it into the caches first.
            s.execute("SELECT count(*), sum(length(email)), sum(length(full_name)) FROM " + Ident.quote(USERS));
            s.execute("CREATE TABLE " + Ident.quote(PII_SINGLE_1) + " (user_id bigint PRIMARY KEY, full_name text NOT NULL)");
            s.execute("CREATE TABLE " + Ident.quote(PII_SINGLE_2) + " (user_id bigint PRIMARY KEY, full_name text NOT NULL)");
        }
        out.printf(Locale.ROOT, "   (table filled, vacuumed, analyzed and scanned once in %.1f s; a CHECKPOINT precedes "
                + "each timed run; order: single, backfill 1 worker, backfill 2 workers, single again)%n",
                seconds(fillStart));
        out.flush();

        MigrationEngine engine = new MigrationEngine(db, settings);
        engine.apply(backfillPlan, Step.EXPAND, "bench", StepListener.NONE);
        engine.apply(parallelPlan, Step.EXPAND, "bench", StepListener.NONE);

        Timing single1 = singleStatement(PII_SINGLE_1);
        Counting listener = new Counting();
        checkpoint();
        long t0 = System.nanoTime();
        new Backfiller(db, settings, BackfillTuning.defaults()).run(backfillPlan, 0, 1, listener);
        Timing backfill = new Timing(System.nanoTime() - t0, count(PII_BACKFILL));
        Timing parallel = parallelBackfill(parallelPlan, 2);
        Timing single2 = singleStatement(PII_SINGLE_2);
        Timing single = single1.nanos <= single2.nanos ? single1 : single2;

        out.println();
        out.println("   method                                          time        rows copied      rows/s");
        row("single INSERT ... SELECT (run 1)", single1);
        row("Tandem backfill, 1 worker (shard 0 of 1)", backfill);
        row("Tandem backfill, 2 workers (shards 0, 1 of 2)", parallel);
        row("single INSERT ... SELECT (run 2)", single2);
        out.printf(Locale.ROOT, "   backfill, 1 worker: %,d batches, last batch %,d pages (auto-sized, 200 ms target)%n",
                listener.batches.get(), listener.lastBatchSize.get());
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement("SELECT "
                + "percentile_cont(0.5) WITHIN GROUP (ORDER BY took_ms), percentile_cont(0.95) WITHIN GROUP (ORDER BY took_ms), "
                + "max(took_ms), count(*) FILTER (WHERE took_ms > 200) FROM " + Ident.quote(TRACKING_SCHEMA)
                + ".backfill_batch_log WHERE migration = ? AND batch > 1")) {
            ps.setString(1, backfillPlan.key());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                out.printf(Locale.ROOT, "   batch time, 1 worker (first batch aside): median %.0f ms, p95 %.0f ms, max %.0f ms; "
                        + "%d over the 200 ms target%n", rs.getDouble(1), rs.getDouble(2), rs.getDouble(3), rs.getLong(4));
            }
        }
        boolean same = backfill.rows == single.rows && parallel.rows == single.rows;
        out.printf(Locale.ROOT, "   rows in the targets agree: %s%n", same ? "yes" : "NO (" + single.rows + " / "
                + backfill.rows + " / " + parallel.rows + ")");
        double ratio = (double) single.nanos / backfill.nanos;
        double ratioParallel = (double) single.nanos / parallel.nanos;
        out.printf(Locale.ROOT, "   backfill speed / single statement (faster single run): 1 worker %.2f  [target >= 0.80: %s]%n",
                ratio, ratio >= 0.8 ? "met" : "NOT met");
        out.printf(Locale.ROOT, "   backfill speed / single statement (faster single run): 2 workers %.2f%n", ratioParallel);
        out.flush();
        if (parts.contains("verify")) {
            engine.apply(backfillPlan, Step.BACKFILL, "bench", StepListener.NONE);
            new VerifyBench(db, settings, out, backfillPlan, backfill.nanos).run();
        }
    }

    private Timing singleStatement(String table) throws SQLException {
        checkpoint();
        try (Connection c = connect(); Statement s = c.createStatement()) {
            long t0 = System.nanoTime();
            s.executeUpdate("INSERT INTO " + Ident.quote(table) + " (user_id, full_name) SELECT id, full_name FROM "
                    + Ident.quote(USERS) + " WHERE " + WHERE);
            long nanos = System.nanoTime() - t0;
            return new Timing(nanos, count(table));
        }
    }

    private Timing parallelBackfill(MigrationPlan plan, int shards) throws SQLException, EngineException,
            InterruptedException {
        checkpoint();
        AtomicReference<Exception> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < shards; i++) {
            int shard = i;
            Thread t = new Thread(() -> {
                try {
                    new Backfiller(db, settings, BackfillTuning.defaults()).run(plan, shard, shards,
                            Backfiller.Listener.NONE);
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                }
            }, "bench-backfill-" + shard);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        long nanos = System.nanoTime() - t0;
        rethrow(failure.get());
        return new Timing(nanos, count(plan.sync().get(0).targetTable()));
    }

    private void row(String label, Timing t) {
        out.printf(Locale.ROOT, "   %-46s %7.2f s %,14d %,11.0f%n", label, t.nanos / 1e9, t.rows, t.rows / (t.nanos / 1e9));
    }

    // ---------------------------------------------------------------- helpers

    private record Timing(long nanos, long rows) {
    }

    private static final class Counting implements Backfiller.Listener {
        final AtomicLong batches = new AtomicLong();
        final AtomicLong lastBatchSize = new AtomicLong();

        @Override
        public void batch(int entry, int shard, long rowsWritten, long pagesDone, int batchPages) {
            batches.incrementAndGet();
            lastBatchSize.set(batchPages);
        }
    }

    private Connection connect() throws SQLException {
        return db.connect("tandem-bench");
    }

    private void checkpoint() throws SQLException {
        checkpoint(db);
    }

    /** A CHECKPOINT before a timed run (skipped without the privilege). */
    static void checkpoint(DatabaseTarget db) throws SQLException {
        try (Connection c = db.connect("tandem-bench"); Statement s = c.createStatement()) {
            s.execute("CHECKPOINT");
        } catch (SQLException e) {
            if (!"42501".equals(e.getSQLState())) { // CHECKPOINT needs superuser or pg_checkpoint
                throw e;
            }
        }
    }

    private long count(String table) throws SQLException {
        return count(db, table);
    }

    static long count(DatabaseTarget db, String table) throws SQLException {
        try (Connection c = db.connect("tandem-bench"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM " + Ident.quote(table))) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (1024.0 * 1024 * 1024));
    }

    private static void rethrow(Exception e) throws SQLException, EngineException {
        if (e == null) {
            return;
        }
        if (e instanceof EngineException ee) {
            throw ee;
        }
        if (e instanceof SQLException se) {
            throw se;
        }
        throw new IllegalStateException(e);
    }
}
