package dev.tandem.plan.lint;

import dev.tandem.plan.LockLevel;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The statements of one spec field, run as one transaction (but for statements that cannot run in
 * one), with the tables that are new in it: created by it, or (for rollback) by expand.
 */
record Script(String field, List<Stmt> statements, Set<String> newBefore) {

    /** Whether {@code table} is new when statement {@code at} runs: nobody but the migration uses it yet. */
    boolean isNew(String table, Stmt at) {
        if (table == null || newBefore.contains(table)) {
            return true;
        }
        for (Stmt s : statements) {
            if (s.number() >= at.number()) {
                return false;
            }
            if (s.facts().kind() == Facts.Kind.CREATE_TABLE && table.equals(s.facts().table())) {
                return true;
            }
        }
        return false;
    }

    /** Tables this script creates. */
    Set<String> created() {
        Set<String> out = new HashSet<>();
        for (Stmt s : statements) {
            if (s.facts().kind() == Facts.Kind.CREATE_TABLE && s.facts().table() != null) {
                out.add(s.facts().table());
            }
        }
        return out;
    }

    /** The strongest lock an earlier statement of the same transaction holds on an existing table, as "LOCK on t (statement n)". */
    String heldBefore(Stmt at) {
        Stmt strongest = null;
        for (Stmt s : statements) {
            if (s.number() >= at.number()) {
                break;
            }
            if (!s.transactional()) {
                strongest = null; // a statement outside the transaction commits what came before
                continue;
            }
            if (s.facts().table() != null && s.facts().kind() != Facts.Kind.CREATE_TABLE && !isNew(s.facts().table(), s) && s.lock().compareTo(LockLevel.ROW_EXCLUSIVE) > 0
                    && (strongest == null || s.lock().compareTo(strongest.lock()) > 0)) {
                strongest = s;
            }
        }
        return strongest == null ? null : strongest.lock().sqlName() + " on " + strongest.facts().table()
                + " (statement " + strongest.number() + ")";
    }

    boolean isRollback() {
        return field.equals(Linter.ROLLBACK);
    }
}
