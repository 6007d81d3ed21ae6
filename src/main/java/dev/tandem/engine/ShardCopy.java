package dev.tandem.engine;

import dev.tandem.plan.TrackingSql;

import dev.tandem.plan.BackfillSql;
import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.CompiledSync;
import dev.tandem.plan.Durations;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.TriggerSql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

/**
 * The batch loop of one worker over one entry's page range. A batch is one statement over a range
 * of pages, its checkpoint committed with it. A unique violation (a trigger wrote a key the batch
 * did not see) retries the batch skipping such keys; a row whose expressions raise is isolated
 * and, per the entry's onError, recorded or reported ({@link RowIsolation}); a lock the
 * application holds makes the batch give up before deadlock detection could pick the
 * application's transaction, and retry. When the target has a foreign key to the source (read
 * from the catalog as the worker starts the entry), the batches lock their source rows FOR KEY
 * SHARE before inserting, so that the foreign key's check never meets a row the application is
 * deleting ({@link BackfillSql}); the entry's reverse trigger does not run for the batches' rows.
 */
final class ShardCopy {
    enum Outcome { DONE, RESTART }

    static final int FIRST_PAGES = 8;
    static final int MAX_PAGES = 20_000;

    private final Connection c;
    private final Ledger ledger;
    private final EngineSettings settings;
    private final BackfillTuning tuning;
    private final MigrationPlan plan;
    private final CompiledSync entry;
    private final BackfillLayout layout;
    private final int shard;
    private final String expandXid;
    private final Backfiller.Listener listener;
    private final BackfillSql.Mode firstMode;
    private BackfillSql.Mode mode;
    private int calm;
    private int calmTarget = 4;
    private List<String> derivedTypes;
    /** The target has a foreign key to the source: batches lock their source rows FOR KEY SHARE. */
    private boolean lockSource;

    ShardCopy(Connection c, Ledger ledger, EngineSettings settings, BackfillTuning tuning, MigrationPlan plan,
              CompiledSync entry, BackfillLayout layout, int shard, String expandXid, Backfiller.Listener listener) {
        this.c = c;
        this.ledger = ledger;
        this.settings = settings;
        this.tuning = tuning;
        this.plan = plan;
        this.entry = entry;
        this.layout = layout;
        this.shard = shard;
        this.expandXid = expandXid;
        this.listener = listener;
        BackfillSql.Mode first = BackfillSql.firstMode(entry);
        this.firstMode = first == BackfillSql.Mode.OPTIMISTIC && expandXid == null ? BackfillSql.Mode.ANTI_JOIN : first;
        this.mode = firstMode;
    }

    /** The range's state, read and locked at the start of a batch. */
    private record Range(long next, long end, boolean done, long batches) {
    }

    private int pages;
    private long started;
    private long rowsThisRun;
    private long pagesThisRun;
    private boolean isolate;

    Outcome run() throws SQLException, EngineException {
        if (entry.inPlace()) {
            derivedTypes = Catalog.columnTypes(c, entry.source(), entry.targetColumns(), entry.name());
        } else if (!entry.skipAppTriggers()) {
            // With session_replication_role = replica no foreign-key check fires, so there is nothing to order.
            lockSource = Catalog.targetReferencesSource(c, entry);
        }
        String lockTimeout = Durations.toPostgres(batchLockTimeout());
        pages = initialPages();
        started = System.nanoTime();
        while (true) {
            String pause = Throttle.pauseReason(c, tuning);
            if (pause != null) {
                recordPause(pause);
                listener.paused(pause);
                Backfiller.sleep(tuning.pausePoll());
                continue;
            }
            Outcome done = batch(lockTimeout);
            if (done != null) {
                return done;
            }
        }
    }

