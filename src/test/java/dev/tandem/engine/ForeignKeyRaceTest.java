package dev.tandem.engine;

import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.api.v1alpha1.SyncSpec;
import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import dev.tandem.testing.Specs;
import dev.tandem.testing.SyncSpecs;
import dev.tandem.testing.TestDatabase;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static dev.tandem.testing.AppSessions.column;
import static dev.tandem.testing.AppSessions.exec;
import static dev.tandem.testing.AppSessions.waiting;
import static dev.tandem.testing.AppSessions.waitingOnAdvisory;
import static dev.tandem.testing.AppSessions.writeAsync;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A target with a foreign key to its source ({@code dst.k REFERENCES src (k) ON DELETE CASCADE ON
 * UPDATE CASCADE}, as seed 004's users_pii), raced deterministically by an application
 * transaction on a second connection: a DELETE or key change held open while a batch starts, one
 * issued while a batch has written but not committed, and an UPDATE (reverse mapping present)
 * issued while a batch's statement is half way through its rows. Neither side may fail (no
 * deadlock, no foreign-key violation sending the batch to row isolation, no row recorded as
 * failing because the application deleted it), and the target ends at f(source).
 *
 * <p>The test database's deadlock_timeout is long (so a batch waits up to the backfill's lock
 * timeout, 10 s, and never gives up before the test ends the application's transaction); the
 * application's session uses 1 s, so a wait cycle would abort the application's transaction
 * (40P01) long before the batch's lock timeout.
 */
class ForeignKeyRaceTest {
    private static final int ROWS = 1000;
    private static final long GATE_LOCK = 4343;
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void aDeleteHeldOpenAsTheBatchStartsIsWaitedForAndItsRowSkipped() throws Exception {
        heldAcrossTheBatchStart(setup("fk_delete", false, false), "DELETE FROM src WHERE k = 10");
    }

    @Test
    void aKeyChangeHeldOpenAsTheBatchStartsIsWaitedForAndItsRowSkipped() throws Exception {
        heldAcrossTheBatchStart(setup("fk_rekey", false, false), "UPDATE src SET k = k + 100000 WHERE k = 10");
    }

    private void heldAcrossTheBatchStart(Setup s, String write) throws Exception {
        try (Connection app = app(s)) {
            Backfill b = Backfill.start(s, Backfiller.Point.BEFORE_BATCH);
            b.reached();
            exec(app, write);
            b.release();
            // The batch meets the row the application holds: it waits (for its scan's lock with the foreign key's
            // order, for the foreign key's check without it) until the application commits.
            soon().until(() -> b.done() || waiting(s.db, "tandem-backfill%"));
            app.commit();
            b.join();
        }
        assertConverged(s);
        assertThat(column(s.db, "SELECT mode FROM tandem.backfill_batch_log WHERE mode = 'isolated'"))
                .as("batches sent to row isolation (a foreign-key violation on the row the application removed)").isEmpty();
        assertThat(column(s.db, "SELECT source_key::text || ' ' || sqlstate FROM tandem.sync_errors")).isEmpty();
    }

    @Test
    void aDeleteWhileTheBatchHasWrittenWaitsForItsCommitAndRemovesTheCopiedRow() throws Exception {
        Setup s = setup("fk_delete_after_write", false, false);
        try (Connection app = app(s)) {
            Backfill b = Backfill.start(s, Backfiller.Point.AFTER_WRITE);
            b.reached();
            CompletableFuture<Void> w = writeAsync(app, "DELETE FROM src WHERE k = 10");
            soon().until(() -> w.isDone() || waiting(s.db, "app"));
            b.release();
            w.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            app.commit();
            b.join();
        }
        assertConverged(s);
        assertThat(TestDatabase.query(s.db, "SELECT count(*) FROM dst WHERE k = 10")).isEqualTo(0L);
    }

    /**
     * A row whose expression raises sends the batch to row isolation (onError: Record); the row
     * by row copy then meets the row the application is deleting. Only the row that raises may be
     * recorded, not the deleted one.
     */
    @Test
    void aDeleteDuringRowIsolationIsNotRecordedAsAFailingRow() throws Exception {
        Setup s = setup("fk_isolation", false, true);
        try (Connection app = app(s)) {
            Backfill b = Backfill.start(s, Backfiller.Point.BEFORE_BATCH);
            b.reached();
            exec(app, "DELETE FROM src WHERE k = 10");
            b.release();
            soon().until(() -> b.done() || waiting(s.db, "tandem-backfill%"));
            app.commit();
            b.join();
        }
        assertThat(column(s.db, "SELECT source_key::text || ' ' || sqlstate FROM tandem.sync_errors"))
                .containsExactly("{5} 22012");
        assertThat(column(s.db, diff() + " EXCEPT SELECT 'missing 5 boom'")).isEmpty();
    }

