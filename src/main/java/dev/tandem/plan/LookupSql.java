package dev.tandem.plan;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static dev.tandem.plan.TriggerSql.P;
import static dev.tandem.plan.TriggerSql.literal;
import static dev.tandem.plan.TriggerSql.pc;
import static dev.tandem.plan.TriggerSql.v;

/**
 * The SQL that keeps an entry's derived values right when a looked-up row changes
 * (spec.sync[i].lookups). Per lookup, an AFTER row trigger on the looked-up table (insert, delete,
 * and updates that change a column the entry names) re-derives every source row related by
 * {@code on} before or after the change, through the entry's own code path: in place, an UPDATE of
 * those rows that fires the entry's trigger; for another table, the forward trigger's write for
 * each row (upsert of f(old), to.where ownership and collisions checked), the rows locked FOR SHARE
 * first and read afresh after the locks are granted.
 *
 * <p><b>Why no write is lost (READ COMMITTED).</b> A looked-up change re-derives the source rows it
 * can see. A source row it cannot see is one a concurrent transaction inserts, or updates so that
 * it newly relates to the looked-up row: for those, the entry's own trigger locks the newly related
 * looked-up rows FOR SHARE before it reads them, so it waits for the change to commit (and reads it,
 * each statement of a trigger taking a new snapshot), or the change waits for the writer and then
 * sees its row. A source row it can see but a concurrent transaction writes is locked by that
 * writer: the re-derivation waits for it and reads its result. The lock is taken only for newly
 * related rows, so the usual pair (an update of a source row, a change of its looked-up row) never
 * waits in a cycle. A backfill batch that copied a row with the old looked-up value is ordered
 * against the re-derivation by the target's unique key (in place: by the row's lock), as against any
 * trigger write.
 */
final class LookupSql {
    private LookupSql() {
    }

    /** The part of the entry's trigger that locks the looked-up rows a source row newly relates to. */
    static String lockRelated(CompiledSync s) {
        if (s.lookups().isEmpty()) {
            return "";
        }
        StringBuilder inserted = new StringBuilder();
        StringBuilder updated = new StringBuilder();
        for (CompiledSync.Lookup l : s.lookups()) {
            String lock = "    PERFORM 1 FROM " + l.qualified() + " AS " + l.alias() + ", (SELECT NEW.*) AS " + s.alias()
                    + " WHERE " + SqlFragment.parenthesized(l.on());
            inserted.append(lock).append(" FOR SHARE OF ").append(l.alias()).append(";\n");
            updated.append(lock).append(" AND NOT EXISTS (SELECT 1 FROM (SELECT OLD.*) AS ").append(s.alias())
                    .append(" WHERE ").append(SqlFragment.parenthesized(l.on())).append(") FOR SHARE OF ")
                    .append(l.alias()).append(";\n");
        }
        return "  -- lookups: the looked-up rows this row newly relates to are locked before they are read, so a\n"
                + "  -- concurrent change of one of them (which re-derives only the rows it can see) is ordered with it\n"
                + "  IF TG_OP = 'INSERT' THEN\n" + inserted + "  ELSIF TG_OP = 'UPDATE' THEN\n" + updated + "  END IF;\n";
    }

    /** The functions and triggers of every lookup of the entry. */
    static List<String> install(CompiledSync s) {
        List<String> sql = new ArrayList<>();
        for (CompiledSync.Lookup l : s.lookups()) {
            sql.add(function(s, l));
            String events = "INSERT OR DELETE OR UPDATE" + (l.anyColumn() || l.columns().isEmpty() ? ""
                    : " OF " + CompiledSync.cols(l.columns()));
            sql.add("CREATE TRIGGER " + Ident.quote(l.functionName()) + " AFTER " + events + " ON " + l.qualified()
                    + " FOR EACH ROW EXECUTE FUNCTION " + l.qualifiedFunction() + "()");
        }
        return sql;
    }

    static List<String> drop(CompiledSync s) {
        List<String> sql = new ArrayList<>();
        for (CompiledSync.Lookup l : s.lookups()) {
            sql.add("DROP TRIGGER IF EXISTS " + Ident.quote(l.functionName()) + " ON " + l.qualified());
            sql.add("DROP FUNCTION IF EXISTS " + l.qualifiedFunction() + "()");
        }
        return sql;
    }

