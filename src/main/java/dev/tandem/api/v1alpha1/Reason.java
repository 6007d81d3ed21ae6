package dev.tandem.api.v1alpha1;

/**
 * Why a migration does not go on: the closed set of {@code status.lastError.reason} values (also
 * the reason of the Ready, Reconciling and Stalled conditions then). Each is either transient — it
 * clears without a person acting and is retried at {@code status.nextRetryTime}, with Reconciling
 * True — or it needs a person, and then the migration is Stalled. Each names the Event it emits.
 */
public enum Reason {
    // ------------------------------------------------------------------ transient: retried
    /** A DDL statement waited longer than lockTimeout for a lock; retried with backoff and jitter. */
    LockTimeout(true, EventReason.StepRetrying),
    /** Another runner holds the migration's advisory lock. */
    MigrationBusy(true, EventReason.StepRetrying),
    /** The database cannot be reached. */
    DatabaseUnavailable(true, EventReason.DatabaseUnavailable),
    /** A statement ran past statementTimeout and was rolled back. */
    StatementTimeout(true, EventReason.StepRetrying),
    /** A transaction was chosen as the victim of a serialization failure or a deadlock; rolled back. */
    SerializationFailure(true, EventReason.StepRetrying),
    /** The backfill has not copied every row yet. */
    BackfillIncomplete(true, EventReason.StepRetrying),
    /** No clean verification pass has finished yet. */
    VerificationIncomplete(true, EventReason.StepRetrying),
    /** The operator could not finish a reconcile (e.g. the API server refused a write); retried. */
    OperatorError(true, EventReason.StepRetrying),

    // ------------------------------------------------------------------ a person must act: Stalled
    /** The spec is not valid; the message names the field. */
    InvalidSpec(false, EventReason.InvalidSpec),
    /** The database the connection names does not exist on the server. */
    DatabaseNotFound(false, EventReason.DatabaseUnavailable),
    /** The tracking schema (spec.database.trackingSchema) already holds the application's tables. */
    TrackingSchemaTaken(false, EventReason.InvalidSpec),
    /** spec.database.secretRef names no Secret. */
    SecretNotFound(false, EventReason.DatabaseUnavailable),
    /** The Secret lacks the keys of a connection. */
    SecretKeyMissing(false, EventReason.DatabaseUnavailable),
    /** The database refused the credentials. */
    AuthenticationFailed(false, EventReason.DatabaseUnavailable),
    /** CutOver or Contracted without promotion.planHash equal to the plan's hash. */
    PlanHashMismatch(false, EventReason.PromotionRefused),
    /** The definition changed after expand. */
    SpecImmutable(false, EventReason.SpecImmutable),
    /** The database ran another plan under this migration's name. */
    PlanMismatch(false, EventReason.SpecImmutable),
    /** targetPhase lies behind the phase reached; phases never run backwards. */
    TargetPhaseBehind(false, EventReason.PromotionRefused),
    /** A rolled-back migration is final. */
    RolledBackIsFinal(false, EventReason.PromotionRefused),
    /** Past the point of no return: only forward. */
    PointOfNoReturnPassed(false, EventReason.PromotionRefused),
    /** A step was asked for before the one it needs. */
    StepOutOfOrder(false, EventReason.StepFailed),
    /** A statement failed; the transaction was rolled back. */
    SqlError(false, EventReason.StepFailed),
    /** A sync entry does not fit the database (a missing table or column, a type that does not fit, ...). */
    SyncInvalid(false, EventReason.StepFailed),
    /** Existing rows an expression of a sync entry fails on; found before expand. */
    ExistingRowsInvalid(false, EventReason.StepFailed),
    /** Existing old rows map to one new row of a shared target; found before expand. */
    KeysCollide(false, EventReason.StepFailed),
    /** A row the backfill copies makes an expression raise, and the entry's onError is Fail. */
    SyncRowFailed(false, EventReason.StepFailed),
    /** The server lacks what Tandem needs. */
    UnsupportedServer(false, EventReason.StepFailed),
    /** A verification pass found mismatches or a check returned false. */
    VerificationFailed(false, EventReason.VerificationFailed),
    /** A check could not run or returned no boolean. */
    VerificationInconclusive(false, EventReason.VerificationFailed),
    /** The backfill Job failed. */
    BackfillJobFailed(false, EventReason.StepFailed),
    /** A verification Job failed. */
    VerifyJobFailed(false, EventReason.StepFailed);

    private final boolean transientReason;
    private final EventReason event;

    Reason(boolean transientReason, EventReason event) {
        this.transientReason = transientReason;
        this.event = event;
    }

    /** Whether it clears without a person acting (then it is retried). */
    public boolean isTransient() {
        return transientReason;
    }

    /** The Event emitted when a migration meets it. */
    public EventReason event() {
        return event;
    }
}
