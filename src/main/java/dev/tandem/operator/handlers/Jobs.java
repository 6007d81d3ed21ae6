package dev.tandem.operator.handlers;

import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.VerifyTuning;

/** A migration's Jobs as a handler sees them: no Kubernetes types. */
public interface Jobs {
    /** What became of a Job. */
    enum State { RUNNING, SUSPENDED, SUCCEEDED, FAILED }

    /**
     * @param name    the Job's name
     * @param state   its state
     * @param failure why it failed (the pod's reason and message), or null
     */
    record Job(String name, State state, String failure) {
    }

    /** Creates the backfill Job for this plan if it does not exist (create-only); sets its suspend flag. */
    Job backfill(MigrationPlan plan, BackfillTuning tuning, boolean suspend);

    /** Creates the Job of verification pass {@code pass} if it does not exist (create-only); sets its suspend flag. */
    Job verify(MigrationPlan plan, int pass, String retryToken, VerifyTuning tuning, boolean suspend);
}