    /**
     * The application renames a row whose new row the batch has inserted and not yet committed: its
     * trigger's upsert waits for the batch while it holds the source row. The batch's statement
     * must not then wait for that source row (the reverse mapping's trigger would, writing the new
     * row back): the application's transaction would be aborted as a deadlock.
     */
    @Test
    void anUpdateWaitingForTheBatchsNewRowDoesNotDeadlockWithTheReverseMapping() throws Exception {
        Setup s = setup("fk_reverse", true, false);
        Object untouchedBefore = TestDatabase.query(s.db, "SELECT xmin::text FROM src WHERE k = 20");
        try (Connection app = app(s); Connection holder = s.db.connect("gate-holder")) {
            exec(holder, "SELECT pg_advisory_lock(" + GATE_LOCK + ")");
            Backfill b = Backfill.start(s, null);
            // The batch's statement has inserted the new rows of keys 1..499 and waits at key 500.
            soon().until(() -> b.done() || waitingOnAdvisory(s.db, GATE_LOCK));
            CompletableFuture<Void> w = writeAsync(app, "UPDATE src SET v = 'renamed' WHERE k = 10");
            soon().until(() -> w.isDone() || waiting(s.db, "app"));
            exec(holder, "SELECT pg_advisory_unlock(" + GATE_LOCK + ")");
            w.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            app.commit();
            b.join();
        }
        assertConverged(s);
        assertThat(TestDatabase.query(s.db, "SELECT v FROM dst WHERE k = 10")).isEqualTo("renamed");
        assertThat(TestDatabase.query(s.db, "SELECT xmin::text FROM src WHERE k = 20"))
                .as("a source row the backfill copied is not rewritten").isEqualTo(untouchedBefore);
    }

    /**
     * With a reverse mapping both versions write a row's two sides, locking them in opposite orders: the old
     * version holds the old row and its trigger waits for the new row, which the new version holds while its
     * reverse trigger waits for the old row. PostgreSQL aborts one of the two as a deadlock; the other commits
     * and both sides hold its value (nothing of the aborted write is left on either side).
     */
    @Test
    void crossedWritesOfBothSidesDeadlockAndLeaveTheSurvivorsValueOnBoth() throws Exception {
        Setup s = setup("fk_crossed", true, false);
        Backfill.start(s, null).join();
        try (Connection oldVersion = app(s); Connection newVersion = s.db.connect("app-new")) {
            newVersion.setAutoCommit(false); // the database's deadlock_timeout (60 s): the old version's write detects it
            exec(oldVersion, "SELECT 1 FROM src WHERE k = 10 FOR UPDATE");
            CompletableFuture<Void> fromNew = writeAsync(newVersion, "UPDATE dst SET v = 'by new' WHERE k = 10");
            soon().until(() -> fromNew.isDone() || waiting(s.db, "app-new"));
            assertThat(fromNew).as("the new version's reverse trigger waits for the old row").isNotDone();
            SQLException aborted = org.junit.jupiter.api.Assertions.assertThrows(SQLException.class,
                    () -> exec(oldVersion, "UPDATE src SET v = 'by old' WHERE k = 10"));
            assertThat(aborted.getSQLState()).as(aborted.getMessage()).isEqualTo("40P01");
            oldVersion.rollback();
            fromNew.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            newVersion.commit();
        }
        assertConverged(s);
        assertThat(column(s.db, "SELECT s.v || ' ' || d.v FROM src s JOIN dst d USING (k) WHERE k = 10"))
                .containsExactly("by new by new");
    }

    // ------------------------------------------------------------------ setup and checks

    private record Setup(DatabaseTarget db, MigrationPlan plan) {
    }

