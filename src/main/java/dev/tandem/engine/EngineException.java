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
