package dev.tandem.engine.conductor;

import dev.tandem.api.v1alpha1.Reason;
import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.VerifyTuning;

/**
 * Who does the long work of a migration: the backfill and the verification passes. In a cluster a
 * Job each (started, then followed as it runs); in local mode in-process (the call returns when the
 * work is done). Either way the work reports its progress in the tracking schema.
 */
public interface Workers {
    /** What became of a piece of work. */
    enum State { RUNNING, SUSPENDED, SUCCEEDED, FAILED }

    /**
     * @param name      what runs it (a Job's name, or "in-process")
     * @param state     its state
     * @param failure   why it failed, or null
     * @param reason    the reason of that failure when the worker knows one, or null
     * @param retryHint how to run it again after fixing the cause
     */
    record Worker(String name, State state, String failure, Reason reason, String retryHint) {
        public static Worker running(String name) {
            return new Worker(name, State.RUNNING, null, null, null);
        }
    }

    /** Starts the backfill of this plan if it is not running or done; sets its suspend flag. */
    Worker backfill(MigrationPlan plan, BackfillTuning tuning, boolean suspend);

    /** Starts verification pass {@code pass} if it is not running or done; sets its suspend flag. */
    Worker verify(MigrationPlan plan, int pass, String retryToken, VerifyTuning tuning, boolean suspend);
}
