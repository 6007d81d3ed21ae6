package dev.tandem.engine;

import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.api.v1alpha1.SyncSpec;
import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.testing.Specs;
import dev.tandem.testing.SyncSpecs;
import dev.tandem.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static dev.tandem.testing.AppSessions.column;
import static dev.tandem.testing.AppSessions.exec;
import static dev.tandem.testing.AppSessions.waiting;
import static dev.tandem.testing.AppSessions.waitingOnAdvisory;
import static dev.tandem.testing.AppSessions.writeAsync;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Deterministic interleavings of one application transaction with a backfill batch: the
 * transaction holds its write open at each point of the batch (before its statement, while the
 * statement is part way through its rows, after its write before its commit, between batches, and
 * in REPEATABLE READ across a whole batch), for every kind of write, on a row the batch has already
 * passed and on one it has not. Each case ends with the new storage compared to f(old) row by row.
 */
class BackfillRaceTest {
    private static final int ROWS = 1000;
    private static final long GATE_LOCK = 4242;
    private static final Duration WAIT = Duration.ofSeconds(30);

    /** One application transaction; {@code %d} is the row it writes. */
    enum Write {
        UPDATE_VALUE("UPDATE src SET v = 'changed' WHERE k = %d"),
        KEY_FORWARD("UPDATE src SET k = k + 100000 WHERE k = %d"),
        KEY_BACKWARD("UPDATE src SET k = -k WHERE k = %d"),
        WHERE_OUT("UPDATE src SET flag = false WHERE k = %d"),
        WHERE_IN("UPDATE src SET flag = true WHERE k = %d + 1"),
        DELETE("DELETE FROM src WHERE k = %d"),
        DELETE_REINSERT("DELETE FROM src WHERE k = %1$d; INSERT INTO src (k, v, flag) VALUES (%1$d, 'reborn', true)"),
        UPDATE_THEN_DELETE("UPDATE src SET v = 'changed' WHERE k = %1$d; DELETE FROM src WHERE k = %1$d"),
        UPDATE_THEN_MOVE("UPDATE src SET v = 'changed' WHERE k = %1$d; UPDATE src SET k = k + 200000 WHERE k = %1$d"),
        INSERT("INSERT INTO src (k, v, flag) VALUES (%d + 5000, 'new', true)");

        final String sql;

        Write(String sql) {
            this.sql = sql;
        }
    }

