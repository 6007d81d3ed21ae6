package dev.tandem.operator.handlers;

import dev.tandem.engine.MigrationEngine;
import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.MigrationPlan;

/**
 * What a handler works with. No Kubernetes types: handlers drive the engine.
 *
 * @param uid    uid of the SchemaMigration, recorded in the ledger
 * @param plan   the plan
 * @param engine the engine bound to the migration's database
 * @param tuning spec.backfill
 * @param jobs   the migration's backfill Job (null where no Job may be started)
 */
public record StepContext(String uid, MigrationPlan plan, MigrationEngine engine, BackfillTuning tuning,
                          BackfillJobs jobs) {
    /** For steps that start no Job. */
    public StepContext(String uid, MigrationPlan plan, MigrationEngine engine) {
        this(uid, plan, engine, BackfillTuning.defaults(), null);
    }
}
