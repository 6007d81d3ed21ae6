package dev.tandem.engine;

import dev.tandem.api.v1alpha1.Step;

import java.time.Duration;

/**
 * What applying a step did.
 *
 * @param step      the step
 * @param outcome   APPLIED (this call committed it) or ALREADY_APPLIED (the ledger had it: nothing ran)
 * @param attempts  attempts taken by the unit that needed the most
 * @param took      wall time of this call
 */
public record StepResult(Step step, Outcome outcome, int attempts, Duration took) {
    public enum Outcome { APPLIED, ALREADY_APPLIED }

    public boolean applied() {
        return outcome == Outcome.APPLIED;
    }
}
