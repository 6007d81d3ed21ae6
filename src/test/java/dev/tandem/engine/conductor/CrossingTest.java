package dev.tandem.engine.conductor;

import dev.tandem.api.v1alpha1.ContractSpec;
import dev.tandem.api.v1alpha1.CutoverSpec;
import dev.tandem.api.v1alpha1.GateSpec;
import dev.tandem.api.v1alpha1.Hold;
import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.api.v1alpha1.VerifySpec;
import dev.tandem.engine.OldStorageState;
import dev.tandem.engine.VerifyState;
import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.CrossingPolicy;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import dev.tandem.plan.VerifyTuning;
import dev.tandem.testing.Specs;
import dev.tandem.testing.SyncSpecs;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The point of no return: gates hold cutover until each passes, contract waits for minWait and quiet. */
class CrossingTest {
    private static final Instant T0 = Instant.parse("2026-12-01T12:00:00Z");

    private static MigrationPlan plan(List<GateSpec> gates, String minWait, String quietFor, String reverifyEvery) {
        var spec = Specs.of("CREATE TABLE users_pii (user_id bigint PRIMARY KEY, full_name text)",
                "ALTER TABLE users ALTER COLUMN full_name DROP NOT NULL", "ALTER TABLE users DROP COLUMN full_name", null);
        spec.setSync(List.of(SyncSpecs.entry("full-name", "users", List.of("id"), null, "users_pii", List.of("user_id"),
                Map.of("user_id", "id", "full_name", "full_name"))));
        CutoverSpec cutover = new CutoverSpec("ALTER TABLE users ALTER COLUMN full_name DROP NOT NULL");
        cutover.setGates(gates);
        spec.setCutover(cutover);
        ContractSpec contract = new ContractSpec("ALTER TABLE users DROP COLUMN full_name");
        contract.setMinWait(minWait);
        contract.setQuietFor(quietFor);
        spec.setContract(contract);
        VerifySpec verify = new VerifySpec();
        verify.setReverifyEvery(reverifyEvery);
        spec.setVerify(verify);
        return Planner.plan("ns", "m", spec);
    }

    private static GateSpec sqlGate(String name) {
        GateSpec g = new GateSpec();
        g.setName(name);
        g.setSql("SELECT true");
        return g;
    }

    private static GateSpec rolloutGate(String name, String deployment) {
        GateSpec g = new GateSpec();
        g.setName(name);
        GateSpec.RolloutGate r = new GateSpec.RolloutGate();
        r.setDeployment(deployment);
        g.setRollout(r);
        return g;
    }

    /** A gatekeeper whose rollouts the test moves. */
    static final class FakeGatekeeper implements Gatekeeper {
        final List<String> rolledOut = new ArrayList<>();
        Set<String> skipped = Set.of();

        @Override
        public Verdict rollout(CrossingPolicy.Gate gate) {
            boolean done = rolledOut.contains(gate.rollout().getDeployment());
            return new Verdict(done, "deployment " + gate.rollout().getDeployment() + (done ? " rolled out" : ": 1 of 3 replicas updated"));
        }

        @Override
        public Set<String> skipped() {
            return skipped;
        }
    }

    private static StepRequest request(MigrationPlan plan, FakeWorkers workers, Instant now, Gatekeeper keeper) {
        return new StepRequest("uid", plan, BackfillTuning.defaults(), VerifyTuning.defaults(), "", workers,
                StepObserver.NONE, now, keeper);
    }

    private static FakeEngine verifiedAt(MigrationPlan plan, Instant passFinished) {
        FakeEngine engine = new FakeEngine().committed(plan, Step.EXPAND, Step.BACKFILL, Step.VERIFY);
        engine.verification = new VerifyState(1, false, VerifyState.PASSED, "", passFinished, passFinished, 10, 10, 10, 1,
                0, 0, 0, 0, List.of(), List.of(), null, 1);
        return engine;
    }

