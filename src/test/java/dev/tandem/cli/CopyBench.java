package dev.tandem.cli;

import dev.tandem.engine.Backfiller;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.engine.EngineException;
import dev.tandem.engine.EngineSettings;
import dev.tandem.engine.MigrationEngine;
import dev.tandem.engine.StepListener;
import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.Ident;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.api.v1alpha1.Step;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static dev.tandem.cli.BenchCommand.NULL_EVERY;
import static dev.tandem.cli.BenchCommand.PII_SINGLE_1;
import static dev.tandem.cli.BenchCommand.PII_SINGLE_2;
import static dev.tandem.cli.BenchCommand.TRACKING_SCHEMA;
import static dev.tandem.cli.BenchCommand.USERS;
import static dev.tandem.cli.BenchCommand.WHERE;

/**
 * The benchmark's copy part: fills the source table, then times a single INSERT ... SELECT (first
 * and last), Tandem's backfill with one worker and with two.
 */
final class CopyBench {
    private final DatabaseTarget db;
    private final EngineSettings settings;
    private final PrintWriter out;
    private final long rows;

    CopyBench(DatabaseTarget db, EngineSettings settings, PrintWriter out, long rows) {
        this.db = db;
        this.settings = settings;
        this.out = out;
        this.rows = rows;
    }

    private record Timing(long nanos, long rows) {
    }

    private static final class Counting implements Backfiller.Listener {
        final AtomicLong batches = new AtomicLong();
        final AtomicLong lastBatchSize = new AtomicLong();
        final AtomicLong rowsWritten = new AtomicLong();
        final AtomicLong vacuumStart = new AtomicLong();
        final AtomicLong vacuumNanos = new AtomicLong();

        @Override
        public void at(Backfiller.Point point, int entry, int shard) {
            if (point == Backfiller.Point.BEFORE_VACUUM) {
                vacuumStart.set(System.nanoTime());
            } else if (point == Backfiller.Point.AFTER_VACUUM) {
                vacuumNanos.set(System.nanoTime() - vacuumStart.get());
            }
        }

        @Override
        public void batch(int entry, int shard, long rowsWritten, long pagesDone, int batchPages) {
            batches.incrementAndGet();
            this.rowsWritten.set(rowsWritten); // the run's rows so far (one worker here)
            lastBatchSize.set(batchPages);
        }
    }

    /** Runs the copy part; returns the 1-worker backfill's time in nanoseconds (its target is left filled). */
    long run(MigrationPlan backfillPlan, MigrationPlan parallelPlan) throws SQLException, EngineException,
            InterruptedException {
        out.println();
        out.printf(Locale.ROOT, "1. Copy: %s(id bigint primary key, email text not null, full_name text), %,d rows, "
                + "where %s%n", USERS, rows, WHERE);
        out.flush();
        fill();
        MigrationEngine engine = new MigrationEngine(db, settings);
        engine.apply(backfillPlan, Step.EXPAND, "bench", StepListener.NONE);
        engine.apply(parallelPlan, Step.EXPAND, "bench", StepListener.NONE);

        Timing single1 = singleStatement(PII_SINGLE_1);
        Counting listener = new Counting();
        BenchCommand.checkpoint(db);
        long t0 = System.nanoTime();
        new Backfiller(db, settings, BackfillTuning.defaults()).run(backfillPlan, 0, 1, listener);
        // Rows as the batches reported them: a count(*) here would set the target's hint bits, which the
        // first verification pass is to find unset, as the backfill leaves them.
        Timing backfill = new Timing(System.nanoTime() - t0, listener.rowsWritten.get());
        Timing parallel = parallelBackfill(parallelPlan, 2);
        Timing single2 = singleStatement(PII_SINGLE_2);

        out.println();
        out.println("   method                                          time        rows copied      rows/s");
        row("single INSERT ... SELECT (run 1)", single1);
        row("Tandem backfill, 1 worker (shard 0 of 1)", backfill);
        row("Tandem backfill, 2 workers (shards 0, 1 of 2)", parallel);
        row("single INSERT ... SELECT (run 2)", single2);
        out.printf(Locale.ROOT, "   backfill, 1 worker: %,d batches, last batch %,d pages (auto-sized, 200 ms target); "
                        + "of its time, the closing VACUUM of the target %.2f s%n",
                listener.batches.get(), listener.lastBatchSize.get(), listener.vacuumNanos.get() / 1e9);
        batchTimes(backfillPlan);
        ratios(single1.nanos <= single2.nanos ? single1 : single2, backfill, parallel, listener.vacuumNanos.get());
        return backfill.nanos;
    }

    /** Creates and fills the source table, vacuumed, analyzed and read once, and the single statement's targets. */
    private void fill() throws SQLException {
        long fillStart = System.nanoTime();
        try (Connection c = db.connect("tandem-bench"); Statement s = c.createStatement()) {
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
                (System.nanoTime() - fillStart) / 1e9);
        out.flush();
    }

    private void batchTimes(MigrationPlan backfillPlan) throws SQLException {
        try (Connection c = db.connect("tandem-bench"); PreparedStatement ps = c.prepareStatement("SELECT "
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
    }

    private void ratios(Timing single, Timing backfill, Timing parallel, long vacuumNanos) {
        boolean same = backfill.rows == single.rows && parallel.rows == single.rows;
        out.printf(Locale.ROOT, "   rows in the targets agree: %s%n", same ? "yes" : "NO (" + single.rows + " / "
                + backfill.rows + " / " + parallel.rows + ")");
        double ratio = (double) single.nanos / backfill.nanos;
        double ratioParallel = (double) single.nanos / parallel.nanos;
        out.printf(Locale.ROOT, "   backfill speed / single statement (faster single run): 1 worker %.2f  [target >= 0.80: %s]%n",
                ratio, ratio >= 0.8 ? "met" : "NOT met");
        out.printf(Locale.ROOT, "   backfill speed / single statement (faster single run): 2 workers %.2f%n", ratioParallel);
        // The single statement leaves its target unvacuumed: the backfill's copy alone, for the same work.
        out.printf(Locale.ROOT, "   backfill speed / single statement, the closing VACUUM aside: 1 worker %.2f%n",
                (double) single.nanos / Math.max(1, backfill.nanos - vacuumNanos));
        out.flush();
    }

    private Timing singleStatement(String table) throws SQLException {
        BenchCommand.checkpoint(db);
        try (Connection c = db.connect("tandem-bench"); Statement s = c.createStatement()) {
            long t0 = System.nanoTime();
            s.executeUpdate("INSERT INTO " + Ident.quote(table) + " (user_id, full_name) SELECT id, full_name FROM "
                    + Ident.quote(USERS) + " WHERE " + WHERE);
            long nanos = System.nanoTime() - t0;
            return new Timing(nanos, BenchCommand.count(db, table));
        }
    }

    private Timing parallelBackfill(MigrationPlan plan, int shards) throws SQLException, EngineException,
            InterruptedException {
        BenchCommand.checkpoint(db);
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
        BenchCommand.rethrow(failure.get());
        return new Timing(nanos, BenchCommand.count(db, plan.sync().get(0).targetTable()));
    }

    private void row(String label, Timing t) {
        out.printf(Locale.ROOT, "   %-46s %7.2f s %,14d %,11.0f%n", label, t.nanos / 1e9, t.rows, t.rows / (t.nanos / 1e9));
    }
}
