package dev.tandem.plan;

import java.util.List;

/**
 * The tracking schema: its tables, named once, and their definition. The ledger (migrations, steps,
 * step units) records what ran; the backfill, the repair log, the error table and the verification
 * keep their progress there, so the database is the source of truth for every worker. Created by
 * the engine before the first step, idempotently; the engine's bookkeeping statements name the
 * tables through {@link #table}.
 */
public final class TrackingSql {
    public static final String MIGRATIONS = "migrations";
    public static final String STEPS = "steps";
    public static final String STEP_UNITS = "step_units";
    public static final String BACKFILL_ENTRIES = "backfill_entries";
    public static final String BACKFILL_SHARDS = "backfill_shards";
    public static final String BACKFILL_BATCH_LOG = "backfill_batch_log";
    /** Written by the sync triggers while a backfill runs: removals it may have raced. */
    public static final String SYNC_REMOVALS = "sync_removals";
    /** Written by the sync triggers and the backfill: rows whose expressions raised. */
    public static final String SYNC_ERRORS = "sync_errors";
    public static final String VERIFY_PASSES = "verify_passes";
    public static final String VERIFY_PROGRESS = "verify_progress";
    public static final String VERIFY_MISMATCHES = "verify_mismatches";
    /** A verification pass's key-range chunks, cut once when its entry starts. */
    public static final String VERIFY_CHUNKS = "verify_chunks";
    /** Written by the old-storage watch after cutover: writes that still reached the old storage. */
    public static final String OLD_STORAGE_WRITES = "old_storage_writes";
    /** Tables the bootstrap creates last: when they exist, the schema is complete. */
    public static final List<String> LAST_TABLES = List.of(SYNC_ERRORS, VERIFY_MISMATCHES, VERIFY_CHUNKS,
            OLD_STORAGE_WRITES);
    /** The ledger: what ran. Kept for good, also after contract. */
    public static final List<String> LEDGER_TABLES = List.of(MIGRATIONS, STEPS, STEP_UNITS);
    /** The work tables: progress of backfill and verification, sync errors, the watch; emptied by contract. */
    public static final List<String> WORK_TABLES = List.of(BACKFILL_ENTRIES, BACKFILL_SHARDS, BACKFILL_BATCH_LOG,
            SYNC_REMOVALS, SYNC_ERRORS, VERIFY_PASSES, VERIFY_PROGRESS, VERIFY_MISMATCHES, VERIFY_CHUNKS,
            OLD_STORAGE_WRITES);
    /** Every table of the tracking schema. */
    public static final List<String> TABLES = java.util.stream.Stream.concat(LEDGER_TABLES.stream(), WORK_TABLES.stream())
            .toList();
    /** Advisory lock (class, key) under which the tracking tables are created and dropped. */
    public static final int LOCK_CLASS = 0x54414e44; // "TAND"
    public static final int BOOTSTRAP_KEY = 0;

