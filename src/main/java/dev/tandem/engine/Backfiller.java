package dev.tandem.engine;

import dev.tandem.plan.TrackingSql;

import dev.tandem.api.v1alpha1.Reason;

import dev.tandem.plan.BackfillSql;
import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.CompiledSync;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.plan.SyncCompiler;
import dev.tandem.plan.TriggerSql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Locale;

/**
 * Copies existing rows into the new storage, entry by entry in plan order. Each entry's source is
 * walked by heap pages ({@link BackfillSql}): worker i of n walks page range i, one transaction per
 * batch with its checkpoint (the next page) in that same transaction, so a killed worker loses only
 * its uncommitted batch and a restarted one continues where it stopped. Batches take no row locks
 * (in place, the UPDATE locks the rows it rewrites, as any UPDATE; a target with a foreign key to
 * its source has the batches lock their source rows FOR KEY SHARE). When every range of an entry is
 * done, one worker repairs the removals that raced a batch ({@link RemovalRepair}); then the next
 * entry starts, since it may read what this one wrote. At the end one worker vacuums the written
 * tables ({@link TargetVacuum}).
 */
public final class Backfiller {
    /**
     * Where a batch is; tests use these to hold a concurrent writer's transaction at each point.
     * BEFORE_VACUUM and AFTER_VACUUM bracket the closing VACUUM of the written tables ({@link TargetVacuum}).
     */
    public enum Point { BEFORE_BATCH, AFTER_WRITE, AFTER_COMMIT, BEFORE_REPAIR, BEFORE_VACUUM, AFTER_VACUUM }

    /** Hears each committed batch and each pause. */
    public interface Listener {
        Listener NONE = new Listener() {
        };

        default void batch(int entry, int shard, long rowsWritten, long pagesDone, int batchPages) {
        }

        default void paused(String reason) {
        }

        /** Called on the worker's thread at each point of a batch; may block (tests). */
        default void at(Point point, int entry, int shard) {
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
            requireTidRangeScans(c);
            LedgerState state = ledger.read(c, plan.key());
            if (!state.applied(Step.EXPAND)) {
                throw new EngineException(Reason.StepOutOfOrder, "cannot backfill " + plan.key() + " before expand has committed");
            }
            String expandXid = expandXid(c, plan.key());
            for (CompiledSync entry : plan.sync()) {
                ShardCopy.Outcome outcome;
                do {
                    BackfillLayout layout = BackfillLayout.prepare(c, ledger, plan, entry, shards);
                    outcome = shard < layout.shards()
                            ? new ShardCopy(c, ledger, settings, tuning, plan, entry, layout, shard, expandXid, listener).run()
                            : ShardCopy.Outcome.DONE;
                } while (outcome == ShardCopy.Outcome.RESTART);
                awaitEntry(c, plan, entry, listener);
                new RemovalRepair(c, ledger, settings, tuning, plan, entry, listener).run();
            }
            finish(c, plan);
            TargetVacuum.run(c, ledger, plan, tuning, listener);
        } catch (SQLException e) {
            throw new EngineException(Sql.isConnectionError(e.getSQLState()) ? Reason.DatabaseUnavailable
                    : Reason.SqlError,
                    "backfill of " + plan.key() + ": " + target.redact(e.getMessage()), e);
        }
    }

