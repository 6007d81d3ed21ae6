package dev.tandem.operator.handlers;

import dev.tandem.api.v1alpha1.Phase;

import java.time.Duration;

/** What one handler call did: at most one side effect, reported as a small value. */
public sealed interface HandlerResult {
    /** The step committed (or had already committed): the migration is now in {@code phase}. */
    record Advanced(Phase phase, boolean ranNow, String detail) implements HandlerResult {
    }

    /** Not done yet, nothing wrong: look again after {@code recheck}; progress and job when a Job works. */
    record Waiting(String message, Duration recheck, dev.tandem.engine.BackfillProgress progress, String job)
            implements HandlerResult {
    }

    /** A transient failure: retried after {@code retryIn} without anyone acting. */
    record Retry(String reason, String message, Duration retryIn) implements HandlerResult {
    }

    /** A failure that needs a person; not retried until the spec or the Secret changes. */
    record Failed(String reason, String message) implements HandlerResult {
    }
}
