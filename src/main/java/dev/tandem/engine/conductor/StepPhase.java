package dev.tandem.engine.conductor;

import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.Reason;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.engine.Engine;
import dev.tandem.engine.EngineException;
import dev.tandem.engine.StepResult;

import java.time.Duration;

/**
 * A phase that is one ledgered step (expand, cutover, contract, rollback; and the commit of the
 * backfill and verify steps): ask the ledger, run the step if it has not committed.
 */
final class StepPhase {
    static final Duration RETRY_LOCK = Duration.ofSeconds(15);
    static final Duration RETRY_OTHER = Duration.ofSeconds(10);

    private final Engine engine;

    StepPhase(Engine engine) {
        this.engine = engine;
    }

    Outcome apply(Step step, StepRequest r) {
        try {
            StepResult result = engine.apply(r.plan(), step, r.uid(), r.observer().listener());
            r.observer().step(step, result.applied() ? "applied" : "already_applied", result.took());
            int statements = r.plan().step(step).statements().size();
            String detail = result.applied()
                    ? step.key() + " committed in " + result.took().toMillis() + " ms (" + statements
                    + (statements == 1 ? " statement" : " statements")
                    + (result.attempts() > 1 ? ", " + result.attempts() + " attempts" : "") + ")"
                    : step.key() + " had already committed";
            return new Outcome.Advanced(Phase.after(step), result.applied(), detail);
        } catch (EngineException e) {
            if (e.reason() == Reason.LockTimeout) {
                r.observer().lockTimeout(step);
            }
            r.observer().step(step, e.isTransient() ? "retry" : "failed", null);
            return failure(e, e.reason() == Reason.LockTimeout ? RETRY_LOCK : RETRY_OTHER);
        }
    }

    /** An engine error as an outcome: retried when transient, else it needs a person. */
    static Outcome failure(EngineException e, Duration retryIn) {
        return e.isTransient() ? new Outcome.Retry(e.reason(), e.getMessage(), retryIn)
                : new Outcome.Failed(e.reason(), e.getMessage());
    }
}
