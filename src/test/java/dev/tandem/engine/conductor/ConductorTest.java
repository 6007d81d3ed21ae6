package dev.tandem.engine.conductor;

import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.Reason;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.api.v1alpha1.TargetPhase;
import dev.tandem.api.v1alpha1.VerifySpec;
import dev.tandem.engine.EngineException;
import dev.tandem.engine.VerifyState;
import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import dev.tandem.plan.VerifyTuning;
import dev.tandem.testing.Specs;
import dev.tandem.testing.SyncSpecs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The conductor against a fake engine and fake workers: every rule of where a migration may go,
 * and what each phase does with what the workers and the ledger report. Milliseconds, no database.
 */
class ConductorTest {
    private static final MigrationPlan PLAN = plan();

    private static MigrationPlan plan() {
        var spec = Specs.of("CREATE TABLE users_pii (user_id bigint PRIMARY KEY, full_name text)",
                "ALTER TABLE users ALTER COLUMN full_name DROP NOT NULL", "ALTER TABLE users DROP COLUMN full_name",
                "DROP TABLE users_pii");
        spec.setSync(List.of(SyncSpecs.entry("full-name", "users", List.of("id"), null, "users_pii", List.of("user_id"),
                Map.of("user_id", "id", "full_name", "full_name"))));
        return Planner.plan("ns", "m", spec);
    }

    private static final String HASH = PLAN.hash();

    static Stream<Arguments> decisions() {
        Step[] none = {};
        Step[] expanded = {Step.EXPAND};
        Step[] backfilled = {Step.EXPAND, Step.BACKFILL};
        Step[] verified = {Step.EXPAND, Step.BACKFILL, Step.VERIFY};
        Step[] cutOver = {Step.EXPAND, Step.BACKFILL, Step.VERIFY, Step.CUTOVER};
        Step[] contracted = {Step.EXPAND, Step.BACKFILL, Step.VERIFY, Step.CUTOVER, Step.CONTRACT};
        Step[] rolledBack = {Step.EXPAND, Step.ROLLBACK};
        return Stream.of(
                Arguments.of(none, TargetPhase.Expanded, null, "Next Expanded"),
                Arguments.of(none, TargetPhase.Verified, null, "Next Expanded"),
                Arguments.of(expanded, TargetPhase.Expanded, null, "Reached Expanded next Backfilled"),
                Arguments.of(backfilled, TargetPhase.Verified, null, "Next Verified"),
                Arguments.of(verified, TargetPhase.Verified, null, "Reached Verified next CutOver"),
                Arguments.of(verified, TargetPhase.CutOver, null, "Stop PlanHashMismatch"),
                Arguments.of(verified, TargetPhase.CutOver, "0000deadbeef", "Stop PlanHashMismatch"),
                Arguments.of(verified, TargetPhase.CutOver, HASH, "Next CutOver"),
                Arguments.of(verified, TargetPhase.Contracted, HASH, "Next CutOver"),
                Arguments.of(cutOver, TargetPhase.Contracted, null, "Stop PlanHashMismatch"),
                Arguments.of(cutOver, TargetPhase.Contracted, HASH, "Next Contracted"),
                Arguments.of(cutOver, TargetPhase.RolledBack, HASH, "Stop PointOfNoReturnPassed"),
                Arguments.of(cutOver, TargetPhase.Verified, null, "Stop PointOfNoReturnPassed"),
                Arguments.of(contracted, TargetPhase.Contracted, HASH, "Reached Contracted"),
                Arguments.of(backfilled, TargetPhase.Expanded, null, "Stop TargetPhaseBehind"),
                Arguments.of(verified, TargetPhase.RolledBack, null, "Next RolledBack"),
                Arguments.of(none, TargetPhase.RolledBack, null, "Next RolledBack"),
                Arguments.of(rolledBack, TargetPhase.RolledBack, null, "Reached RolledBack"),
                Arguments.of(rolledBack, TargetPhase.Verified, null, "Stop RolledBackIsFinal"));
    }

