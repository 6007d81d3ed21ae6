package dev.tandem.engine;

import dev.tandem.api.v1alpha1.Step;

import java.time.Duration;
import java.util.List;

/** Hears what a step does, for progress displays and metrics. Every method is optional. */
public interface StepListener {
    StepListener NONE = new StepListener() {
    };

    default void unitStarted(Step step, int unit, int attempt) {
    }

    default void lockTimeout(Step step, int unit, int attempt, Duration retryIn, List<BlockingSession> blockers) {
    }

    default void unitCommitted(Step step, int unit, Duration took) {
    }
}
