package dev.tandem.engine;

import dev.tandem.plan.Ident;
import dev.tandem.plan.Step;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The tracking schema: one row per migration, one per committed step and one per committed unit.
 * Rows are written in the same transaction as the statements they record.
 */
final class Ledger {
    /** Advisory lock class for Tandem (first key of the two-key form). */
    static final int LOCK_CLASS = 0x54414e44; // "TAND"
    private static final int BOOTSTRAP_KEY = 0;

    private final String schema;

    Ledger(String schema) {
        this.schema = schema;
    }

    private String t(String table) {
        return Ident.quote(schema) + "." + Ident.quote(table);
    }

    /** The table created last by {@link #bootstrap}: when it exists, the tracking schema is complete. */
    private static final String LAST_TABLE = "verify_chunks";

    /** Creates the tracking schema if missing (or completes one an older version made); safe to run concurrently. */
    void bootstrap(Connection c) throws SQLException {
        if (exists(c, LAST_TABLE)) {
            return; // nothing to do: no DDL, no lock
        }
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("SELECT pg_advisory_xact_lock(" + LOCK_CLASS + ", " + BOOTSTRAP_KEY + ")");
            s.execute("CREATE SCHEMA IF NOT EXISTS " + Ident.quote(schema));
            s.execute("CREATE TABLE IF NOT EXISTS " + t("migrations") + " ("
                    + "migration text PRIMARY KEY, uid text, plan_hash text NOT NULL, phase text NOT NULL, "
                    + "created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), "
                    + "point_of_no_return_at timestamptz)");
            s.execute("CREATE TABLE IF NOT EXISTS " + t("steps") + " ("
                    + "migration text NOT NULL REFERENCES " + t("migrations") + " ON DELETE CASCADE, "
                    + "step text NOT NULL, plan_hash text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), "
                    + "runner text, PRIMARY KEY (migration, step))");
            s.execute("CREATE TABLE IF NOT EXISTS " + t("step_units") + " ("
                    + "migration text NOT NULL REFERENCES " + t("migrations") + " ON DELETE CASCADE, "
                    + "step text NOT NULL, unit int NOT NULL, statements int NOT NULL, duration_ms bigint, "
                    + "applied_at timestamptz NOT NULL DEFAULT now(), runner text, PRIMARY KEY (migration, step, unit))");
            // The transaction id of each step: the backfill tells rows written since expand by it.
            s.execute("ALTER TABLE " + t("steps") + " ADD COLUMN IF NOT EXISTS xid xid8 DEFAULT pg_current_xact_id()");
            s.execute("CREATE TABLE IF NOT EXISTS " + t("backfill_entries") + " ("
                    + "migration text NOT NULL, entry int NOT NULL, shards int NOT NULL, pages bigint NOT NULL, "
                    + "storage text NOT NULL, rows_estimate bigint NOT NULL DEFAULT 0, repaired_at timestamptz, repair_reason text, "
                    + "orphans_removed bigint NOT NULL DEFAULT 0, started_at timestamptz NOT NULL DEFAULT now(), "
                    + "PRIMARY KEY (migration, entry))");
            s.execute("CREATE TABLE IF NOT EXISTS " + t("backfill_shards") + " ("
                    + "migration text NOT NULL, entry int NOT NULL, shard int NOT NULL, first_page bigint NOT NULL, "
                    + "end_page bigint NOT NULL, next_page bigint NOT NULL, rows_written bigint NOT NULL DEFAULT 0, "
                    + "failed_rows bigint NOT NULL DEFAULT 0, batches bigint NOT NULL DEFAULT 0, batch_pages int, "
                    + "pages_per_second double precision, rows_per_second double precision, throttled_reason text, "
                    + "done boolean NOT NULL DEFAULT false, started_at timestamptz NOT NULL DEFAULT now(), "
                    + "updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (migration, entry, shard))");
            s.execute("CREATE TABLE IF NOT EXISTS " + t("backfill_batch_log") + " ("
                    + "migration text NOT NULL, entry int NOT NULL, shard int NOT NULL, batch bigint NOT NULL, "
                    + "first_page bigint NOT NULL, end_page bigint NOT NULL, written int NOT NULL, mode text NOT NULL, "
                    + "took_ms double precision, xid xid8 DEFAULT pg_current_xact_id(), "
                    + "committed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (migration, entry, shard, batch))");
            // Written by the sync triggers in the application's own transactions, so any role may insert.
            s.execute("CREATE TABLE IF NOT EXISTS " + t("sync_removals") + " ("
                    + "migration text NOT NULL, entry int NOT NULL, key text[] NOT NULL, "
                    + "logged_at timestamptz NOT NULL DEFAULT clock_timestamp())");
            s.execute("CREATE INDEX IF NOT EXISTS sync_removals_entry ON " + t("sync_removals") + " (migration, entry, key)");
            s.execute("CREATE TABLE IF NOT EXISTS " + t("sync_errors") + " ("
                    + "migration text NOT NULL, entry int NOT NULL, entry_name text NOT NULL, direction text NOT NULL, "
                    + "source_key text[], sqlstate text, message text, "
                    + "at timestamptz NOT NULL DEFAULT clock_timestamp())");
            s.execute("CREATE INDEX IF NOT EXISTS sync_errors_entry ON " + t("sync_errors") + " (migration, entry)");
            s.execute("GRANT USAGE ON SCHEMA " + Ident.quote(schema) + " TO PUBLIC");
            s.execute("GRANT INSERT ON " + t("sync_removals") + ", " + t("sync_errors") + " TO PUBLIC");
            s.execute("CREATE TABLE IF NOT EXISTS " + t("verify_passes") + " ("
                    + "migration text NOT NULL, pass int NOT NULL, retry_token text NOT NULL DEFAULT '', "
                    + "started_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), "
                    + "finished_at timestamptz, result text, rows_estimate bigint NOT NULL DEFAULT 0, "
                    + "recorded int NOT NULL DEFAULT 0, failed_checks text[], message text, runner text, "
                    + "PRIMARY KEY (migration, pass))");
            s.execute("CREATE TABLE IF NOT EXISTS " + t("verify_progress") + " ("
                    + "migration text NOT NULL, pass int NOT NULL, entry int NOT NULL, last_key text[], "
                    + "rows_walked bigint NOT NULL DEFAULT 0, rows_checked bigint NOT NULL DEFAULT 0, "
                    + "chunks bigint NOT NULL DEFAULT 0, missing bigint NOT NULL DEFAULT 0, extra bigint NOT NULL DEFAULT 0, "
                    + "different bigint NOT NULL DEFAULT 0, done boolean NOT NULL DEFAULT false, "
                    + "updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (migration, pass, entry))");
            s.execute("CREATE TABLE IF NOT EXISTS " + t("verify_mismatches") + " ("
                    + "migration text NOT NULL, pass int NOT NULL, entry int NOT NULL, entry_name text NOT NULL, "
                    + "kind text NOT NULL, key text NOT NULL, old_row text, new_row text, "
                    + "seq bigint GENERATED ALWAYS AS IDENTITY, found_at timestamptz NOT NULL DEFAULT now(), "
                    + "PRIMARY KEY (migration, pass, entry, kind, key))");
            // A pass's key-range chunks, cut once when its entry starts; a worker's share is a subset of them.
            s.execute("ALTER TABLE " + t("verify_progress") + " ADD COLUMN IF NOT EXISTS chunks_planned int");
            s.execute("CREATE TABLE IF NOT EXISTS " + t("verify_chunks") + " ("
                    + "migration text NOT NULL, pass int NOT NULL, entry int NOT NULL, chunk int NOT NULL, "
                    + "lower_key text[], upper_key text[], done boolean NOT NULL DEFAULT false, rows_walked bigint, "
                    + "done_at timestamptz, PRIMARY KEY (migration, pass, entry, chunk))");
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }

