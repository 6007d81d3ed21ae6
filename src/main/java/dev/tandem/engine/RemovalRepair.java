package dev.tandem.engine;

import dev.tandem.plan.TrackingSql;

import dev.tandem.plan.BackfillSql;
import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.CompiledSync;
import dev.tandem.plan.Durations;
import dev.tandem.plan.MigrationPlan;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The last step of an entry's backfill: remove the new rows a batch copied from an old row that a
 * concurrent transaction deleted, re-keyed or moved out of from.where while the batch ran (its
 * trigger found nothing to remove and logged the key). First every transaction that was open when
 * the last batch committed must end (as CREATE INDEX CONCURRENTLY waits): a writer that raced a
 * batch is one of them, and its log rows commit with it. Then each logged key is locked in the new
 * table and, in a new statement that sees every write committed before the lock, deleted when no
 * old row maps to it any more. One worker repairs (a session lock); the others wait for it.
 */
final class RemovalRepair {
    static final int CHUNK = 1000;

    private final Connection c;
    private final Ledger ledger;
    private final EngineSettings settings;
    private final BackfillTuning tuning;
    private final MigrationPlan plan;
    private final CompiledSync entry;
    private final Backfiller.Listener listener;

    RemovalRepair(Connection c, Ledger ledger, EngineSettings settings, BackfillTuning tuning, MigrationPlan plan,
                  CompiledSync entry, Backfiller.Listener listener) {
        this.c = c;
        this.ledger = ledger;
        this.settings = settings;
        this.tuning = tuning;
        this.plan = plan;
        this.entry = entry;
        this.listener = listener;
    }

