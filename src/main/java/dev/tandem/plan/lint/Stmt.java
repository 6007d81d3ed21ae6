package dev.tandem.plan.lint;

import dev.tandem.plan.LockLevel;

/**
 * One user statement as the linter sees it.
 *
 * @param field         the spec field it comes from, e.g. {@code spec.cutover.sql}
 * @param number        its position in that field, from 1
 * @param sql           the statement text
 * @param facts         what it does, from the SQL parser or (when the parser does not know the statement) the lexer
 * @param lock          the strongest table lock it takes
 * @param transactional false for statements that run outside a transaction (CONCURRENTLY …)
 */
public record Stmt(String field, int number, String sql, Facts facts, LockLevel lock, boolean transactional) {
}