    /** Every entry is copied and repaired: the triggers stop logging removals, and the log is cleared. */
    private void finish(Connection c, MigrationPlan plan) throws SQLException, EngineException {
        if (!SyncCompiler.needsRepair(plan.sync())) {
            return;
        }
        Transactions.inTransaction(c, () -> {
            try (java.sql.Statement s = c.createStatement()) {
                s.execute("DROP SEQUENCE IF EXISTS " + TriggerSql.backfillMarker(plan.trackingSchema(), plan.key()));
            }
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + ledger.table(TrackingSql.SYNC_REMOVALS)
                    + " WHERE migration = ?")) {
                ps.setString(1, plan.key());
                ps.executeUpdate();
            }
            return null;
        });
    }

    private static void requireTidRangeScans(Connection c) throws SQLException, EngineException {
        try (PreparedStatement ps = c.prepareStatement("SELECT current_setting('server_version_num')::int, "
                + "current_setting('server_version')"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            if (rs.getInt(1) < 140000) {
                throw new EngineException(Reason.UnsupportedServer, "the backfill needs PostgreSQL 14 "
                        + "or later (it walks tables by TID ranges); this server is " + rs.getString(2));
            }
        }
    }

    /** The 32-bit id of the transaction that installed the triggers, or null when the ledger does not know it. */
    private String expandXid(Connection c, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT (xid::text::numeric % 4294967296)::text FROM "
                + ledger.table(TrackingSql.STEPS) + " WHERE migration = ? AND step = ?")) {
            ps.setString(1, key);
            ps.setString(2, Step.EXPAND.key());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /** Sums the progress rows of a migration. */
    public BackfillProgress progress(MigrationPlan plan) throws EngineException {
        try (Connection c = target.connect("tandem-progress")) {
            return progress(c, plan, ledger);
        } catch (SQLException e) {
            throw new EngineException(Reason.DatabaseUnavailable, target.redact(e.getMessage()), e);
        }
    }

    static BackfillProgress progress(Connection c, MigrationPlan plan, Ledger ledger) throws SQLException {
        if (!ledger.exists(c, TrackingSql.BACKFILL_SHARDS) || !ledger.exists(c, TrackingSql.BACKFILL_ENTRIES)) {
            return new BackfillProgress(0, 0, 0, 0, 0, 0, null, null, 0, 0, 0, plan.sync().isEmpty());
        }
        String entries = ledger.table(TrackingSql.BACKFILL_ENTRIES);
        try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(sum(s.rows_written), 0) AS written, "
                + "coalesce(sum(s.next_page - s.first_page), 0) AS pages_done, "
                + "coalesce(sum(s.end_page - s.first_page), 0) AS pages_total, "
                + "coalesce(sum(s.rows_per_second) FILTER (WHERE NOT s.done), 0) AS rps, "
                + "coalesce(sum(s.pages_per_second) FILTER (WHERE NOT s.done), 0) AS pps, "
                + "(array_agg(s.throttled_reason) FILTER (WHERE s.throttled_reason IS NOT NULL AND NOT s.done))[1] AS reason, "
                + "coalesce(sum(s.failed_rows), 0) AS failed, count(*) FILTER (WHERE s.done) AS shards_done, "
                + "count(*) AS shards, "
                + "(SELECT coalesce(sum(e.rows_estimate), 0) FROM " + entries + " e WHERE e.migration = ?) AS estimate, "
                + "(SELECT count(*) FROM " + entries + " e WHERE e.migration = ? AND e.repaired_at IS NOT NULL) AS repaired, "
                + "(SELECT e.repair_reason FROM " + entries + " e WHERE e.migration = ? AND e.repaired_at IS NULL "
                + "ORDER BY e.entry LIMIT 1) AS repair_reason "
                + "FROM " + ledger.table(TrackingSql.BACKFILL_SHARDS) + " s WHERE s.migration = ?")) {
            for (int i = 1; i <= 4; i++) {
                ps.setString(i, plan.key());
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                boolean complete = rs.getInt("repaired") == plan.sync().size()
                        && rs.getInt("shards_done") == rs.getInt("shards");
                String reason = rs.getString("reason") != null ? rs.getString("reason") : rs.getString("repair_reason");
                return new BackfillProgress(rs.getLong("estimate"), rs.getLong("written"), rs.getLong("pages_done"),
                        rs.getLong("pages_total"), rs.getDouble("rps"), rs.getDouble("pps"), position(c, plan, ledger),
                        complete ? null : reason, rs.getLong("failed"), rs.getInt("shards_done"), rs.getInt("shards"),
                        complete);
            }
        }
    }

    /** "sync entry NAME: page X of Y" for the first entry not done, or the last one. */
    private static String position(Connection c, MigrationPlan plan, Ledger ledger) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT entry, sum(next_page - first_page), sum(end_page - first_page), "
                + "bool_and(done) FROM " + ledger.table(TrackingSql.BACKFILL_SHARDS) + " WHERE migration = ? GROUP BY entry "
                + "ORDER BY bool_and(done), entry DESC LIMIT 1")) {
            ps.setString(1, plan.key());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                String name = plan.sync().stream().filter(s -> s.index() == rsInt(rs)).map(CompiledSync::name)
                        .findFirst().orElse("#" + rsInt(rs));
                return String.format(Locale.ROOT, "sync entry %s: page %,d of %,d", name, rs.getLong(2), rs.getLong(3));
            }
        }
    }

    private static int rsInt(ResultSet rs) {
        try {
            return rs.getInt(1);
        } catch (SQLException e) {
            return -1;
        }
    }

    /** Waits until every shard of the entry is done: the next entry may read what this one writes. */
    private void awaitEntry(Connection c, MigrationPlan plan, CompiledSync entry, Listener listener)
            throws SQLException, EngineException {
        while (true) {
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FILTER (WHERE NOT done) FROM "
                    + ledger.table(TrackingSql.BACKFILL_SHARDS) + " WHERE migration = ? AND entry = ?")) {
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

    static void sleep(Duration d) throws EngineException {
        try {
            Thread.sleep(Math.max(1, d.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EngineException(Reason.DatabaseUnavailable, "backfill interrupted");
        }
    }
}
