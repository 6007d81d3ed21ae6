package dev.tandem.plan;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The sync triggers of one entry, as PL/pgSQL. What they guarantee:
 * <ul>
 *   <li>every insert, update (key changes and rows moving in or out of from.where included) and
 *       delete of a source row leaves the new storage at f(old);</li>
 *   <li>an update that gives the same source row another new key moves its new row (same row, new
 *       key), so generated ids and rows referencing it stay;</li>
 *   <li>a write never changes or removes a row another entry owns (to.where), nor takes over the new
 *       row of another source row: such a collision fails with an error naming both;</li>
 *   <li>while the backfill runs, every removal of a new key is logged in the tracking schema: a batch
 *       that read the old row before the write may insert its new row after it; the backfill repairs
 *       from that log once the writers it raced with ended;</li>
 *   <li>with onError Record an expression that raises lets the application's write through and
 *       records the key and the error instead (the evaluation runs in a block that writes nothing,
 *       so it costs no subtransaction id);</li>
 *   <li>user names cannot capture generated ones: column names win over variables
 *       ({@code #variable_conflict use_column}), variables are only read where no user relation is in
 *       scope, and the body's dollar quote is chosen so that no fragment contains it.</li>
 * </ul>
 */
public final class TriggerSql {
    /**
     * Set (transaction-local) to an entry's name, that entry's triggers do nothing: the guard of its
     * reverse trigger's write, and of the backfill's batches.
     */
    public static final String SKIP_SETTING = "tandem.sync_skip";
    static final String P = Ident.quote("tandem:p");

    private TriggerSql() {
    }

    /** The functions and triggers expand installs for the entry. */
    public static List<String> install(CompiledSync s) {
        List<String> sql = new ArrayList<>();
        sql.add(s.inPlace() ? inPlaceFunction(s) : forwardFunction(s));
        sql.add("CREATE TRIGGER " + Ident.quote(s.functionName()) + " " + (s.before() ? "BEFORE" : "AFTER")
                + (s.inPlace() ? " INSERT OR UPDATE" : " INSERT OR UPDATE OR DELETE") + " ON " + s.source()
                + " FOR EACH ROW EXECUTE FUNCTION " + s.qualifiedFunction() + "()");
        if (s.reverseName() != null) {
            sql.add(reverseFunction(s));
            sql.add("CREATE TRIGGER " + Ident.quote(s.reverseName()) + " AFTER INSERT OR UPDATE ON " + s.target()
                    + " FOR EACH ROW EXECUTE FUNCTION " + s.qualifiedReverseFunction() + "()");
        }
        sql.addAll(LookupSql.install(s));
        return sql;
    }

    public static List<String> drop(CompiledSync s) {
        List<String> sql = new ArrayList<>(LookupSql.drop(s));
        sql.add("DROP TRIGGER IF EXISTS " + Ident.quote(s.functionName()) + " ON " + s.source());
        sql.add("DROP FUNCTION IF EXISTS " + s.qualifiedFunction() + "()");
        if (s.reverseName() != null) {
            sql.add("DROP TRIGGER IF EXISTS " + Ident.quote(s.reverseName()) + " ON " + s.target());
            sql.add("DROP FUNCTION IF EXISTS " + s.qualifiedReverseFunction() + "()");
        }
        return sql;
    }

    // ------------------------------------------------------------------ names

    static String v(int i) {
        return "tandem_v" + i;
    }

    static String k(int i) {
        return "tandem_k" + i;
    }

    /** A column of the FROM-less derived table that carries variables into a statement. */
    static String pc(String name) {
        return P + "." + Ident.quote("tandem:" + name);
    }

    static String as(String variable, String name) {
        return variable + " AS " + Ident.quote("tandem:" + name);
    }

    /**
     * The object whose existence tells the triggers that a backfill is running (they log removals
     * then); created by expand, dropped by the backfill when it is complete, and at cutover or rollback.
     */
    public static String backfillMarker(String trackingSchema, String migration) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(migration.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return Ident.quote(trackingSchema) + "." + Ident.quote("backfilling_"
                    + java.util.HexFormat.of().formatHex(d).substring(0, 16));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String tracking(CompiledSync s, String table) {
        return Ident.quote(s.trackingSchema()) + "." + Ident.quote(table);
    }

    static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    static String columnType(String table, String column) {
        return Ident.qualified(table) + "." + Ident.quote(column) + "%TYPE";
    }

    // ------------------------------------------------------------------ shared pieces

    /** Body wrapper: the function header, the use_column directive and a dollar quote no fragment contains. */
    static String function(String qualifiedName, String comment, String body) {
        String text = "#variable_conflict use_column\n-- " + comment + " (generated by Tandem)\n" + body;
        String tag = "$tandem$";
        for (int i = 1; text.contains(tag); i++) {
            tag = "$tandem" + i + "$";
        }
        return "CREATE FUNCTION " + qualifiedName + "() RETURNS trigger LANGUAGE plpgsql AS " + tag + "\n" + text + tag;
    }

    /**
     * from.where over NEW or OLD, as a PL/pgSQL boolean expression: over the row's fields when the
     * condition allows it ({@link SqlFragment#rowCondition}: a simple expression, no query), else a
     * query over the row.
     */
    static String rowCondition(CompiledSync s, String row) {
        if (s.where() == null) {
            return "true";
        }
        Optional<SqlFragment.RowCondition> direct = directCondition(s, row);
        if (direct.isPresent()) {
            return "COALESCE(" + SqlFragment.parenthesized(direct.get().text()) + ", false)";
        }
        return "(SELECT " + s.whereOrTrue() + " FROM (SELECT " + row + ".*) AS " + s.alias() + ")";
    }

    /** from.where over the row's fields, when it is a condition {@link SqlFragment#rowCondition} accepts. */
    static Optional<SqlFragment.RowCondition> directCondition(CompiledSync s, String row) {
        return s.where() == null || s.where().isBlank() ? Optional.empty()
                : SqlFragment.rowCondition(s.where(), s.sourceTable(), row);
    }

    /** Whether from.where can be evaluated without an error guard: none, or one no row can make raise. */
    static boolean conditionCannotRaise(CompiledSync s) {
        return s.where() == null || s.where().isBlank()
                || directCondition(s, "NEW").map(SqlFragment.RowCondition::cannotRaise).orElse(false);
    }

    /**
     * Assigns expressions over NEW or OLD to variables: a plain column reference directly, the rest
     * in one query over the row.
     */
    static String assign(CompiledSync s, Map<String, String> variableToExpr, String row, String indent) {
        StringBuilder b = new StringBuilder();
        List<String> queried = new ArrayList<>();
        List<String> exprs = new ArrayList<>();
        variableToExpr.forEach((variable, expr) -> {
            Optional<String> column = SqlFragment.plainColumn(expr, s.sourceTable());
            if (column.isPresent()) {
                b.append(indent).append(variable).append(" := ").append(row).append(".").append(Ident.quote(column.get()))
                        .append(";\n");
            } else {
                queried.add(variable);
                exprs.add(SqlFragment.parenthesized(expr));
            }
        });
        if (!queried.isEmpty()) {
            b.append(indent).append("SELECT ").append(String.join(", ", exprs)).append(" INTO ")
                    .append(String.join(", ", queried)).append(" FROM (SELECT ").append(row).append(".*) AS ")
                    .append(s.alias()).append(";\n");
        }
        return b.toString();
    }

    /** The error handler of the evaluation block (onError Record), or nothing (Fail). */
    static String onError(CompiledSync s, String direction, String keyArray, String returnStatement) {
        if (!s.recordErrors()) {
            return "";
        }
        return "  EXCEPTION WHEN OTHERS THEN\n"
                + "    -- onError: Record: the application's write goes through; verification names this row\n"
                + "    INSERT INTO " + tracking(s, TrackingSql.SYNC_ERRORS) + " (migration, entry, entry_name, direction, "
                + "source_key, sqlstate, message) VALUES (" + literal(s.migration()) + ", " + s.index() + ", "
                + literal(s.name()) + ", " + literal(direction) + ", " + keyArray + ", SQLSTATE, SQLERRM);\n"
                + "    " + returnStatement + "\n";
    }

    static String sourceKeyArray(CompiledSync s, String row) {
        return "ARRAY[" + s.sourceKey().stream().map(k -> row + "." + Ident.quote(k) + "::text")
                .collect(Collectors.joining(", ")) + "]";
    }

    // ------------------------------------------------------------------ forward, another table

    private static String forwardFunction(CompiledSync s) {
        return new ForwardTrigger(s).sql();
    }

    /** The name of the entry owning the row aliased as the target (by to.where), or NULL; this entry's name when not shared. */
    static String ownerCase(CompiledSync s) {
        if (!s.sharedTarget()) {
            return literal(s.name());
        }
        StringBuilder b = new StringBuilder("CASE");
        for (CompiledSync.Owner o : s.owners()) {
            b.append(" WHEN COALESCE(").append(SqlFragment.parenthesized(o.targetWhere())).append(", false) THEN ")
                    .append(literal(o.name()));
        }
        return b.append(" END").toString();
    }

    /** Raises when the new row at the new key belongs to another entry. */
    static String ownerCheck(CompiledSync s, String keyText, String indent) {
        if (!s.sharedTarget()) {
            return "";
        }
        return indent + "IF tandem_owner IS DISTINCT FROM " + literal(s.name()) + " THEN\n"
                + indent + "  RAISE EXCEPTION USING ERRCODE = 'unique_violation',\n"
                + indent + "    MESSAGE = format('tandem sync entry %s cannot write %s key %s: that row belongs to %s', "
                + literal(s.name()) + ", " + literal(s.targetTable()) + ", " + keyText + ", "
                + "coalesce('sync entry ' || tandem_owner, 'no sync entry (its to.where matches none)')),\n"
                + indent + "    HINT = 'Two entries map old rows to the same new key; give one of the old rows another "
                + "name or key, or change the mappings.';\n"
                + indent + "END IF;\n";
    }

    /** Both checks a new key must pass before an existing row of this entry may be reused. */
    static String collisionChecks(CompiledSync s, boolean aligned, String keyText, String indent) {
        String out = ownerCheck(s, keyText, indent);
        if (!aligned) {
            out += sameEntryCheck(s, "NEW", keyText, indent);
        }
        return out;
    }

    /** Raises when another source row of this entry already maps to the new key (one new row per old row). */
    static String sameEntryCheck(CompiledSync s, String row, String keyText, String indent) {
        List<String> cols = s.targetColumns();
        List<String> key = s.targetKey();
        String a = s.alias();
        String vars = IntStream.range(0, key.size()).mapToObj(i -> as(v(cols.indexOf(key.get(i))), "n" + i))
                .collect(Collectors.joining(", ")) + ", " + IntStream.range(0, s.sourceKey().size())
                .mapToObj(i -> as(row + "." + Ident.quote(s.sourceKey().get(i)), "s" + i)).collect(Collectors.joining(", "));
        String keyMatch = "ROW(" + key.stream().map(s::expression).collect(Collectors.joining(", ")) + ") = ROW("
                + IntStream.range(0, key.size()).mapToObj(i -> pc("n" + i)).collect(Collectors.joining(", ")) + ")";
        String other = "ROW(" + s.keyList(a) + ") IS DISTINCT FROM ROW("
                + IntStream.range(0, s.sourceKey().size()).mapToObj(i -> pc("s" + i)).collect(Collectors.joining(", ")) + ")";
        return indent + "PERFORM 1 FROM " + s.source() + " AS " + a + ", (SELECT " + vars + ") AS " + P + " WHERE "
                + keyMatch + " AND " + other + " AND " + s.whereOrTrue() + " LIMIT 1;\n"
                + indent + "IF FOUND THEN\n"
                + indent + "  RAISE EXCEPTION USING ERRCODE = 'unique_violation',\n"
                + indent + "    MESSAGE = format('tandem sync entry %s cannot write %s key %s: another %s row already maps to it', "
                + literal(s.name()) + ", " + literal(s.targetTable()) + ", " + keyText + ", " + literal(s.sourceTable()) + "),\n"
                + indent + "    HINT = 'Each new row belongs to one old row; use onDelete: Keep for a many-to-one mapping.';\n"
                + indent + "END IF;\n";
    }

    // ------------------------------------------------------------------ in place

    private static String inPlaceFunction(CompiledSync s) {
        List<String> cols = s.targetColumns();
        StringBuilder b = new StringBuilder("DECLARE\n  tandem_in boolean;\n");
        for (int i = 0; i < cols.size(); i++) {
            b.append("  ").append(v(i)).append(" ").append(columnType(s.sourceTable(), cols.get(i))).append(";\n");
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < cols.size(); i++) {
            values.put(v(i), s.columns().get(cols.get(i)));
        }
        b.append("BEGIN\n").append(LookupSql.lockRelated(s)).append("  BEGIN\n    tandem_in := ").append(rowCondition(s, "NEW")).append(";\n    IF tandem_in THEN\n")
                .append(assign(s, values, "NEW", "      ")).append("    END IF;\n")
                .append(onError(s, "forward", sourceKeyArray(s, "NEW"), "RETURN NEW;")).append("  END;\n  IF tandem_in THEN\n");
        for (int i = 0; i < cols.size(); i++) {
            b.append("    NEW.").append(Ident.quote(cols.get(i))).append(" := ").append(v(i)).append(";\n");
        }
        if (!s.keep()) {
            b.append("  ELSE\n");
            for (String c : cols) {
                b.append("    NEW.").append(Ident.quote(c)).append(" := NULL;\n");
            }
        }
        b.append("  END IF;\n  RETURN NEW;\nEND\n");
        return function(s.qualifiedFunction(), "sync entry '" + s.name() + "': derived columns of " + s.sourceTable(),
                b.toString());
    }

    // ------------------------------------------------------------------ reverse

    private static String reverseFunction(CompiledSync s) {
        List<String> targets = new ArrayList<>(s.reverse().keySet());
        StringBuilder b = new StringBuilder("DECLARE\n");
        for (int i = 0; i < targets.size(); i++) {
            b.append("  ").append(v(i)).append(" ").append(columnType(s.sourceTable(), targets.get(i))).append(";\n");
        }
        List<String> mappedKey = new ArrayList<>();
        for (int i = 0; i < s.sourceKey().size(); i++) {
            String k = s.sourceKey().get(i);
            mappedKey.add(s.targetKey().stream().filter(t -> s.isPlainColumn(s.columns().get(t), k)).findFirst().orElseThrow());
            b.append("  ").append(k(i)).append(" ").append(columnType(s.sourceTable(), k)).append(";\n");
        }
        b.append("BEGIN\n  IF current_setting('").append(SKIP_SETTING).append("', true) = ").append(literal(s.name()))
                .append(" THEN\n    RETURN NULL;\n  END IF;\n  BEGIN\n");
        String ta = s.targetAlias();
        if (s.targetWhere() != null) {
            b.append("    IF NOT (SELECT ").append(s.targetWhereOrTrue()).append(" FROM (SELECT NEW.*) AS ").append(ta)
                    .append(") THEN\n      RETURN NULL;\n    END IF;\n");
        }
        List<String> exprs = new ArrayList<>();
        List<String> vars = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            Optional<String> column = SqlFragment.plainColumn(s.reverse().get(targets.get(i)), s.targetTable());
            if (column.isPresent()) {
                b.append("    ").append(v(i)).append(" := NEW.").append(Ident.quote(column.get())).append(";\n");
            } else {
                vars.add(v(i));
                exprs.add(SqlFragment.parenthesized(s.reverse().get(targets.get(i))));
            }
        }
        if (!vars.isEmpty()) {
            b.append("    SELECT ").append(String.join(", ", exprs)).append(" INTO ").append(String.join(", ", vars))
                    .append(" FROM (SELECT NEW.*) AS ").append(ta).append(";\n");
        }
        for (int i = 0; i < mappedKey.size(); i++) {
            b.append("    ").append(k(i)).append(" := NEW.").append(Ident.quote(mappedKey.get(i))).append(";\n");
        }
        b.append(onError(s, "reverse", "ARRAY[" + mappedKey.stream().map(c -> "NEW." + Ident.quote(c) + "::text")
                .collect(Collectors.joining(", ")) + "]", "RETURN NULL;"));
        b.append("  END;\n");
        String a = s.alias();
        String set = IntStream.range(0, targets.size()).mapToObj(i -> Ident.quote(targets.get(i)) + " = " + pc("v" + i))
                .collect(Collectors.joining(", "));
        String carried = IntStream.range(0, targets.size()).mapToObj(i -> as(v(i), "v" + i)).collect(Collectors.joining(", "))
                + ", " + IntStream.range(0, s.sourceKey().size()).mapToObj(i -> as(k(i), "s" + i)).collect(Collectors.joining(", "));
        String join = IntStream.range(0, s.sourceKey().size())
                .mapToObj(i -> a + "." + Ident.quote(s.sourceKey().get(i)) + " = " + pc("s" + i)).collect(Collectors.joining(" AND "));
        b.append("  PERFORM set_config('").append(SKIP_SETTING).append("', ").append(literal(s.name())).append(", true);\n")
                .append("  UPDATE ").append(s.source()).append(" AS ").append(a).append(" SET ").append(set)
                .append(" FROM (SELECT ").append(carried).append(") AS ").append(P).append(" WHERE ").append(join).append(";\n")
                .append("  PERFORM set_config('").append(SKIP_SETTING).append("', '', true);\n  RETURN NULL;\nEND\n");
        return function(s.qualifiedReverseFunction(), "sync entry '" + s.name() + "', reverse: " + s.targetTable() + " -> "
                + s.sourceTable(), b.toString());
    }
}
