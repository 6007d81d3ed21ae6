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
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static dev.tandem.cli.BenchCommand.WHERE;
import static dev.tandem.cli.BenchCommand.WARMUP_MILLIS;
import static dev.tandem.cli.BenchCommand.NULL_EVERY;
import static dev.tandem.cli.BenchCommand.USERS;
import static dev.tandem.cli.BenchCommand.W_NONE;
import static dev.tandem.cli.BenchCommand.W_HAND;
import static dev.tandem.cli.BenchCommand.W_HAND_PII;
import static dev.tandem.cli.BenchCommand.W_HAND_FUNCTION;
import static dev.tandem.cli.BenchCommand.W_GEN;
import static dev.tandem.cli.BenchCommand.W_GEN_PII;
import static dev.tandem.cli.BenchCommand.W_FAIL;
import static dev.tandem.cli.BenchCommand.W_FAIL_PII;

/**
 * The benchmark's write part: a concurrent single-row UPDATE workload on a table without a
 * trigger, with a minimal hand-written sync trigger and with the triggers Tandem generates
 * (onError Record and Fail).
 */
final class WriteBench {
    private final DatabaseTarget db;
    private final EngineSettings settings;
    private final PrintWriter out;
    private final long rows;
    private final int writers;
    private final int seconds;

    WriteBench(DatabaseTarget db, EngineSettings settings, PrintWriter out, long rows, int writers, int seconds) {
        this.db = db;
        this.settings = settings;
        this.out = out;
        this.rows = rows;
        this.writers = writers;
        this.seconds = seconds;
    }

