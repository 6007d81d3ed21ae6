package dev.tandem.engine;

import dev.tandem.api.v1alpha1.Reason;
import dev.tandem.api.v1alpha1.Step;

import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.PlanUnit;

import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

import java.sql.SQLException;
import java.util.List;
import java.util.stream.Collectors;

/** Database errors as the engine reports them: a reason from the closed set, a message a person can act on. */
public final class Errors {
    private final DatabaseTarget target;

    Errors(DatabaseTarget target) {
        this.target = target;
    }

    EngineException classify(String what, SQLException e) {
        if (e instanceof Statements.Failed failed) {
            what = what + ", " + failed.where();
        }
        String state = e.getSQLState();
        String message = target.redact(e.getMessage());
        if (Sql.INVALID_PASSWORD.equals(state) || Sql.INVALID_AUTHORIZATION.equals(state)) {
            return new EngineException(Reason.AuthenticationFailed, "database " + target.server() + " refused the credentials: " + message, e);
        }
        if (Sql.INVALID_CATALOG_NAME.equals(state)) {
            return new EngineException(Reason.DatabaseNotFound, "database " + target.server() + " does not exist on "
                    + "that server (" + serverMessage(message) + "); check the database name in the connection, or create it", e);
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
        return new EngineException(Reason.SqlError, what + " failed and was rolled back: " + target.redact(oneLine(e))
                + (state == null ? "" : " (SQLSTATE " + state + ")"), e);
    }

    /** The server's message, detail, hint and position on one line (not redacted: callers redact). */
    public static String oneLine(SQLException e) {
        return oneLine(e, 0);
    }

    /** The same, for a statement Tandem wrapped around the user's: {@code offset} characters come before it. */
    static String oneLine(SQLException e, int offset) {
        if (e.getCause() instanceof SQLException cause && e instanceof Statements.Failed) {
            return oneLine(cause, offset);
        }
        if (e instanceof PSQLException p && p.getServerErrorMessage() != null) {
            ServerErrorMessage m = p.getServerErrorMessage();
            StringBuilder out = new StringBuilder(String.valueOf(m.getMessage()));
            if (m.getPosition() > offset) {
                out.append(" (at character ").append(m.getPosition() - offset).append(" of the statement)");
            }
            if (m.getDetail() != null) {
                out.append("; ").append(m.getDetail().replace('\n', ' '));
            }
            if (m.getHint() != null) {
                out.append("; hint: ").append(m.getHint().replace('\n', ' '));
            }
            return out.toString();
        }
        return serverMessage(e.getMessage());
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
     * only; the units before it committed and stay, and the plan cannot change any more, so the way
     * on is to fix what the database lacks and run again, or to roll back.
     */
    static EngineException partly(EngineException e, MigrationPlan plan, Step step, int unit) {
        List<PlanUnit> units = plan.step(step).units();
        String stayed = units.subList(0, unit).stream().flatMap(u -> u.statements().stream())
                .map(s -> Statements.headline(s.sql())).collect(Collectors.joining("; "));
        return new EngineException(e.reason(), e.getMessage().replace(" failed and was rolled back", " failed") + ". "
                + "This step runs in " + units.size() + " parts (a statement that cannot run in a transaction, such as "
                + "CREATE INDEX CONCURRENTLY, splits it): " + (unit == 1 ? "part 1 committed and stays" : "parts 1 to "
                + unit + " committed and stay") + " (" + stayed + "); part " + (unit + 1) + " was rolled back and "
                + "later parts did not run. The definition cannot change now that a part committed: fix what the "
                + "database lacks and run " + step.key() + " again (it goes on from part " + (unit + 1) + "), or roll "
                + "back (targetPhase RolledBack), which runs spec.rollback.sql to undo what stayed", e);
    }
}
