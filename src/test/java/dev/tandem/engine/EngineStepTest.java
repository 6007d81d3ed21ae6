package dev.tandem.engine;

import dev.tandem.api.v1alpha1.Reason;

import dev.tandem.testing.Specs;
import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.testing.TestDatabase;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each step runs exactly once, in order, against a real PostgreSQL. */
class EngineStepTest {

    static SchemaMigrationSpec spec(String expand, String cutover, String contract, String rollback) {
        return Specs.of(expand, cutover, contract, rollback);
    }

    static MigrationEngine engine(DatabaseTarget db) {
        return new MigrationEngine(db, EngineSettings.defaults("test")
                .withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(30))
                .withRetries(3, Duration.ofMillis(20), Duration.ofMillis(100)));
    }

    static final String SETUP = "CREATE TABLE users (id bigint PRIMARY KEY, full_name text NOT NULL); "
            + "INSERT INTO users SELECT g, 'n' || g FROM generate_series(1, 50) g";

    @Test
    void everyStepRunsOnceAndTheSecondCallIsANoOp() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("steps");
        TestDatabase.exec(db, SETUP);
        MigrationPlan plan = Planner.plan("ns", "m", spec(
                "CREATE TABLE users_pii (user_id bigint PRIMARY KEY, full_name text NOT NULL); "
                        + "INSERT INTO users_pii SELECT id, full_name FROM users",
                "ALTER TABLE users ALTER COLUMN full_name DROP NOT NULL",
                "ALTER TABLE users DROP COLUMN full_name", "DROP TABLE users_pii"));
        MigrationEngine engine = engine(db);
        for (Step step : new Step[]{Step.EXPAND, Step.BACKFILL, Step.VERIFY, Step.CUTOVER, Step.CONTRACT}) {
            StepResult first = engine.apply(plan, step, "uid-1", StepListener.NONE);
            assertThat(first.outcome()).as(step + " first").isEqualTo(StepResult.Outcome.APPLIED);
            // None of the user statements is idempotent: a second run would fail if it ran anything.
            StepResult second = engine.apply(plan, step, "uid-1", StepListener.NONE);
            assertThat(second.outcome()).as(step + " second").isEqualTo(StepResult.Outcome.ALREADY_APPLIED);
        }
        LedgerState state = engine.state(plan.key());
        assertThat(state.settledPhase().name()).isEqualTo("Contracted");
        assertThat(state.pastPointOfNoReturn()).isTrue();
        assertThat(state.planHash()).isEqualTo(plan.hash());
        assertThat(TestDatabase.query(db, "SELECT count(*) FROM users_pii")).isEqualTo(50L);
        assertThat(TestDatabase.columnExists(db, "users", "full_name")).isFalse();
        assertThat(TestDatabase.query(db, "SELECT count(*) FROM tandem.steps WHERE migration = 'ns/m'")).isEqualTo(5L);
    }

    @Test
    void stepsRunOnlyInOrder() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("order");
        TestDatabase.exec(db, SETUP);
        MigrationPlan plan = Planner.plan("ns", "m", spec("CREATE TABLE t (id int)", "DROP TABLE t", null, null));
        MigrationEngine engine = engine(db);
        assertThatThrownBy(() -> engine.apply(plan, Step.CUTOVER, null, StepListener.NONE))
                .isInstanceOf(EngineException.class).hasMessageContaining("before verify");
        assertThat(TestDatabase.tableExists(db, "t")).isFalse();
    }

    @Test
    void rollbackIsRefusedAfterCutoverByTheLedger() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("pnr");
        TestDatabase.exec(db, SETUP);
        MigrationPlan plan = Planner.plan("ns", "m", spec("CREATE TABLE t (id int)", "SELECT 1", null, "DROP TABLE t"));
        MigrationEngine engine = engine(db);
        for (Step s : new Step[]{Step.EXPAND, Step.BACKFILL, Step.VERIFY, Step.CUTOVER}) {
            engine.apply(plan, s, null, StepListener.NONE);
        }
        assertThatThrownBy(() -> engine.apply(plan, Step.ROLLBACK, null, StepListener.NONE))
                .isInstanceOfSatisfying(EngineException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.PointOfNoReturnPassed);
                    assertThat(e.isTransient()).isFalse();
                });
        assertThat(TestDatabase.tableExists(db, "t")).isTrue();
    }

    @Test
    void aChangedPlanIsRefusedOnceAStepHasRun() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("hash");
        MigrationPlan first = Planner.plan("ns", "m", spec("CREATE TABLE t (id int)", null, null, null));
        MigrationPlan changed = Planner.plan("ns", "m", spec("CREATE TABLE t (id int, x int)", null, null, null));
        MigrationEngine engine = engine(db);
        engine.apply(first, Step.EXPAND, null, StepListener.NONE);
        assertThatThrownBy(() -> engine.apply(changed, Step.BACKFILL, null, StepListener.NONE))
                .isInstanceOfSatisfying(EngineException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.PlanMismatch));
    }

    @Test
    void aFailingStatementRollsBackTheWholeStep() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("atomic");
        MigrationPlan plan = Planner.plan("ns", "m", spec(
                "CREATE TABLE a (id int); CREATE TABLE b (id int); SELECT no_such_function()", null, null, null));
        MigrationEngine engine = engine(db);
        assertThatThrownBy(() -> engine.apply(plan, Step.EXPAND, null, StepListener.NONE))
                .isInstanceOfSatisfying(EngineException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.SqlError);
                    assertThat(e.getMessage()).contains("no_such_function");
                });
        assertThat(TestDatabase.tableExists(db, "a")).isFalse();
        assertThat(TestDatabase.tableExists(db, "b")).isFalse();
        assertThat(engine.state(plan.key()).started()).isFalse();
    }

    @Test
    void rollbackWithNothingExpandedRunsNoSql() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("rbnothing");
        MigrationPlan plan = Planner.plan("ns", "m", spec("CREATE TABLE t (id int)", null, null, "DROP TABLE t"));
        MigrationEngine engine = engine(db);
        assertThat(engine.apply(plan, Step.ROLLBACK, null, StepListener.NONE).applied()).isTrue();
        assertThat(engine.state(plan.key()).settledPhase().name()).isEqualTo("RolledBack");
        assertThatThrownBy(() -> engine.apply(plan, Step.EXPAND, null, StepListener.NONE))
                .isInstanceOf(EngineException.class).hasMessageContaining("rolled back");
    }

    @Test
    void createIndexConcurrentlyRunsOutsideTheTransactionAndOnlyOnce() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("cic");
        TestDatabase.exec(db, SETUP);
        MigrationPlan plan = Planner.plan("ns", "m", spec(
                "CREATE TABLE users_pii (user_id bigint, full_name text); "
                        + "CREATE INDEX CONCURRENTLY users_pii_name ON users_pii (full_name); "
                        + "CREATE TABLE after_index (id int)", null, null, null));
        assertThat(plan.step(Step.EXPAND).units()).hasSize(3);
        MigrationEngine engine = engine(db);
        assertThat(engine.apply(plan, Step.EXPAND, null, StepListener.NONE).applied()).isTrue();
        assertThat(engine.apply(plan, Step.EXPAND, null, StepListener.NONE).applied()).isFalse();
        assertThat(TestDatabase.query(db, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_pii_name'::regclass"))
                .isEqualTo(true);
        assertThat(TestDatabase.tableExists(db, "after_index")).isTrue();
    }

    @Test
    void anInvalidIndexLeftByAFailedBuildIsDroppedAndRebuilt() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("cicinvalid");
        TestDatabase.exec(db, "CREATE TABLE t (v int); INSERT INTO t VALUES (1), (1)");
        MigrationPlan plan = Planner.plan("ns", "m", spec("SELECT 1; CREATE UNIQUE INDEX CONCURRENTLY t_v ON t (v)",
                null, null, null));
        MigrationEngine engine = engine(db);
        assertThatThrownBy(() -> engine.apply(plan, Step.EXPAND, null, StepListener.NONE))
                .isInstanceOf(EngineException.class).hasMessageContaining("t_v");
        assertThat(TestDatabase.query(db, "SELECT indisvalid FROM pg_index WHERE indexrelid = 't_v'::regclass"))
                .isEqualTo(false);
        TestDatabase.exec(db, "DELETE FROM t WHERE ctid = (SELECT max(ctid) FROM t)");
        assertThat(engine.apply(plan, Step.EXPAND, null, StepListener.NONE).applied()).isTrue();
        assertThat(TestDatabase.query(db, "SELECT indisvalid FROM pg_index WHERE indexrelid = 't_v'::regclass"))
                .isEqualTo(true);
    }
}
