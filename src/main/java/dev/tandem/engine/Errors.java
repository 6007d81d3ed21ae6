package dev.tandem.engine;

import dev.tandem.api.v1alpha1.Reason;
import dev.tandem.api.v1alpha1.Step;

import java.sql.SQLException;

/** Database errors as the engine reports them: a reason from the closed set, a message a person can act on. */
final class Errors {
    private final DatabaseTarget target;

    Errors(DatabaseTarget target) {
        this.target = target;
    }

    EngineException classify(String what, SQLException e) {
        String state = e.getSQLState();
        String message = target.redact(e.getMessage());
        if (Sql.INVALID_PASSWORD.equals(state) || Sql.INVALID_AUTHORIZATION.equals(state)) {
            return new EngineException(Reason.AuthenticationFailed, "database " + target.server() + " refused the credentials: " + message, e);
        }
        if (Sql.isConnectionError(state)) {
            return new EngineException(Reason.DatabaseUnavailable, "database " + target.server() + " unreachable: " + message, e);
        }
        if (Sql.QUERY_CANCELED.equals(state)) {
            return new EngineException(Reason.StatementTimeout, what + ": a statement ran past statement_timeout and was rolled back: " + message, e);
        }
        if (Sql.SYNC_DOES_NOT_FIT.equals(state)) {
            return new EngineException(Reason.SyncInvalid, what + " refused, nothing was changed: "
                    + serverMessage(message), e);
        }
        if (Sql.SERIALIZATION_FAILURE.equals(state) || Sql.DEADLOCK.equals(state)) {
            return new EngineException(Reason.SerializationFailure, what + ": " + message + "; rolled back", e);
        }
        return new EngineException(Reason.SqlError, what + " failed and was rolled back: " + message + (state == null ? "" : " (SQLSTATE " + state + ")"), e);
    }

    /** The server's message without the driver's "ERROR: " prefix and the PL/pgSQL context lines. */
    static String serverMessage(String message) {
        if (message == null) {
            return "";
        }
        String first = message.lines().findFirst().orElse("");
        return first.startsWith("ERROR: ") ? first.substring("ERROR: ".length()) : first;
    }


    /**
     * A unit after the first failed: what the message says about the rollback is true of that unit
     * only; the units before it committed and stay.
     */
    static EngineException partly(EngineException e, Step step, int unit, int units) {
        return new EngineException(e.reason(), e.getMessage().replace(" failed and was rolled back", " failed") + "; "
                + "this step runs in " + units + " parts (a statement that cannot run in a transaction splits it): "
                + (unit == 1 ? "part 1 had" : "parts 1 to " + unit + " had") + " committed and stay" + "; part " + (unit + 1)
                + " and later did not run. Fix the cause and run " + step.key() + " again: it goes on from part "
                + (unit + 1), e);
    }
}
