package dev.tandem.plan;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static dev.tandem.plan.TriggerSql.P;
import static dev.tandem.plan.TriggerSql.as;
import static dev.tandem.plan.TriggerSql.k;
import static dev.tandem.plan.TriggerSql.literal;
import static dev.tandem.plan.TriggerSql.pc;
import static dev.tandem.plan.TriggerSql.v;

/**
 * The trigger function of a cross-table entry, in three parts: evaluate (which of OLD and NEW are in
 * from.where, f(NEW), the new key of OLD; guarded by onError), remove or move the new row OLD
 * mapped to (logging removals while a backfill runs), write f(NEW) (never over a row another entry
 * or another old row owns). See {@link TriggerSql} for what it guarantees.
 *
 * <p>Before them, the common write takes a shorter path that reaches the same result: an update that
 * leaves the source columns of the new key unchanged byte for byte, with NEW in from.where, has
 * nothing to move or remove, so only f(NEW) is evaluated (under the same onError guard) and
 * upserted, with the same checks. Each statement a trigger runs costs on every call, each
 * expression once per transaction too (PL/pgSQL prepares it again in every transaction): the
 * variables have no defaults, a from.where made of column tests is evaluated over the row's fields
 * rather than as a query, and without onError Record the plain columns go into the upsert as NEW's
 * fields.
 */
final class ForwardTrigger {
    private final CompiledSync s;
    private final List<String> cols;
    private final List<String> key;
    private final List<Integer> keyPos;
    private final boolean aligned;
    private final String ta;
    private final String owned;
    private final String ret;
    private final String newKeyVars;
    private final String matchNewKey;
    private final String matchOldKey;
    private final String newKeyText;
    /** The source row written: NEW, or a row a lookup's trigger re-derives. */
    private final String row;
    /** Whether the source row is new: an INSERT, or never (a lookup's re-derivation). */
    private final String inserted;

    ForwardTrigger(CompiledSync s) {
        this(s, "NEW", "TG_OP = 'INSERT'");
    }

    ForwardTrigger(CompiledSync s, String row, String inserted) {
        this.s = s;
        this.row = row;
        this.inserted = inserted;
        this.cols = s.targetColumns();
        this.key = s.targetKey();
        this.keyPos = key.stream().map(cols::indexOf).toList();
        this.aligned = s.alignedTargetKey().isPresent();
        this.ta = s.targetAlias();
        this.owned = s.sharedTarget() ? " AND " + s.targetWhereOrTrue() : "";
        this.ret = s.before() ? "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;\n  RETURN NEW;" : "RETURN NULL;";
        this.newKeyVars = "(SELECT " + IntStream.range(0, key.size()).mapToObj(i -> as(v(keyPos.get(i)), "n" + i))
                .collect(Collectors.joining(", ")) + ") AS " + P;
        this.matchNewKey = match("n");
        this.matchOldKey = match("o");
        this.newKeyText = "ROW(" + keyPos.stream().map(TriggerSql::v).collect(Collectors.joining(", ")) + ")::text";
    }

    private String match(String prefix) {
        return IntStream.range(0, key.size()).mapToObj(i -> ta + "." + Ident.quote(key.get(i)) + " = " + pc(prefix + i))
                .collect(Collectors.joining(" AND "));
    }

    String sql() {
        StringBuilder b = new StringBuilder(declarations()).append("BEGIN\n");
        if (s.reverseName() != null) {
            b.append("  IF current_setting('").append(TriggerSql.SKIP_SETTING).append("', true) = ").append(literal(s.name()))
                    .append(" THEN\n    ").append(ret).append("\n  END IF;\n");
        }
        b.append(LookupSql.lockRelated(s)).append(keptKey())
                .append("  tandem_old_in := false;\n  tandem_new_in := false;\n")
                .append("  tandem_key_changed := false;\n  tandem_moved := false;\n")
                .append(evaluation()).append(s.keep() ? "  -- onDelete: Keep: a new row stays when its old row goes or maps elsewhere\n"
                : removal()).append(write()).append("  ").append(ret).append("\nEND\n");
        return TriggerSql.function(s.qualifiedFunction(), "sync entry '" + s.name() + "': " + s.sourceTable() + " -> "
                + s.targetTable() + ", fires " + (s.before() ? "BEFORE" : "AFTER") + " the row change", b.toString());
    }

