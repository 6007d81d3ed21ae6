package dev.tandem.operator.handlers;

import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.engine.BackfillProgress;
import dev.tandem.engine.VerifyState;

import java.time.Duration;

/**
 * What one handler call did: at most one side effect, reported as a small value. A result may
 * carry what a Job reported (backfill progress, the latest verification pass) for status.
 */
public sealed interface HandlerResult {
    /** The latest verification pass this result saw, or null. */
    default VerifyState verification() {
        return null;
    }

    /** The step committed (or had already committed): the migration is now in {@code phase}. */
    record Advanced(Phase phase, boolean ranNow, String detail, VerifyState verification) implements HandlerResult {
        public Advanced(Phase phase, boolean ranNow, String detail) {
            this(phase, ranNow, detail, null);
        }
    }

    /** Not done yet, nothing wrong: look again after {@code recheck}; what the Job reports, and its name. */
    record Waiting(String message, Duration recheck, BackfillProgress progress, VerifyState verification, String job)
            implements HandlerResult {
        public Waiting(String message, Duration recheck, BackfillProgress progress, String job) {
            this(message, recheck, progress, null, job);
        }
    }

    /** A transient failure: retried after {@code retryIn} without anyone acting. */
    record Retry(String reason, String message, Duration retryIn) implements HandlerResult {
    }

    /** A failure that needs a person; not retried until the spec or the Secret changes. */
    record Failed(String reason, String message, VerifyState verification) implements HandlerResult {
        public Failed(String reason, String message) {
            this(reason, message, null);
        }
    }
}
