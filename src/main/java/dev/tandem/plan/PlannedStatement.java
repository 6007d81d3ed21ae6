package dev.tandem.plan;

/**
 * One SQL statement of the plan.
 *
 * @param sql           the statement text, without the trailing semicolon
 * @param lock          the strongest table lock it is expected to take
 * @param transactional false for statements that must run outside a transaction block
 * @param origin        who wrote it: "user" (from the spec) or "tandem" (generated)
 * @param buildsIndex   for CREATE INDEX CONCURRENTLY, the index it builds (as written, maybe schema-qualified);
 *                      the engine drops an invalid leftover of it before trying again; else null
 */
public record PlannedStatement(String sql, LockLevel lock, boolean transactional, String origin, String buildsIndex) {
    public static final String USER = "user";
    public static final String GENERATED = "tandem";

    public static PlannedStatement user(String sql) {
        StatementClassifier.Classification c = StatementClassifier.classify(sql);
        return new PlannedStatement(sql, c.lock(), c.transactional(), USER, c.concurrentIndex());
    }

    public static PlannedStatement generated(String sql) {
        StatementClassifier.Classification c = StatementClassifier.classify(sql);
        return new PlannedStatement(sql, c.lock(), c.transactional(), GENERATED, c.concurrentIndex());
    }
}
