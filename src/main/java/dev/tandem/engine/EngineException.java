package dev.tandem.engine;

/**
 * A step could not run. {@link #reason()} is a stable, machine-readable word (it becomes a
 * condition reason); {@link #isTransient()} tells whether retrying later may succeed without a
 * person acting.
 */
public class EngineException extends Exception {
    public static final String LOCK_TIMEOUT = "LockTimeout";
    public static final String MIGRATION_BUSY = "MigrationBusy";
    public static final String STEP_ORDER = "StepOutOfOrder";
    public static final String POINT_OF_NO_RETURN = "PointOfNoReturnPassed";
    public static final String PLAN_MISMATCH = "PlanMismatch";
    public static final String SQL_ERROR = "SqlError";
    public static final String DATABASE_UNAVAILABLE = "DatabaseUnavailable";
    public static final String AUTHENTICATION_FAILED = "AuthenticationFailed";
    public static final String STATEMENT_TIMEOUT = "StatementTimeout";
    public static final String BACKFILL_INCOMPLETE = "BackfillIncomplete";
    public static final String VERIFICATION_INCOMPLETE = "VerificationIncomplete";
    public static final String VERIFICATION_FAILED = "VerificationFailed";
    /** A sync entry does not fit the database (a missing table or column, a type that does not fit, ...). */
    public static final String SYNC_INVALID = "SyncInvalid";
    /** Existing rows make an expression of a sync entry raise; found before expand. */
    public static final String EXISTING_ROWS_INVALID = "ExistingRowsInvalid";
    /** Several old rows map to one new row of a shared target; found before expand. */
    public static final String KEYS_COLLIDE = "KeysCollide";
    /** A row the backfill copies makes an expression raise and the entry's onError is Fail. */
    public static final String SYNC_ROW_FAILED = "SyncRowFailed";
    /** The server lacks what the engine needs (e.g. TID range scans, PostgreSQL 14). */
    public static final String UNSUPPORTED_SERVER = "UnsupportedServer";

    private final String reason;
    private final boolean transientError;

    public EngineException(String reason, boolean transientError, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.transientError = transientError;
    }

    public EngineException(String reason, boolean transientError, String message) {
        this(reason, transientError, message, null);
    }

    public String reason() {
        return reason;
    }

    public boolean isTransient() {
        return transientError;
    }
}
