package dev.tandem.operator;

import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.SchemaMigrationStatus;
import dev.tandem.api.v1alpha1.TargetPhase;
import dev.tandem.engine.EngineException;
import dev.tandem.engine.LedgerState;
import dev.tandem.plan.MigrationPlan;

import java.util.Objects;
import java.util.Optional;

/**
 * Rules about where a migration may go, checked against the ledger (the database's record of
 * what ran), so they hold even where the API server runs no CEL rules or status was lost.
 */
public final class MigrationGate {
    private MigrationGate() {
    }

    /** Why the migration must not move, as a condition reason and a message. */
    public record Stop(String reason, String message) {
    }

    public static Optional<Stop> check(SchemaMigration m, MigrationPlan plan, LedgerState ledger) {
        TargetPhase target = m.getSpec().getTargetPhase();
        Phase settled = ledger.settledPhase();
        if (ledger.started() && ledger.planHash() != null && !ledger.planHash().equals(plan.hash())) {
            return Optional.of(new Stop(Names.Reasons.SPEC_IMMUTABLE, "the migration's definition changed after "
                    + "expand (database, expand, sync, cutover, contract and rollback are immutable from then on): the "
                    + "database ran plan " + ledger.planHash() + ", the spec now gives plan " + plan.hash()
                    + "; revert the change (only targetPhase, promotion, suspend and tuning may change)"));
        }
        SchemaMigrationStatus status = m.getStatus();
        if (ledger.started() && status != null && status.getDatabase() != null
                && status.getDatabase().getSecretName() != null
                && !Objects.equals(status.getDatabase().getSecretName(), m.getSpec().getDatabase().getSecretRef().getName())) {
            return Optional.of(new Stop(Names.Reasons.SPEC_IMMUTABLE, "spec.database.secretRef.name changed from "
                    + status.getDatabase().getSecretName() + " after expand; the database of a migration cannot change: "
                    + "set it back to " + status.getDatabase().getSecretName()));
        }
        if (settled == Phase.RolledBack && target != TargetPhase.RolledBack) {
            return Optional.of(new Stop(Names.Reasons.ROLLED_BACK_IS_FINAL, "the migration was rolled back; "
                    + "a rolled-back migration is final: set targetPhase back to RolledBack, or create a new SchemaMigration"));
        }
        if (settled.isPastPointOfNoReturn() && (target.phase().rank() < settled.rank() || target == TargetPhase.RolledBack)) {
            return Optional.of(new Stop(EngineException.POINT_OF_NO_RETURN, "the migration cut over at "
                    + ledger.pointOfNoReturn() + " (the point of no return) and is at " + settled + "; targetPhase "
                    + target + " would go back: only forward is allowed, set targetPhase to "
                    + (settled == Phase.Contracted ? "Contracted" : "CutOver or Contracted")));
        }
        if (target != TargetPhase.RolledBack && settled.rank() > target.phase().rank()) {
            return Optional.of(new Stop(Names.Reasons.TARGET_PHASE_BEHIND, "the migration is at " + settled
                    + ", past targetPhase " + target + "; phases never run backwards: set targetPhase to " + settled
                    + " or later, or to RolledBack to undo the migration"));
        }
        Optional<Phase> next = settled.nextToward(target);
        if (next.isPresent() && (next.get() == Phase.CutOver || next.get() == Phase.Contracted)
                && !plan.hash().equals(m.getSpec().promotedPlanHash())) {
            String given = m.getSpec().promotedPlanHash();
            return Optional.of(new Stop(Names.Reasons.PLAN_HASH_MISMATCH, "targetPhase " + target + " needs "
                    + "spec.promotion.planHash \"" + plan.hash() + "\" but it is "
                    + (given == null ? "missing" : "\"" + given + "\"") + "; review the plan (ConfigMap "
                    + Names.planConfigMap(m.getMetadata().getName()) + ", key " + Names.PLAN_TEXT_KEY
                    + "), then commit promotion.planHash: \"" + plan.hash() + "\""));
        }
        return Optional.empty();
    }

    /** What to commit next when the target is reached, or empty when the migration is finished. */
    public static Optional<String> nextPromotion(Phase settled, MigrationPlan plan) {
        return switch (settled) {
            case Pending -> Optional.of("commit spec.targetPhase: Expanded");
            case Expanded -> Optional.of("commit spec.targetPhase: Backfilled");
            case Backfilled -> Optional.of("commit spec.targetPhase: Verified");
            case Verified -> Optional.of("to cross the point of no return, commit spec.targetPhase: CutOver with "
                    + "spec.promotion.planHash: \"" + plan.hash() + "\"");
            case CutOver -> Optional.of("commit spec.targetPhase: Contracted with spec.promotion.planHash: \""
                    + plan.hash() + "\"");
            default -> Optional.empty();
        };
    }
}