    private static Setup setup(String name, boolean reverse, boolean record) throws Exception {
        DatabaseTarget db = TestDatabase.fresh(name);
        TestDatabase.exec(db, "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET deadlock_timeout = %L', "
                + "current_database(), '60s'); END $$");
        // gate() holds a backfill statement at key 500 while the test holds an advisory lock, and raises in the
        // backfill for the value 'boom' (expand's check of the existing rows does not see it); otherwise it is v.
        TestDatabase.exec(db, "CREATE TABLE src (k bigint PRIMARY KEY, v text NOT NULL);"
                // With onError: Record, key 5 (on the first page, before key 10) is a row whose expression raises.
                + "INSERT INTO src SELECT g, CASE WHEN g = 5 AND " + record + " THEN 'boom' ELSE 'v' || g END "
                + "FROM generate_series(1, " + ROWS + ") g;"
                + "CREATE FUNCTION gate(k bigint, v text) RETURNS text LANGUAGE plpgsql VOLATILE AS $$ BEGIN "
                + "IF k = 500 AND current_setting('application_name') LIKE 'tandem-backfill%' THEN "
                + "PERFORM pg_advisory_xact_lock_shared(" + GATE_LOCK + "); END IF; "
                + "IF v = 'boom' AND current_setting('application_name') LIKE 'tandem-backfill%' THEN "
                + "RETURN (1 / 0)::text; END IF; RETURN v; END $$;"
                + "ANALYZE src");
        SyncSpec entry = SyncSpecs.entry("copy", "src", List.of("k"), null, "dst", List.of("k"),
                Map.of("k", "k", "v", "gate(k, v)"));
        if (reverse) {
            entry.setReverse(Map.of("v", "v"));
        }
        if (record) {
            entry.setOnError(SyncSpec.OnError.Record);
        }
        SchemaMigrationSpec spec = Specs.of("CREATE TABLE dst (k bigint PRIMARY KEY REFERENCES src (k) "
                + "ON DELETE CASCADE ON UPDATE CASCADE, v text NOT NULL)", null, null, null);
        spec.setSync(List.of(entry));
        MigrationPlan plan = Planner.plan("ns", "fk", spec);
        EngineStepTest.engine(db).apply(plan, Step.EXPAND, null, StepListener.NONE);
        return new Setup(db, plan);
    }

    /** The application's connection: a transaction of its own, deadlock detection after 1 s. */
    private static Connection app(Setup s) throws SQLException {
        Connection app = s.db.connect("app");
        exec(app, "SET deadlock_timeout = '1s'");
        app.setAutoCommit(false);
        return app;
    }

    private static String diff() {
        return "SELECT 'missing ' || k || ' ' || v FROM (SELECT k, v FROM src EXCEPT SELECT k, v FROM dst) a "
                + "UNION ALL SELECT 'extra ' || k || ' ' || v FROM (SELECT k, v FROM dst EXCEPT SELECT k, v FROM src) b";
    }

    private static void assertConverged(Setup s) throws Exception {
        assertThat(column(s.db, diff())).as("rows where the new table is not f(old)").isEmpty();
        assertThat(EngineStepTest.engine(s.db).apply(s.plan, Step.BACKFILL, null, StepListener.NONE).applied()).isTrue();
    }

    private static org.awaitility.core.ConditionFactory soon() {
        return await().atMost(WAIT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5));
    }

    /** The backfill (one batch for the whole table) on its own thread, stopping once at a point of its first batch. */
    private static final class Backfill {
        final CountDownLatch reached = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread thread;

        private Backfill(Setup s, Backfiller.Point pause) {
            BackfillTuning tuning = new BackfillTuning(100_000, Duration.ofMillis(200), 0, Duration.ofSeconds(10),
                    Duration.ofHours(1), Duration.ofMillis(20), 1);
            EngineSettings settings = EngineSettings.defaults("test").withTimeouts(Duration.ofSeconds(10), Duration.ofMinutes(5));
            thread = new Thread(() -> {
                try {
                    new Backfiller(s.db, settings, tuning).run(s.plan, 0, 1, new Backfiller.Listener() {
                        @Override
                        public void at(Backfiller.Point point, int entry, int shard) {
                            if (point == pause && reached.getCount() > 0) {
                                reached.countDown();
                                try {
                                    if (!release.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
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

        static Backfill start(Setup s, Backfiller.Point pause) {
            Backfill b = new Backfill(s, pause);
            b.thread.start();
            return b;
        }

        void reached() throws InterruptedException {
            assertThat(reached.await(WAIT.toSeconds(), TimeUnit.SECONDS))
                    .as("backfill reached its pause" + (failure.get() == null ? "" : " (failed: " + failure.get() + ")"))
                    .isTrue();
        }

        void release() {
            release.countDown();
        }

        boolean done() {
            return !thread.isAlive();
        }

        void join() throws InterruptedException {
            release.countDown();
            thread.join(WAIT.toMillis());
            assertThat(thread.isAlive()).as("backfill finished").isFalse();
            assertThat(failure.get()).as("backfill failure").isNull();
        }
    }
}