    /** When the application transaction writes and ends, relative to the batch. */
    enum Timing {
        /** Writes before the batch's statement; commits once the batch waits for it or has written. */
        OPEN_ACROSS_BATCH_COMMIT,
        /** The same, rolled back. */
        OPEN_ACROSS_BATCH_ROLLBACK,
        /** Writes and commits while the batch's statement has its snapshot and is half way through its rows. */
        DURING_STATEMENT,
        /** Writes after the batch's statement, before its commit; commits after the batch committed. */
        BEFORE_BATCH_COMMIT,
        /** REPEATABLE READ: its snapshot is taken before the batch, its write comes after the batch committed. */
        REPEATABLE_READ,
        /** Writes and commits after the first batch committed, before the next. */
        BETWEEN_BATCHES
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Write w : Write.values()) {
            for (Timing t : Timing.values()) {
                for (int row : new int[]{10, 900}) {
                    out.add(Arguments.of(w, t, row));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} of row {2}, {1}")
    @MethodSource("cases")
    void aWriteAtAnyPointOfABatchLeavesTheNewTableAtFOfOld(Write write, Timing timing, int row) throws Exception {
        race(write, timing, row, false);
    }

    @ParameterizedTest(name = "in place: {0} of row {2}, {1}")
    @MethodSource("cases")
    void aWriteAtAnyPointOfAnInPlaceBatchLeavesEveryRowDerived(Write write, Timing timing, int row) throws Exception {
        race(write, timing, row, true);
    }

    /**
     * The minimal form of a row lost by the locked design: rows 1..1000, a transaction moves key 10
     * to 1001 and holds its lock while the backfill starts. Every row must be copied.
     */
    @Test
    void aKeyMovedForwardWhileABatchWaitsLosesNoRow() throws Exception {
        Setup s = setup(false, "bf_race_minimal");
        try (Connection app = s.db.connect("app")) {
            app.setAutoCommit(false);
            exec(app, "UPDATE src SET k = 1001 WHERE k = 10");
            Backfill backfill = Backfill.start(s, Map.of(), 150);
            // Without row locks the batches do not wait for it; the repair at the end does.
            soon().until(() -> backfill.done() || waiting(s.db, "tandem-backfill%")
                    || String.valueOf(new Backfiller(s.db, EngineSettings.defaults("test"), BackfillTuning.defaults())
                    .progress(s.plan).throttledReason()).contains("waiting for the transaction"));
            app.commit();
            backfill.join();
        }
        assertConverged(s);
        assertThat(TestDatabase.query(s.db, "SELECT count(*) FROM dst WHERE k BETWEEN 11 AND 200")).isEqualTo(
                TestDatabase.query(s.db, "SELECT count(*) FROM src WHERE k BETWEEN 11 AND 200 AND flag"));
    }

    private void race(Write write, Timing timing, int row, boolean inPlace) throws Exception {
        Setup s = setup(inPlace, "bf_race");
        String sql = String.format(write.sql, row);
        int batchRows = timing == Timing.BETWEEN_BATCHES ? 150 : 100_000;
        try (Connection app = s.db.connect("app")) {
            app.setAutoCommit(false);
            if (timing == Timing.REPEATABLE_READ) {
                app.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            }
            switch (timing) {
                case OPEN_ACROSS_BATCH_COMMIT, OPEN_ACROSS_BATCH_ROLLBACK -> {
                    Backfill b = Backfill.start(s, pauses(Backfiller.Point.BEFORE_BATCH, Backfiller.Point.AFTER_WRITE), batchRows);
                    b.reached(Backfiller.Point.BEFORE_BATCH);
                    exec(app, sql);
                    b.release(Backfiller.Point.BEFORE_BATCH);
                    soon().until(() -> b.hasReached(Backfiller.Point.AFTER_WRITE)
                            || waiting(s.db, "tandem-backfill%"));
                    if (timing == Timing.OPEN_ACROSS_BATCH_COMMIT) {
                        app.commit();
                    } else {
                        app.rollback();
                    }
                    b.release(Backfiller.Point.AFTER_WRITE);
                    b.join();
                }
                case DURING_STATEMENT -> {
                    try (Connection holder = s.db.connect("gate-holder")) {
                        exec(holder, "SELECT pg_advisory_lock(" + GATE_LOCK + ")");
                        Backfill b = Backfill.start(s, Map.of(), batchRows);
                        soon().until(() -> waitingOnAdvisory(s.db, GATE_LOCK));
                        CompletableFuture<Void> w = writeAsync(app, sql);
                        soon().until(() -> w.isDone() || waiting(s.db, "app"));
                        if (w.isDone()) {
                            w.get();
                            app.commit();
                        }
                        exec(holder, "SELECT pg_advisory_unlock(" + GATE_LOCK + ")");
                        w.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                        app.commit();
                        b.join();
                    }
                }
                case BEFORE_BATCH_COMMIT -> {
                    Backfill b = Backfill.start(s, pauses(Backfiller.Point.AFTER_WRITE), batchRows);
                    b.reached(Backfiller.Point.AFTER_WRITE);
                    CompletableFuture<Void> w = writeAsync(app, sql);
                    soon().until(() -> w.isDone() || waiting(s.db, "app"));
                    b.release(Backfiller.Point.AFTER_WRITE);
                    w.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                    soon().until(() -> b.batchesCommitted() >= 1);
                    app.commit();
                    b.join();
                }
                case REPEATABLE_READ -> {
                    Backfill b = Backfill.start(s, pauses(Backfiller.Point.BEFORE_BATCH, Backfiller.Point.AFTER_COMMIT), batchRows);
                    b.reached(Backfiller.Point.BEFORE_BATCH);
                    exec(app, "SELECT count(*) FROM src"); // the snapshot
                    b.release(Backfiller.Point.BEFORE_BATCH);
                    b.reached(Backfiller.Point.AFTER_COMMIT);
                    try {
                        exec(app, sql);
                        app.commit();
                    } catch (SQLException e) {
                        // A REPEATABLE READ writer meets the batch's committed row: it must retry, as with any writer.
                        assertThat(e.getSQLState()).isEqualTo("40001");
                        app.rollback();
                    }
                    b.release(Backfiller.Point.AFTER_COMMIT);
                    b.join();
                }
                case BETWEEN_BATCHES -> {
                    Backfill b = Backfill.start(s, pauses(Backfiller.Point.AFTER_COMMIT), batchRows);
                    b.reached(Backfiller.Point.AFTER_COMMIT);
                    exec(app, sql);
                    app.commit();
                    b.release(Backfiller.Point.AFTER_COMMIT);
                    b.join();
                }
            }
        }
        assertConverged(s);
    }

    // ------------------------------------------------------------------ setup and checks

    private record Setup(DatabaseTarget db, MigrationPlan plan, boolean inPlace) {
    }

    private static Setup setup(boolean inPlace, String name) throws Exception {
        DatabaseTarget db = TestDatabase.fresh(name);
        // gate() holds a backfill statement at row 500 while the test holds an advisory lock; otherwise it is v.
        TestDatabase.exec(db, "CREATE TABLE src (k bigint PRIMARY KEY, v text NOT NULL, flag boolean NOT NULL);"
                + "INSERT INTO src SELECT g, 'v' || g, g % 10 <> 1 FROM generate_series(1, " + ROWS + ") g;"
                + "CREATE FUNCTION gate(k bigint, v text) RETURNS text LANGUAGE plpgsql VOLATILE AS $$ BEGIN "
                + "IF k = 500 AND current_setting('application_name') LIKE 'tandem-backfill%' THEN "
                + "PERFORM pg_advisory_xact_lock_shared(" + GATE_LOCK + "); END IF; RETURN v; END $$; ANALYZE src");
        SyncSpec entry;
        SchemaMigrationSpec spec;
        if (inPlace) {
            entry = SyncSpecs.entry("derived", "src", List.of("k"), "flag", "src", List.of(), Map.of("d", "upper(gate(k, v))"));
            spec = Specs.of("ALTER TABLE src ADD COLUMN d text", null, null, null);
        } else {
            entry = SyncSpecs.entry("copy", "src", List.of("k"), "flag", "dst", List.of("k"),
                    Map.of("k", "k", "v", "gate(k, v)"));
            spec = Specs.of("CREATE TABLE dst (k bigint PRIMARY KEY, v text NOT NULL)", null, null, null);
        }
        spec.setSync(List.of(entry));
        MigrationPlan plan = Planner.plan("ns", "race", spec);
        EngineStepTest.engine(db).apply(plan, Step.EXPAND, null, StepListener.NONE);
        return new Setup(db, plan, inPlace);
    }

    private static void assertConverged(Setup s) throws Exception {
        String diff = s.inPlace
                ? "SELECT k::text || ': d=' || coalesce(d, 'NULL') || ' v=' || v || ' flag=' || flag FROM src "
                + "WHERE d IS DISTINCT FROM CASE WHEN flag THEN upper(v) END"
                : "SELECT 'missing ' || k || ' ' || v FROM (SELECT k, v FROM src WHERE flag EXCEPT SELECT k, v FROM dst) a "
                + "UNION ALL SELECT 'extra ' || k || ' ' || v FROM (SELECT k, v FROM dst EXCEPT SELECT k, v FROM src WHERE flag) b";
        assertThat(column(s.db, diff)).as("rows where the new storage is not f(old)").isEmpty();
        assertThat(EngineStepTest.engine(s.db).apply(s.plan, Step.BACKFILL, null, StepListener.NONE).applied()).isTrue();
    }

    /** Awaitility with a short poll: the cases are many and each waits several times. */
    private static org.awaitility.core.ConditionFactory soon() {
        return await().atMost(WAIT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5));
    }

    private static Map<Backfiller.Point, Pause> pauses(Backfiller.Point... points) {
        Map<Backfiller.Point, Pause> map = new EnumMap<>(Backfiller.Point.class);
        for (Backfiller.Point p : points) {
            map.put(p, new Pause());
        }
        return map;
    }

    /** A point of the first batch where the backfill stops until released. */
    private static final class Pause {
        final CountDownLatch reached = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
    }

    /** The backfill on its own thread, stopping at the first batch's pauses. */
    private static final class Backfill {
        final Map<Backfiller.Point, Pause> pauses;
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final AtomicInteger committed = new AtomicInteger();
        final Thread thread;

        private Backfill(Setup s, Map<Backfiller.Point, Pause> pauses, int batchRows) {
            this.pauses = pauses;
            BackfillTuning tuning = new BackfillTuning(batchRows, Duration.ofMillis(200), 0, Duration.ofSeconds(10),
                    Duration.ofHours(1), Duration.ofMillis(20), 1);
            AtomicInteger batch = new AtomicInteger();
            thread = new Thread(() -> {
                try {
                    new Backfiller(s.db, EngineSettings.defaults("test"), tuning).run(s.plan, 0, 1, new Backfiller.Listener() {
                        @Override
                        public void at(Backfiller.Point point, int entry, int shard) {
                            if (point == Backfiller.Point.BEFORE_BATCH) {
                                batch.incrementAndGet();
                            }
                            if (point == Backfiller.Point.AFTER_COMMIT) {
                                committed.incrementAndGet();
                            }
                            Pause p = pauses.get(point);
                            if (p != null && batch.get() == 1 && p.reached.getCount() > 0) {
                                p.reached.countDown();
                                try {
                                    if (!p.release.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                                        throw new IllegalStateException("never released at " + point);
                                    }
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                }
                            }
                        }
                    });
                } catch (Throwable e) {
                    failure.set(e);
                }
            }, "backfill");
        }

        static Backfill start(Setup s, Map<Backfiller.Point, Pause> pauses, int batchRows) {
            Backfill b = new Backfill(s, pauses, batchRows);
            b.thread.start();
            return b;
        }

        void reached(Backfiller.Point point) throws InterruptedException {
            assertThat(pauses.get(point).reached.await(WAIT.toSeconds(), TimeUnit.SECONDS))
                    .as("backfill reached " + point + (failure.get() == null ? "" : " (failed: " + failure.get() + ")"))
                    .isTrue();
        }

        boolean hasReached(Backfiller.Point point) {
            return pauses.get(point).reached.getCount() == 0;
        }

        void release(Backfiller.Point point) {
            pauses.get(point).release.countDown();
        }

        int batchesCommitted() {
            return committed.get();
        }

        boolean done() {
            return !thread.isAlive();
        }

        void join() throws InterruptedException {
            pauses.values().forEach(p -> p.release.countDown());
            thread.join(WAIT.toMillis());
            assertThat(thread.isAlive()).as("backfill finished").isFalse();
            assertThat(failure.get()).as("backfill failure").isNull();
        }
    }
}