    String table(String name) {
        return t(name);
    }

    boolean exists(Connection c) throws SQLException {
        return exists(c, "step_units");
    }

    /** Whether a table of the tracking schema exists (a ledger made by an older version may lack one). */
    boolean exists(Connection c, String table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, t(table));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    LedgerState read(Connection c, String key) throws SQLException {
        if (!exists(c)) {
            return LedgerState.empty(key);
        }
        String planHash;
        String uid;
        Instant pnr;
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT plan_hash, uid, point_of_no_return_at FROM " + t("migrations") + " WHERE migration = ?")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return LedgerState.empty(key);
                }
                planHash = rs.getString(1);
                uid = rs.getString(2);
                Timestamp ts = rs.getTimestamp(3);
                pnr = ts == null ? null : ts.toInstant();
            }
        }
        Map<Step, Instant> steps = new EnumMap<>(Step.class);
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT step, applied_at FROM " + t("steps") + " WHERE migration = ?")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    steps.put(Step.ofKey(rs.getString(1)), rs.getTimestamp(2).toInstant());
                }
            }
        }
        Set<String> units = new HashSet<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT step, unit FROM " + t("step_units") + " WHERE migration = ?")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    units.add(rs.getString(1) + "#" + rs.getInt(2));
                }
            }
        }
        return new LedgerState(key, true, planHash, uid, Map.copyOf(steps), Set.copyOf(units), pnr);
    }

    /** Takes the migration's advisory lock for this transaction, waiting for it. */
    void lock(Connection c, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(?, hashtext(?))")) {
            ps.setInt(1, LOCK_CLASS);
            ps.setString(2, key);
            ps.execute();
        }
    }

    /**
     * Withdraws a committed Verify step (a later verification pass found a mismatch), unless the
     * migration has cut over. In the caller's transaction, under the migration's lock.
     *
     * @return whether the step was withdrawn
     */
    boolean revokeVerified(Connection c, String key) throws SQLException {
        lock(c, key);
        LedgerState state = read(c, key);
        if (!state.applied(Step.VERIFY) || state.applied(Step.CUTOVER) || state.applied(Step.ROLLBACK)) {
            return false;
        }
        for (String table : new String[]{"steps", "step_units"}) {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + t(table) + " WHERE migration = ? AND step = ?")) {
                ps.setString(1, key);
                ps.setString(2, Step.VERIFY.key());
                ps.executeUpdate();
            }
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + t("migrations")
                + " SET phase = 'Backfilled', updated_at = now() WHERE migration = ?")) {
            ps.setString(1, key);
            ps.executeUpdate();
        }
        return true;
    }

    /** Takes the migration's advisory lock for this transaction; false when another runner holds it. */
    boolean tryLock(Connection c, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_xact_lock(?, hashtext(?))")) {
            ps.setInt(1, LOCK_CLASS);
            ps.setString(2, key);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** Session-level form, for statements that run outside a transaction. */
    boolean trySessionLock(Connection c, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(?, hashtext(?))")) {
            ps.setInt(1, LOCK_CLASS);
            ps.setString(2, key);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    void sessionUnlock(Connection c, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_unlock(?, hashtext(?))")) {
            ps.setInt(1, LOCK_CLASS);
            ps.setString(2, key);
            ps.execute();
        }
    }

    /** Inserts the migration row if missing and locks it; returns the plan hash recorded. */
    String ensureMigration(Connection c, String key, String uid, String planHash) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + t("migrations")
                + " (migration, uid, plan_hash, phase) VALUES (?, ?, ?, 'Pending') ON CONFLICT (migration) DO NOTHING")) {
            ps.setString(1, key);
            ps.setString(2, uid);
            ps.setString(3, planHash);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT plan_hash FROM " + t("migrations") + " WHERE migration = ? FOR UPDATE")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    void recordUnit(Connection c, String key, Step step, int unit, int statements, long durationMs, String runner)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + t("step_units")
                + " (migration, step, unit, statements, duration_ms, runner) VALUES (?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, key);
            ps.setString(2, step.key());
            ps.setInt(3, unit);
            ps.setInt(4, statements);
            ps.setLong(5, durationMs);
            ps.setString(6, runner);
            ps.executeUpdate();
        }
    }

    void recordStep(Connection c, String key, Step step, String planHash, String phase, String runner)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + t("steps")
                + " (migration, step, plan_hash, runner) VALUES (?, ?, ?, ?)")) {
            ps.setString(1, key);
            ps.setString(2, step.key());
            ps.setString(3, planHash);
            ps.setString(4, runner);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + t("migrations")
                + " SET phase = ?, updated_at = now()"
                + (step == Step.CUTOVER ? ", point_of_no_return_at = now()" : "")
                + " WHERE migration = ?")) {
            ps.setString(1, phase);
            ps.setString(2, key);
            ps.executeUpdate();
        }
    }
}