    String declarations() {
        StringBuilder b = new StringBuilder("DECLARE\n")
                // No defaults: each one is an expression evaluated on every call; the paths assign what they read.
                .append("  tandem_old_in boolean;\n  tandem_new_in boolean;\n")
                .append("  tandem_key_changed boolean;\n  tandem_moved boolean;\n")
                .append("  tandem_fresh boolean;\n  tandem_owner text;\n");
        for (int i = 0; i < cols.size(); i++) {
            b.append("  ").append(v(i)).append(" ").append(TriggerSql.columnType(s.targetTable(), cols.get(i))).append(";\n");
        }
        for (int i = 0; i < key.size(); i++) {
            b.append("  ").append(k(i)).append(" ").append(TriggerSql.columnType(s.targetTable(), key.get(i))).append(";\n");
        }
        return b.toString();
    }

    /** 1. Which rows are in from.where, f(NEW), and the new key of OLD. */
    private String evaluation() {
        StringBuilder b = new StringBuilder("  BEGIN\n");
        if (s.where() == null) {
            b.append("    tandem_old_in := TG_OP <> 'INSERT';\n    tandem_new_in := TG_OP <> 'DELETE';\n");
        } else {
            b.append("    IF TG_OP = 'UPDATE' THEN\n");
            if (TriggerSql.directCondition(s, "NEW").isPresent()) {
                // Over the rows' fields: two simple expressions, no query.
                b.append("      tandem_old_in := ").append(TriggerSql.rowCondition(s, "OLD")).append(";\n")
                        .append("      tandem_new_in := ").append(TriggerSql.rowCondition(s, "NEW")).append(";\n");
            } else {
                // One query for both rows of an update: each query a trigger runs costs more than its condition.
                b.append("      SELECT ").append(TriggerSql.rowCondition(s, "OLD")).append(", ")
                        .append(TriggerSql.rowCondition(s, "NEW")).append(" INTO tandem_old_in, tandem_new_in;\n");
            }
            b
                    .append("    ELSIF TG_OP = 'INSERT' THEN\n      tandem_new_in := ").append(TriggerSql.rowCondition(s, "NEW"))
                    .append(";\n    ELSE\n      tandem_old_in := ").append(TriggerSql.rowCondition(s, "OLD"))
                    .append(";\n    END IF;\n");
        }
        Map<String, String> newValues = new LinkedHashMap<>();
        for (int i = 0; i < cols.size(); i++) {
            newValues.put(v(i), s.columns().get(cols.get(i)));
        }
        Map<String, String> oldKey = new LinkedHashMap<>();
        for (int i = 0; i < key.size(); i++) {
            oldKey.put(k(i), s.columns().get(key.get(i)));
        }
        b.append("    IF tandem_new_in THEN\n").append(TriggerSql.assign(s, newValues, "NEW", "      ")).append("    END IF;\n")
                .append("    IF tandem_old_in THEN\n").append(TriggerSql.assign(s, oldKey, "OLD", "      "))
                .append("    END IF;\n")
                .append(TriggerSql.onError(s, "forward", "CASE WHEN TG_OP = 'DELETE' THEN "
                        + TriggerSql.sourceKeyArray(s, "OLD") + " ELSE " + TriggerSql.sourceKeyArray(s, "NEW") + " END", ret))
                .append("  END;\n");
        // Column by column: each comparison is a simple expression PL/pgSQL evaluates without the executor.
        String changed = IntStream.range(0, key.size()).mapToObj(i -> k(i) + " IS DISTINCT FROM " + v(keyPos.get(i)))
                .collect(Collectors.joining(" OR "));
        return b.append("  IF tandem_old_in AND tandem_new_in THEN\n    tandem_key_changed := ").append(changed)
                .append(";\n  END IF;\n").toString();
    }