    @Test
    void eachGateKindHoldsCutoverUntilItPassesThenCutoverRuns() {
        MigrationPlan plan = plan(List.of(sqlGate("drained"), rolloutGate("app-v2", "app")), null, null, null);
        FakeEngine engine = verifiedAt(plan, T0.minusSeconds(60));
        FakeGatekeeper keeper = new FakeGatekeeper();
        Conductor conductor = new Conductor(engine);

        Outcome first = conductor.advance(Phase.CutOver, request(plan, new FakeWorkers(), T0, keeper));
        assertThat(first).isInstanceOfSatisfying(Outcome.Held.class, h -> {
            assertThat(h.hold()).isEqualTo(Hold.AwaitingGates);
            assertThat(h.message()).contains("drained (sql): returned false").contains("app-v2 (rollout): deployment app: 1 of 3");
            assertThat(h.gates()).extracting(GateVerdict::name).containsExactly("verification", "drained", "app-v2");
            assertThat(h.gates()).extracting(GateVerdict::passed).containsExactly(true, false, false);
        });
        engine.gates.put("drained", true);
        Outcome second = conductor.advance(Phase.CutOver, request(plan, new FakeWorkers(), T0, keeper));
        assertThat(second).isInstanceOfSatisfying(Outcome.Held.class, h -> assertThat(h.message())
                .doesNotContain("drained").contains("app-v2"));
        assertThat(engine.applied).doesNotContain(Step.CUTOVER);

        keeper.rolledOut.add("app");
        Outcome third = conductor.advance(Phase.CutOver, request(plan, new FakeWorkers(), T0, keeper));
        assertThat(third).isInstanceOfSatisfying(Outcome.Advanced.class, a -> {
            assertThat(a.phase()).isEqualTo(Phase.CutOver);
            assertThat(a.detail()).contains("gates passed: verification, drained, app-v2");
        });
        assertThat(engine.applied).containsExactly(Step.CUTOVER);
    }

    @Test
    void aRolloutGateWithoutAClusterHoldsUnlessSkipped() {
        MigrationPlan plan = plan(List.of(rolloutGate("app-v2", "app")), null, null, null);
        FakeEngine engine = verifiedAt(plan, T0);
        Conductor conductor = new Conductor(engine);
        Outcome held = conductor.advance(Phase.CutOver, request(plan, new FakeWorkers(), T0, null));
        assertThat(held).isInstanceOfSatisfying(Outcome.Held.class, h -> assertThat(h.message())
                .contains("needs a cluster").contains("--skip-gate app-v2"));
        FakeGatekeeper skipping = new FakeGatekeeper();
        skipping.skipped = Set.of("app-v2");
        assertThat(conductor.advance(Phase.CutOver, request(plan, new FakeWorkers(), T0, skipping)))
                .isInstanceOf(Outcome.Advanced.class);
    }

    @Test
    void aStaleProofStartsANewPassAndCutoverWaitsForIt() {
        MigrationPlan plan = plan(List.of(), null, null, "30m");
        assertThat(plan.policy().gates()).singleElement().satisfies(g -> {
            assertThat(g.name()).isEqualTo("verification");
            assertThat(g.maxAge()).isEqualTo(Duration.ofMinutes(30));
        });
        FakeEngine engine = verifiedAt(plan, T0.minus(Duration.ofMinutes(31)));
        FakeWorkers workers = new FakeWorkers();
        Conductor conductor = new Conductor(engine);

        Outcome held = conductor.advance(Phase.CutOver, request(plan, workers, T0, null));
        assertThat(held).isInstanceOfSatisfying(Outcome.Held.class, h -> assertThat(h.message())
                .contains("finished 31m ago, longer than maxAge 30m").contains("pass 2 started"));
        assertThat(workers.started).containsExactly("verify 2");
        assertThat(engine.applied).isEmpty();

        engine.verification = new VerifyState(2, true, null, "", T0, null, 10, 5, 5, 1, 0, 0, 0, 0, List.of(), List.of(),
                null, 1);
        assertThat(conductor.advance(Phase.CutOver, request(plan, workers, T0.plusSeconds(5), null)))
                .isInstanceOfSatisfying(Outcome.Held.class, h -> assertThat(h.message()).contains("pass 2 running"));
        assertThat(workers.started).as("no second pass while one runs").containsExactly("verify 2");

        engine.verification = new VerifyState(2, false, VerifyState.PASSED, "", T0, T0.plusSeconds(9), 10, 10, 10, 1, 0, 0,
                0, 0, List.of(), List.of(), null, 2);
        assertThat(conductor.advance(Phase.CutOver, request(plan, workers, T0.plusSeconds(10), null)))
                .isInstanceOf(Outcome.Advanced.class);
        assertThat(engine.applied).containsExactly(Step.CUTOVER);
    }

