package dev.tandem.plan;

/**
 * A user check of spec.verify.checks: a query that must return true, run read-only in every
 * verification pass.
 */
public record PlannedCheck(String name, String sql) {
}