    @ParameterizedTest(name = "{3}: {1} with {2}")
    @MethodSource("decisions")
    void decidesFromTheLedgerAndThePromotion(Step[] committed, TargetPhase target, String hash, String expected) {
        FakeEngine engine = new FakeEngine().committed(PLAN, committed);
        assertThat(describe(Conductor.decide(PLAN, engine.state(PLAN.key()), new Conductor.Promotion(target, hash))))
                .isEqualTo(expected);
    }

    @Test
    void aDefinitionChangedAfterExpandStopsEverything() {
        FakeEngine engine = new FakeEngine().committed(PLAN, Step.EXPAND);
        engine.planHash = "000000000000";
        Conductor.Decision d = Conductor.decide(PLAN, engine.state(PLAN.key()),
                new Conductor.Promotion(TargetPhase.Verified, null));
        assertThat(describe(d)).isEqualTo("Stop SpecImmutable");
        assertThat(((Conductor.Decision.Stop) d).message()).contains("000000000000").contains(HASH);
    }

    private static String describe(Conductor.Decision d) {
        if (d instanceof Conductor.Decision.Stop s) {
            return "Stop " + s.reason();
        }
        if (d instanceof Conductor.Decision.Reached r) {
            return "Reached " + r.phase() + r.next().map(n -> " next " + n).orElse("");
        }
        return "Next " + ((Conductor.Decision.Next) d).phase();
    }

    // ------------------------------------------------------------------ one step

    private static StepRequest request(FakeWorkers workers, String retryToken, int cleanPasses) {
        VerifySpec v = new VerifySpec();
        v.setCleanPasses(cleanPasses);
        return new StepRequest("uid", PLAN, BackfillTuning.defaults(), VerifyTuning.from(v), retryToken, workers,
                StepObserver.NONE, Instant.EPOCH);
    }

    @Test
    void aLedgeredStepCommitsAndIsNotRunTwice() {
        FakeEngine engine = new FakeEngine();
        Conductor conductor = new Conductor(engine);
        Outcome first = conductor.advance(Phase.Expanded, request(new FakeWorkers(), "", 1));
        Outcome again = conductor.advance(Phase.Expanded, request(new FakeWorkers(), "", 1));
        assertThat(first).isInstanceOfSatisfying(Outcome.Advanced.class, a -> assertThat(a.ranNow()).isTrue());
        assertThat(again).isInstanceOfSatisfying(Outcome.Advanced.class, a -> assertThat(a.ranNow()).isFalse());
    }

    @Test
    void aLockTimeoutIsRetriedAndAnSqlErrorNeedsAPerson() {
        FakeEngine engine = new FakeEngine();
        Conductor conductor = new Conductor(engine);
        engine.failNextApply = new EngineException(Reason.LockTimeout, "blocked by pid 42");
        assertThat(conductor.advance(Phase.Expanded, request(new FakeWorkers(), "", 1)))
                .isInstanceOfSatisfying(Outcome.Retry.class, r -> assertThat(r.reason()).isEqualTo(Reason.LockTimeout));
        engine.failNextApply = new EngineException(Reason.SqlError, "syntax error");
        assertThat(conductor.advance(Phase.Expanded, request(new FakeWorkers(), "", 1)))
                .isInstanceOfSatisfying(Outcome.Failed.class, f -> assertThat(f.reason()).isEqualTo(Reason.SqlError));
        assertThat(engine.applied).isEmpty();
    }

    @Test
    void theBackfillStartsItsWorkerReportsProgressAndCommitsOnlyWhenComplete() {
        FakeEngine engine = new FakeEngine().committed(PLAN, Step.EXPAND);
        FakeWorkers workers = new FakeWorkers();
        Conductor conductor = new Conductor(engine);
        Outcome running = conductor.advance(Phase.Backfilled, request(workers, "", 1));
        assertThat(running).isInstanceOfSatisfying(Outcome.Waiting.class, w -> {
            assertThat(w.progress().percent()).isEqualTo(40);
            assertThat(w.worker()).isEqualTo("backfill-job");
            assertThat(w.message()).contains("40%").contains("page 4 of 10");
        });
        assertThat(engine.applied).isEmpty();
        workers.backfill = Workers.State.FAILED;
        assertThat(conductor.advance(Phase.Backfilled, request(workers, "", 1))).isInstanceOfSatisfying(Outcome.Failed.class,
                f -> assertThat(f.message()).contains("backfill-job").contains("boom").contains("delete the Job"));
        engine.progress = FakeEngine.progress(true);
        assertThat(conductor.advance(Phase.Backfilled, request(workers, "", 1)))
                .isInstanceOfSatisfying(Outcome.Advanced.class, a -> assertThat(a.phase()).isEqualTo(Phase.Backfilled));
        assertThat(engine.applied).containsExactly(Step.BACKFILL);
    }

