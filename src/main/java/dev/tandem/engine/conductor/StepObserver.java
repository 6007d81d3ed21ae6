package dev.tandem.engine.conductor;

import dev.tandem.api.v1alpha1.Step;
import dev.tandem.engine.StepListener;

import java.time.Duration;

/** Hears what steps do, for metrics. */
public interface StepObserver {
    StepObserver NONE = new StepObserver() {
    };

    /** A step ended: applied, already_applied, retry or failed; {@code took} null when it did not run. */
    default void step(Step step, String outcome, Duration took) {
    }

    default void lockTimeout(Step step) {
    }

    /** What hears a step's units while it runs (lock-timeout retries, ...). */
    default StepListener listener() {
        return StepListener.NONE;
    }
}