    void run() throws SQLException, EngineException {
        if (repaired()) {
            return;
        }
        String lock = plan.key() + "#repair#" + entry.index();
        if (!ledger.trySessionLock(c, lock)) {
            while (!repaired()) {
                listener.paused("waiting for another worker to repair sync entry " + entry.name());
                Backfiller.sleep(poll());
            }
            return;
        }
        try {
            if (repaired()) {
                return;
            }
            listener.at(Backfiller.Point.BEFORE_REPAIR, entry.index(), 0);
            awaitOpenTransactions();
            Timestamp cutoff = serverNow();
            List<String> types = Catalog.columnTypes(c, entry.target(), entry.targetKey(), entry.name());
            long removed = 0;
            for (List<String[]> keys = logged(cutoff); !keys.isEmpty(); keys = logged(cutoff)) {
                removed += replay(keys, types, cutoff);
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + ledger.table(TrackingSql.BACKFILL_ENTRIES)
                    + " SET repaired_at = now(), orphans_removed = orphans_removed + ?, repair_reason = NULL "
                    + "WHERE migration = ? AND entry = ?")) {
                ps.setLong(1, removed);
                ps.setString(2, plan.key());
                ps.setInt(3, entry.index());
                ps.executeUpdate();
            }
        } finally {
            ledger.sessionUnlock(c, lock);
        }
    }

    private boolean repaired() throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT repaired_at IS NOT NULL FROM "
                + ledger.table(TrackingSql.BACKFILL_ENTRIES) + " WHERE migration = ? AND entry = ?")) {
            ps.setString(1, plan.key());
            ps.setInt(2, entry.index());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private Duration poll() {
        return tuning.pausePoll().compareTo(Duration.ofMillis(100)) < 0 ? tuning.pausePoll() : Duration.ofMillis(100);
    }

    /** Waits until every transaction of this database open now (autovacuum aside) and every prepared one has ended. */
    private void awaitOpenTransactions() throws SQLException, EngineException {
        Array open;
        Array prepared;
        try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(array_agg(l.virtualxid), '{}'), "
                + "(SELECT coalesce(array_agg(p.gid), '{}') FROM pg_prepared_xacts p WHERE p.database = current_database()) "
                + "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'virtualxid' "
                + "AND l.mode = 'ExclusiveLock' AND l.granted AND l.pid <> pg_backend_pid() "
                + "AND a.datid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                + "AND a.backend_type <> 'autovacuum worker'"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            open = rs.getArray(1);
            prepared = rs.getArray(2);
        }
        while (true) {
            String waitingFor = null;
            try (PreparedStatement ps = c.prepareStatement("SELECT (SELECT 'the transaction of pid ' || l.pid FROM pg_locks l "
                    + "WHERE l.locktype = 'virtualxid' AND l.virtualxid = ANY (?) LIMIT 1), "
                    + "(SELECT 'the prepared transaction ' || p.gid FROM pg_prepared_xacts p WHERE p.gid = ANY (?) LIMIT 1)")) {
                ps.setArray(1, open);
                ps.setArray(2, prepared);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    waitingFor = rs.getString(1) != null ? rs.getString(1) : rs.getString(2);
                }
            }
            if (waitingFor == null) {
                return;
            }
            String reason = "repairing removals that raced the backfill of sync entry " + entry.name() + ": waiting for "
                    + waitingFor + " to end";
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + ledger.table(TrackingSql.BACKFILL_ENTRIES)
                    + " SET repair_reason = ? WHERE migration = ? AND entry = ? AND repair_reason IS DISTINCT FROM ?")) {
                ps.setString(1, reason);
                ps.setString(2, plan.key());
                ps.setInt(3, entry.index());
                ps.setString(4, reason);
                ps.executeUpdate();
            }
            listener.paused(reason);
            Backfiller.sleep(poll());
        }
    }

    private Timestamp serverNow() throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT clock_timestamp()"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getTimestamp(1);
        }
    }

    private List<String[]> logged(Timestamp cutoff) throws SQLException {
        List<String[]> keys = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(BackfillSql.loggedRemovals(entry.trackingSchema()))) {
            ps.setString(1, plan.key());
            ps.setInt(2, entry.index());
            ps.setTimestamp(3, cutoff);
            ps.setInt(4, CHUNK);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Object[] values = (Object[]) rs.getArray(1).getArray();
                    String[] key = new String[values.length];
                    for (int i = 0; i < values.length; i++) {
                        key[i] = values[i] == null ? null : values[i].toString();
                    }
                    keys.add(key);
                }
            }
        }
        return keys;
    }

    /** Locks, removes the unjustified and forgets one chunk of logged keys, in one transaction. */
    private long replay(List<String[]> keys, List<String> types, Timestamp cutoff) throws SQLException, EngineException {
        int n = entry.targetKey().size();
        while (true) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement("SELECT set_config('lock_timeout', ?, true), "
                        + "set_config('statement_timeout', ?, true)")) {
                    ps.setString(1, Durations.toPostgres(settings.lockTimeout()));
                    ps.setString(2, Durations.toPostgres(settings.statementTimeout()));
                    ps.execute();
                }
                Array[] columns = new Array[n];
                for (int i = 0; i < n; i++) {
                    String[] column = new String[keys.size()];
                    for (int k = 0; k < keys.size(); k++) {
                        column[k] = keys.get(k)[i];
                    }
                    columns[i] = c.createArrayOf("text", column);
                }
                try (PreparedStatement ps = c.prepareStatement(BackfillSql.repairLock(entry, types))) {
                    bind(ps, columns);
                    ps.executeQuery().close();
                }
                int removed;
                try (PreparedStatement ps = c.prepareStatement(BackfillSql.repairDelete(entry, types))) {
                    bind(ps, columns);
                    removed = ps.executeUpdate();
                }
                try (PreparedStatement ps = c.prepareStatement(BackfillSql.repairForget(entry))) {
                    int p = bind(ps, columns);
                    ps.setString(p++, plan.key());
                    ps.setInt(p++, entry.index());
                    ps.setTimestamp(p, cutoff);
                    ps.executeUpdate();
                }
                c.commit();
                return removed;
            } catch (SQLException e) {
                c.rollback();
                String state = e.getSQLState();
                if (!(Sql.LOCK_NOT_AVAILABLE.equals(state) || Sql.DEADLOCK.equals(state))) {
                    throw e;
                }
                Backfiller.sleep(Duration.ofMillis(50 + (long) (Math.random() * 200)));
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    private static int bind(PreparedStatement ps, Array[] columns) throws SQLException {
        int p = 1;
        for (Array a : columns) {
            ps.setArray(p++, a);
        }
        return p;
    }
}
