package dev.tandem.plan;

import dev.tandem.api.v1alpha1.SyncSpec;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Compiles spec.sync into triggers that keep new == f(old) for every insert, update (key changes
 * and rows moving in or out of from.where included) and delete, and into the backfill's batches.
 *
 * <p>Per entry: a cross-table entry gets an AFTER ROW trigger on from.table that upserts the new
 * row and removes the one an old row no longer maps to (unless onDelete: Keep); an in-place entry
 * gets a BEFORE ROW trigger that sets the derived columns on the row being written. Entries fire in
 * the order given (trigger names sort in that order); an entry placed before an in-place entry of
 * the same table fires BEFORE as well, so what it writes is there when the derivation reads it.
 * A reverse mapping adds an AFTER trigger on to.table that writes back; a transaction-local
 * setting marks a write made by a sync trigger so the opposite trigger skips it (no recursion).
 */
public final class SyncCompiler {
    private static final Pattern COLUMN_REF = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]*|\"(?:[^\"]|\"\")+\"");
    private static final String SKIP_SETTING = "tandem.sync_skip";

    private SyncCompiler() {
    }

    /** Errors in spec.sync, each naming the field; empty when the entries compile. */
    public static List<String> validate(List<SyncSpec> entries) {
        List<String> errors = new ArrayList<>();
        if (entries == null) {
            return errors;
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            SyncSpec e = entries.get(i);
            String at = "spec.sync[" + i + "]";
            if (e.getName() == null || !e.getName().matches("[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?")) {
                errors.add(at + ".name: give a name of lower-case letters, digits and '-' (at most 40)");
            } else if (names.contains(e.getName())) {
                errors.add(at + ".name: '" + e.getName() + "' is used twice; entry names must be unique");
            }
            names.add(e.getName());
            if (e.getFrom() == null || blank(e.getFrom().getTable())) {
                errors.add(at + ".from.table: missing; name the old table");
                continue;
            }
            if (e.getTo() == null || blank(e.getTo().getTable())) {
                errors.add(at + ".to.table: missing; name the new table (the same table for an in-place derivation)");
                continue;
            }
            for (String field : new String[]{"from", "to"}) {
                String table = field.equals("from") ? e.getFrom().getTable() : e.getTo().getTable();
                try {
                    Ident.qualified(table);
                } catch (IllegalArgumentException ex) {
                    errors.add(at + "." + field + ".table: " + ex.getMessage());
                }
            }
            if (e.getFrom().getKey() == null || e.getFrom().getKey().isEmpty()) {
                errors.add(at + ".from.key: missing; list the columns of a unique key of " + e.getFrom().getTable());
            }
            if (e.getColumns() == null || e.getColumns().isEmpty()) {
                errors.add(at + ".columns: missing; map each new column to an SQL expression over the old row");
                continue;
            }
            e.getColumns().forEach((col, expr) -> {
                if (blank(expr)) {
                    errors.add(at + ".columns." + col + ": empty expression");
                }
            });
            boolean inPlace = sameTable(e);
            if (inPlace) {
                if (e.getReverse() != null && !e.getReverse().isEmpty()) {
                    errors.add(at + ".reverse: an in-place derivation has no reverse; remove it");
                }
            } else {
                List<String> key = e.getTo().getKey();
                if (key == null || key.isEmpty()) {
                    errors.add(at + ".to.key: missing; list the columns of a unique key of " + e.getTo().getTable());
                } else {
                    for (String k : key) {
                        if (!e.getColumns().containsKey(k)) {
                            errors.add(at + ".columns: to.key column '" + k + "' has no expression; add " + k + ": <expression>");
                        }
                    }
                }
                if (e.getReverse() != null && !e.getReverse().isEmpty() && key != null) {
                    for (String k : e.getFrom().getKey()) {
                        if (key.stream().noneMatch(tk -> isColumn(e.getColumns().get(tk), k))) {
                            errors.add(at + ".reverse: from.key column '" + k + "' must be mapped as a plain column to a "
                                    + "to.key column (e.g. user_id: " + k + ") so new rows find their old row");
                        }
                    }
                }
            }
        }
        return errors;
    }

    public static List<CompiledSync> compile(List<SyncSpec> entries) {
        List<CompiledSync> out = new ArrayList<>();
        if (entries == null) {
            return out;
        }
        Map<String, Integer> lastInPlace = new LinkedHashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            if (sameTable(entries.get(i))) {
                lastInPlace.put(norm(entries.get(i).getFrom().getTable()), i);
            }
        }
        for (int i = 0; i < entries.size(); i++) {
            SyncSpec e = entries.get(i);
            boolean inPlace = sameTable(e);
            boolean before = inPlace || i < lastInPlace.getOrDefault(norm(e.getFrom().getTable()), -1);
            Map<String, String> columns = new TreeMap<>(e.getColumns());
            Map<String, String> reverse = e.getReverse() == null ? new TreeMap<>() : new TreeMap<>(e.getReverse());
            boolean keep = e.getOnDelete() == SyncSpec.OnDelete.Keep;
            String digest = digest(i, e, columns, reverse, keep, before);
            String base = String.format("%02d_%s_%s", i + 1, e.getName().replace('-', '_'), digest);
            out.add(new CompiledSync(i, e.getName(), e.getFrom().getTable(), List.copyOf(e.getFrom().getKey()),
                    emptyToNull(e.getFrom().getWhere()), e.getTo().getTable(),
                    inPlace ? List.of() : List.copyOf(e.getTo().getKey()), emptyToNull(e.getTo().getWhere()),
                    columns, reverse, keep, inPlace, before, "tandem_s" + base,
                    reverse.isEmpty() ? null : "tandem_r" + base));
        }
        return out;
    }

    /** Expand: checks that the keys are unique, then the trigger functions and triggers. */
    public static List<String> installStatements(List<CompiledSync> entries) {
        List<String> sql = new ArrayList<>();
        for (CompiledSync s : entries) {
            sql.add(uniqueKeyCheck(s, s.sourceTable(), s.sourceKey(), "from.key"));
            if (!s.inPlace()) {
                sql.add(uniqueKeyCheck(s, s.targetTable(), s.targetKey(), "to.key"));
            }
        }
        for (CompiledSync s : entries) {
            sql.add(s.inPlace() ? inPlaceFunction(s) : forwardFunction(s));
            sql.add("CREATE TRIGGER " + Ident.quote(s.functionName()) + " " + (s.before() ? "BEFORE" : "AFTER")
                    + (s.inPlace() ? " INSERT OR UPDATE" : " INSERT OR UPDATE OR DELETE") + " ON " + s.source()
                    + " FOR EACH ROW EXECUTE FUNCTION " + s.qualifiedFunction() + "()");
            if (s.reverseName() != null) {
                sql.add(reverseFunction(s));
                sql.add("CREATE TRIGGER " + Ident.quote(s.reverseName()) + " AFTER INSERT OR UPDATE ON " + s.target()
                        + " FOR EACH ROW EXECUTE FUNCTION " + s.qualifiedReverseFunction() + "()");
            }
        }
        return sql;
    }

    /** Cutover and rollback: remove every trigger and function sync installed. */
    public static List<String> dropStatements(List<CompiledSync> entries) {
        List<String> sql = new ArrayList<>();
        for (CompiledSync s : entries) {
            sql.add("DROP TRIGGER IF EXISTS " + Ident.quote(s.functionName()) + " ON " + s.source());
            sql.add("DROP FUNCTION IF EXISTS " + s.qualifiedFunction() + "()");
            if (s.reverseName() != null) {
                sql.add("DROP TRIGGER IF EXISTS " + Ident.quote(s.reverseName()) + " ON " + s.target());
                sql.add("DROP FUNCTION IF EXISTS " + s.qualifiedReverseFunction() + "()");
            }
        }
        return sql;
    }

    private static String forwardFunction(CompiledSync s) {
        String a = s.alias();
        String target = s.target();
        List<String> cols = s.targetColumns();
        String insertCols = CompiledSync.cols(cols);
        List<String> nonKey = cols.stream().filter(c -> !s.targetKey().contains(c)).toList();
        String onConflict = nonKey.isEmpty() ? "DO NOTHING" : "DO UPDATE SET "
                + nonKey.stream().map(c -> Ident.quote(c) + " = EXCLUDED." + Ident.quote(c)).collect(Collectors.joining(", "));
        StringBuilder b = new StringBuilder();
        b.append("CREATE FUNCTION ").append(s.qualifiedFunction()).append("() RETURNS trigger LANGUAGE plpgsql AS $tandem$\n")
                .append("-- sync entry '").append(s.name()).append("': ").append(s.sourceTable()).append(" -> ")
                .append(s.targetTable()).append(" (generated by Tandem)\n")
                .append("DECLARE\n  old_in boolean := false;\n  new_in boolean := false;\nBEGIN\n");
        if (s.reverseName() != null) {
            b.append("  IF current_setting('").append(SKIP_SETTING).append("', true) = ").append(literal(s.name()))
                    .append(" THEN\n    IF TG_OP = 'DELETE' THEN\n      RETURN OLD;\n    END IF;\n    RETURN NEW;\n  END IF;\n");
        }
        if (s.where() == null) {
            b.append("  old_in := TG_OP <> 'INSERT';\n  new_in := TG_OP <> 'DELETE';\n");
        } else {
            // One query for both rows on update: each query a trigger runs costs more than its condition.
            b.append("  IF TG_OP = 'UPDATE' THEN\n    SELECT ").append(rowCondition(s, "OLD")).append(", ")
                    .append(rowCondition(s, "NEW")).append(" INTO old_in, new_in;\n")
                    .append("  ELSIF TG_OP = 'INSERT' THEN\n    new_in := ").append(rowCondition(s, "NEW")).append(";\n")
                    .append("  ELSE\n    old_in := ").append(rowCondition(s, "OLD")).append(";\n  END IF;\n");
        }
        if (s.reverseName() != null) {
            b.append("  PERFORM set_config('").append(SKIP_SETTING).append("', ").append(literal(s.name())).append(", true);\n");
        }
        String keyExprs = s.targetKey().stream().map(k -> "(" + s.columns().get(k) + ") AS " + Ident.quote(k))
                .collect(Collectors.joining(", "));
        String keyJoin = s.targetKey().stream().map(k -> "t." + Ident.quote(k) + " = o." + Ident.quote(k))
                .collect(Collectors.joining(" AND "));
        String removal = "    DELETE FROM " + target + " AS t USING (SELECT " + keyExprs + " FROM (SELECT OLD.*) AS " + a
                + ") AS o WHERE " + keyJoin + ";\n";
        if (s.keep()) {
            b.append("  -- onDelete: Keep: a new row stays when its old row goes\n");
        } else {
            b.append("  IF old_in AND (NOT new_in OR ").append(keyChanged(s)).append(") THEN\n").append(removal)
                    .append("  END IF;\n");
        }
        b.append("  IF new_in THEN\n    INSERT INTO ").append(target).append(" AS t (").append(insertCols).append(") SELECT ")
                .append(s.expressionList()).append(" FROM (SELECT NEW.*) AS ").append(a).append("\n    ON CONFLICT (")
                .append(CompiledSync.cols(s.targetKey())).append(") ").append(onConflict).append(";\n  END IF;\n");
        if (s.reverseName() != null) {
            b.append("  PERFORM set_config('").append(SKIP_SETTING).append("', '', true);\n");
        }
        b.append("  IF TG_OP = 'DELETE' THEN\n    RETURN OLD;\n  END IF;\n  RETURN NEW;\nEND\n$tandem$");
        return b.toString();
    }

    private static String inPlaceFunction(CompiledSync s) {
        String targets = s.targetColumns().stream().map(c -> "NEW." + Ident.quote(c)).collect(Collectors.joining(", "));
        StringBuilder b = new StringBuilder();
        b.append("CREATE FUNCTION ").append(s.qualifiedFunction()).append("() RETURNS trigger LANGUAGE plpgsql AS $tandem$\n")
                .append("-- sync entry '").append(s.name()).append("': derived columns of ").append(s.sourceTable())
                .append(" (generated by Tandem)\nBEGIN\n  IF ").append(rowCondition(s, "NEW")).append(" THEN\n    SELECT ")
                .append(s.expressionList()).append(" INTO ").append(targets).append(" FROM (SELECT NEW.*) AS ")
                .append(s.alias()).append(";\n");
        if (!s.keep()) {
            b.append("  ELSE\n");
            for (String c : s.targetColumns()) {
                b.append("    NEW.").append(Ident.quote(c)).append(" := NULL;\n");
            }
        }
        b.append("  END IF;\n  RETURN NEW;\nEND\n$tandem$");
        return b.toString();
    }

    private static String reverseFunction(CompiledSync s) {
        String ta = s.targetAlias();
        List<String> set = new ArrayList<>();
        List<String> select = new ArrayList<>();
        int i = 0;
        for (Map.Entry<String, String> r : s.reverse().entrySet()) {
            select.add("(" + r.getValue() + ") AS " + Ident.quote("tandem_v" + i));
            set.add(Ident.quote(r.getKey()) + " = r." + Ident.quote("tandem_v" + i));
            i++;
        }
        List<String> join = new ArrayList<>();
        for (String k : s.sourceKey()) {
            String tk = s.targetKey().stream().filter(t -> isColumn(s.columns().get(t), k)).findFirst().orElseThrow();
            select.add(Ident.quote(tk) + " AS " + Ident.quote("tandem_k_" + k));
            join.add("o." + Ident.quote(k) + " = r." + Ident.quote("tandem_k_" + k));
        }
        StringBuilder b = new StringBuilder();
        b.append("CREATE FUNCTION ").append(s.qualifiedReverseFunction())
                .append("() RETURNS trigger LANGUAGE plpgsql AS $tandem$\n-- sync entry '").append(s.name())
                .append("', reverse: ").append(s.targetTable()).append(" -> ").append(s.sourceTable())
                .append(" (generated by Tandem)\nBEGIN\n  IF current_setting('").append(SKIP_SETTING).append("', true) = ")
                .append(literal(s.name())).append(" THEN\n    RETURN NULL;\n  END IF;\n");
        if (s.targetWhere() != null) {
            b.append("  IF NOT (SELECT COALESCE((").append(s.targetWhere()).append("), false) FROM (SELECT NEW.*) AS ")
                    .append(ta).append(") THEN\n    RETURN NULL;\n  END IF;\n");
        }
        b.append("  PERFORM set_config('").append(SKIP_SETTING).append("', ").append(literal(s.name())).append(", true);\n")
                .append("  UPDATE ").append(s.source()).append(" AS o SET ").append(String.join(", ", set))
                .append(" FROM (SELECT ").append(String.join(", ", select)).append(" FROM (SELECT NEW.*) AS ").append(ta)
                .append(") AS r WHERE ").append(String.join(" AND ", join)).append(";\n")
                .append("  PERFORM set_config('").append(SKIP_SETTING).append("', '', true);\n  RETURN NULL;\nEND\n$tandem$");
        return b.toString();
    }

    /** from.where over OLD or NEW, as a plpgsql boolean expression. */
    private static String rowCondition(CompiledSync s, String row) {
        if (s.where() == null) {
            return "true";
        }
        return "(SELECT " + s.whereOrTrue() + " FROM (SELECT " + row + ".*) AS " + s.alias() + ")";
    }

    /** Whether the new-row key computed from OLD differs from the one computed from NEW. */
    private static String keyChanged(CompiledSync s) {
        List<String> exprs = s.targetKey().stream().map(k -> s.columns().get(k)).toList();
        if (exprs.stream().allMatch(e -> COLUMN_REF.matcher(e.strip()).matches())) {
            String o = exprs.stream().map(e -> "OLD." + columnRef(e)).collect(Collectors.joining(", "));
            String n = exprs.stream().map(e -> "NEW." + columnRef(e)).collect(Collectors.joining(", "));
            return "ROW(" + o + ") IS DISTINCT FROM ROW(" + n + ")";
        }
        String list = exprs.stream().map(e -> "(" + e + ")").collect(Collectors.joining(", "));
        return "(SELECT ROW(" + list + ") FROM (SELECT OLD.*) AS " + s.alias() + ") IS DISTINCT FROM (SELECT ROW("
                + list + ") FROM (SELECT NEW.*) AS " + s.alias() + ")";
    }

    private static String columnRef(String expr) {
        String e = expr.strip();
        return e.startsWith("\"") ? e : Ident.quote(e);
    }

    private static boolean isColumn(String expr, String column) {
        return CompiledSync.isPlainColumn(expr, column);
    }

    private static String uniqueKeyCheck(CompiledSync s, String table, List<String> key, String field) {
        String sorted = key.stream().sorted().map(SyncCompiler::literal).collect(Collectors.joining(", "));
        String qualified = literal(Ident.qualified(table));
        return "DO $tandem$\nBEGIN\n  IF to_regclass(" + qualified + ") IS NULL THEN\n    RAISE EXCEPTION 'sync entry "
                + escape(s.name()) + ": table " + escape(table) + " does not exist';\n  END IF;\n"
                + "  IF NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = to_regclass(" + qualified + ")\n"
                + "      AND i.indisunique AND i.indpred IS NULL AND i.indnkeyatts = " + key.size() + "\n"
                + "      AND (SELECT array_agg(a.attname::text ORDER BY a.attname::text) FROM pg_attribute a\n"
                + "           WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)) = ARRAY[" + sorted + "]::text[]) THEN\n"
                + "    RAISE EXCEPTION 'sync entry " + escape(s.name()) + ": " + field + " (" + escape(String.join(", ", key))
                + ") of " + escape(table) + " is not a unique key; add a primary key or unique index on exactly these columns';\n"
                + "  END IF;\nEND\n$tandem$";
    }

    private static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    /** For text inside a RAISE format string literal: quotes doubled, % escaped. */
    private static String escape(String value) {
        return value.replace("'", "''").replace("%", "%%");
    }

    private static boolean sameTable(SyncSpec e) {
        return e.getFrom() != null && e.getTo() != null && e.getFrom().getTable() != null
                && Objects.equals(norm(e.getFrom().getTable()), norm(e.getTo().getTable()));
    }

    private static String norm(String table) {
        try {
            return Ident.qualified(table);
        } catch (IllegalArgumentException ex) {
            return table;
        }
    }

    private static String digest(int index, SyncSpec e, Map<String, String> columns, Map<String, String> reverse,
                                 boolean keep, boolean before) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            String text = index + "\n" + e.getName() + "\n" + e.getFrom().getTable() + "\n" + e.getFrom().getKey() + "\n"
                    + e.getFrom().getWhere() + "\n" + e.getTo().getTable() + "\n" + e.getTo().getKey() + "\n"
                    + e.getTo().getWhere() + "\n" + columns + "\n" + reverse + "\n" + keep + "\n" + before;
            return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8))).substring(0, 8);
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static String emptyToNull(String s) {
        return blank(s) ? null : s;
    }
}
