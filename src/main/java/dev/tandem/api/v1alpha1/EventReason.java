package dev.tandem.api.v1alpha1;

/** The closed set of reasons of the Kubernetes Events the operator emits. */
public enum EventReason {
    StepStarted(false),
    StepSucceeded(false),
    StepFailed(true),
    StepRetrying(true),
    AwaitingPromotion(false),
    PromotionRefused(true),
    SpecImmutable(true),
    InvalidSpec(true),
    DatabaseUnavailable(true),
    PointOfNoReturnPassed(false),
    /** Cutover waits for a gate. */
    AwaitingGates(false),
    /** Contract waits for contract.minWait or contract.quietFor. */
    AwaitingQuiet(false),
    /** A write reached the old storage after cutover (the first one). */
    OldStorageWritten(true),
    VerificationFailed(true),
    Suspended(false),
    DeletionRetained(false),
    DeletionRolledBack(false),
    DeletionBlocked(true),
    /** The plan's lint found no error (its warnings, if any, are in status.plan.findings). */
    PlanLinted(false),
    /** The plan's lint found an error: a statement that blocks the application or loses data (status.plan.findings). */
    PlanLintFailed(true);

    private final boolean warning;

    EventReason(boolean warning) {
        this.warning = warning;
    }

    public String type() {
        return warning ? "Warning" : "Normal";
    }
}
