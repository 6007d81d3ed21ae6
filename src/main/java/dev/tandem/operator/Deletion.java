package dev.tandem.operator;

import dev.tandem.api.v1alpha1.DeletionPolicy;
import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.engine.EngineException;
import dev.tandem.engine.LedgerState;
import dev.tandem.engine.MigrationEngine;
import dev.tandem.api.v1alpha1.EventReason;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.engine.conductor.Conductor;
import dev.tandem.engine.conductor.Outcome;
import dev.tandem.engine.conductor.StepRequest;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;

/**
 * What deleting a SchemaMigration does (the finalizer): Retain leaves the database; RollBack rolls
 * back first while the ledger says the migration is still reversible, and holds the deletion
 * until it has.
 */
@ApplicationScoped
public class Deletion {
    static final Duration RECHECK_DELETION = Duration.ofSeconds(30);

    private final EventRecorder events;
    private final DatabaseConnector databases;

    public Deletion(EventRecorder events, DatabaseConnector databases) {
        this.events = events;
        this.databases = databases;
    }

    public DeleteControl cleanup(SchemaMigration m, Secret secret) {
        if (m.getSpec() == null || m.getSpec().effectiveDeletionPolicy() == DeletionPolicy.Retain) {
            events.record(m, EventReason.DeletionRetained, "deleted with deletionPolicy Retain: the database is left as it is");
            return DeleteControl.defaultDelete();
        }
        String blocked = "; deletion waits (set spec.deletionPolicy: Retain to delete without rolling back)";
        try {
            MigrationEngine engine = databases.engine(m, secret);
            MigrationPlan plan = Planner.plan(m);
            LedgerState ledger = engine.state(plan.key());
            if (ledger.pastPointOfNoReturn() || !ledger.started() || ledger.applied(Step.ROLLBACK)) {
                events.record(m, EventReason.DeletionRetained, ledger.pastPointOfNoReturn()
                        ? "past the point of no return: deletionPolicy RollBack cannot apply, the database is left as it is"
                        : "nothing to roll back");
                return DeleteControl.defaultDelete();
            }
            Outcome result = new Conductor(engine).advance(Phase.RolledBack,
                    StepRequest.ledgeredOnly(m.getMetadata().getUid(), plan));
            if (result instanceof Outcome.Advanced) {
                events.record(m, EventReason.DeletionRolledBack, "rolled back before deletion (deletionPolicy RollBack)");
                return DeleteControl.defaultDelete();
            }
            String why = result instanceof Outcome.Failed f ? f.message()
                    : result instanceof Outcome.Retry r ? r.message() : "rollback not finished";
            events.record(m, EventReason.DeletionBlocked, "rollback before deletion failed: " + why + blocked);
        } catch (CredentialsResolver.CredentialsException | EngineException e) {
            events.record(m, EventReason.DeletionBlocked, "cannot roll back: " + e.getMessage() + blocked);
        }
        return DeleteControl.noFinalizerRemoval().rescheduleAfter(RECHECK_DELETION);
    }

}
