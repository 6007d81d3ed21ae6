package dev.tandem.engine;

import dev.tandem.plan.TrackingSql;

import dev.tandem.plan.BackfillSql;
import dev.tandem.plan.CompiledSync;
import dev.tandem.plan.MigrationPlan;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * How an entry's backfill is cut into page ranges, fixed once (the first worker writes it): the
 * source's pages when the entry started, split evenly over the workers, and a fingerprint of its
 * storage. Pages added later hold only rows written since expand, which their triggers synced.
 *
 * @param shards  page ranges (at most one per page)
 * @param pages   pages of the source (of its largest partition) when the entry started
 * @param storage fingerprint of the source's storage (relation file nodes); a rewrite changes it
 */
record BackfillLayout(int shards, long pages, String storage) {

    static BackfillLayout prepare(Connection c, Ledger ledger, MigrationPlan plan, CompiledSync entry, int workers)
            throws SQLException, EngineException {
        return Transactions.inTransaction(c, () -> {
            ledger.lock(c, plan.key() + "#backfill#" + entry.index());
            try (PreparedStatement ps = c.prepareStatement("SELECT shards, pages, storage FROM "
                    + ledger.table(TrackingSql.BACKFILL_ENTRIES) + " WHERE migration = ? AND entry = ?")) {
                ps.setString(1, plan.key());
                ps.setInt(2, entry.index());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return new BackfillLayout(rs.getInt(1), rs.getLong(2), rs.getString(3));
                    }
                }
            }
            BackfillLayout layout = measure(c, entry, workers);
            boolean repairs = !entry.inPlace() && !entry.keep();
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + ledger.table(TrackingSql.BACKFILL_ENTRIES)
                    + " (migration, entry, shards, pages, storage, rows_estimate, repaired_at) VALUES (?, ?, ?, ?, ?, ?, "
                    + (repairs ? "NULL" : "now()") + ")")) {
                ps.setString(1, plan.key());
                ps.setInt(2, entry.index());
                ps.setInt(3, layout.shards());
                ps.setLong(4, layout.pages());
                ps.setString(5, layout.storage());
                ps.setLong(6, Catalog.estimate(c, entry));
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + ledger.table(TrackingSql.BACKFILL_SHARDS)
                    + " (migration, entry, shard, first_page, end_page, next_page, done) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                for (int i = 0; i < layout.shards(); i++) {
                    long first = layout.pages() * i / layout.shards();
                    long end = layout.pages() * (i + 1) / layout.shards();
                    ps.setString(1, plan.key());
                    ps.setInt(2, entry.index());
                    ps.setInt(3, i);
                    ps.setLong(4, first);
                    ps.setLong(5, end);
                    ps.setLong(6, first);
                    ps.setBoolean(7, first >= end);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return layout;
        });
    }

    /** The source as it is now: pages, storage, and how many ranges that allows. */
    static BackfillLayout measure(Connection c, CompiledSync entry, int workers) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(BackfillSql.layout())) {
            ps.setString(1, entry.source());
            ps.setString(2, entry.source());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long pages = rs.getLong(1);
                return new BackfillLayout((int) Math.max(1, Math.min(workers, pages)), pages, rs.getString(2));
            }
        }
    }

    /** Forgets the entry's layout and ranges (its source was rewritten): the next prepare starts it over. */
    static void forget(Connection c, Ledger ledger, MigrationPlan plan, CompiledSync entry) throws SQLException {
        for (String table : new String[]{TrackingSql.BACKFILL_SHARDS, TrackingSql.BACKFILL_ENTRIES}) {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + ledger.table(table)
                    + " WHERE migration = ? AND entry = ?")) {
                ps.setString(1, plan.key());
                ps.setInt(2, entry.index());
                ps.executeUpdate();
            }
        }
    }
}
