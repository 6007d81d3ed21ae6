package dev.tandem.engine;

import dev.tandem.plan.Durations;
import dev.tandem.plan.TrackingSql;
import dev.tandem.api.v1alpha1.Step;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
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
    static final int LOCK_CLASS = TrackingSql.LOCK_CLASS;
    private static final int BOOTSTRAP_KEY = TrackingSql.BOOTSTRAP_KEY;

    private final String schema;

    Ledger(String schema) {
        this.schema = schema;
    }

    private String t(String table) {
        return TrackingSql.table(schema, table);
    }

    /** Creates the tracking schema if missing (or completes one an older version made); safe to run concurrently. */
    void bootstrap(Connection c) throws SQLException, EngineException {
        if (complete(c)) {
            return; // nothing to do: no DDL, no lock
        }
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            create(c);
            c.commit();
        } catch (SQLException | EngineException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }

    /**
     * The same inside the caller's transaction: the first step of a migration creates the tracking
     * schema together with its own statements, so a step that fails leaves no trace at all.
     */
    void bootstrapInTransaction(Connection c) throws SQLException, EngineException {
        if (!complete(c)) {
            create(c);
        }
    }

    private boolean complete(Connection c) throws SQLException {
        for (String table : TrackingSql.LAST_TABLES) {
            if (!exists(c, table)) {
                return false;
            }
        }
        return true;
    }

    private void create(Connection c) throws SQLException, EngineException {
        try (Statement s = c.createStatement()) {
            s.execute("SELECT pg_advisory_xact_lock(" + LOCK_CLASS + ", " + BOOTSTRAP_KEY + ")");
            checkOwnership(c);
            for (String statement : TrackingSql.bootstrap(schema)) {
                s.execute(statement);
            }
        }
    }

    /**
     * Refuses a tracking schema the application already uses for its own tables: Tandem's tables
     * would be mixed into it, or collide with one of the same name.
     */
    void checkOwnership(Connection c) throws SQLException, EngineException {
        java.util.List<String> foreign = new java.util.ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(TrackingSql.FOREIGN_RELATIONS)) {
            ps.setString(1, schema);
            ps.setArray(2, c.createArrayOf("text", TrackingSql.TABLES.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    foreign.add(schema + "." + rs.getString(1));
                }
            }
        }
        if (!foreign.isEmpty()) {
            throw new EngineException(dev.tandem.api.v1alpha1.Reason.TrackingSchemaTaken, "the schema " + schema
                    + " holds the application's tables (" + String.join(", ", foreign) + "), so Tandem cannot keep its "
                    + "ledger there; nothing was changed. Set spec.database.trackingSchema to a schema of Tandem's own, "
                    + "e.g. tandem_ledger");
        }
    }

    String table(String name) {
        return t(name);
    }

    boolean exists(Connection c) throws SQLException {
        return exists(c, TrackingSql.STEP_UNITS);
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
        String baseHash;
        try (PreparedStatement ps = c.prepareStatement("SELECT plan_hash, uid, point_of_no_return_at, "
                + "to_jsonb(m) ->> 'base_hash' FROM " + t(TrackingSql.MIGRATIONS) + " m WHERE migration = ?")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return LedgerState.empty(key);
                }
                planHash = rs.getString(1);
                uid = rs.getString(2);
                Timestamp ts = rs.getTimestamp(3);
                pnr = ts == null ? null : ts.toInstant();
                baseHash = rs.getString(4);
            }
        }
        Map<Step, Instant> steps = new EnumMap<>(Step.class);
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT step, applied_at FROM " + t(TrackingSql.STEPS) + " WHERE migration = ?")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    steps.put(Step.ofKey(rs.getString(1)), rs.getTimestamp(2).toInstant());
                }
            }
        }
        Set<String> units = new HashSet<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT step, unit FROM " + t(TrackingSql.STEP_UNITS) + " WHERE migration = ?")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    units.add(rs.getString(1) + "#" + rs.getInt(2));
                }
            }
        }
        return new LedgerState(key, true, planHash, uid, Map.copyOf(steps), Set.copyOf(units), pnr, baseHash);
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
        for (String table : new String[]{TrackingSql.STEPS, TrackingSql.STEP_UNITS}) {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + t(table) + " WHERE migration = ? AND step = ?")) {
                ps.setString(1, key);
                ps.setString(2, Step.VERIFY.key());
                ps.executeUpdate();
            }
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + t(TrackingSql.MIGRATIONS)
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

    /**
     * Session-level lock, waiting for it up to {@code max} (its holder's work is bounded by its own
     * statement timeout), however short a role's or database's lock_timeout; false when the wait ran
     * out (the lock is not held then).
     */
    boolean sessionLock(Connection c, String key, Duration max) throws SQLException, EngineException {
        try {
            return Transactions.inTransaction(c, () -> {
                try (PreparedStatement ps = c.prepareStatement("SELECT set_config('lock_timeout', ?, true), "
                        + "set_config('statement_timeout', '0', true)")) {
                    ps.setString(1, Durations.toPostgres(max));
                    ps.execute();
                }
                try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_lock(?, hashtext(?))")) {
                    ps.setInt(1, LOCK_CLASS);
                    ps.setString(2, key);
                    ps.execute();
                }
                return true;
            });
        } catch (SQLException e) {
            if (Sql.LOCK_NOT_AVAILABLE.equals(e.getSQLState())) {
                return false;
            }
            throw e;
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
    String ensureMigration(Connection c, String key, String uid, String planHash, String baseHash) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + t(TrackingSql.MIGRATIONS)
                + " (migration, uid, plan_hash, phase, base_hash) VALUES (?, ?, ?, 'Pending', ?) "
                + "ON CONFLICT (migration) DO UPDATE SET base_hash = EXCLUDED.base_hash "
                + "WHERE " + t(TrackingSql.MIGRATIONS) + ".base_hash IS NULL AND " + t(TrackingSql.MIGRATIONS)
                + ".plan_hash = EXCLUDED.plan_hash")) {
            ps.setString(1, key);
            ps.setString(2, uid);
            ps.setString(3, planHash);
            ps.setString(4, baseHash);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT plan_hash FROM " + t(TrackingSql.MIGRATIONS) + " WHERE migration = ? FOR UPDATE")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    /** After cutover: the migration now runs a plan whose contract changed (same base hash). */
    void reviseContract(Connection c, String key, String planHash) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + t(TrackingSql.MIGRATIONS)
                + " SET plan_hash = ?, updated_at = now() WHERE migration = ?")) {
            ps.setString(1, planHash);
            ps.setString(2, key);
            ps.executeUpdate();
        }
    }

    void recordUnit(Connection c, String key, Step step, int unit, int statements, long durationMs, String runner)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + t(TrackingSql.STEP_UNITS)
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
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + t(TrackingSql.STEPS)
                + " (migration, step, plan_hash, runner) VALUES (?, ?, ?, ?)")) {
            ps.setString(1, key);
            ps.setString(2, step.key());
            ps.setString(3, planHash);
            ps.setString(4, runner);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + t(TrackingSql.MIGRATIONS)
                + " SET phase = ?, updated_at = now()"
                + (step == Step.CUTOVER ? ", point_of_no_return_at = now()" : "")
                + " WHERE migration = ?")) {
            ps.setString(1, phase);
            ps.setString(2, key);
            ps.executeUpdate();
        }
    }
}
