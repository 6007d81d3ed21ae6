package dev.tandem.plan;

import dev.tandem.api.v1alpha1.Step;
import java.util.List;

/** The plan as text a reviewer reads: every statement of every phase with its lock level. */
public final class PlanRenderer {
    private static final List<String> TITLES = List.of(
            "Phase 1 Expand", "Phase 2 Backfill", "Phase 3 Verify",
            "Phase 4 Cutover (point of no return)", "Phase 5 Contract", "Rollback (before cutover only)");

    private PlanRenderer() {
    }

    /** What a reviewer should know about how an entry's triggers behave. */
    static List<String> entryNotes(CompiledSync s) {
        List<String> notes = new java.util.ArrayList<>();
        if (s.inPlace()) {
            notes.add("in place: a BEFORE trigger (order " + s.order() + ") sets " + String.join(", ", s.targetColumns())
                    + " on every insert and update of " + s.sourceTable());
        } else if (s.before()) {
            notes.add("fires BEFORE the row change (order " + s.order() + "): an in-place entry of " + s.sourceTable()
                    + " reads " + s.targetTable() + ", so its row must be there first");
        } else {
            notes.add("fires AFTER the row change (order " + s.order() + "), when the " + s.sourceTable() + " row exists");
        }
        if (s.sharedTarget()) {
            notes.add("shares " + s.targetTable() + " with " + s.owners().stream().map(CompiledSync.Owner::name)
                    .filter(n -> !n.equals(s.name())).toList() + "; owns the rows where " + s.targetWhere()
                    + ": a write that would change or remove another entry's row fails with an error naming both, and "
                    + "expand refuses existing old rows that collide");
        }
        if (!s.inPlace() && !s.keep() && s.alignedTargetKey().isEmpty()) {
            notes.add("one new row per old row: a write that maps a second old row to an existing new key fails; "
                    + "a new key for the same old row moves its new row (same row, new key)");
        }
        if (!s.inPlace() && s.keep()) {
            notes.add("onDelete: Keep: new rows stay when their old rows go (many old rows may share one)");
        }
        for (CompiledSync.Lookup l : s.lookups()) {
            notes.add(lookupNote(s, l));
        }
        notes.add(s.recordErrors()
                ? "onError: Record: a write whose expressions raise goes through unsynced; its key and error go to "
                + s.trackingSchema() + ".sync_errors and verification names it"
                : "onError: Fail: a write whose expressions raise fails with the error");
        return notes;
    }

    private static String lookupNote(CompiledSync s, CompiledSync.Lookup l) {
        String update = l.anyColumn() || l.columns().isEmpty() ? "update" : "update of " + String.join(", ", l.columns());
        return "looks up " + l.table() + " on " + l.on() + ": the AFTER trigger " + l.functionName() + " on " + l.table()
                + " (insert, delete, " + update + ") re-derives the related " + s.sourceTable() + " rows"
                + (s.inPlace() ? " (an UPDATE of them that fires this entry's trigger, and the table's other triggers)"
                : " (each locked FOR SHARE, then written as this entry's trigger writes it)")
                + "; this entry's trigger locks FOR SHARE the " + l.table() + " rows a written row newly relates to";
    }

    /** What the backfill does to the entry's tables. */
    static List<String> backfillNotes(CompiledSync s) {
        List<String> notes = new java.util.ArrayList<>();
        if (s.inPlace()) {
            notes.add("in place: an UPDATE of every row of " + s.sourceTable() + " whose derived columns differ: each is "
                    + "rewritten (a new row version; bloat until vacuum) and locked while its batch runs");
            notes.add(s.skipAppTriggers()
                    ? "appTriggers: Skip: batches run with session_replication_role = replica, so the table's other "
                    + "triggers (foreign-key checks of these updates included) do not fire"
                    : "appTriggers: Fire: the table's other row triggers fire for each rewritten row (e.g. one that "
                    + "stamps updated_at); set appTriggers: Skip to avoid it");
        } else {
            notes.add("no row locks (but see the foreign key below); rows a trigger already wrote are skipped (the "
                    + "target's unique key orders the two)");
            notes.add("if " + s.targetTable() + " has a foreign key to " + s.sourceTable() + " (read from the catalog when "
                    + "the backfill starts), batches lock their source rows FOR KEY SHARE before inserting, so that a "
                    + "concurrent DELETE or key change waits for the batch or the batch skips the removed row; "
                    + "the locks dirty the source's pages once more");
            if (s.reverseName() != null) {
                notes.add("the reverse trigger does not run for the rows a batch inserts (they are derived from the "
                        + "source rows, nothing to write back)");
            }
            if (!s.keep()) {
                notes.add("removals that raced a batch are logged by the triggers and repaired after the last batch, "
                        + "once the transactions open at that moment have ended");
            }
        }
        notes.add("after the last batch: VACUUM (SKIP_LOCKED, TRUNCATE false) " + s.targetTable() + " (hint bits, visibility map "
                + "and the table's size ready for the first readers; skipped when another VACUUM holds the table)");
        if (!s.lookups().isEmpty()) {
            notes.add("reads " + s.lookups().stream().map(CompiledSync.Lookup::table).collect(java.util.stream.Collectors
                    .joining(", ")) + " as of each batch's snapshot; a change committed meanwhile is re-derived by its "
                    + "trigger, ordered against the batch by " + (s.inPlace() ? "the row's lock" : "the target's unique key"));
        }
        return notes;
    }