    /**
     * The tables and views of a schema (parameter 1) that are not Tandem's, up to five: those whose
     * name is not one of {@link #TABLES} (parameter 2), and a {@code migrations} table without
     * Tandem's columns. When there are any, the schema belongs to the application.
     */
    public static final String FOREIGN_RELATIONS = "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            + "WHERE n.nspname = ? AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND (c.relname <> ALL (?) "
            + "OR (c.relname = '" + MIGRATIONS + "' AND NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid "
            + "AND a.attname = 'plan_hash' AND NOT a.attisdropped))) ORDER BY c.relname LIMIT 5";

    private TrackingSql() {
    }

    /** A table of the tracking schema, quoted. */
    public static String table(String schema, String name) {
        return Ident.quote(schema) + "." + Ident.quote(name);
    }

    private static String t(String schema, String name) {
        return table(schema, name);
    }

    /** Creates what is missing; safe to run again (the engine runs it under an advisory lock). */
    public static List<String> bootstrap(String schema) {
        return List.of(
                "CREATE SCHEMA IF NOT EXISTS " + Ident.quote(schema),
                "CREATE TABLE IF NOT EXISTS " + t(schema, MIGRATIONS) + " ("
                    + "migration text PRIMARY KEY, uid text, plan_hash text NOT NULL, phase text NOT NULL, "
                    + "created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), "
                    + "point_of_no_return_at timestamptz)",
                "ALTER TABLE " + t(schema, MIGRATIONS) + " ADD COLUMN IF NOT EXISTS base_hash text",
                "CREATE TABLE IF NOT EXISTS " + t(schema, STEPS) + " ("
                    + "migration text NOT NULL REFERENCES " + t(schema, MIGRATIONS) + " ON DELETE CASCADE, "
                    + "step text NOT NULL, plan_hash text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), "
                    + "runner text, PRIMARY KEY (migration, step))",
                "CREATE TABLE IF NOT EXISTS " + t(schema, STEP_UNITS) + " ("
                    + "migration text NOT NULL REFERENCES " + t(schema, MIGRATIONS) + " ON DELETE CASCADE, "
                    + "step text NOT NULL, unit int NOT NULL, statements int NOT NULL, duration_ms bigint, "
                    + "applied_at timestamptz NOT NULL DEFAULT now(), runner text, PRIMARY KEY (migration, step, unit))",
                "ALTER TABLE " + t(schema, STEPS) + " ADD COLUMN IF NOT EXISTS xid xid8 DEFAULT pg_current_xact_id()",
                "CREATE TABLE IF NOT EXISTS " + t(schema, BACKFILL_ENTRIES) + " ("
                    + "migration text NOT NULL, entry int NOT NULL, shards int NOT NULL, pages bigint NOT NULL, "
                    + "storage text NOT NULL, rows_estimate bigint NOT NULL DEFAULT 0, repaired_at timestamptz, repair_reason text, "
                    + "orphans_removed bigint NOT NULL DEFAULT 0, started_at timestamptz NOT NULL DEFAULT now(), "
                    + "PRIMARY KEY (migration, entry))",
                "CREATE TABLE IF NOT EXISTS " + t(schema, BACKFILL_SHARDS) + " ("
                    + "migration text NOT NULL, entry int NOT NULL, shard int NOT NULL, first_page bigint NOT NULL, "
                    + "end_page bigint NOT NULL, next_page bigint NOT NULL, rows_written bigint NOT NULL DEFAULT 0, "
                    + "failed_rows bigint NOT NULL DEFAULT 0, batches bigint NOT NULL DEFAULT 0, batch_pages int, "
                    + "pages_per_second double precision, rows_per_second double precision, throttled_reason text, "
                    + "done boolean NOT NULL DEFAULT false, started_at timestamptz NOT NULL DEFAULT now(), "
                    + "updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (migration, entry, shard))",
                "CREATE TABLE IF NOT EXISTS " + t(schema, BACKFILL_BATCH_LOG) + " ("
                    + "migration text NOT NULL, entry int NOT NULL, shard int NOT NULL, batch bigint NOT NULL, "
                    + "first_page bigint NOT NULL, end_page bigint NOT NULL, written int NOT NULL, mode text NOT NULL, "
                    + "took_ms double precision, xid xid8 DEFAULT pg_current_xact_id(), "
                    + "committed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (migration, entry, shard, batch))",
                "CREATE TABLE IF NOT EXISTS " + t(schema, SYNC_REMOVALS) + " ("
                    + "migration text NOT NULL, entry int NOT NULL, key text[] NOT NULL, "
                    + "logged_at timestamptz NOT NULL DEFAULT clock_timestamp())",
                "CREATE INDEX IF NOT EXISTS sync_removals_entry ON " + t(schema, SYNC_REMOVALS) + " (migration, entry, key)",
                "CREATE TABLE IF NOT EXISTS " + t(schema, SYNC_ERRORS) + " ("
                    + "migration text NOT NULL, entry int NOT NULL, entry_name text NOT NULL, direction text NOT NULL, "
                    + "source_key text[], sqlstate text, message text, "
                    + "at timestamptz NOT NULL DEFAULT clock_timestamp())",
                "CREATE INDEX IF NOT EXISTS sync_errors_entry ON " + t(schema, SYNC_ERRORS) + " (migration, entry)",
                "GRANT USAGE ON SCHEMA " + Ident.quote(schema) + " TO PUBLIC",
                "GRANT INSERT ON " + t(schema, SYNC_REMOVALS) + ", " + t(schema, SYNC_ERRORS) + " TO PUBLIC",
                "CREATE TABLE IF NOT EXISTS " + t(schema, VERIFY_PASSES) + " ("
                    + "migration text NOT NULL, pass int NOT NULL, retry_token text NOT NULL DEFAULT '', "
                    + "started_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), "
                    + "finished_at timestamptz, result text, rows_estimate bigint NOT NULL DEFAULT 0, "
                    + "recorded int NOT NULL DEFAULT 0, failed_checks text[], message text, runner text, "
                    + "PRIMARY KEY (migration, pass))",
                "CREATE TABLE IF NOT EXISTS " + t(schema, VERIFY_PROGRESS) + " ("
                    + "migration text NOT NULL, pass int NOT NULL, entry int NOT NULL, last_key text[], "
                    + "rows_walked bigint NOT NULL DEFAULT 0, rows_checked bigint NOT NULL DEFAULT 0, "
                    + "chunks bigint NOT NULL DEFAULT 0, missing bigint NOT NULL DEFAULT 0, extra bigint NOT NULL DEFAULT 0, "
                    + "different bigint NOT NULL DEFAULT 0, done boolean NOT NULL DEFAULT false, "
                    + "updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (migration, pass, entry))",
                "CREATE TABLE IF NOT EXISTS " + t(schema, VERIFY_MISMATCHES) + " ("
                    + "migration text NOT NULL, pass int NOT NULL, entry int NOT NULL, entry_name text NOT NULL, "
                    + "kind text NOT NULL, key text NOT NULL, old_row text, new_row text, "
                    + "seq bigint GENERATED ALWAYS AS IDENTITY, found_at timestamptz NOT NULL DEFAULT now(), "
                    + "PRIMARY KEY (migration, pass, entry, kind, key))",
                // A pass's key-range chunks, cut once when its entry starts; a worker's share is a subset of them.
                "ALTER TABLE " + t(schema, VERIFY_PROGRESS) + " ADD COLUMN IF NOT EXISTS chunks_planned int",
                "CREATE TABLE IF NOT EXISTS " + t(schema, VERIFY_CHUNKS) + " ("
                    + "migration text NOT NULL, pass int NOT NULL, entry int NOT NULL, chunk int NOT NULL, "
                    + "lower_key text[], upper_key text[], done boolean NOT NULL DEFAULT false, rows_walked bigint, "
                    + "done_at timestamptz, PRIMARY KEY (migration, pass, entry, chunk))",
                "CREATE TABLE IF NOT EXISTS " + t(schema, OLD_STORAGE_WRITES) + " ("
                    + "migration text NOT NULL, tbl text NOT NULL, op text NOT NULL, app text, role text, "
                    + "at timestamptz NOT NULL DEFAULT clock_timestamp())",
                "CREATE INDEX IF NOT EXISTS old_storage_writes_at ON " + t(schema, OLD_STORAGE_WRITES) + " (migration, at)",
                "GRANT INSERT ON " + t(schema, OLD_STORAGE_WRITES) + " TO PUBLIC");
    }
}
