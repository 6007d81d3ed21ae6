package dev.tandem.plan.lint;

import dev.tandem.api.v1alpha1.SyncSpec;
import dev.tandem.plan.SqlFragment;
import dev.tandem.plan.SqlFragment.Kind;
import dev.tandem.plan.SqlFragment.Token;
import dev.tandem.plan.lint.Facts.Action;
import dev.tandem.plan.lint.Facts.Op;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rules about what the application stops writing and what the reverse mappings still need
 * (seed 004, steps 7 and 9): an old column the new version no longer writes must accept rows
 * without it, and cutover must not take away what old versions still read.
 */
final class MappingRules {
    private final Map<String, Script> scripts;
    private final Catalog catalog;
    private final List<Finding> out = new ArrayList<>();
    /** table.column already reported (several entries may read one column). */
    private final Set<String> reported = new java.util.HashSet<>();

    private MappingRules(Map<String, Script> scripts, Catalog catalog) {
        this.scripts = scripts;
        this.catalog = catalog;
    }

    static List<Finding> check(List<SyncSpec> sync, Map<String, Script> scripts, Catalog catalog) {
        MappingRules rules = new MappingRules(scripts, catalog);
        for (SyncSpec entry : sync == null ? List.<SyncSpec>of() : sync) {
            if (entry == null || entry.getFrom() == null || entry.getTo() == null || entry.getColumns() == null) {
                continue;
            }
            rules.oldColumns(entry);
            if (entry.getReverse() != null && !entry.getReverse().isEmpty()) {
                rules.reverse(entry);
            }
        }
        return rules.out;
    }

    private void oldColumns(SyncSpec entry) {
        String from = Names.specTable(entry.getFrom().getTable());
        if (retired(from)) {
            return; // the old table goes as a whole: nobody inserts into it any more
        }
        Set<String> dropped = columnsChanged(Linter.CONTRACT, from, Op.DROP_COLUMN);
        for (String column : sourceColumns(entry, from)) {
            if (relaxed(from, column) || !reported.add(from + "." + column)) {
                continue;
            }
            String fix = "ALTER TABLE " + from + " ALTER COLUMN " + column + " DROP NOT NULL (or SET DEFAULT …) in "
                    + "expand, or at the latest in cutover, before the new version stops writing it";
            boolean drops = dropped.contains(column);
            if (catalog == null) {
                if (drops) {
                    out.add(Finding.field(Severity.INFO, Rules.OLD_COLUMN_NOT_NULL, Linter.CUTOVER, from, "contract "
                            + "drops " + from + "." + column + " (sync entry " + entry.getName() + " reads it), so the "
                            + "new version stops writing it; if it is NOT NULL without a default, that version's "
                            + "inserts fail (check with --database)", fix));
                }
                continue;
            }
            catalog.column(from, column).filter(c -> c.notNull() && !c.hasDefault()).ifPresent(c -> out.add(
                    Finding.field(drops ? Severity.ERROR : Severity.WARNING, Rules.OLD_COLUMN_NOT_NULL, Linter.CUTOVER,
                            from, from + "." + column + " is NOT NULL without a default, and sync entry "
                                    + entry.getName() + " moves it" + (drops ? " (contract drops it)" : "")
                                    + ": once the new version stops writing it, its inserts into " + from + " fail",
                            fix)));
        }
    }

    private void reverse(SyncSpec entry) {
        String from = Names.specTable(entry.getFrom().getTable());
        String to = Names.specTable(entry.getTo().getTable());
        Set<String> oldColumns = new LinkedHashSet<>();
        entry.getReverse().keySet().forEach(c -> oldColumns.add(Names.specColumn(c)));
        for (Stmt s : scripts.get(Linter.CUTOVER).statements()) {
            Facts f = s.facts();
            if (f.kind() == Facts.Kind.DROP_TABLE && f.tables().contains(from)) {
                breaks(entry, s, from, from, "drops");
            }
            if (f.kind() != Facts.Kind.ALTER_TABLE || !from.equals(f.table())) {
                continue;
            }
            for (Action a : f.actions()) {
                boolean needed = a.column() != null && oldColumns.contains(a.column());
                if (needed && (a.op() == Op.DROP_COLUMN || a.op() == Op.RENAME_COLUMN)) {
                    breaks(entry, s, from, from + "." + a.column(), a.op() == Op.DROP_COLUMN ? "drops" : "renames");
                }
                if (a.op() == Op.RENAME_TABLE && !from.equals(to)) {
                    breaks(entry, s, from, from, "renames");
                }
            }
        }
    }

