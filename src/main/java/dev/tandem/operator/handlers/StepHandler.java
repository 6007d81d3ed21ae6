package dev.tandem.operator.handlers;

import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.engine.EngineException;
import dev.tandem.engine.LedgerState;
import dev.tandem.engine.StepResult;
import dev.tandem.operator.MigrationMetrics;
import dev.tandem.plan.Step;

import java.time.Duration;

/** A handler whose phase is one ledgered engine step: ask the ledger, run the step if needed. */
abstract class StepHandler implements PhaseHandler {
    static final Duration RETRY_LOCK = Duration.ofSeconds(15);
    static final Duration RETRY_OTHER = Duration.ofSeconds(10);

    private final Step step;
    private final MigrationMetrics metrics;

    StepHandler(Step step, MigrationMetrics metrics) {
        this.step = step;
        this.metrics = metrics;
    }

    @Override
    public Phase leadsTo() {
        return LedgerState.phaseAfter(step);
    }

    @Override
    public HandlerResult handle(StepContext context) {
        try {
            StepResult result = context.engine().apply(context.plan(), step, context.uid(), metrics.stepListener());
            metrics.step(step.key(), result.applied() ? "applied" : "already_applied", result.took());
            int statements = context.plan().step(step).statements().size();
            String detail = result.applied()
                    ? step.key() + " committed in " + result.took().toMillis() + " ms (" + statements
                    + (statements == 1 ? " statement" : " statements")
                    + (result.attempts() > 1 ? ", " + result.attempts() + " attempts" : "") + ")"
                    : step.key() + " had already committed";
            return new HandlerResult.Advanced(leadsTo(), result.applied(), detail);
        } catch (EngineException e) {
            if (EngineException.LOCK_TIMEOUT.equals(e.reason())) {
                metrics.lockTimeout(step.key());
            }
            metrics.step(step.key(), e.isTransient() ? "retry" : "failed", null);
            if (e.isTransient()) {
                return new HandlerResult.Retry(e.reason(), e.getMessage(),
                        EngineException.LOCK_TIMEOUT.equals(e.reason()) ? RETRY_LOCK : RETRY_OTHER);
            }
            return new HandlerResult.Failed(e.reason(), e.getMessage());
        }
    }
}
