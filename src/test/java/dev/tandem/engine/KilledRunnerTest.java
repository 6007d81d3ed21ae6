package dev.tandem.engine;

import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.testing.ChildJvm;
import dev.tandem.testing.TestDatabase;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A runner killed with SIGKILL in the middle of a step leaves nothing half-applied. */
class KilledRunnerTest {
    /** Two tables around a statement that stalls only in the child process ("tandem-child"). */
    static final String PLAN_SQL = "CREATE TABLE first_half (id int); "
            + "SELECT pg_sleep(CASE WHEN current_setting('application_name') = 'tandem-child' THEN 120 ELSE 0 END); "
            + "CREATE TABLE second_half (id int)";

    @Test
    void runnerKilledBetweenStatementsOfAStepLeavesNoHalfAppliedStepAndTheStepRunsOnceAfterwards() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("killed");
        Process child = ChildJvm.start(StepInChildProcess.class, db);
        try {
            // The child is inside the step: first_half created (uncommitted), now sleeping.
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() ->
                    Long.valueOf(1L).equals(TestDatabase.query(db, "SELECT count(*) FROM pg_stat_activity "
                            + "WHERE application_name = 'tandem-child' AND state = 'active' AND query LIKE '%pg_sleep%'")));
            assertThat(child.isAlive()).isTrue();
        } finally {
            child.destroyForcibly(); // SIGKILL: no shutdown hook, no rollback from the client
            child.waitFor();
        }
        // The server notices the dead client and rolls its transaction back.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
                Long.valueOf(0L).equals(TestDatabase.query(db,
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tandem-child'")));
        assertThat(TestDatabase.tableExists(db, "first_half")).isFalse();
        assertThat(TestDatabase.tableExists(db, "second_half")).isFalse();

        MigrationPlan plan = Planner.plan("ns", "killed", EngineStepTest.spec(PLAN_SQL, null, null, null));
        MigrationEngine engine = EngineStepTest.engine(db);
        assertThat(engine.state(plan.key()).started()).isFalse();
        assertThat(engine.apply(plan, Step.EXPAND, null, StepListener.NONE).applied()).isTrue();
        assertThat(engine.apply(plan, Step.EXPAND, null, StepListener.NONE).applied()).isFalse();
        assertThat(TestDatabase.tableExists(db, "first_half")).isTrue();
        assertThat(TestDatabase.tableExists(db, "second_half")).isTrue();
    }
}
