package dev.tandem.engine;

import dev.tandem.api.v1alpha1.Reason;

import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.testing.TestDatabase;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** DDL never holds the application hostage: lock_timeout, bounded retries, the blocker named. */
class LockSafetyTest {
    private static final Duration LOCK_TIMEOUT = Duration.ofMillis(300);

    private static MigrationEngine engine(DatabaseTarget db, int attempts) {
        return new MigrationEngine(db, EngineSettings.defaults("test")
                .withTimeouts(LOCK_TIMEOUT, Duration.ofSeconds(30))
                .withRetries(attempts, Duration.ofMillis(50), Duration.ofMillis(100)));
    }

    private static int pid(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** Reads one row in a loop, as an application would, and records the slowest read. */
    private static final class ReadWorkload implements AutoCloseable {
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicLong slowestNanos = new AtomicLong();
        final AtomicInteger reads = new AtomicInteger();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final Thread thread;

        ReadWorkload(DatabaseTarget db) {
            thread = new Thread(() -> {
                try (Connection c = db.connect("app");
                     PreparedStatement ps = c.prepareStatement("SELECT full_name FROM users WHERE id = ?")) {
                    while (running.get()) {
                        long t0 = System.nanoTime();
                        ps.setLong(1, 1 + reads.get() % 50);
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                        }
                        slowestNanos.accumulateAndGet(System.nanoTime() - t0, Math::max);
                        reads.incrementAndGet();
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            });
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(10_000);
        }
    }

    @Test
    void ddlBehindALongTransactionTimesOutRetriesNamesTheBlockerAndApplicationReadsWaitAtMostLockTimeout()
            throws Exception {
        DatabaseTarget db = TestDatabase.fresh("locks");
        TestDatabase.exec(db, EngineStepTest.SETUP);
        MigrationPlan plan = Planner.plan("ns", "m", EngineStepTest.spec("ALTER TABLE users ADD COLUMN x int", null, null, null));
        MigrationEngine engine = engine(db, 3);
        AtomicInteger timeoutsHeard = new AtomicInteger();
        try (Connection blocker = db.connect("long-report")) {
            blocker.setAutoCommit(false);
            try (Statement s = blocker.createStatement()) {
                s.executeQuery("SELECT count(*) FROM users").close(); // ACCESS SHARE held until the transaction ends
            }
            int blockerPid = pid(blocker);
            ReadWorkload app = new ReadWorkload(db);
            try (app) {
                assertThatThrownBy(() -> engine.apply(plan, Step.EXPAND, null, new StepListener() {
                    @Override
                    public void lockTimeout(Step step, int unit, int attempt, Duration retryIn, List<BlockingSession> b) {
                        timeoutsHeard.incrementAndGet();
                    }
                })).isInstanceOfSatisfying(LockTimeoutException.class, e -> {
                    assertThat(e.attempts()).isEqualTo(3);
                    assertThat(e.isTransient()).isTrue();
                    assertThat(e.blockers()).extracting(BlockingSession::pid).contains(blockerPid);
                    BlockingSession b = e.blockers().stream().filter(x -> x.pid() == blockerPid).findFirst().orElseThrow();
                    assertThat(b.state()).isEqualTo("idle in transaction");
                    assertThat(b.transactionAge()).isNotNull().isPositive();
                    assertThat(b.queryStart()).isNotNull();
                    assertThat(b.application()).isEqualTo("long-report");
                    assertThat(e.getMessage()).contains("pid " + blockerPid).contains("idle in transaction");
                });
            }
            assertThat(app.errors).isEmpty();
            assertThat(timeoutsHeard.get()).isEqualTo(2);
            long slowestMs = app.slowestNanos.get() / 1_000_000;
            System.out.printf("lock safety: %d application reads during 3 DDL attempts, slowest %d ms, lock_timeout %d ms%n",
                    app.reads.get(), slowestMs, LOCK_TIMEOUT.toMillis());
            assertThat(app.reads.get()).isGreaterThan(3);
            // Without lock_timeout a read queued behind the DDL would wait for the whole blocking transaction (> 1 s here).
            assertThat(slowestMs).isLessThan(LOCK_TIMEOUT.toMillis() + 400);
            assertThat(TestDatabase.columnExists(db, "users", "x")).isFalse();
            assertThat(engine.state(plan.key()).started()).isFalse();
            blocker.rollback();
        }
        assertThat(engine.apply(plan, Step.EXPAND, null, StepListener.NONE).applied()).isTrue();
        assertThat(TestDatabase.columnExists(db, "users", "x")).isTrue();
    }

    @Test
    void ddlSucceedsOnALaterAttemptOnceTheBlockerEnds() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("locks2");
        TestDatabase.exec(db, EngineStepTest.SETUP);
        MigrationPlan plan = Planner.plan("ns", "m", EngineStepTest.spec("ALTER TABLE users ADD COLUMN y int", null, null, null));
        MigrationEngine engine = engine(db, 5);
        try (Connection blocker = db.connect("blocker")) {
            blocker.setAutoCommit(false);
            try (Statement s = blocker.createStatement()) {
                s.executeQuery("SELECT 1 FROM users LIMIT 1").close();
            }
            StepResult result = engine.apply(plan, Step.EXPAND, null, new StepListener() {
                @Override
                public void lockTimeout(Step step, int unit, int attempt, Duration retryIn, List<BlockingSession> b) {
                    try {
                        blocker.rollback();
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                }
            });
            assertThat(result.applied()).isTrue();
            assertThat(result.attempts()).isEqualTo(2);
        }
        assertThat(TestDatabase.columnExists(db, "users", "y")).isTrue();
    }

    @Test
    void aSecondRunnerIsTurnedAwayWhileTheMigrationLockIsHeld() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("busy");
        MigrationPlan plan = Planner.plan("ns", "m", EngineStepTest.spec("CREATE TABLE t (id int)", null, null, null));
        MigrationEngine engine = engine(db, 1);
        try (Connection other = db.connect("other-runner"); PreparedStatement ps = other.prepareStatement(
                "SELECT pg_advisory_lock(?, hashtext(?))")) {
            ps.setInt(1, Ledger.LOCK_CLASS);
            ps.setString(2, plan.key());
            ps.execute();
            assertThatThrownBy(() -> engine.apply(plan, Step.EXPAND, null, StepListener.NONE))
                    .isInstanceOfSatisfying(EngineException.class, e -> {
                        assertThat(e.reason()).isEqualTo(Reason.MigrationBusy);
                        assertThat(e.isTransient()).isTrue();
                    });
            assertThat(TestDatabase.tableExists(db, "t")).isFalse();
        }
        assertThat(engine.apply(plan, Step.EXPAND, null, StepListener.NONE).applied()).isTrue();
    }
}
