package dev.tandem.engine.conductor;

import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.Reason;
import dev.tandem.engine.BackfillProgress;
import dev.tandem.engine.VerifyState;

import java.time.Duration;

/**
 * What one step toward a phase did: at most one side effect, reported as a small value. An outcome
 * may carry what the work reported (backfill progress, the latest verification pass).
 */
public sealed interface Outcome {
    /** The latest verification pass this outcome saw, or null. */
    default VerifyState verification() {
        return null;
    }

    /** The step committed (or had already committed): the migration is now in {@code phase}. */
    record Advanced(Phase phase, boolean ranNow, String detail, VerifyState verification) implements Outcome {
        public Advanced(Phase phase, boolean ranNow, String detail) {
            this(phase, ranNow, detail, null);
        }
    }

    /** Not done yet, nothing wrong: look again after {@code recheck}; what the work reports, and who runs it. */
    record Waiting(String message, Duration recheck, BackfillProgress progress, VerifyState verification, String worker)
            implements Outcome {
        public Waiting(String message, Duration recheck, BackfillProgress progress, String worker) {
            this(message, recheck, progress, null, worker);
        }
    }

    /** A transient failure: retried after {@code retryIn} without anyone acting. */
    record Retry(Reason reason, String message, Duration retryIn) implements Outcome {
    }

    /** A failure that needs a person; not retried until the spec (or the Secret) changes. */
    record Failed(Reason reason, String message, VerifyState verification) implements Outcome {
        public Failed(Reason reason, String message) {
            this(reason, message, null);
        }
    }
}
