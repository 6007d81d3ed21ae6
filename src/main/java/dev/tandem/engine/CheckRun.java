package dev.tandem.engine;

import dev.tandem.plan.CheckSql;
import dev.tandem.plan.PlannedCheck;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * One verification check, run where it cannot commit (the caller's read-only snapshot): it must
 * return exactly one row with one boolean column. Anything else is not an answer, and says why.
 *
 * @param passed   true when the check returned true
 * @param answered false when it did not return one boolean (or could not run): the pass is inconclusive
 * @param message  for a check that did not pass: what it returned
 */
record CheckRun(boolean passed, boolean answered, String message) {
    static final String ONE_BOOLEAN = "a check returns exactly one row with one boolean column";

    /** Runs the check on {@code c}, inside the transaction the caller opened. */
    static CheckRun run(Connection c, PlannedCheck check) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(CheckSql.wrapped(check.sql()))) {
            ResultSetMetaData md = rs.getMetaData();
            if (md.getColumnCount() != 1) {
                return unanswered(check, "returned " + md.getColumnCount() + " columns; " + ONE_BOOLEAN);
            }
            String type = md.getColumnTypeName(1);
            if (!"bool".equals(type)) {
                return unanswered(check, "returned a value of type " + type + ", not a boolean; " + ONE_BOOLEAN
                        + " (e.g. SELECT count(*) = 0 FROM ...)");
            }
            if (!rs.next()) {
                return unanswered(check, "returned no row; " + ONE_BOOLEAN);
            }
            boolean value = rs.getBoolean(1);
            boolean isNull = rs.wasNull();
            if (rs.next()) {
                return unanswered(check, "returned more than one row; " + ONE_BOOLEAN + " (aggregate, e.g. bool_and(...))");
            }
            if (isNull) {
                return unanswered(check, "returned NULL, not true or false");
            }
            return value ? new CheckRun(true, true, null) : new CheckRun(false, true, check.name() + ": returned false");
        }
    }

    /** A check that raised an error (other than a lost connection, which the caller handles). */
    static CheckRun failed(PlannedCheck check, SQLException e, String statementTimeout, DatabaseTarget target) {
        if (Sql.QUERY_CANCELED.equals(e.getSQLState())) {
            return unanswered(check, "ran past statement_timeout (" + statementTimeout + ", spec.statementTimeout) and was "
                    + "cancelled; make it cheaper or raise spec.statementTimeout");
        }
        return unanswered(check, "could not run: " + target.redact(Errors.oneLine(e, CheckSql.PREFIX.length())) + " (SQLSTATE " + e.getSQLState() + ")");
    }

    private static CheckRun unanswered(PlannedCheck check, String why) {
        return new CheckRun(false, false, check.name() + ": " + why);
    }
}
