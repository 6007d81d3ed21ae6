package dev.tandem.engine;

import dev.tandem.api.v1alpha1.OldStorageMode;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import dev.tandem.testing.ChildJvm;
import dev.tandem.testing.TestDatabase;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A runner killed with SIGKILL inside cutover or contract (after the sync triggers are dropped,
 * in the middle of the user's SQL) leaves the migration exactly where it was; the next run takes
 * the step once.
 */
class KilledCrossingTest {
    /** Stalls only in the child process ("tandem-child"). */
    static final String STALL = "SELECT pg_sleep(CASE WHEN current_setting('application_name') = 'tandem-child' THEN 120 "
            + "ELSE 0 END)";

    static MigrationPlan plan() {
        return Planner.plan("ns", "killed-crossing", PointOfNoReturnTest.moveName("killed-crossing", OldStorageMode.Watch,
                "ALTER TABLE users ALTER COLUMN full_name DROP NOT NULL; " + STALL,
                STALL + "; ALTER TABLE users DROP COLUMN full_name"));
    }

    private static void killInside(DatabaseTarget db, Step step) throws Exception {
        Process child = ChildJvm.start(CrossingInChildProcess.class, db, Map.of("CHILD_STEP", step.name()));
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() ->
                    Long.valueOf(1L).equals(TestDatabase.query(db, "SELECT count(*) FROM pg_stat_activity "
                            + "WHERE application_name LIKE 'tandem-child%' AND state = 'active' AND query LIKE '%pg_sleep%'")));
            assertThat(child.isAlive()).isTrue();
        } finally {
            child.destroyForcibly();
            child.waitFor();
        }
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
                Long.valueOf(0L).equals(TestDatabase.query(db,
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'tandem-child%'")));
    }

    private static long count(DatabaseTarget db, String sql) {
        return ((Number) TestDatabase.query(db, sql)).longValue();
    }

    @Test
    void killedInsideCutoverAndContractEachStepRunsOnceAfterwards() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("killed_crossing");
        TestDatabase.exec(db, PointOfNoReturnTest.USERS);
        MigrationPlan plan = plan();
        MigrationEngine engine = PointOfNoReturnTest.verified(db, plan);

        killInside(db, Step.CUTOVER);
        assertThat(engine.state(plan.key()).pastPointOfNoReturn()).isFalse();
        assertThat(TestDatabase.columnNullable(db, "users", "full_name")).isFalse();
        assertThat(count(db, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'tandem_watch%'")).isZero();
        TestDatabase.exec(db, "INSERT INTO users VALUES (5000, 'k@x', 'after the kill')");
        assertThat(TestDatabase.query(db, "SELECT full_name FROM users_pii WHERE user_id = 5000"))
                .as("the sync triggers are still there").isEqualTo("after the kill");

        assertThat(engine.apply(plan, Step.CUTOVER, null, StepListener.NONE).applied()).isTrue();
        assertThat(engine.apply(plan, Step.CUTOVER, null, StepListener.NONE).applied()).isFalse();
        assertThat(count(db, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'tandem_watch%'")).isPositive();

        killInside(db, Step.CONTRACT);
        assertThat(engine.state(plan.key()).applied(Step.CONTRACT)).isFalse();
        assertThat(TestDatabase.columnExists(db, "users", "full_name")).isTrue();
        assertThat(count(db, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'tandem_watch%'"))
                .as("the watch is still there").isPositive();

        assertThat(engine.apply(plan, Step.CONTRACT, null, StepListener.NONE).applied()).isTrue();
        assertThat(engine.apply(plan, Step.CONTRACT, null, StepListener.NONE).applied()).isFalse();
        PointOfNoReturnTest.assertNothingOfTandemButTheLedger(db, plan);
        assertThat(count(db, "SELECT count(*) FROM tandem.steps WHERE migration = '" + plan.key() + "' "
                + "AND step IN ('cutover', 'contract')")).isEqualTo(2);
    }
}
