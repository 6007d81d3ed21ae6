package dev.tandem.operator.handlers;

import dev.tandem.engine.MigrationEngine;
import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.VerifyTuning;

import java.time.Instant;

/**
 * What a handler works with. No Kubernetes types: handlers drive the engine.
 *
 * @param uid          uid of the SchemaMigration, recorded in the ledger
 * @param plan         the plan
 * @param engine       the engine bound to the migration's database
 * @param tuning       spec.backfill
 * @param verifyTuning spec.verify without its checks
 * @param retryToken   spec.verify.retry ("" when unset)
 * @param jobs         the migration's Jobs (null where no Job may be started)
 * @param now          the time of this reconcile
 */
public record StepContext(String uid, MigrationPlan plan, MigrationEngine engine, BackfillTuning tuning,
                          VerifyTuning verifyTuning, String retryToken, Jobs jobs, Instant now) {
    /** For steps that start no Job. */
    public StepContext(String uid, MigrationPlan plan, MigrationEngine engine) {
        this(uid, plan, engine, BackfillTuning.defaults(), VerifyTuning.defaults(), "", null, Instant.now());
    }
}
