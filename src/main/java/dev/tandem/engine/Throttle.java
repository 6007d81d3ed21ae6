package dev.tandem.engine;

import dev.tandem.plan.BackfillTuning;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** Why the backfill should pause now: a transaction open too long, or a replica too far behind. */
final class Throttle {
    private Throttle() {
    }

    /** The reason to pause, or null to go on. */
    static String pauseReason(Connection c, BackfillTuning tuning) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT a.pid, EXTRACT(EPOCH FROM now() - a.xact_start) FROM pg_stat_activity a "
                        + "WHERE a.xact_start IS NOT NULL AND a.pid <> pg_backend_pid() AND a.backend_type = 'client backend' "
                        + "AND a.state <> 'idle' ORDER BY a.xact_start LIMIT 1")) {
            if (rs.next() && rs.getDouble(2) * 1000 > tuning.maxTransactionAge().toMillis()) {
                return "transaction of pid " + rs.getInt(1) + " open for " + Math.round(rs.getDouble(2))
                        + "s (throttle.maxTransactionAge " + tuning.maxTransactionAge().toSeconds() + "s)";
            }
        }
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT coalesce(max(EXTRACT(EPOCH FROM replay_lag)), 0) FROM pg_stat_replication")) {
            if (rs.next() && rs.getDouble(1) * 1000 > tuning.maxReplicationLag().toMillis()) {
                return "replication lag " + Math.round(rs.getDouble(1)) + "s (throttle.maxReplicationLag "
                        + tuning.maxReplicationLag().toSeconds() + "s)";
            }
        }
        return null;
    }
}
