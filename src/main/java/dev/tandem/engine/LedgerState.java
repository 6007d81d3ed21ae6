package dev.tandem.engine;

import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.Step;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the database says about one migration: the source of truth for which steps have run.
 *
 * @param key               namespace/name
 * @param exists            whether the ledger has a row for it
 * @param planHash          the plan hash its steps ran with
 * @param uid               uid of the resource that first ran a step (informational)
 * @param steps             completed steps and when they committed
 * @param units             committed units, as "step#index"
 * @param pointOfNoReturn   when cutover committed
 */
public record LedgerState(String key, boolean exists, String planHash, String uid, Map<Step, Instant> steps,
                          Set<String> units, Instant pointOfNoReturn) {

    public static LedgerState empty(String key) {
        return new LedgerState(key, false, null, null, Map.of(), Set.of(), null);
    }

    public boolean applied(Step step) {
        return steps.containsKey(step);
    }

    public boolean unitApplied(Step step, int unit) {
        return units.contains(step.key() + "#" + unit);
    }

    public boolean pastPointOfNoReturn() {
        return applied(Step.CUTOVER);
    }

    public Optional<Instant> appliedAt(Step step) {
        return Optional.ofNullable(steps.get(step));
    }

    /** The settled phase the committed steps add up to. */
    public Phase settledPhase() {
        if (applied(Step.ROLLBACK)) {
            return Phase.RolledBack;
        }
        if (applied(Step.CONTRACT)) {
            return Phase.Contracted;
        }
        if (applied(Step.CUTOVER)) {
            return Phase.CutOver;
        }
        if (applied(Step.VERIFY)) {
            return Phase.Verified;
        }
        if (applied(Step.BACKFILL)) {
            return Phase.Backfilled;
        }
        if (applied(Step.EXPAND)) {
            return Phase.Expanded;
        }
        return Phase.Pending;
    }

    /** Whether any statement of the migration has touched the database. */
    public boolean started() {
        return !units.isEmpty() || !steps.isEmpty();
    }
}
