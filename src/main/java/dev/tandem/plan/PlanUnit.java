package dev.tandem.plan;

import java.util.List;

/**
 * Statements that commit together. A step is one unit, except that each statement that cannot
 * run in a transaction (CREATE INDEX CONCURRENTLY …) forms a unit of its own. Every unit is
 * recorded in the ledger when it commits, so it runs exactly once.
 *
 * @param index      position within the step, from 0
 * @param statements the statements, in order
 */
public record PlanUnit(int index, List<PlannedStatement> statements) {
    public boolean transactional() {
        return statements.stream().allMatch(PlannedStatement::transactional);
    }

    public LockLevel strongestLock() {
        return statements.stream().map(PlannedStatement::lock).reduce(LockLevel.NONE, LockLevel::strongest);
    }
}
