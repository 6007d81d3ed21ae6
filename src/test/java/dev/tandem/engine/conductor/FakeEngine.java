package dev.tandem.engine.conductor;

import dev.tandem.api.v1alpha1.Step;
import dev.tandem.engine.BackfillProgress;
import dev.tandem.engine.Engine;
import dev.tandem.engine.EngineException;
import dev.tandem.engine.LedgerState;
import dev.tandem.engine.StepListener;
import dev.tandem.engine.StepResult;
import dev.tandem.engine.VerifyState;
import dev.tandem.plan.MigrationPlan;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

/** An engine without a database: a ledger in memory, progress and passes as the test sets them. */
final class FakeEngine implements Engine {
    final Map<Step, Instant> steps = new EnumMap<>(Step.class);
    final List<Step> applied = new ArrayList<>();
    String planHash;
    BackfillProgress progress = progress(false);
    VerifyState verification = VerifyState.none();
    EngineException failNextApply;

    static BackfillProgress progress(boolean complete) {
        return new BackfillProgress(100, complete ? 100 : 40, complete ? 10 : 4, 10, 50, 5, "sync entry e: page 4 of 10",
                null, 0, complete ? 1 : 0, 1, complete);
    }

    static VerifyState pass(int pass, String result, String token, int consecutive) {
        return new VerifyState(pass, result == null, result, token, Instant.EPOCH, result == null ? null : Instant.EPOCH,
                100, 100, 100, 1, 0, 0, VerifyState.FAILED.equals(result) ? 3 : 0, 0, List.of(), List.of(), null,
                consecutive);
    }

    LedgerState ledger(String key) {
        return new LedgerState(key, !steps.isEmpty(), planHash, null, Map.copyOf(steps),
                new HashSet<>(steps.keySet().stream().map(s -> s.key() + "#0").toList()),
                steps.get(Step.CUTOVER));
    }

    FakeEngine committed(MigrationPlan plan, Step... done) {
        planHash = plan.hash();
        for (Step s : done) {
            steps.put(s, Instant.EPOCH);
        }
        return this;
    }

    @Override
    public Observation observe(String key) {
        return new Observation("17", ledger(key));
    }

    @Override
    public LedgerState state(String key) {
        return ledger(key);
    }

    @Override
    public StepResult apply(MigrationPlan plan, Step step, String uid, StepListener listener) throws EngineException {
        if (failNextApply != null) {
            EngineException e = failNextApply;
            failNextApply = null;
            throw e;
        }
        planHash = plan.hash();
        boolean ran = steps.putIfAbsent(step, Instant.EPOCH) == null;
        applied.add(step);
        return new StepResult(step, ran ? StepResult.Outcome.APPLIED : StepResult.Outcome.ALREADY_APPLIED, 1,
                Duration.ofMillis(3));
    }

    @Override
    public BackfillProgress backfillProgress(MigrationPlan plan) {
        return progress;
    }

    @Override
    public VerifyState verification(MigrationPlan plan) {
        return verification;
    }

    @Override
    public String trackingSchema() {
        return "tandem";
    }
}
