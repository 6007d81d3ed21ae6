package dev.tandem.operator.handlers;

import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.MigrationPlan;

/** The backfill Job as a handler sees it: no Kubernetes types. */
public interface BackfillJobs {
    /** What became of the Job. */
    enum State { RUNNING, SUSPENDED, SUCCEEDED, FAILED }

    /**
     * @param name    the Job's name
     * @param state   its state
     * @param failure why it failed (the pod's reason and message), or null
     */
    record Job(String name, State state, String failure) {
    }

    /** Creates the Job for this plan if it does not exist (create-only); sets its suspend flag. */
    Job ensure(MigrationPlan plan, BackfillTuning tuning, boolean suspend);
}