    /** 2. Remove or move the new row OLD mapped to. */
    private String removal() {
        StringBuilder b = new StringBuilder("  IF tandem_old_in AND (NOT tandem_new_in OR tandem_key_changed) THEN\n")
                .append("    IF to_regclass(").append(literal(TriggerSql.backfillMarker(s.trackingSchema(), s.migration())))
                .append(") IS NOT NULL THEN\n")
                .append("      -- while the backfill runs, every removal is logged: a batch that read this old row before\n")
                .append("      -- this write may still insert its new row; the backfill removes it again from this log\n")
                .append("      INSERT INTO ").append(TriggerSql.tracking(s, TrackingSql.SYNC_REMOVALS))
                .append(" (migration, entry, key) VALUES (").append(literal(s.migration())).append(", ").append(s.index())
                .append(", ARRAY[").append(IntStream.range(0, key.size()).mapToObj(i -> k(i) + "::text")
                        .collect(Collectors.joining(", "))).append("]);\n    END IF;\n");
        b.append("    IF tandem_new_in THEN\n")
                .append("      -- the same old row now maps to another new key: its new row moves with it\n")
                .append("      SELECT ").append(TriggerSql.ownerCase(s)).append(" INTO tandem_owner FROM ").append(s.target())
                .append(" AS ").append(ta).append(", ").append(newKeyVars).append(" WHERE ").append(matchNewKey)
                .append(";\n      IF FOUND THEN\n")
                .append(TriggerSql.collisionChecks(s, aligned, newKeyText, "        "))
                .append("        -- a row nothing justifies (left by a race with the backfill) gives way\n")
                .append("        DELETE FROM ").append(s.target()).append(" AS ").append(ta).append(" USING ")
                .append(newKeyVars).append(" WHERE ").append(matchNewKey).append(";\n      END IF;\n");
        String set = IntStream.range(0, cols.size())
                .mapToObj(i -> Ident.quote(cols.get(i)) + " = " + pc("v" + i)).collect(Collectors.joining(", "));
        String vars = IntStream.range(0, cols.size()).mapToObj(i -> as(v(i), "v" + i)).collect(Collectors.joining(", "))
                + ", " + IntStream.range(0, key.size()).mapToObj(i -> as(k(i), "o" + i)).collect(Collectors.joining(", "));
        b.append("      UPDATE ").append(s.target()).append(" AS ").append(ta).append(" SET ").append(set)
                .append(" FROM (SELECT ").append(vars).append(") AS ").append(P).append(" WHERE ").append(matchOldKey)
                .append(owned).append(";\n      tandem_moved := FOUND;\n    END IF;\n");
        String oldVars = "(SELECT " + IntStream.range(0, key.size()).mapToObj(i -> as(k(i), "o" + i))
                .collect(Collectors.joining(", ")) + ") AS " + P;
        return b.append("    IF NOT tandem_moved THEN\n      DELETE FROM ").append(s.target()).append(" AS ").append(ta)
                .append(" USING ").append(oldVars).append(" WHERE ").append(matchOldKey).append(owned).append(";\n")
                .append("    END IF;\n  END IF;\n").toString();
    }

    /** 3. Write f(NEW): upsert, never over another entry's row nor the new row of another old row. */
    String write() {
        return "  IF tandem_new_in AND NOT tandem_moved THEN\n" + upsert(false,
                IntStream.range(0, cols.size()).mapToObj(TriggerSql::v).toList()) + "  END IF;\n";
    }

    /**
     * The upsert of f(NEW) and its checks, indented for the body of an IF.
     *
     * @param keyKept the source row is an update that kept its new key: it cannot take over another old row's new row
     * @param values  the value of each target column (its variable, or the field of NEW it is)
     */
    private String upsert(boolean keyKept, List<String> values) {
        List<String> nonKey = s.nonKeyColumns();
        StringBuilder b = new StringBuilder("    INSERT INTO ")
                .append(s.target()).append(" AS ").append(ta).append(" (").append(CompiledSync.cols(cols))
                .append(") VALUES (").append(String.join(", ", values)).append(")\n      ON CONFLICT (")
                .append(CompiledSync.cols(key)).append(") ");
        boolean assigning = !aligned && !s.keep() && !keyKept;
        String owner = "SELECT " + TriggerSql.ownerCase(s) + " INTO tandem_owner FROM " + s.target() + " AS " + ta + ", "
                + newKeyVars + " WHERE " + matchNewKey + ";\n";
        if (nonKey.isEmpty()) {
            b.append("DO NOTHING;\n    tandem_fresh := FOUND;\n    IF NOT tandem_fresh THEN\n");
            if (s.sharedTarget() || assigning) {
                b.append("      ").append(owner).append(TriggerSql.ownerCheck(s, newKeyText, "      "));
                if (assigning) {
                    b.append("      IF ").append(inserted).append(" OR tandem_key_changed THEN\n")
                            .append(TriggerSql.sameEntryCheck(s, row, newKeyText, "        ")).append("      END IF;\n");
                }
            } else {
                b.append("      NULL; -- the new row is there already\n");
            }
            return b.append("    END IF;\n").toString();
        }
        b.append("DO UPDATE SET ").append(nonKey.stream().map(c -> Ident.quote(c) + " = EXCLUDED." + Ident.quote(c))
                .collect(Collectors.joining(", ")));
        if (s.sharedTarget()) {
            // EXCLUDED is in scope here too: to.where is evaluated over the existing row alone.
            b.append("\n      WHERE (SELECT ").append(s.targetWhereOrTrue()).append(" FROM (SELECT ").append(ta)
                    .append(".*) AS ").append(ta).append(")");
        }
        b.append(assigning ? "\n      RETURNING " + ta + ".xmax::text = '0' INTO tandem_fresh;\n" : ";\n");
        if (s.sharedTarget()) {
            b.append("    IF NOT FOUND THEN\n      ").append(owner).append(TriggerSql.ownerCheck(s, newKeyText, "      "))
                    .append("    END IF;\n");
        }
        if (assigning) {
            b.append("    IF NOT tandem_fresh AND (").append(inserted).append(" OR tandem_key_changed) THEN\n")
                    .append(TriggerSql.sameEntryCheck(s, row, newKeyText, "      ")).append("    END IF;\n");
        }
        return b.toString();
    }

