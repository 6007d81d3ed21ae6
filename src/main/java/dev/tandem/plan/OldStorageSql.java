package dev.tandem.plan;

import dev.tandem.api.v1alpha1.OldStorageMode;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The old-storage watch: after cutover, every write that still reaches the migrated data of the old
 * storage is recorded in the tracking schema (Watch) or refused (Reject).
 *
 * <p>Cutover remembers the source tables by OID before the user's SQL runs (that SQL may rename or
 * swap them), and after it installs row triggers on those that still exist, restricted to the
 * migrated columns that still exist: an UPDATE counts only when it changes one of them, an INSERT
 * only when it writes one of the non-key ones, a DELETE only when the whole table is old storage
 * (every column migrated, or contract drops the table: by its name before the cutover SQL, or by
 * the name the cutover SQL gave it, as in a swap that renames events to events_old). Contract
 * removes the triggers and the function first, then the tracking rows of the migration, and the
 * tracking tables themselves when no other migration still needs them: afterwards only the ledger
 * is left.
 */
public final class OldStorageSql {
    /** Transaction-local setting that carries the source tables' OIDs across the user's cutover SQL. */
    static final String SOURCES_SETTING = "tandem.old_storage_sources";
    private static final Pattern DROP_TABLE = Pattern.compile("^\\s*DROP\\s+TABLE\\s+(IF\\s+EXISTS\\s+)?(.+?)"
            + "(\\s+(CASCADE|RESTRICT))?\\s*;?\\s*$", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);

    private OldStorageSql() {
    }

    /** One source table: the columns the entries read, the key columns, whether it is old storage as a whole. */
    record Source(String table, Set<String> columns, Set<String> keys, boolean droppedByContract) {
    }

    /** The name every watch object of a migration starts with (triggers; the function adds nothing). */
    public static String prefix(String migration) {
        return "tandem_watch_" + digest(migration);
    }

    public static String function(String trackingSchema, String migration) {
        return Ident.quote(trackingSchema) + "." + Ident.quote(prefix(migration));
    }

    /** Before the user's SQL: remember the source tables by OID, with what the watch needs of each. */
    public static List<String> remember(List<CompiledSync> sync, List<String> contractStatements) {
        List<Source> sources = sources(sync, contractStatements);
        if (sources.isEmpty()) {
            return List.of();
        }
        String rows = sources.stream().map(s -> "(to_regclass(" + TriggerSql.literal(Ident.qualified(s.table()))
                + ")::oid, " + array(s.columns()) + ", " + array(s.keys()) + ", " + s.droppedByContract() + ")")
                .collect(Collectors.joining(", "));
        return List.of("SELECT set_config('" + SOURCES_SETTING + "', COALESCE(json_agg(json_build_object('rel', rel, "
                + "'cols', cols, 'keys', keys, 'whole', whole))::text, '[]'), true) FROM (VALUES " + rows
                + ") AS s(rel, cols, keys, whole) WHERE rel IS NOT NULL");
    }