    @Test
    void aPassOlderThanTheBackfillIsNoProof() {
        MigrationPlan plan = plan(List.of(), null, null, null);
        FakeEngine engine = verifiedAt(plan, T0);
        engine.steps.put(Step.BACKFILL, T0.plusSeconds(1));
        assertThat(CutoverGates.staleness(engine.verification, T0.plusSeconds(1), Duration.ofHours(1), T0.plusSeconds(2)))
                .contains("before the backfill");
    }

    @Test
    void contractWaitsForMinWaitThenForQuietAfterTheLastOldStorageWrite() {
        MigrationPlan plan = plan(List.of(), "10m", "5m", null);
        FakeEngine engine = verifiedAt(plan, T0);
        engine.steps.put(Step.CUTOVER, T0);
        Conductor conductor = new Conductor(engine);

        Outcome early = conductor.advance(Phase.Contracted, request(plan, new FakeWorkers(), T0.plus(Duration.ofMinutes(3)), null));
        assertThat(early).isInstanceOfSatisfying(Outcome.Held.class, h -> {
            assertThat(h.hold()).isEqualTo(Hold.AwaitingQuiet);
            assertThat(h.possibleAt()).isEqualTo(T0.plus(Duration.ofMinutes(10)));
            assertThat(h.message()).startsWith("contract possible after 12:10:00 UTC: contract.minWait is 10m after cutover");
        });

        engine.oldStorage = new OldStorageState(3, T0.plus(Duration.ofMinutes(8)), "public.users", "UPDATE", "legacy-worker",
                "app");
        Outcome quiet = conductor.advance(Phase.Contracted, request(plan, new FakeWorkers(), T0.plus(Duration.ofMinutes(11)), null));
        assertThat(quiet).isInstanceOfSatisfying(Outcome.Held.class, h -> {
            assertThat(h.possibleAt()).isEqualTo(T0.plus(Duration.ofMinutes(13)));
            assertThat(h.message()).isEqualTo("contract possible after 12:13:00 UTC: an old-storage write (UPDATE public.users "
                    + "by legacy-worker (role app)) was seen at 12:08:00 UTC, and contract.quietFor is 5m");
        });
        assertThat(engine.applied).isEmpty();

        assertThat(conductor.advance(Phase.Contracted, request(plan, new FakeWorkers(), T0.plus(Duration.ofMinutes(13)), null)))
                .isInstanceOf(Outcome.Advanced.class);
        assertThat(engine.applied).containsExactly(Step.CONTRACT);
    }

    @Test
    void gatesAndWaitsAreNotPartOfThePlanHash() {
        String bare = plan(List.of(), null, null, null).hash();
        assertThat(plan(List.of(sqlGate("g")), "1h", "30m", "10m").hash()).isEqualTo(bare);
    }

    @Test
    void aChangedContractAfterCutoverIsTheSameMigration() {
        MigrationPlan plan = plan(List.of(), null, null, null);
        var revisedSpec = Specs.of("CREATE TABLE users_pii (user_id bigint PRIMARY KEY, full_name text)",
                "ALTER TABLE users ALTER COLUMN full_name DROP NOT NULL", "ALTER TABLE users DROP COLUMN IF EXISTS full_name", null);
        revisedSpec.setSync(List.of(SyncSpecs.entry("full-name", "users", List.of("id"), null, "users_pii", List.of("user_id"),
                Map.of("user_id", "id", "full_name", "full_name"))));
        revisedSpec.setVerify(new VerifySpec());
        MigrationPlan revised = Planner.plan("ns", "m", revisedSpec);
        assertThat(revised.hash()).isNotEqualTo(plan.hash());
        assertThat(revised.baseHash()).isEqualTo(plan.baseHash());

        FakeEngine engine = verifiedAt(plan, T0);
        var promotion = new Conductor.Promotion(dev.tandem.api.v1alpha1.TargetPhase.Contracted, revised.hash());
        assertThat(Conductor.decide(revised, engine.state(plan.key()), promotion))
                .as("before cutover the contract is still immutable").isInstanceOf(Conductor.Decision.Stop.class);
        engine.steps.put(Step.CUTOVER, T0);
        assertThat(Conductor.decide(revised, engine.state(plan.key()), promotion))
                .isEqualTo(new Conductor.Decision.Next(Phase.Contracted));
        assertThat(Conductor.decide(revised, engine.state(plan.key()),
                new Conductor.Promotion(dev.tandem.api.v1alpha1.TargetPhase.Contracted, plan.hash())))
                .as("promotion binds to the new hash").isInstanceOf(Conductor.Decision.Stop.class);
    }
}