    /** One batch in its own transaction: DONE or RESTART when the range needs no more, else null. */
    private Outcome batch(String lockTimeout) throws SQLException, EngineException {
        long t0 = System.nanoTime();
        c.setAutoCommit(false);
        try {
            setLocal(lockTimeout);
            Range range = read();
            if (range == null) {
                c.rollback();
                return Outcome.RESTART; // another worker found the source rewritten and started the entry over
            }
            if (range.done()) {
                c.commit();
                return Outcome.DONE;
            }
            if (!BackfillLayout.measure(c, entry, 1).storage().equals(layout.storage())) {
                // VACUUM FULL, CLUSTER, TRUNCATE or a repack gave the rows new places: walk the new storage.
                BackfillLayout.forget(c, ledger, plan, entry);
                c.commit();
                return Outcome.RESTART;
            }
            long end = Math.min(range.next() + pages, range.end());
            listener.at(Backfiller.Point.BEFORE_BATCH, entry.index(), shard);
            RowIsolation.Written written = isolate
                    ? new RowIsolation(c, entry, plan, derivedTypes, lockSource).copy(range.next(), end)
                    : new RowIsolation.Written(write(range.next(), end, mode), 0);
            listener.at(Backfiller.Point.AFTER_WRITE, entry.index(), shard);
            double seconds = Math.max(1e-3, (System.nanoTime() - started) / 1e9);
            rowsThisRun += written.rows();
            pagesThisRun += end - range.next();
            record(range, end, written, pages, rowsThisRun / seconds, pagesThisRun / seconds,
                    (System.nanoTime() - t0) / 1e6, isolate ? "isolated" : null);
            c.commit();
            listener.at(Backfiller.Point.AFTER_COMMIT, entry.index(), shard);
            listener.batch(entry.index(), shard, rowsThisRun, pagesThisRun, pages);
            isolate = false;
            settle();
            if (end >= range.end()) {
                return Outcome.DONE;
            }
            if (tuning.batchSize() == null) {
                pages = adapt(pages, Duration.ofNanos(System.nanoTime() - t0));
            }
            rateLimit(rowsThisRun, started);
            return null;
        } catch (SQLException e) {
            c.rollback();
            recover(e);
            return null;
        } finally {
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
        }
    }

    /** What a failed batch does next: skip keys a trigger wrote, wait out a lock, isolate a row that raises. */
    private void recover(SQLException e) throws SQLException, EngineException {
        String state = e.getSQLState();
        if (Sql.UNIQUE_VIOLATION.equals(state) && !isolate && mode != BackfillSql.Mode.ON_CONFLICT) {
            escalate(); // a trigger wrote one of these keys meanwhile: redo the batch skipping it
        } else if (Sql.LOCK_NOT_AVAILABLE.equals(state) || Sql.DEADLOCK.equals(state)
                || Sql.SERIALIZATION_FAILURE.equals(state)) {
            Backfiller.sleep(Duration.ofMillis(50 + (long) (Math.random() * 200)));
        } else if (Sql.isRowError(state) && !isolate) {
            isolate = true; // find the rows that raise; the others are copied
        } else {
            throw e;
        }
    }

