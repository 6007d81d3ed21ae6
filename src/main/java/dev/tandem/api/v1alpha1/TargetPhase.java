package dev.tandem.api.v1alpha1;

/**
 * The phase a migration should reach: what a person or a GitOps commit asks for. The operator
 * never skips a phase and never moves past the target.
 */
public enum TargetPhase {
    /** New storage created, sync triggers installed. */
    Expanded(Phase.Expanded),
    /** Every existing row copied to the new storage. */
    Backfilled(Phase.Backfilled),
    /** Old and new storage proven equal. */
    Verified(Phase.Verified),
    /** The point of no return: sync removed, cutover SQL applied. Needs promotion.planHash. */
    CutOver(Phase.CutOver),
    /** Old storage dropped. Needs promotion.planHash. */
    Contracted(Phase.Contracted),
    /** Undo the migration; only before the point of no return. */
    RolledBack(Phase.RolledBack);

    private final Phase phase;

    TargetPhase(Phase phase) {
        this.phase = phase;
    }

    /** The settled phase that satisfies this target. */
    public Phase phase() {
        return phase;
    }

    /** Whether reaching this target crosses or lies beyond the point of no return. */
    public boolean requiresPromotionHash() {
        return this == CutOver || this == Contracted;
    }
}
