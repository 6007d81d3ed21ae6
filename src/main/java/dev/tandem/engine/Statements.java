package dev.tandem.engine;

import dev.tandem.api.v1alpha1.Step;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.PlanUnit;
import dev.tandem.plan.PlannedStatement;

import java.sql.SQLException;

/** Where a statement of a plan comes from, in the spec's terms, for the message when it fails. */
final class Statements {
    private Statements() {
    }

    /** A statement that failed, with the place it was written (the SQLSTATE kept, so retries still see it). */
    static final class Failed extends SQLException {
        private final String where;

        Failed(String where, SQLException cause) {
            super(cause.getMessage(), cause.getSQLState(), cause.getErrorCode(), cause);
            this.where = where;
        }

        String where() {
            return where;
        }
    }

    /**
     * "spec.expand.sql, statement 2 (CREATE TABLE users_pii …)" for a statement of the spec, "the SQL
     * Tandem generates for spec.sync" for a generated one.
     */
    static String where(MigrationPlan plan, Step step, PlanUnit unit, int index) {
        PlannedStatement statement = unit.statements().get(index);
        if (!PlannedStatement.USER.equals(statement.origin())) {
            return "in the SQL Tandem generates for spec.sync (" + headline(statement.sql()) + ")";
        }
        int ordinal = 0;
        for (PlanUnit u : plan.step(step).units()) {
            for (int i = 0; i < u.statements().size(); i++) {
                if (PlannedStatement.USER.equals(u.statements().get(i).origin())) {
                    ordinal++;
                }
                if (u.index() == unit.index() && i == index) {
                    return "in spec." + step.key() + ".sql, statement " + ordinal + " (" + headline(statement.sql()) + ")";
                }
            }
        }
        return "in spec." + step.key() + ".sql";
    }

    /** The first line of a statement, shortened: enough to find it in the manifest. */
    static String headline(String sql) {
        String first = sql.strip().lines().findFirst().orElse("").strip();
        return first.length() > 60 ? first.substring(0, 60) + "…" : first;
    }
}
