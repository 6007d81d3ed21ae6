package dev.tandem.plan;

/**
 * How a verification check runs: as a subquery, so PostgreSQL's own grammar proves it is one query
 * (a second statement, a COMMIT or a data-modifying WITH cannot stand inside parentheses), at most
 * two rows fetched to tell "exactly one" from "several".
 */
public final class CheckSql {
    private CheckSql() {
    }

    /** What comes before the check's text (positions in errors count from the check's own start). */
    public static final String PREFIX = "SELECT * FROM (\n";

    public static String wrapped(String checkSql) {
        return PREFIX + checkSql.strip() + "\n) AS tandem_check LIMIT 2";
    }
}