    /**
     * After the user's SQL: the function the watch triggers call, and the triggers. A table that
     * contract drops under the name the cutover SQL gave it is old storage as a whole.
     */
    public static List<String> install(List<CompiledSync> sync, String migration, String trackingSchema,
                                       OldStorageMode mode, List<String> contractStatements) {
        if (sync.isEmpty()) {
            return List.of();
        }
        Set<String> dropped = droppedTables(contractStatements);
        String droppedNow = dropped.isEmpty() ? "" : "COALESCE(r.rel = ANY (ARRAY[" + dropped.stream()
                .map(t -> "to_regclass(" + TriggerSql.literal(t) + ")::oid").collect(Collectors.joining(", "))
                + "]), false) OR ";
        String fn = function(trackingSchema, migration);
        String body = mode == OldStorageMode.Reject
                ? "BEGIN\n  RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = format('%I.%I: this storage is retired: "
                + "migration %s cut over, write the new storage instead', TG_TABLE_SCHEMA, TG_TABLE_NAME, "
                + TriggerSql.literal(migration) + "),\n    HINT = 'the write was refused by Tandem''s "
                + "old-storage watch (cutover.oldStorage: Reject)';\nEND;\n"
                : "BEGIN\n  INSERT INTO " + TrackingSql.table(trackingSchema, TrackingSql.OLD_STORAGE_WRITES)
                + " (migration, tbl, op, app, role) VALUES (" + TriggerSql.literal(migration)
                + ", quote_ident(TG_TABLE_SCHEMA) || '.' || quote_ident(TG_TABLE_NAME), TG_OP, "
                + "current_setting('application_name'), session_user);\n  RETURN NULL;\nEND;\n";
        String timing = mode == OldStorageMode.Reject ? "BEFORE" : "AFTER";
        String tag = "$tandem_watch$";
        String function = "CREATE FUNCTION " + fn + "() RETURNS trigger LANGUAGE plpgsql AS " + tag + "\n-- "
                + "old-storage watch of " + migration.replace("\n", " ") + " (generated by Tandem)\n" + body + tag;
        String triggers = "DO $tandem_watch$\nDECLARE\n  r record;\n  present text[];\n  nonkey text[];\n  whole boolean;\n"
                + "  tbl text;\nBEGIN\n"
                + "  FOR r IN SELECT * FROM json_to_recordset(COALESCE(current_setting('" + SOURCES_SETTING
                + "', true), '[]')::json) AS x(rel oid, cols text[], keys text[], whole boolean) LOOP\n"
                + "    CONTINUE WHEN NOT EXISTS (SELECT FROM pg_class WHERE oid = r.rel);\n"
                + "    tbl := r.rel::regclass::text;\n"
                + "    SELECT array_agg(attname::text ORDER BY attnum) INTO present FROM pg_attribute\n"
                + "      WHERE attrelid = r.rel AND attnum > 0 AND NOT attisdropped AND attname = ANY (r.cols);\n"
                + "    CONTINUE WHEN present IS NULL;\n"
                + "    nonkey := ARRAY(SELECT unnest(present) EXCEPT SELECT unnest(r.keys));\n"
                + "    whole := r.whole OR " + droppedNow + "NOT EXISTS (SELECT FROM pg_attribute WHERE attrelid = r.rel AND attnum > 0\n"
                + "      AND NOT attisdropped AND attname <> ALL (r.cols));\n"
                + "    EXECUTE format('CREATE TRIGGER %I " + timing + " UPDATE OF %s ON %s FOR EACH ROW WHEN (ROW(%s) IS "
                + "DISTINCT FROM ROW(%s)) EXECUTE FUNCTION " + fn.replace("%", "%%") + "()', '" + prefix(migration)
                + "_u', (SELECT string_agg(quote_ident(c), ', ') FROM unnest(present) c), tbl,\n"
                + "      (SELECT string_agg('OLD.' || quote_ident(c), ', ') FROM unnest(present) c),\n"
                + "      (SELECT string_agg('NEW.' || quote_ident(c), ', ') FROM unnest(present) c));\n"
                + "    IF whole THEN\n"
                + "      EXECUTE format('CREATE TRIGGER %I " + timing + " INSERT OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION "
                + fn.replace("%", "%%") + "()', '" + prefix(migration) + "_id', tbl);\n"
                + "    ELSIF cardinality(nonkey) > 0 THEN\n"
                + "      EXECUTE format('CREATE TRIGGER %I " + timing + " INSERT ON %s FOR EACH ROW WHEN (%s) EXECUTE FUNCTION "
                + fn.replace("%", "%%") + "()', '" + prefix(migration) + "_i', tbl,\n"
                + "        (SELECT string_agg('NEW.' || quote_ident(c) || ' IS NOT NULL', ' OR ') FROM unnest(nonkey) c));\n"
                + "    END IF;\n"
                + "  END LOOP;\nEND\n$tandem_watch$";
        return List.of(function, triggers);
    }