    private void breaks(SyncSpec entry, Stmt s, String table, String what, String verb) {
        out.add(Finding.of(Severity.ERROR, Rules.CUTOVER_BREAKS_REVERSE, s, table, null, "the reverse mapping of sync "
                + "entry " + entry.getName() + " keeps " + what + " filled for application versions that still read "
                + "it; cutover " + verb + " it at the point of no return, before contract's soak has shown that "
                + "nothing reads it", verb.equals("drops") ? "drop it in contract" : "rename it in contract, or not at all"));
    }

    /** Columns of the old table the entry's expressions read: what the new application version stops writing. */
    private Set<String> sourceColumns(SyncSpec entry, String from) {
        Set<String> keys = new LinkedHashSet<>();
        entry.getFrom().getKey().forEach(k -> keys.add(Names.specColumn(k)));
        boolean inPlace = from.equals(Names.specTable(entry.getTo().getTable()));
        if (inPlace) {
            entry.getColumns().keySet().forEach(c -> keys.add(Names.specColumn(c)));
        }
        Set<String> columns = new LinkedHashSet<>();
        for (String expression : entry.getColumns().values()) {
            List<Token> t = SqlFragment.tokens(expression);
            for (int k = 0; k < t.size(); k++) {
                Token token = t.get(k);
                boolean name = token.kind() == Kind.IDENTIFIER || token.kind() == Kind.QUOTED_IDENTIFIER;
                boolean call = k + 1 < t.size() && t.get(k + 1).kind() == Kind.OPEN;
                boolean qualifier = k + 1 < t.size() && t.get(k + 1).kind() == Kind.DOT;
                boolean qualified = k > 1 && t.get(k - 1).kind() == Kind.DOT;
                boolean ours = !qualified || Names.table(t.get(k - 2).text()).equals(unqualified(from));
                if (name && !call && !qualifier && ours && !keys.contains(token.name())) {
                    columns.add(token.name());
                }
            }
        }
        return columns;
    }

    private static String unqualified(String table) {
        int dot = table.lastIndexOf('.');
        return dot < 0 ? table : table.substring(dot + 1);
    }

    private boolean retired(String table) {
        for (String field : List.of(Linter.CUTOVER, Linter.CONTRACT)) {
            for (Stmt s : scripts.get(field).statements()) {
                Facts f = s.facts();
                if (f.kind() == Facts.Kind.DROP_TABLE && f.tables().contains(table)) {
                    return true;
                }
                if (f.kind() == Facts.Kind.ALTER_TABLE && table.equals(f.table())
                        && f.actions().stream().anyMatch(a -> a.op() == Op.RENAME_TABLE)) {
                    return true;
                }
            }
        }
        return false;
    }

    private boolean relaxed(String table, String column) {
        return columnsChanged(Linter.EXPAND, table, Op.DROP_NOT_NULL, Op.SET_DEFAULT).contains(column)
                || columnsChanged(Linter.CUTOVER, table, Op.DROP_NOT_NULL, Op.SET_DEFAULT).contains(column);
    }

    private Set<String> columnsChanged(String field, String table, Op... ops) {
        Set<String> out = new LinkedHashSet<>();
        for (Stmt s : scripts.get(field).statements()) {
            if (s.facts().kind() == Facts.Kind.ALTER_TABLE && table.equals(s.facts().table())) {
                for (Action a : s.facts().actions()) {
                    if (a.column() != null && List.of(ops).contains(a.op())) {
                        out.add(a.column());
                    }
                }
            }
        }
        return out;
    }
}