    public static String render(MigrationPlan plan) {
        return render(plan, List.of());
    }

    /** The plan with lines about the review (target phase, promotion, timeouts) after its hash. */
    public static String render(MigrationPlan plan, List<String> reviewLines) {
        StringBuilder out = new StringBuilder();
        out.append("Plan for SchemaMigration ").append(plan.key()).append('\n');
        out.append("plan hash: ").append(plan.hash()).append('\n');
        reviewLines.forEach(line -> out.append(line).append('\n'));
        if (!plan.sync().isEmpty()) {
            out.append('\n').append("== Sync entries — compiled into triggers (expand), the backfill and the verification\n");
            for (CompiledSync sync : plan.sync()) {
                out.append("  ").append(sync.name()).append(": ").append(sync.sourceTable()).append(" -> ")
                        .append(sync.targetTable()).append('\n');
                for (String note : entryNotes(sync)) {
                    out.append("    - ").append(note).append('\n');
                }
            }
        }
        for (PlanStep step : plan.steps()) {
            out.append('\n').append("== ").append(TITLES.get(step.step().ordinal()));
            if (step.step() == Step.BACKFILL && !plan.sync().isEmpty()) {
                backfill(out, plan);
            } else if (step.step() == Step.VERIFY && plan.verifies()) {
                verify(out, plan);
            } else {
                statements(out, step);
            }
        }
        return out.toString();
    }

    private static void backfill(StringBuilder out, MigrationPlan plan) {
        out.append(" — run by the backfill Job, entry by entry; each source table walked by heap pages, "
                + "one transaction per batch with its checkpoint\n");
        for (CompiledSync sync : plan.sync()) {
            out.append("  -- sync entry ").append(sync.name()).append(": ").append(sync.sourceTable())
                    .append(" -> ").append(sync.targetTable()).append('\n');
            for (String note : backfillNotes(sync)) {
                out.append("  --   ").append(note).append('\n');
            }
            String sql = sync.inPlace()
                    ? BackfillSql.derive(sync, sync.targetColumns().stream().map(c -> "<type of " + c + ">").toList())
                    : BackfillSql.copy(sync, BackfillSql.firstMode(sync));
            out.append("      ").append(sql).append('\n');
        }
    }

    private static void verify(StringBuilder out, MigrationPlan plan) {
        out.append(" — run by the verification Job, read-only: each chunk in one REPEATABLE READ snapshot, "
                + "aggregate hash first, row by row where the hashes differ\n");
        for (CompiledSync sync : plan.sync()) {
            out.append("  -- sync entry ").append(sync.name()).append(": ").append(VerifyDescription.of(sync)).append('\n');
        }
        for (PlannedCheck check : plan.checks()) {
            out.append("  -- check ").append(check.name()).append(" (must return true)\n");
            indented(out, check.sql());
        }
    }

    private static void statements(StringBuilder out, PlanStep step) {
        List<PlannedStatement> statements = step.statements();
        if (statements.isEmpty()) {
            out.append(" — nothing to run\n");
            return;
        }
        out.append(" — ").append(statements.size()).append(statements.size() == 1 ? " statement" : " statements")
                .append(", strongest lock ").append(step.strongestLock().sqlName()).append('\n');
        int number = 1;
        for (PlanUnit unit : step.units()) {
            out.append(unit.transactional() ? "  -- transaction " + (unit.index() + 1) + "\n"
                    : "  -- runs outside a transaction, idempotently\n");
            for (PlannedStatement s : unit.statements()) {
                out.append("  [").append(number++).append("] ").append(s.lock().sqlName()).append(" (").append(s.origin())
                        .append(")\n");
                indented(out, s.sql());
            }
        }
    }

    private static void indented(StringBuilder out, String text) {
        for (String line : text.split("\n")) {
            out.append("      ").append(line.stripTrailing()).append('\n');
        }
    }
}
