package dev.tandem.engine.conductor;

import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.VerifyTuning;

import java.time.Instant;

/**
 * What one step toward the next phase works with: whoever drives the migration (the operator, or
 * {@code tandem run}) fills it in.
 *
 * @param uid          identifier of the migration's resource, recorded in the ledger (may be null)
 * @param plan         the plan
 * @param tuning       spec.backfill
 * @param verifyTuning spec.verify (tuning)
 * @param retryToken   spec.verify.retry ("" when unset)
 * @param workers      who runs the backfill and verification (null: only ledgered steps may run)
 * @param observer     hears steps, for metrics
 * @param now          the time of this decision
 */
public record StepRequest(String uid, MigrationPlan plan, BackfillTuning tuning, VerifyTuning verifyTuning,
                          String retryToken, Workers workers, StepObserver observer, Instant now) {
    /** For a step that starts no work (e.g. a rollback before deletion). */
    public static StepRequest ledgeredOnly(String uid, MigrationPlan plan) {
        return new StepRequest(uid, plan, BackfillTuning.defaults(), VerifyTuning.defaults(), "", null, StepObserver.NONE,
                Instant.now());
    }
}
