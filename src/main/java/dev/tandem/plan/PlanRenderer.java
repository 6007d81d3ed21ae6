package dev.tandem.plan;

import java.util.List;

/** The plan as text a reviewer reads: every statement of every phase with its lock level. */
public final class PlanRenderer {
    private static final List<String> TITLES = List.of(
            "Phase 1 Expand", "Phase 2 Backfill", "Phase 3 Verify",
            "Phase 4 Cutover (point of no return)", "Phase 5 Contract", "Rollback (before cutover only)");

    private PlanRenderer() {
    }

    public static String render(MigrationPlan plan) {
        StringBuilder out = new StringBuilder();
        out.append("Plan for SchemaMigration ").append(plan.key()).append('\n');
        out.append("plan hash: ").append(plan.hash()).append('\n');
        for (PlanStep step : plan.steps()) {
            out.append('\n').append("== ").append(TITLES.get(step.step().ordinal()));
            List<PlannedStatement> statements = step.statements();
            if (step.step() == Step.BACKFILL && !plan.sync().isEmpty()) {
                out.append(" — run by the backfill Job, one transaction per batch, in entry order\n");
                for (CompiledSync sync : plan.sync()) {
                    List<String> types = sync.sourceKey().stream().map(k -> "<type of " + k + ">").toList();
                    out.append("  -- sync entry ").append(sync.name()).append(": ").append(sync.sourceTable())
                            .append(" -> ").append(sync.targetTable()).append(", keyset on (")
                            .append(String.join(", ", sync.sourceKey())).append("), source rows locked FOR ")
                            .append(sync.inPlace() ? "UPDATE" : "SHARE").append(" per batch\n");
                    out.append("      ").append(sync.backfillBatchSql(types, true, true)).append('\n');
                }
                continue;
            }
            if (step.step() == Step.VERIFY && plan.verifies()) {
                out.append(" — run by the verification Job, read-only: each chunk in one REPEATABLE READ snapshot, "
                        + "aggregate hash first, row by row where the hashes differ\n");
                for (CompiledSync sync : plan.sync()) {
                    out.append("  -- sync entry ").append(sync.name()).append(": ").append(VerifyDescription.of(sync))
                            .append('\n');
                }
                for (PlannedCheck check : plan.checks()) {
                    out.append("  -- check ").append(check.name()).append(" (must return true)\n");
                    for (String line : check.sql().split("\n")) {
                        out.append("      ").append(line.stripTrailing()).append('\n');
                    }
                }
                continue;
            }
            if (statements.isEmpty()) {
                out.append(" — nothing to run\n");
                continue;
            }
            out.append(" — ").append(statements.size()).append(statements.size() == 1 ? " statement" : " statements")
                    .append(", strongest lock ").append(step.strongestLock().sqlName()).append('\n');
            int number = 1;
            for (PlanUnit unit : step.units()) {
                out.append(unit.transactional()
                        ? "  -- transaction " + (unit.index() + 1) + "\n"
                        : "  -- runs outside a transaction, idempotently\n");
                for (PlannedStatement s : unit.statements()) {
                    out.append("  [").append(number++).append("] ").append(s.lock().sqlName())
                            .append(" (").append(s.origin()).append(")\n");
                    for (String line : s.sql().split("\n")) {
                        out.append("      ").append(line.stripTrailing()).append('\n');
                    }
                }
            }
        }
        return out.toString();
    }
}
