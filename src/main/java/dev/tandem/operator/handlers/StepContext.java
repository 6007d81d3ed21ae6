package dev.tandem.operator.handlers;

import dev.tandem.engine.MigrationEngine;
import dev.tandem.plan.MigrationPlan;

/**
 * What a handler works with. No Kubernetes types: handlers drive the engine.
 *
 * @param uid    uid of the SchemaMigration, recorded in the ledger
 * @param plan   the plan
 * @param engine the engine bound to the migration's database
 */
public record StepContext(String uid, MigrationPlan plan, MigrationEngine engine) {
}