    @Test
    void verificationNeedsItsCleanPassesInARow() {
        FakeEngine engine = new FakeEngine().committed(PLAN, Step.EXPAND, Step.BACKFILL);
        FakeWorkers workers = new FakeWorkers();
        Conductor conductor = new Conductor(engine);
        assertThat(conductor.advance(Phase.Verified, request(workers, "", 2))).isInstanceOf(Outcome.Waiting.class);
        engine.verification = FakeEngine.pass(1, VerifyState.PASSED, "", 1);
        assertThat(conductor.advance(Phase.Verified, request(workers, "", 2))).isInstanceOf(Outcome.Waiting.class);
        engine.verification = FakeEngine.pass(2, VerifyState.PASSED, "", 2);
        assertThat(conductor.advance(Phase.Verified, request(workers, "", 2))).isInstanceOfSatisfying(Outcome.Advanced.class,
                a -> assertThat(a.detail()).contains("after 2 clean passes"));
        assertThat(workers.started).containsExactly("verify 1", "verify 2");
        assertThat(engine.applied).containsExactly(Step.VERIFY);
    }

    @Test
    void aFailedPassStopsUntilTheRetryTokenChanges() {
        FakeEngine engine = new FakeEngine().committed(PLAN, Step.EXPAND, Step.BACKFILL);
        engine.verification = FakeEngine.pass(1, VerifyState.FAILED, "a", 0);
        FakeWorkers workers = new FakeWorkers();
        Conductor conductor = new Conductor(engine);
        assertThat(conductor.advance(Phase.Verified, request(workers, "a", 1))).isInstanceOfSatisfying(Outcome.Failed.class,
                f -> {
                    assertThat(f.reason()).isEqualTo(Reason.VerificationFailed);
                    assertThat(f.message()).contains("tandem.verify_mismatches");
                });
        assertThat(workers.started).isEmpty();
        assertThat(conductor.advance(Phase.Verified, request(workers, "b", 1))).isInstanceOf(Outcome.Waiting.class);
        assertThat(workers.started).containsExactly("verify 2");
    }

    @Test
    void atVerifiedANewPassRunsOnceReverifyEveryHasPassed() {
        FakeEngine engine = new FakeEngine().committed(PLAN, Step.EXPAND, Step.BACKFILL, Step.VERIFY);
        engine.verification = FakeEngine.pass(1, VerifyState.PASSED, "", 1);
        FakeWorkers workers = new FakeWorkers();
        Conductor conductor = new Conductor(engine);
        VerifySpec v = new VerifySpec();
        v.setReverifyEvery("30m");
        StepRequest early = new StepRequest("uid", PLAN, BackfillTuning.defaults(), VerifyTuning.from(v), "", workers,
                StepObserver.NONE, Instant.EPOCH.plusSeconds(60));
        assertThat(conductor.watch(early)).hasValueSatisfying(w -> {
            assertThat(w.worker()).isNull();
            assertThat(w.nextRun()).isEqualTo(Instant.EPOCH.plusSeconds(1800));
        });
        StepRequest due = new StepRequest("uid", PLAN, BackfillTuning.defaults(), VerifyTuning.from(v), "", workers,
                StepObserver.NONE, Instant.EPOCH.plusSeconds(1801));
        assertThat(conductor.watch(due)).hasValueSatisfying(w -> assertThat(w.worker()).isEqualTo("verify-job-2"));
        assertThat(workers.started).containsExactly("verify 2");
    }
}