    private static String function(CompiledSync s, CompiledSync.Lookup l) {
        String a = s.alias();
        StringBuilder b = new StringBuilder("DECLARE\n");
        ForwardTrigger forward = s.inPlace() ? null : new ForwardTrigger(s, "tandem_row", "false");
        if (forward != null) {
            b.append(forward.declarations().substring("DECLARE\n".length()))
                    .append("  tandem_row ").append(s.source()).append("%ROWTYPE;\n");
        }
        b.append("  tandem_l ").append(l.qualified()).append("%ROWTYPE;\n  tandem_o ").append(l.qualified())
                .append("%ROWTYPE;\n  tandem_pass integer;\nBEGIN\n").append(unchanged(l));
        if (s.reverseName() != null) {
            b.append("  PERFORM set_config('").append(TriggerSql.SKIP_SETTING).append("', ").append(literal(s.name()))
                    .append(", true);\n");
        }
        // Pass 1: the source rows related to the row as it was; pass 2: those related to it as it is now, not already done.
        String related = " FROM (SELECT tandem_l.*) AS " + l.alias() + ", (SELECT tandem_pass = 2 AND TG_OP = 'UPDATE' AS "
                + Ident.quote("tandem:x") + ") AS " + P + " WHERE " + SqlFragment.parenthesized(l.on()) + " AND NOT ("
                + pc("x") + " AND EXISTS (SELECT 1 FROM (SELECT tandem_o.*) AS " + l.alias() + " WHERE "
                + SqlFragment.parenthesized(l.on()) + "))";
        b.append("  IF TG_OP = 'UPDATE' THEN\n    tandem_o := OLD;\n  END IF;\n")
                .append("  FOR tandem_pass IN 1..2 LOOP\n")
                .append("    CONTINUE WHEN (tandem_pass = 1 AND TG_OP = 'INSERT') OR (tandem_pass = 2 AND TG_OP = 'DELETE');\n")
                .append("    IF tandem_pass = 1 THEN\n      tandem_l := OLD;\n    ELSE\n      tandem_l := NEW;\n    END IF;\n");
        if (s.inPlace()) {
            String first = Ident.quote(s.targetColumns().get(0));
            b.append("    -- the entry's trigger derives the columns of each related row anew\n")
                    .append("    UPDATE ").append(s.source()).append(" AS ").append(a).append(" SET ").append(first)
                    .append(" = ").append(a).append(".").append(first).append(related).append(";\n");
        } else {
            String from = related.substring(" FROM ".length());
            b.append("    -- each related row locked, then read afresh and written as the entry's trigger writes it\n")
                    .append("    FOR tandem_row IN SELECT ").append(a).append(".* FROM ").append(s.source()).append(" AS ")
                    .append(a).append(", ").append(from).append(" FOR SHARE OF ").append(a).append(" LOOP\n")
                    .append(rederive(s, forward)).append("    END LOOP;\n");
        }
        b.append("  END LOOP;\n");
        if (s.reverseName() != null) {
            b.append("  PERFORM set_config('").append(TriggerSql.SKIP_SETTING).append("', '', true);\n");
        }
        b.append("  RETURN NULL;\nEND\n");
        return TriggerSql.function(l.qualifiedFunction(), "sync entry '" + s.name() + "', lookup " + l.table() + ": "
                + "re-derives the related " + s.sourceTable() + " rows", b.toString());
    }

    /** Returns early from an update that changes none of the columns the entry reads. */
    private static String unchanged(CompiledSync.Lookup l) {
        String old;
        String now;
        if (l.anyColumn() || l.columns().isEmpty()) {
            old = "OLD::text";
            now = "NEW::text";
        } else {
            old = "ROW(" + l.columns().stream().map(c -> "OLD." + Ident.quote(c) + "::text").collect(Collectors.joining(", ")) + ")";
            now = "ROW(" + l.columns().stream().map(c -> "NEW." + Ident.quote(c) + "::text").collect(Collectors.joining(", ")) + ")";
        }
        return "  IF TG_OP = 'UPDATE' AND " + old + " IS NOT DISTINCT FROM " + now + " THEN\n    RETURN NULL;\n  END IF;\n";
    }

    /** For one related row of a cross-table entry: f(row) evaluated as the forward trigger does, then its write. */
    private static String rederive(CompiledSync s, ForwardTrigger forward) {
        List<String> cols = s.targetColumns();
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < cols.size(); i++) {
            values.put(v(i), s.columns().get(cols.get(i)));
        }
        return "      tandem_new_in := false;\n      tandem_moved := false;\n      tandem_key_changed := false;\n"
                + "      BEGIN\n        tandem_new_in := " + TriggerSql.rowCondition(s, "tandem_row") + ";\n"
                + "        IF tandem_new_in THEN\n" + TriggerSql.assign(s, values, "tandem_row", "          ")
                + "        END IF;\n"
                + (s.recordErrors() ? indent(TriggerSql.onError(s, "forward", TriggerSql.sourceKeyArray(s, "tandem_row"),
                "CONTINUE;"), "    ") : "")
                + "      END;\n" + indent(forward.write(), "    ");
    }

    private static String indent(String text, String by) {
        return text.lines().map(line -> by + line).collect(Collectors.joining("\n", "", "\n"));
    }
}