    /** Runs the batch statement over pages [first, end); returns the rows written. */
    private int write(long first, long end, BackfillSql.Mode m) throws SQLException {
        String sql = entry.inPlace() ? BackfillSql.derive(entry, derivedTypes) : BackfillSql.copy(entry, m, lockSource);
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int p = 1;
            if (!entry.inPlace() && m == BackfillSql.Mode.OPTIMISTIC) {
                ps.setString(p++, expandXid);
            }
            ps.setString(p++, BackfillSql.tid(first, 0));
            ps.setString(p, BackfillSql.tid(end, 0));
            return ps.executeUpdate();
        }
    }

    private void escalate() {
        mode = mode == BackfillSql.Mode.OPTIMISTIC ? BackfillSql.Mode.ANTI_JOIN : BackfillSql.Mode.ON_CONFLICT;
        calm = 0;
        calmTarget = Math.min(64, calmTarget * 2);
    }

    /** After a few calm batches, go back to the cheapest mode. */
    private void settle() {
        if (mode == firstMode) {
            calmTarget = Math.max(4, calmTarget / 2);
            return;
        }
        if (++calm >= calmTarget) {
            mode = firstMode;
            calm = 0;
        }
    }

    private Range read() throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT next_page, end_page, done, batches FROM "
                + ledger.table(TrackingSql.BACKFILL_SHARDS) + " WHERE migration = ? AND entry = ? AND shard = ? FOR UPDATE NOWAIT")) {
            ps.setString(1, plan.key());
            ps.setInt(2, entry.index());
            ps.setInt(3, shard);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new Range(rs.getLong(1), rs.getLong(2), rs.getBoolean(3), rs.getLong(4)) : null;
            }
        }
    }

    private void record(Range range, long end, RowIsolation.Written written, int pages, double rowsPerSecond,
                        double pagesPerSecond, double tookMillis, String modeLabel) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + ledger.table(TrackingSql.BACKFILL_SHARDS) + " SET next_page = ?, "
                + "rows_written = rows_written + ?, failed_rows = failed_rows + ?, batches = batches + 1, batch_pages = ?, "
                + "rows_per_second = ?, pages_per_second = ?, throttled_reason = NULL, done = ?, updated_at = now() "
                + "WHERE migration = ? AND entry = ? AND shard = ?")) {
            ps.setLong(1, end);
            ps.setLong(2, written.rows());
            ps.setLong(3, written.failed());
            ps.setInt(4, pages);
            ps.setDouble(5, rowsPerSecond);
            ps.setDouble(6, pagesPerSecond);
            ps.setBoolean(7, end >= range.end());
            ps.setString(8, plan.key());
            ps.setInt(9, entry.index());
            ps.setInt(10, shard);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + ledger.table(TrackingSql.BACKFILL_BATCH_LOG)
                + " (migration, entry, shard, batch, first_page, end_page, written, mode, took_ms) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, plan.key());
            ps.setInt(2, entry.index());
            ps.setInt(3, shard);
            ps.setLong(4, range.batches() + 1);
            ps.setLong(5, range.next());
            ps.setLong(6, end);
            ps.setLong(7, written.rows());
            ps.setString(8, modeLabel != null ? modeLabel
                    : entry.inPlace() ? "in-place" : mode.name().toLowerCase(java.util.Locale.ROOT));
            ps.setDouble(9, tookMillis);
            ps.executeUpdate();
        }
    }

    private void recordPause(String reason) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + ledger.table(TrackingSql.BACKFILL_SHARDS)
                + " SET throttled_reason = ?, rows_per_second = 0, pages_per_second = 0, updated_at = now() "
                + "WHERE migration = ? AND entry = ? AND shard = ?")) {
            ps.setString(1, reason);
            ps.setString(2, plan.key());
            ps.setInt(3, entry.index());
            ps.setInt(4, shard);
            ps.executeUpdate();
        }
    }

    private void setLocal(String lockTimeout) throws SQLException {
        // The target grows from empty during the copy and its statistics lag behind: without these the planner may
        // scan the whole target per batch for the anti-join (quadratic). Index probes keep every batch proportional
        // to its own size. JIT would compile each batch's statement anew. Local to the batch's transaction.
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT set_config('lock_timeout', ?, true), set_config('statement_timeout', ?, true), "
                        + "set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true), "
                        + "set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true)"
                        + (entry.skipAppTriggers() ? ", set_config('session_replication_role', 'replica', true)" : "")
                        + (entry.reverseName() != null ? ", set_config('" + TriggerSql.SKIP_SETTING + "', ?, true)" : ""))) {
            ps.setString(1, lockTimeout);
            ps.setString(2, Durations.toPostgres(settings.statementTimeout()));
            if (entry.reverseName() != null) {
                // The reverse mapping's trigger would write each new row back into the source row it was derived
                // from (see BackfillSql): the batch's rows skip it.
                ps.setString(3, entry.name());
            }
            ps.execute();
        }
    }

    /**
     * A batch waits for locks at most half of deadlock_timeout: when it and an application
     * transaction wait for each other, the batch gives up (and retries) before deadlock detection
     * could choose the application's transaction.
     */
    private Duration batchLockTimeout() throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT setting::bigint FROM pg_settings WHERE name = 'deadlock_timeout'"); ResultSet rs = ps.executeQuery()) {
            long deadlockMillis = rs.next() ? rs.getLong(1) : 1000;
            long half = Math.max(10, deadlockMillis / 2);
            return Duration.ofMillis(Math.min(settings.lockTimeout().toMillis(), half));
        }
    }

    private int initialPages() throws SQLException {
        if (tuning.batchSize() == null) {
            return FIRST_PAGES;
        }
        double rowsPerPage = Catalog.rowsPerPage(c, entry);
        return (int) Math.max(1, Math.min(MAX_PAGES, Math.round(tuning.batchSize() / Math.max(1.0, rowsPerPage))));
    }

    /** Auto batch size: scale toward targetBatchTime, at most doubling or halving per batch. */
    private int adapt(int pages, Duration took) {
        double ratio = (double) tuning.targetBatchTime().toNanos() / Math.max(1, took.toNanos());
        double next = pages * Math.max(0.5, Math.min(2.0, ratio));
        return (int) Math.max(1, Math.min(MAX_PAGES, Math.round(next)));
    }

    private void rateLimit(long rows, long startedNanos) throws EngineException {
        if (tuning.maxRowsPerSecond() <= 0) {
            return;
        }
        double allowedSeconds = (double) rows / tuning.maxRowsPerSecond();
        double elapsed = (System.nanoTime() - startedNanos) / 1e9;
        if (allowedSeconds > elapsed) {
            Backfiller.sleep(Duration.ofMillis(Math.round((allowedSeconds - elapsed) * 1000)));
        }
    }
}
