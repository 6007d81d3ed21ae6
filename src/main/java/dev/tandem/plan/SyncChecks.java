package dev.tandem.plan;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What expand proves about each sync entry inside its own transaction, after the user's expand SQL
 * and before any trigger exists: that every table, key and column the entry names is there with a
 * usable type, that each statement the triggers will run plans against the catalog (EXPLAIN:
 * parsed, resolved and type-checked, not executed), and that every expression evaluates on a sample
 * of the existing rows. Two helper functions (session-local, in pg_temp, gone with the connection)
 * do the checking; one DO block per entry lists its checks, collects every problem prefixed with its
 * spec field, and raises them together (SQLSTATE {@value #SQLSTATE}), so the expand transaction rolls
 * back and nothing is installed.
 *
 * <p>The full check of existing rows runs before expand, read-only and in batches
 * ({@link PreflightSql}); the sample here covers expressions that need objects expand creates.
 */
public final class SyncChecks {
    /** SQLSTATE raised when an entry does not fit the database. */
    public static final String SQLSTATE = "TD001";
    /** Rows of the source evaluated inside the expand transaction. */
    static final int SAMPLE_ROWS = 1000;

    private SyncChecks() {
    }

    /** The helpers the proofs call: created once, before the first proof. */
    public static List<String> helpers() {
        String columns = "coalesce((SELECT string_agg(a.attname::text, ', ' ORDER BY a.attnum) FROM pg_attribute a "
                + "WHERE a.attrelid = to_regclass(tbl) AND a.attnum > 0 AND NOT a.attisdropped), 'none')";
        String key = "CREATE OR REPLACE FUNCTION pg_temp.tandem_key_problems(field text, tbl text, name text, key text[]) "
                + "RETURNS text[] LANGUAGE plpgsql AS $tandem$\n"
                + "-- a table that exists, and a key of NOT NULL columns with a unique index on exactly them\n"
                + "DECLARE\n  problems text[] := '{}';\n  col text;\n  col_not_null boolean;\nBEGIN\n"
                + "  IF to_regclass(tbl) IS NULL THEN\n"
                + "    RETURN ARRAY[field || '.table: table ' || name || ' does not exist; ' || CASE WHEN field LIKE '%.to' "
                + "THEN 'create it in spec.expand.sql or correct the name' ELSE 'correct the name (tables are taken as "
                + "written, case included)' END];\n  END IF;\n"
                + "  FOREACH col IN ARRAY key LOOP\n"
                + "    SELECT a.attnotnull INTO col_not_null FROM pg_attribute a WHERE a.attrelid = to_regclass(tbl) "
                + "AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;\n"
                + "    IF NOT FOUND THEN\n"
                + "      problems := problems || (field || '.key: column ' || col || ' does not exist in ' || name "
                + "|| '; its columns are ' || " + columns + ");\n"
                + "    ELSIF NOT col_not_null THEN\n"
                + "      problems := problems || (field || '.key: column ' || col || ' of ' || name || ' is nullable, "
                + "and a row with a NULL key cannot be synced; make it NOT NULL or use the primary key');\n"
                + "    END IF;\n  END LOOP;\n"
                + "  IF NOT EXISTS (SELECT 1 FROM unnest(problems) p WHERE p LIKE '%does not exist%')\n"
                + "      AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = to_regclass(tbl) AND i.indisunique\n"
                + "        AND i.indisvalid AND i.indpred IS NULL AND i.indnkeyatts = cardinality(key)\n"
                + "        AND (SELECT array_agg(a.attname::text ORDER BY a.attname::text) FROM pg_attribute a\n"
                + "             WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey))\n"
                + "            = (SELECT array_agg(k ORDER BY k) FROM unnest(key) k)) THEN\n"
                + "    problems := problems || (field || '.key: (' || array_to_string(key, ', ') || ') of ' || name "
                + "|| ' is not a unique key; add a primary key or a unique index on exactly these columns');\n"
                + "  END IF;\n  RETURN problems;\nEND\n$tandem$";
        String probe = "CREATE OR REPLACE FUNCTION pg_temp.tandem_probe(field text, statement text, tbl text, name text, on_rows boolean) "
                + "RETURNS text[] LANGUAGE plpgsql AS $tandem$\n"
                + "-- runs one statement (EXPLAIN: planned, not executed; or a count over sample rows); its error, if any\n"
                + "BEGIN\n  EXECUTE statement;\n  RETURN '{}';\nEXCEPTION WHEN OTHERS THEN\n"
                + "  RETURN ARRAY[field || ': ' || CASE WHEN on_rows THEN 'fails on existing rows: ' ELSE '' END || SQLERRM "
                + "|| CASE\n"
                + "    WHEN on_rows THEN '; fix those rows or the expression (e.g. guard it with CASE WHEN ... THEN ... END)'\n"
                + "    WHEN SQLSTATE = '42703' THEN ' (the columns of ' || name || ' are: ' || " + columns + " || ')'\n"
                + "    WHEN SQLSTATE = '42804' THEN '; cast the expression to the column''s type, e.g. (expression)::integer'\n"
                + "    WHEN SQLSTATE = '42P01' THEN '; create the table in spec.expand.sql or correct the name'\n"
                + "    WHEN SQLSTATE = '42883' THEN '; check the function''s name and the types of its arguments'\n"
                + "    ELSE '' END];\nEND\n$tandem$";
        return List.of(key, probe);
    }

    /** Removes the helpers once every entry is proven. */
    public static String dropHelpers() {
        return "DROP FUNCTION pg_temp.tandem_key_problems(text, text, text, text[]), "
                + "pg_temp.tandem_probe(text, text, text, text, boolean)";
    }

    /** The DO block proving one entry. */
    public static String proof(CompiledSync s) {
        List<String> plans = plans(s);
        List<String> samples = samples(s);
        StringBuilder b = new StringBuilder("-- sync entry '").append(s.name())
                .append("': proven against the catalog before its triggers are created\n")
                .append("DECLARE\n  problems text[] := '{}';\n  replication_role text;\nBEGIN\n")
                .append("  -- tables and keys\n")
                .append(keys(s.field() + ".from", s.sourceTable(), s.sourceKey()));
        if (!s.inPlace()) {
            b.append(keys(s.field() + ".to", s.targetTable(), s.targetKey()));
        }
        for (CompiledSync.Lookup l : s.lookups()) {
            b.append("  IF to_regclass(").append(lit(l.qualified())).append(") IS NULL THEN\n    problems := problems || ")
                    .append(lit(s.field(l) + ".table: table " + l.table() + " does not exist; correct the name (tables "
                            + "are taken as written, case included)")).append("::text;\n  END IF;\n");
        }
        b.append("  IF cardinality(problems) = 0 THEN\n    -- every statement the triggers run, planned against the catalog\n");
        plans.forEach(p -> b.append("    problems := problems || ").append(p).append(";\n"));
        if (!s.inPlace() && s.before()) {
            b.append("    IF EXISTS (SELECT 1 FROM pg_constraint WHERE contype = 'f' AND conrelid = to_regclass(")
                    .append(lit(s.target())).append(") AND confrelid = to_regclass(").append(lit(s.source())).append(")) THEN\n")
                    .append("      problems := problems || ").append(lit(s.field() + ": this entry must fire "
                            + "before the row change (an in-place entry of " + s.sourceTable() + " reads "
                            + s.targetTable() + "), but " + s.targetTable() + " references " + s.sourceTable()
                            + " by a foreign key, so its row cannot be written before the row it references; "
                            + "split the entry or drop the foreign key until cutover")).append("::text;\n    END IF;\n");
        }
        if (s.skipAppTriggers()) {
            b.append("    BEGIN\n      replication_role := current_setting('session_replication_role');\n")
                    .append("      PERFORM set_config('session_replication_role', 'replica', true);\n")
                    .append("      PERFORM set_config('session_replication_role', replication_role, true);\n")
                    .append("    EXCEPTION WHEN insufficient_privilege THEN\n      problems := problems || ")
                    .append(lit(s.field() + ".appTriggers: Skip needs a superuser or GRANT SET ON PARAMETER "
                            + "session_replication_role TO the migration's role (PostgreSQL 15 or later); grant it, or "
                            + "use Fire (the backfill's updates then fire the table's triggers)")).append("::text;\n    END;\n");
        }
        b.append("  END IF;\n  IF cardinality(problems) = 0 THEN\n    -- every expression over a sample of the existing rows\n");
        samples.forEach(p -> b.append("    problems := problems || ").append(p).append(";\n"));
        b.append("  END IF;\n  IF cardinality(problems) > 0 THEN\n    RAISE EXCEPTION USING ERRCODE = '").append(SQLSTATE)
                .append("',\n      MESSAGE = ").append(lit("sync entry " + s.name() + " does not fit the database: "))
                .append(" || array_to_string(problems, '; ');\n  END IF;\nEND\n");
        return doBlock(b.toString());
    }

    /** Every statement the triggers run, to be planned against the catalog. */
    private static List<String> plans(CompiledSync s) {
        String a = s.alias();
        String ta = s.targetAlias();
        List<String> plans = new ArrayList<>();
        for (CompiledSync.Lookup l : s.lookups()) {
            plans.add(probe(s.field(l) + ".on", "EXPLAIN SELECT 1 FROM " + s.source() + " AS " + a + ", " + l.qualified()
                    + " AS " + l.alias() + " WHERE " + SqlFragment.parenthesized(l.on()), l.table(), false));
        }
        if (s.where() != null) {
            plans.add(probe(s.field() + ".from.where", "EXPLAIN SELECT 1 FROM " + s.source() + " AS " + a + " WHERE "
                    + SqlFragment.parenthesized(s.where()), s.sourceTable(), false));
        }
        for (String col : s.targetColumns()) {
            String sql = s.inPlace()
                    ? "EXPLAIN UPDATE " + s.source() + " AS " + a + " SET " + Ident.quote(col) + " = " + s.expression(col)
                    : "EXPLAIN INSERT INTO " + s.target() + " (" + Ident.quote(col) + ") SELECT " + s.expression(col)
                    + " FROM " + s.source() + " AS " + a;
            plans.add(probe(s.field() + ".columns." + col, sql, s.inPlace() ? s.sourceTable() : s.targetTable(), false));
        }
        if (!s.inPlace()) {
            if (s.targetWhere() != null) {
                plans.add(probe(s.field() + ".to.where", "EXPLAIN SELECT 1 FROM " + s.target() + " AS " + ta + " WHERE "
                        + SqlFragment.parenthesized(s.targetWhere()), s.targetTable(), false));
            }
            String conflict = s.nonKeyColumns().isEmpty() ? "DO NOTHING" : "DO UPDATE SET " + s.nonKeyColumns().stream()
                    .map(c -> Ident.quote(c) + " = EXCLUDED." + Ident.quote(c)).collect(Collectors.joining(", "));
            plans.add(probe(s.field() + ".to.key", "EXPLAIN INSERT INTO " + s.target() + " AS " + ta + " ("
                    + CompiledSync.cols(s.targetColumns()) + ") SELECT " + s.expressionList() + " FROM " + s.source()
                    + " AS " + a + " ON CONFLICT (" + CompiledSync.cols(s.targetKey()) + ") " + conflict, s.targetTable(), false));
            for (var r : s.reverse().entrySet()) {
                String v = Ident.quote("tandem:v");
                String rv = Ident.quote("tandem:r");
                plans.add(probe(s.field() + ".reverse." + r.getKey(), "EXPLAIN UPDATE " + s.source() + " AS " + a + " SET "
                        + Ident.quote(r.getKey()) + " = " + rv + "." + v + " FROM (SELECT "
                        + SqlFragment.parenthesized(r.getValue()) + " AS " + v + " FROM " + s.target() + " AS " + ta + ") AS "
                        + rv, s.sourceTable(), false));
            }
        }
        return plans;
    }

    /** Every expression over a sample of the existing rows. */
    private static List<String> samples(CompiledSync s) {
        String a = s.alias();
        List<String> samples = new ArrayList<>();
        String sample = "(SELECT * FROM " + s.source() + " LIMIT " + SAMPLE_ROWS + ") AS " + a;
        if (s.where() != null) {
            samples.add(probe(s.field() + ".from.where", "SELECT count(*) FROM " + sample + " WHERE " + s.whereOrTrue(),
                    s.sourceTable(), true));
        }
        for (String col : s.targetColumns()) {
            samples.add(probe(s.field() + ".columns." + col, "SELECT count(" + s.expression(col) + ") FROM " + sample
                    + " WHERE " + s.whereOrTrue(), s.sourceTable(), true));
        }

        return samples;
    }

    private static String keys(String field, String table, List<String> key) {
        return "  problems := problems || pg_temp.tandem_key_problems(" + lit(field) + ", " + lit(Ident.qualified(table))
                + ", " + lit(table) + ", ARRAY[" + key.stream().map(SyncChecks::lit).collect(Collectors.joining(", "))
                + "]::text[]);\n";
    }

    private static String probe(String field, String sql, String table, boolean rows) {
        return "pg_temp.tandem_probe(" + lit(field) + ",\n        " + lit(sql) + ",\n        " + lit(Ident.qualified(table))
                + ", " + lit(table) + ", " + rows + ")";
    }

    private static String doBlock(String body) {
        String tag = "$tandem$";
        for (int i = 1; body.contains(tag); i++) {
            tag = "$tandem" + i + "$";
        }
        return "DO " + tag + "\n" + body + tag;
    }

    static String lit(String value) {
        return TriggerSql.literal(value);
    }
}
