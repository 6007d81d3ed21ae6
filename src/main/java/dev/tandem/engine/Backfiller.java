package dev.tandem.engine;

import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.CompiledSync;
import dev.tandem.plan.Durations;
import dev.tandem.plan.Ident;
import dev.tandem.plan.MigrationPlan;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Copies existing rows into the new storage: for each sync entry in order, a keyset walk of the
 * source key in batches, one transaction per batch, the checkpoint (last key, rows done) updated
 * in that same transaction. A restarted worker continues from its checkpoint; a killed one loses
 * only its uncommitted batch. Source rows of a batch are locked while it runs, so a concurrent
 * update or delete waits and its trigger then sees the copied row; rows a trigger already wrote
 * are left as they are (the trigger's value is the newer one). With several workers, worker i
 * walks key range i of every entry, ranges cut from a sample of the key's distribution.
 */
public final class Backfiller {
    static final int MIN_BATCH = 10;
    static final int MAX_BATCH = 100_000;
    static final int FIRST_BATCH = 500;

    /** Hears each committed batch and each pause. */
    public interface Listener {
        Listener NONE = new Listener() {
        };

        default void batch(int entry, int shard, long rowsDone, int batchRows, int batchSize) {
        }

        default void paused(String reason) {
        }
    }

    private final DatabaseTarget target;
    private final EngineSettings settings;
    private final BackfillTuning tuning;
    private final Ledger ledger;

    public Backfiller(DatabaseTarget target, EngineSettings settings, BackfillTuning tuning) {
        this.target = target;
        this.settings = settings;
        this.tuning = tuning;
        this.ledger = new Ledger(settings.trackingSchema());
    }

    /** Runs worker {@code shard} of {@code shards} over every entry, in order, until its ranges are copied. */
    public void run(MigrationPlan plan, int shard, int shards, Listener listener) throws EngineException {
        if (shard < 0 || shard >= shards) {
            throw new IllegalArgumentException("shard must be in [0, " + shards + ")");
        }
        try (Connection c = target.connect("tandem-backfill-" + shard)) {
            ledger.bootstrap(c);
            LedgerState state = ledger.read(c, plan.key());
            if (!state.applied(dev.tandem.plan.Step.EXPAND)) {
                throw new EngineException(EngineException.STEP_ORDER, false,
                        "cannot backfill " + plan.key() + " before expand has committed");
            }
            for (CompiledSync entry : plan.sync()) {
                int layout = prepare(c, plan, entry, shards);
                if (shard < layout) {
                    copy(c, plan, entry, shard, listener);
                }
                awaitEntry(c, plan, entry, listener);
            }
        } catch (SQLException e) {
            throw new EngineException(Sql.isConnectionError(e.getSQLState()) ? EngineException.DATABASE_UNAVAILABLE
                    : EngineException.SQL_ERROR, Sql.isConnectionError(e.getSQLState()),
                    "backfill of " + plan.key() + ": " + target.redact(e.getMessage()), e);
        }
    }

    /** Sums the progress rows of a migration. */
    public BackfillProgress progress(MigrationPlan plan) throws EngineException {
        try (Connection c = target.connect("tandem-progress")) {
            return progress(c, plan, ledger);
        } catch (SQLException e) {
            throw new EngineException(EngineException.DATABASE_UNAVAILABLE, true, target.redact(e.getMessage()), e);
        }
    }

    static BackfillProgress progress(Connection c, MigrationPlan plan, Ledger ledger) throws SQLException {
        if (!ledger.exists(c, "backfill_progress")) {
            return new BackfillProgress(0, 0, 0, 0, null, null, 0, 0, plan.sync().isEmpty());
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(sum(rows_estimate), 0), coalesce(sum(rows_done), 0), "
                + "coalesce(sum(rows_written), 0), coalesce(sum(rows_per_second) FILTER (WHERE NOT done), 0), "
                + "(array_agg(array_to_string(last_key, ',') ORDER BY entry DESC, rows_done DESC) FILTER (WHERE last_key IS NOT NULL))[1], "
                + "(array_agg(throttled_reason) FILTER (WHERE throttled_reason IS NOT NULL AND NOT done))[1], "
                + "count(*) FILTER (WHERE done), count(*), count(DISTINCT entry) FILTER (WHERE NOT done), "
                + "count(DISTINCT entry) FROM " + ledger.table("backfill_progress") + " WHERE migration = ?")) {
            ps.setString(1, plan.key());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                int entriesStarted = rs.getInt(10);
                int entriesOpen = rs.getInt(9);
                long estimate = rs.getLong(1);
                boolean complete = entriesStarted == plan.sync().size() && entriesOpen == 0;
                return new BackfillProgress(estimate, rs.getLong(2), rs.getLong(3), rs.getDouble(4), rs.getString(5),
                        rs.getString(6), rs.getInt(7), rs.getInt(8), complete);
            }
        }
    }

    /** Creates the entry's shard rows once (ranges, estimate); returns how many shards the layout has. */
    private int prepare(Connection c, MigrationPlan plan, CompiledSync entry, int shards) throws SQLException {
        c.setAutoCommit(false);
        try {
            ledger.lock(c, plan.key() + "#backfill#" + entry.index());
            try (PreparedStatement ps = c.prepareStatement("SELECT max(shards) FROM " + ledger.table("backfill_progress")
                    + " WHERE migration = ? AND entry = ?")) {
                ps.setString(1, plan.key());
                ps.setInt(2, entry.index());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    int existing = rs.getInt(1);
                    if (!rs.wasNull()) {
                        c.commit();
                        return existing;
                    }
                }
            }
            String keys = entry.keyList(null);
            // Text copies of the key get their own names: ORDER BY must sort by the key's type, not as text.
            String keyText = entry.sourceKey().stream().map(k -> Ident.quote(k) + "::text AS " + Ident.quote("tandem_t_" + k))
                    .collect(Collectors.joining(", "));
            String desc = entry.sourceKey().stream().map(k -> Ident.quote(k) + " DESC").collect(Collectors.joining(", "));
            String[] max = null;
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT " + keyText + " FROM " + entry.source() + " ORDER BY " + desc + " LIMIT 1")) {
                if (rs.next()) {
                    max = readKey(rs, 1, entry.sourceKey().size());
                }
            }
            long estimate = Catalog.estimate(c, entry);
            List<String[]> bounds = new ArrayList<>();
            if (max != null && shards > 1) {
                double pct = estimate <= 200_000 ? 100.0 : Math.max(0.1, 100.0 * 200_000 / estimate);
                String sql = "SELECT DISTINCT ON (t) t, " + keyText + " FROM (SELECT " + keys + ", ntile(" + shards + ") OVER (ORDER BY "
                        + keys + ") AS t FROM " + entry.source() + " TABLESAMPLE SYSTEM (" + String.format(Locale.ROOT, "%.4f", pct)
                        + ")) s ORDER BY t, " + desc;
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
                    while (rs.next()) {
                        bounds.add(readKey(rs, 2, entry.sourceKey().size()));
                    }
                }
                if (!bounds.isEmpty()) {
                    bounds.remove(bounds.size() - 1); // the last tile ends at the table's max key
                }
            }
            int layout = Math.max(1, bounds.size() + 1);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + ledger.table("backfill_progress")
                    + " (migration, entry, shard, shards, lower_key, upper_key, last_key, rows_estimate, done)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (int i = 0; i < layout; i++) {
                    ps.setString(1, plan.key());
                    ps.setInt(2, entry.index());
                    ps.setInt(3, i);
                    ps.setInt(4, layout);
                    ps.setArray(5, i == 0 ? null : c.createArrayOf("text", bounds.get(i - 1)));
                    ps.setArray(6, max == null ? null : c.createArrayOf("text", i == layout - 1 ? max : bounds.get(i)));
                    // A shard's walk starts right after its lower bound.
                    ps.setArray(7, i == 0 ? null : c.createArrayOf("text", bounds.get(i - 1)));
                    ps.setLong(8, estimate / layout);
                    ps.setBoolean(9, max == null);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            c.commit();
            return layout;
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    private static String[] readKey(ResultSet rs, int first, int n) throws SQLException {
        String[] key = new String[n];
        for (int i = 0; i < n; i++) {
            key[i] = rs.getString(first + i);
        }
        return key;
    }

    /** The batch loop of one shard of one entry. */
    private void copy(Connection c, MigrationPlan plan, CompiledSync entry, int shard, Listener listener)
            throws SQLException, EngineException {
        List<String> types = Catalog.columnTypes(c, entry.source(), entry.sourceKey(), entry.name());
        int batchSize = tuning.batchSize() != null ? tuning.batchSize() : FIRST_BATCH;
        long startedNanos = System.nanoTime();
        long rowsThisRun = 0;
        String progress = ledger.table("backfill_progress");
        boolean conflictRetry = false;
        while (true) {
            String pause = pauseReason(c);
            if (pause != null) {
                recordPause(c, plan, entry, shard, pause);
                listener.paused(pause);
                sleep(tuning.pausePoll());
                continue;
            }
            long t0 = System.nanoTime();
            c.setAutoCommit(false);
            try {
                setLocal(c);
                String[] last;
                String[] upper;
                long batches;
                try (PreparedStatement ps = c.prepareStatement("SELECT last_key, upper_key, done, batches FROM " + progress
                        + " WHERE migration = ? AND entry = ? AND shard = ? FOR UPDATE NOWAIT")) {
                    ps.setString(1, plan.key());
                    ps.setInt(2, entry.index());
                    ps.setInt(3, shard);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        if (rs.getBoolean(3)) {
                            c.commit();
                            return;
                        }
                        last = array(rs.getArray(1));
                        upper = array(rs.getArray(2));
                        batches = rs.getLong(4);
                    }
                }
                String sql = entry.backfillBatchSql(types, last != null, upper != null, conflictRetry);
                int scanned = 0;
                int written = 0;
                String[] batchLast = null;
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    int p = 1;
                    for (String[] bound : new String[][]{last, upper}) {
                        if (bound != null) {
                            for (String v : bound) {
                                ps.setString(p++, v);
                            }
                        }
                    }
                    ps.setInt(p, batchSize);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            scanned = rs.getInt(1);
                            written = rs.getInt(2);
                            batchLast = readKey(rs, 3, entry.sourceKey().size());
                        }
                    }
                }
                double seconds = Math.max(1e-3, (System.nanoTime() - startedNanos) / 1e9);
                rowsThisRun += scanned;
                try (PreparedStatement ps = c.prepareStatement("UPDATE " + progress + " SET last_key = coalesce(?, last_key), "
                        + "rows_done = rows_done + ?, rows_written = rows_written + ?, batches = batches + ?, batch_size = ?, "
                        + "rows_per_second = ?, throttled_reason = NULL, done = ?, updated_at = now() "
                        + "WHERE migration = ? AND entry = ? AND shard = ?")) {
                    ps.setArray(1, batchLast == null ? null : c.createArrayOf("text", batchLast));
                    ps.setLong(2, scanned);
                    ps.setLong(3, written);
                    ps.setLong(4, scanned > 0 ? 1 : 0);
                    ps.setInt(5, batchSize);
                    ps.setDouble(6, rowsThisRun / seconds);
                    ps.setBoolean(7, scanned == 0);
                    ps.setString(8, plan.key());
                    ps.setInt(9, entry.index());
                    ps.setInt(10, shard);
                    ps.executeUpdate();
                }
                if (scanned > 0) {
                    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + ledger.table("backfill_batches")
                            + " (migration, entry, shard, batch, first_key, last_key, rows, written) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
                        ps.setString(1, plan.key());
                        ps.setInt(2, entry.index());
                        ps.setInt(3, shard);
                        ps.setLong(4, batches + 1);
                        ps.setArray(5, last == null ? null : c.createArrayOf("text", last));
                        ps.setArray(6, c.createArrayOf("text", batchLast));
                        ps.setInt(7, scanned);
                        ps.setInt(8, written);
                        ps.executeUpdate();
                    }
                }
                c.commit();
                conflictRetry = false;
                if (scanned == 0) {
                    return;
                }
                listener.batch(entry.index(), shard, rowsThisRun, scanned, batchSize);
                Duration took = Duration.ofNanos(System.nanoTime() - t0);
                if (tuning.batchSize() == null) {
                    batchSize = adapt(batchSize, scanned, took);
                }
                rateLimit(rowsThisRun, startedNanos);
            } catch (SQLException e) {
                c.rollback();
                String state = e.getSQLState();
                if (Sql.UNIQUE_VIOLATION.equals(state) && !conflictRetry) {
                    conflictRetry = true; // a trigger wrote one of these rows meanwhile: redo the batch skipping it
                    continue;
                }
                if (Sql.LOCK_NOT_AVAILABLE.equals(state) || Sql.DEADLOCK.equals(state)
                        || Sql.SERIALIZATION_FAILURE.equals(state)) {
                    // Rows locked by the application, or another worker on this shard: try again shortly.
                    sleep(Duration.ofMillis(50 + (long) (Math.random() * 200)));
                    continue;
                }
                throw e;
            } finally {
                if (!c.getAutoCommit()) {
                    c.setAutoCommit(true);
                }
            }
        }
    }

    /** Waits until every shard of the entry is done: the next entry may read what this one writes. */
    private void awaitEntry(Connection c, MigrationPlan plan, CompiledSync entry, Listener listener)
            throws SQLException, EngineException {
        while (true) {
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FILTER (WHERE NOT done) FROM "
                    + ledger.table("backfill_progress") + " WHERE migration = ? AND entry = ?")) {
                ps.setString(1, plan.key());
                ps.setInt(2, entry.index());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getInt(1) == 0) {
                        return;
                    }
                }
            }
            listener.paused("waiting for the other workers to finish sync entry " + entry.name());
            sleep(tuning.pausePoll());
        }
    }

    /** Auto batch size: scale toward targetBatchTime, at most doubling or halving per batch. */
    private int adapt(int size, int rows, Duration took) {
        if (rows < size) {
            return size; // a short batch says nothing about speed
        }
        double ratio = (double) tuning.targetBatchTime().toNanos() / Math.max(1, took.toNanos());
        double next = size * Math.max(0.5, Math.min(2.0, ratio));
        return (int) Math.max(MIN_BATCH, Math.min(MAX_BATCH, Math.round(next)));
    }

    private String pauseReason(Connection c) throws SQLException {
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

    private void recordPause(Connection c, MigrationPlan plan, CompiledSync entry, int shard, String reason)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + ledger.table("backfill_progress")
                + " SET throttled_reason = ?, rows_per_second = 0, updated_at = now() WHERE migration = ? AND entry = ? AND shard = ?")) {
            ps.setString(1, reason);
            ps.setString(2, plan.key());
            ps.setInt(3, entry.index());
            ps.setInt(4, shard);
            ps.executeUpdate();
        }
    }

    private void rateLimit(long rows, long startedNanos) throws EngineException {
        if (tuning.maxRowsPerSecond() <= 0) {
            return;
        }
        double allowedSeconds = (double) rows / tuning.maxRowsPerSecond();
        double elapsed = (System.nanoTime() - startedNanos) / 1e9;
        if (allowedSeconds > elapsed) {
            sleep(Duration.ofMillis(Math.round((allowedSeconds - elapsed) * 1000)));
        }
    }

    private void setLocal(Connection c) throws SQLException {
        // The target grows from empty during the copy and its statistics lag behind: without these the planner may
        // pick a scan of the whole target per batch for the anti-join (quadratic). Index probes keep every batch
        // proportional to its own size. Local to the batch's transaction.
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT set_config('lock_timeout', ?, true), set_config('statement_timeout', ?, true), "
                        + "set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true), "
                        + "set_config('enable_seqscan', 'off', true)")) {
            ps.setString(1, Durations.toPostgres(settings.lockTimeout()));
            ps.setString(2, Durations.toPostgres(settings.statementTimeout()));
            ps.execute();
        }
    }

    private static String[] array(Array a) throws SQLException {
        return a == null ? null : Arrays.stream((Object[]) a.getArray()).map(String::valueOf).toArray(String[]::new);
    }

    private static void sleep(Duration d) throws EngineException {
        try {
            Thread.sleep(Math.max(1, d.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EngineException(EngineException.DATABASE_UNAVAILABLE, true, "backfill interrupted");
        }
    }
}
