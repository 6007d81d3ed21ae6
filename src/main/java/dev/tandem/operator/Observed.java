package dev.tandem.operator;

import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.Reason;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.SchemaMigrationStatus;
import dev.tandem.engine.LedgerState;
import dev.tandem.engine.conductor.Conductor;
import dev.tandem.plan.MigrationPlan;

import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/** What the resource says that the conductor needs, and the cluster's wording of its answers. */
public final class Observed {
    private Observed() {
    }

    static Conductor.Promotion promotion(SchemaMigration m) {
        return new Conductor.Promotion(m.getSpec().getTargetPhase(), m.getSpec().promotedPlanHash());
    }

    static String reference(SchemaMigration m) {
        return m.getSpec().getPromotion() == null ? null : m.getSpec().getPromotion().getReference();
    }

    /** The one rule only the cluster can check: the Secret of a migration that ran cannot change. */
    static Optional<String> secretChanged(SchemaMigration m, LedgerState ledger) {
        SchemaMigrationStatus status = m.getStatus();
        if (ledger.started() && status != null && status.getDatabase() != null
                && status.getDatabase().getSecretName() != null
                && !Objects.equals(status.getDatabase().getSecretName(), m.getSpec().getDatabase().getSecretRef().getName())) {
            return Optional.of("spec.database.secretRef.name changed from " + status.getDatabase().getSecretName()
                    + " after expand; the database of a migration cannot change: set it back to "
                    + status.getDatabase().getSecretName());
        }
        return Optional.empty();
    }

    /** A stop's message with where to look in the cluster. */
    static String withHint(Conductor.Decision.Stop stop, SchemaMigration m) {
        if (stop.reason() == Reason.PlanHashMismatch) {
            return stop.message() + " (the plan is in ConfigMap " + Names.planConfigMap(m.getMetadata().getName())
                    + ", key " + Names.PLAN_TEXT_KEY + "; commit spec.promotion.planHash with it)";
        }
        return stop.message();
    }

    /** What to commit next when the target is reached, or empty when the migration is finished. */
    public static Optional<String> nextPromotion(Conductor.Decision.Reached reached, MigrationPlan plan) {
        return reached.next().map(next -> next == Phase.CutOver
                ? "to cross the point of no return, commit spec.targetPhase: CutOver with spec.promotion.planHash: \""
                + plan.hash() + "\""
                : "commit spec.targetPhase: " + next + (next.needsPlanHash() ? " with spec.promotion.planHash: \""
                + plan.hash() + "\"" : ""));
    }

    /** A status reason as a {@link Reason}, when it is one. */
    static Optional<Reason> reason(String name) {
        return Arrays.stream(Reason.values()).filter(r -> r.name().equals(name)).findFirst();
    }
}