    /**
     * Contract's first statements: the watch triggers and function go (whatever tables they are on
     * now), so contract's own SQL never trips them.
     */
    public static List<String> drop(String migration, String trackingSchema) {
        return List.of("DO $tandem_watch$\nDECLARE\n  r record;\nBEGIN\n"
                + "  FOR r IN SELECT t.tgname, t.tgrelid::regclass::text AS tbl FROM pg_trigger t WHERE NOT t.tgisinternal\n"
                + "      AND t.tgname LIKE '" + prefix(migration) + "\\_%' LOOP\n"
                + "    EXECUTE format('DROP TRIGGER %I ON %s', r.tgname, r.tbl);\n"
                + "  END LOOP;\nEND\n$tandem_watch$",
                "DROP FUNCTION IF EXISTS " + function(trackingSchema, migration) + "()");
    }

    /**
     * Contract's last statements: the migration's rows in the tracking tables that are not the
     * ledger, and those tables too when no other migration still needs them (under the lock the
     * bootstrap takes, so a migration starting meanwhile recreates them after).
     */
    public static List<String> cleanup(String migration, String trackingSchema) {
        StringBuilder b = new StringBuilder("DO $tandem_cleanup$\nBEGIN\n");
        b.append("  PERFORM pg_advisory_xact_lock(").append(TrackingSql.LOCK_CLASS).append(", ")
                .append(TrackingSql.BOOTSTRAP_KEY).append(");\n");
        for (String t : TrackingSql.WORK_TABLES) {
            b.append("  DELETE FROM ").append(TrackingSql.table(trackingSchema, t)).append(" WHERE migration = ")
                    .append(TriggerSql.literal(migration)).append(";\n");
        }
        b.append("  IF NOT EXISTS (SELECT FROM ").append(TrackingSql.table(trackingSchema, TrackingSql.MIGRATIONS))
                .append(" m WHERE m.migration <> ").append(TriggerSql.literal(migration))
                .append(" AND NOT EXISTS (SELECT FROM ").append(TrackingSql.table(trackingSchema, TrackingSql.STEPS))
                .append(" s WHERE s.migration = m.migration AND s.step IN ('contract', 'rollback'))) THEN\n");
        b.append("    DROP TABLE IF EXISTS ").append(TrackingSql.WORK_TABLES.stream()
                .map(t -> TrackingSql.table(trackingSchema, t)).collect(Collectors.joining(", "))).append(";\n");
        b.append("  END IF;\nEND\n$tandem_cleanup$");
        return List.of(b.toString());
    }

    static List<Source> sources(List<CompiledSync> sync, List<String> contractStatements) {
        Set<String> dropped = droppedTables(contractStatements);
        Map<String, Source> byTable = new LinkedHashMap<>();
        for (CompiledSync s : sync) {
            String table = Ident.qualified(s.sourceTable());
            Source src = byTable.computeIfAbsent(table, t -> new Source(s.sourceTable(), new LinkedHashSet<>(),
                    new LinkedHashSet<>(), dropped.contains(t)));
            src.keys().addAll(s.sourceKey());
            src.columns().addAll(s.sourceKey());
            for (String expr : s.columns().values()) {
                src.columns().addAll(SqlFragment.columnNames(expr, s.sourceTable()));
            }
            if (s.where() != null) {
                src.columns().addAll(SqlFragment.columnNames(s.where(), s.sourceTable()));
            }
        }
        return new ArrayList<>(byTable.values());
    }

    private static Set<String> droppedTables(List<String> statements) {
        Set<String> out = new LinkedHashSet<>();
        for (String st : statements) {
            Matcher m = DROP_TABLE.matcher(SqlScript.stripComments(st));
            if (m.matches()) {
                for (String name : m.group(2).split(",")) {
                    try {
                        out.add(Ident.qualified(name.strip().toLowerCase(Locale.ROOT).startsWith("\"") ? name.strip()
                                : name.strip().toLowerCase(Locale.ROOT)));
                    } catch (IllegalArgumentException e) {
                        // not a plain name: not recognised as a drop of a source table
                    }
                }
            }
        }
        return out;
    }

    private static String array(Set<String> names) {
        return "ARRAY[" + names.stream().map(TriggerSql::literal).collect(Collectors.joining(", ")) + "]::text[]";
    }

    private static String digest(String migration) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(migration.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