    void run(MigrationPlan generatedPlan, MigrationPlan failPlan) throws SQLException, EngineException, InterruptedException {
        long size = Math.min(rows, 200_000);
        out.println();
        out.printf(Locale.ROOT, "3. Writes: %d writers, autocommit, UPDATE <table> SET full_name = ? WHERE id = ? on random "
                + "ids (every %dth value NULL), %,d rows, %d s warm-up + %d s measured per run%n", writers, NULL_EVERY, size,
                WARMUP_MILLIS / 1000, seconds);
        out.flush();
        createTables(size);
        new MigrationEngine(db, settings).apply(generatedPlan, Step.EXPAND, "bench", StepListener.NONE);
        new MigrationEngine(db, settings).apply(failPlan, Step.EXPAND, "bench", StepListener.NONE);
        // The targets are full already; the backfill finds nothing to copy and ends as a finished one does
        // (the triggers stop logging removals). The runs measure the steady state between backfill and cutover.
        for (MigrationPlan p : List.of(generatedPlan, failPlan)) {
            new Backfiller(db, settings, BackfillTuning.defaults()).run(p, 0, 1, Backfiller.Listener.NONE);
        }
        try (Connection c = db.connect("tandem-bench"); Statement s = c.createStatement()) {
            for (String t : List.of(W_NONE, W_HAND, W_GEN, W_FAIL, W_HAND_PII, W_GEN_PII, W_FAIL_PII)) {
                s.execute("VACUUM ANALYZE " + Ident.quote(t));
            }
        }

        // Two rounds in the same order (ABCDABCD); the best of each is compared. A table's second run tends to be
        // faster (pages pruned by the first leave room for HOT updates), which every contender gets once.
        String[] tables = {W_NONE, W_HAND, W_GEN, W_FAIL};
        double[][] runs = new double[2][tables.length];
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < tables.length; i++) {
                runs[round][i] = updates(tables[i], size);
            }
        }
        report(runs);
        watch(generatedPlan, size, Math.max(runs[0][0], runs[1][0]));
    }

    /**
     * The old-storage watch's cost on the application's write path: the generated table cut over
     * (its cutover statements run without the ledger), then the same UPDATE workload, which now
     * writes the migrated column (each write recorded, the worst case), against no trigger.
     */
    private void watch(MigrationPlan plan, long size, double none) throws SQLException, InterruptedException {
        try (Connection c = db.connect("tandem-bench"); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            for (var statement : plan.step(Step.CUTOVER).statements()) {
                if (statement.origin().equals(dev.tandem.plan.PlannedStatement.GENERATED)) {
                    s.execute(statement.sql());
                }
            }
            c.commit();
        }
        double watched = updates(W_GEN, size);
        double idle = updates(W_NONE, size);
        double otherWatched = updates(W_GEN, size, "email");
        double otherIdle = updates(W_NONE, size, "email");
        double base = Math.max(none, idle);
        out.println();
        out.printf(Locale.ROOT, "   old-storage watch after cutover, writing the migrated column (each write recorded): "
                + "%9.0f upd/s%n", watched);
        out.printf(Locale.ROOT, "   no trigger, the same writes:                                                      %9.0f upd/s%n", idle);
        out.printf(Locale.ROOT, "   watch, writing another column (the new application):                               %9.0f upd/s%n",
                otherWatched);
        out.printf(Locale.ROOT, "   no trigger, writing that column:                                                  %9.0f upd/s%n",
                otherIdle);
        out.printf(Locale.ROOT, "   watch / none, a recorded write:        %.3f%n", watched / base);
        out.printf(Locale.ROOT, "   watch / none, another column's write:  %.3f%n", otherWatched / otherIdle);
        out.flush();
    }

    /** The four tables of the first {@code size} users, the three sync targets filled, the hand-written trigger. */
    private void createTables(long size) throws SQLException {
        String pii = "(user_id bigint PRIMARY KEY, full_name text NOT NULL)";
        try (Connection c = db.connect("tandem-bench"); Statement s = c.createStatement()) {
            for (String t : List.of(W_NONE, W_HAND, W_GEN, W_FAIL)) {
                s.execute("CREATE TABLE " + Ident.quote(t) + " (id bigint PRIMARY KEY, email text NOT NULL, full_name text)");
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + Ident.quote(t)
                        + " (id, email, full_name) SELECT id, email, full_name FROM " + Ident.quote(USERS)
                        + " WHERE id <= ? ORDER BY id")) {
                    ps.setLong(1, size);
                    ps.executeUpdate();
                }
            }
            // Both sync targets start in the state a finished backfill leaves.
            for (String[] p : new String[][]{{W_HAND_PII, W_HAND}, {W_GEN_PII, W_GEN}, {W_FAIL_PII, W_FAIL}}) {
                s.execute("CREATE TABLE " + Ident.quote(p[0]) + " " + pii);
                s.execute("INSERT INTO " + Ident.quote(p[0]) + " (user_id, full_name) SELECT id, full_name FROM "
                        + Ident.quote(p[1]) + " WHERE " + WHERE + " ORDER BY id");
            }
            // The minimal hand-written sync trigger, honouring the same where condition.
            s.execute("CREATE FUNCTION " + Ident.quote(W_HAND_FUNCTION) + "() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                    + "BEGIN\n"
                    + "  IF TG_OP = 'DELETE' THEN\n"
                    + "    DELETE FROM " + Ident.quote(W_HAND_PII) + " WHERE user_id = OLD.id;\n"
                    + "    RETURN OLD;\n"
                    + "  END IF;\n"
                    + "  IF NEW.full_name IS NULL THEN\n"
                    + "    DELETE FROM " + Ident.quote(W_HAND_PII) + " WHERE user_id = NEW.id;\n"
                    + "  ELSE\n"
                    + "    INSERT INTO " + Ident.quote(W_HAND_PII) + " (user_id, full_name) VALUES (NEW.id, NEW.full_name)\n"
                    + "      ON CONFLICT (user_id) DO UPDATE SET full_name = EXCLUDED.full_name;\n"
                    + "  END IF;\n"
                    + "  RETURN NEW;\n"
                    + "END\n$$");
            s.execute("CREATE TRIGGER " + Ident.quote(W_HAND_FUNCTION) + " AFTER INSERT OR UPDATE OR DELETE ON "
                    + Ident.quote(W_HAND) + " FOR EACH ROW EXECUTE FUNCTION " + Ident.quote(W_HAND_FUNCTION) + "()");
        }
    }

    private void report(double[][] runs) throws SQLException {
        String[] tables = {W_NONE, W_HAND, W_GEN, W_FAIL};
        double none = Math.max(runs[0][0], runs[1][0]);
        double hand = Math.max(runs[0][1], runs[1][1]);
        double gen = Math.max(runs[0][2], runs[1][2]);
        double fail = Math.max(runs[0][3], runs[1][3]);
        boolean consistent = inSync(W_HAND, W_HAND_PII) && inSync(W_GEN, W_GEN_PII) && inSync(W_FAIL, W_FAIL_PII);

        out.println();
        out.println("   trigger                                  run 1 upd/s   run 2 upd/s      best upd/s");
        String[] labels = {"none", "hand-written (minimal)", "Tandem generated (onError: Record)",
                "Tandem generated (onError: Fail)"};
        for (int i = 0; i < tables.length; i++) {
            out.printf(Locale.ROOT, "   %-38s %13.0f %13.0f %15.0f%n", labels[i], runs[0][i], runs[1][i],
                    Math.max(runs[0][i], runs[1][i]));
        }
        out.println("   order: none, hand-written, Record, Fail, then the same again; best of each two runs");
        out.printf(Locale.ROOT, "   targets equal their source after the runs: %s%n", consistent ? "yes" : "NO");
        double genRatio = gen / hand;
        out.printf(Locale.ROOT, "   generated (Record, the default) / hand-written: %.3f  [target >= 0.95: %s]%n", genRatio,
                genRatio >= 0.95 ? "met" : "NOT met");
        out.printf(Locale.ROOT, "   generated (Fail) / hand-written:                %.3f%n", fail / hand);
        out.printf(Locale.ROOT, "   cost of onError: Record (Record / Fail):        %.3f%n", gen / fail);
        out.printf(Locale.ROOT, "   hand-written / none:                            %.3f%n", hand / none);
        out.printf(Locale.ROOT, "   generated / none:                               %.3f%n", gen / none);
        out.flush();
    }

    /** Updates per second over {@code seconds}, after the warm-up. */
    private double updates(String table, long size) throws SQLException, InterruptedException {
        return updates(table, size, "full_name");
    }

    /** The same, writing {@code column} (email is never set NULL). */
    private double updates(String table, long size, String column) throws SQLException, InterruptedException {
        BenchCommand.checkpoint(db);
        AtomicLong done = new AtomicLong();
        AtomicReference<Exception> failure = new AtomicReference<>();
        CountDownLatch ready = new CountDownLatch(writers);
        CountDownLatch go = new CountDownLatch(1);
        long[] window = new long[2];
        String sql = "UPDATE " + Ident.quote(table) + " SET " + Ident.quote(column) + " = ? WHERE id = ?";
        boolean nulls = column.equals("full_name");
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < writers; i++) {
            Thread t = new Thread(() -> {
                boolean counted = false;
                try (Connection c = db.connect("tandem-bench-writer"); PreparedStatement ps = c.prepareStatement(sql)) {
                    c.setAutoCommit(true);
                    ready.countDown();
                    counted = true;
                    go.await();
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    long measured = 0;
                    while (true) {
                        long id = random.nextLong(1, size + 1);
                        if (nulls && random.nextInt(NULL_EVERY) == 0) {
                            ps.setNull(1, Types.VARCHAR);
                        } else {
                            ps.setString(1, "Name " + random.nextInt(1_000_000));
                        }
                        ps.setLong(2, id);
                        ps.executeUpdate();
                        long now = System.nanoTime();
                        if (now >= window[1]) {
                            break;
                        }
                        if (now >= window[0]) {
                            measured++;
                        }
                    }
                    done.addAndGet(measured);
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                    if (!counted) {
                        ready.countDown();
                    }
                }
            }, "bench-writer-" + i);
            threads.add(t);
            t.start();
        }
        ready.await();
        window[0] = System.nanoTime() + WARMUP_MILLIS * 1_000_000;
        window[1] = window[0] + seconds * 1_000_000_000L;
        go.countDown(); // publishes window[] to the writers
        for (Thread t : threads) {
            t.join();
        }
        if (failure.get() != null) {
            Exception e = failure.get();
            throw e instanceof SQLException se ? se : new SQLException(e.getMessage(), e);
        }
        return done.get() / (double) seconds;
    }

    /** Whether the sync target holds exactly the rows the where condition selects from the source. */
    private boolean inSync(String source, String target) throws SQLException {
        try (Connection c = db.connect("tandem-bench"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT NOT EXISTS ((SELECT id, full_name FROM " + Ident.quote(source) + " WHERE " + WHERE
                        + " EXCEPT SELECT user_id, full_name FROM " + Ident.quote(target) + ") UNION ALL (SELECT user_id, "
                        + "full_name FROM " + Ident.quote(target) + " EXCEPT SELECT id, full_name FROM "
                        + Ident.quote(source) + " WHERE " + WHERE + "))")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }
}