    /**
     * The common update: one that leaves the source columns the new key is made of as they were
     * (compared byte for byte, so equal-but-different values such as 1.0 and 1.00, or 'A' and 'a'
     * under a case-insensitive type, take the general path) keeps the new key. The general path would
     * find nothing to move or remove, so when NEW is in from.where only f(NEW) is evaluated (OLD is not
     * read) and upserted, exactly as the general path writes it; otherwise the general path runs.
     * Empty when a column of the new key is not a plain source column.
     */
    private String keptKey() {
        List<String> keySources = new java.util.ArrayList<>();
        for (String k : key) {
            java.util.Optional<String> c = SqlFragment.plainColumn(s.columns().get(k), s.sourceTable());
            if (c.isEmpty()) {
                return "";
            }
            if (!keySources.contains(c.get())) {
                keySources.add(c.get());
            }
        }
        String fastRet = s.before() ? "RETURN NEW;" : "RETURN NULL;";
        String image = "pg_catalog.record_image_eq(ROW(" + keySources.stream().map(c -> "OLD." + Ident.quote(c))
                .collect(Collectors.joining(", ")) + "), ROW(" + keySources.stream().map(c -> "NEW." + Ident.quote(c))
                .collect(Collectors.joining(", ")) + "))";
        Map<String, String> newValues = new LinkedHashMap<>();
        for (int i = 0; i < cols.size(); i++) {
            newValues.put(v(i), s.columns().get(cols.get(i)));
        }
        // Without onError Record, a plain column goes into the upsert as NEW's field: the INSERT casts it to the
        // column's type as the assignment to a variable would, and an error fails the write either way.
        boolean fields = !s.recordErrors() && !s.sharedTarget() && cols.stream()
                .allMatch(c -> SqlFragment.plainColumn(s.columns().get(c), s.sourceTable()).isPresent());
        List<String> values = IntStream.range(0, cols.size()).mapToObj(i -> fields
                ? "NEW." + Ident.quote(SqlFragment.plainColumn(s.columns().get(cols.get(i)), s.sourceTable()).orElseThrow())
                : v(i)).toList();
        String condition = TriggerSql.rowCondition(s, "NEW");
        String assign = fields ? "" : TriggerSql.assign(s, newValues, "NEW", "      ");
        String write = indent(upsert(true, values), "  ") + "      " + fastRet + "\n";
        StringBuilder b = new StringBuilder("  -- an update that keeps the columns of the new key (byte for byte) keeps the new key: when\n")
                .append("  -- NEW is in from.where, f(NEW) is upserted and nothing moves or goes; otherwise the general path runs\n")
                .append("  IF (CASE WHEN TG_OP = 'UPDATE' THEN ").append(image).append(" ELSE false END) THEN\n");
        if (!s.recordErrors()) {
            b.append("    IF ").append(condition).append(" THEN\n").append(assign).append(write).append("    END IF;\n");
        } else {
            String handler = TriggerSql.onError(s, "forward", TriggerSql.sourceKeyArray(s, "NEW"), fastRet);
            if (TriggerSql.conditionCannotRaise(s)) {
                b.append("    IF ").append(condition).append(" THEN\n      BEGIN\n").append(indent(assign, "  "))
                        .append(indent(handler, "    ")).append("      END;\n").append(write).append("    END IF;\n");
            } else {
                b.append("    BEGIN\n      tandem_new_in := ").append(condition).append(";\n      IF tandem_new_in THEN\n")
                        .append(indent(assign, "  ")).append("      END IF;\n").append(indent(handler, "  "))
                        .append("    END;\n    IF tandem_new_in THEN\n").append(write).append("    END IF;\n");
            }
        }
        return b.append("  END IF;\n").toString();
    }

    private static String indent(String text, String by) {
        return text.isEmpty() ? "" : text.lines().map(line -> by + line).collect(Collectors.joining("\n", "", "\n"));
    }
}
