package dev.tandem.scenarios;

import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.TargetPhase;
import dev.tandem.engine.Backfiller;
import dev.tandem.engine.EngineException;
import dev.tandem.engine.MigrationEngine;
import dev.tandem.engine.Verifier;
import dev.tandem.engine.conductor.Conductor;
import dev.tandem.engine.conductor.Gatekeeper;
import dev.tandem.engine.conductor.Outcome;
import dev.tandem.engine.conductor.StepObserver;
import dev.tandem.engine.conductor.StepRequest;
import dev.tandem.engine.conductor.Workers;
import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.VerifyTuning;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.fail;

/**
 * Reaches a phase the way {@code tandem run} does: the engine's conductor decides and takes one step
 * at a time, the backfill and verification run in this process. A transient failure (a lock
 * timeout of expand behind the application's writes) is retried, as the operator would; a held
 * step (gates, contract's waits) is looked at again after its recheck, up to a limit.
 */
final class ConductorDriver implements ScenarioRun.Driver {
    private static final int RETRIES = 20;
    private static final Duration MAX_HELD = Duration.ofSeconds(30);
    private final MigrationEngine engine;
    private final String retryToken = "scenario " + Instant.now();

    ConductorDriver(MigrationEngine engine) {
        this.engine = engine;
    }

    @Override
    public void reach(MigrationPlan plan, SchemaMigration migration, TargetPhase target) throws Exception {
        Conductor conductor = new Conductor(engine);
        Conductor.Promotion promotion = new Conductor.Promotion(target, plan.hash());
        BackfillTuning tuning = BackfillTuning.from(migration.getSpec().getBackfill());
        VerifyTuning verifyTuning = VerifyTuning.from(migration.getSpec().getVerify());
        Workers workers = new InProcess(engine);
        int retries = 0;
        Instant heldSince = null;
        while (true) {
            Conductor.Decision decision = Conductor.decide(plan, engine.state(plan.key()), promotion);
            if (decision instanceof Conductor.Decision.Stop stop) {
                fail("stopped on the way to " + target + ": " + stop.reason() + ": " + stop.message());
            }
            if (decision instanceof Conductor.Decision.Reached) {
                return;
            }
            var next = ((Conductor.Decision.Next) decision).phase();
            Outcome outcome = conductor.advance(next, new StepRequest(null, plan, tuning, verifyTuning, retryToken,
                    workers, StepObserver.NONE, Instant.now(), Gatekeeper.NO_CLUSTER));
            if (outcome instanceof Outcome.Retry r) {
                if (++retries > RETRIES) {
                    fail(next + " still failing after " + RETRIES + " retries: " + r.reason() + ": " + r.message());
                }
            } else if (outcome instanceof Outcome.Failed f) {
                fail(next + " failed: " + f.reason() + ": " + f.message());
            } else if (outcome instanceof Outcome.Held h) {
                heldSince = heldSince == null ? Instant.now() : heldSince;
                if (Duration.between(heldSince, Instant.now()).compareTo(MAX_HELD) > 0) {
                    fail(next + " held longer than " + MAX_HELD + ": " + h.message());
                }
                // the conductor's own recheck interval: polling the gates, not waiting for another thread
                Thread.sleep(Math.min(h.recheck().toMillis(), 200));
            }
        }
    }

    /** The backfill and verification passes in this thread, as the local mode runs them. */
    private record InProcess(MigrationEngine engine) implements Workers {
        @Override
        public Worker backfill(MigrationPlan plan, BackfillTuning tuning, boolean suspend) {
            try {
                new Backfiller(engine.target(), engine.settings(), tuning).run(plan, 0, 1, Backfiller.Listener.NONE);
                return new Worker("in-process", State.SUCCEEDED, null, null, null);
            } catch (EngineException e) {
                return new Worker("in-process", State.FAILED, e.getMessage(), e.reason(), null);
            }
        }

        @Override
        public Worker verify(MigrationPlan plan, int pass, String retryToken, VerifyTuning tuning, boolean suspend) {
            try {
                new Verifier(engine.target(), engine.settings(), tuning).run(plan, pass, retryToken, Verifier.Listener.NONE);
                return new Worker("in-process", State.SUCCEEDED, null, null, null);
            } catch (EngineException e) {
                return new Worker("in-process", State.FAILED, e.getMessage(), e.reason(), null);
            }
        }
    }
}
