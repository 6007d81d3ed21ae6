package dev.tandem.engine;

import dev.tandem.api.v1alpha1.Step;
import dev.tandem.plan.MigrationPlan;

/**
 * The database side of a migration as the conductor and its phases use it: what the ledger says,
 * running a step, and what the backfill and the verification report. {@link MigrationEngine} is
 * the implementation over JDBC; tests of the conductor use a fake.
 */
public interface Engine {
    /** The server's version and the migration's ledger state, read over one connection. */
    record Observation(String serverVersion, LedgerState state) {
    }

    /** Connects (proving the credentials work) and reads the ledger. */
    Observation observe(String key) throws EngineException;

    /** What the ledger says about a migration. */
    LedgerState state(String key) throws EngineException;

    /** Applies one step of the plan, unless the ledger says it already committed. */
    StepResult apply(MigrationPlan plan, Step step, String uid, StepListener listener) throws EngineException;

    /** How far the backfill is, from the tracking schema. */
    BackfillProgress backfillProgress(MigrationPlan plan) throws EngineException;

    /** The latest verification pass, from the tracking schema. */
    VerifyState verification(MigrationPlan plan) throws EngineException;

    /** The schema of the ledger (messages name its tables). */
    String trackingSchema();
}
