package dev.tandem.engine;

import dev.tandem.plan.Durations;
import dev.tandem.plan.PlannedCheck;
import dev.tandem.plan.TrackingSql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;

/** Reads what the old-storage watch recorded, and runs SQL gates, over a connection the caller owns. */
final class OldStorageWatch {
    private OldStorageWatch() {
    }

    static OldStorageState read(Connection c, String schema, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, TrackingSql.table(schema, TrackingSql.OLD_STORAGE_WRITES));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return OldStorageState.none();
                }
            }
        }
        String table = TrackingSql.table(schema, TrackingSql.OLD_STORAGE_WRITES);
        try (PreparedStatement ps = c.prepareStatement("SELECT (SELECT count(*) FROM " + table + " WHERE migration = ?), "
                + "w.at, w.tbl, w.op, w.app, w.role FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT * FROM " + table
                + " WHERE migration = ? ORDER BY at DESC LIMIT 1) w ON true")) {
            ps.setString(1, key);
            ps.setString(2, key);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                Timestamp at = rs.getTimestamp(2);
                return new OldStorageState(rs.getLong(1), at == null ? null : at.toInstant(), rs.getString(3),
                        rs.getString(4), rs.getString(5), rs.getString(6));
            }
        }
    }

    static GateResult gate(Connection c, PlannedCheck check, EngineSettings settings, DatabaseTarget target)
            throws SQLException {
        c.setAutoCommit(false);
        try {
            try (Statement s = c.createStatement()) {
                s.execute("SET TRANSACTION READ ONLY");
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT set_config('statement_timeout', ?, true)")) {
                ps.setString(1, Durations.toPostgres(settings.statementTimeout()));
                ps.execute();
            }
            CheckRun run;
            try {
                run = CheckRun.run(c, check);
            } catch (SQLException e) {
                if (e.getSQLState() != null && e.getSQLState().startsWith("08")) {
                    throw e;
                }
                run = CheckRun.failed(check, e, Durations.format(settings.statementTimeout()), target);
            }
            return new GateResult(run.passed(), run.passed() ? "returned true" : run.message().substring(
                    check.name().length() + 2));
        } finally {
            c.rollback();
            c.setAutoCommit(true);
        }
    }
}
