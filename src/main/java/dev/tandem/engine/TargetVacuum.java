package dev.tandem.engine;

import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.CompiledSync;
import dev.tandem.plan.MigrationPlan;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The backfill's last act: {@code VACUUM (SKIP_LOCKED, TRUNCATE false)} of every table
 * it wrote, once all its entries are copied and repaired. The first reader of a freshly written row checks its
 * transaction's commit in the commit log and sets the row's hint bits, dirtying the page; left
 * alone, the first verification pass (or the new version's first queries) would pay for that, and
 * autovacuum would come by later anyway for the inserted rows (or, in place, for the updated
 * rows' dead versions). Done here, right after the last batch, the pages are still in the cache,
 * the visibility map is set (index-only scans for the new version), dead row versions of an
 * in-place backfill are reclaimed, and the planner knows the new table's size (pg_class). Its
 * column statistics are left to autovacuum's ANALYZE: sampling them cost more than twice the
 * VACUUM itself on the benchmark's table (0.10 to 0.16 s against 0.04 to 0.05 s at 1 M rows).
 *
 * <p>{@code TRUNCATE false}: giving empty pages at the end back to the file system would take an
 * ACCESS EXCLUSIVE lock, on a standby too (where it blocks reads while it replays); autovacuum
 * may do that later on its own terms. One worker vacuums (a session lock; the others finish
 * without waiting). {@code SKIP_LOCKED} skips a table another VACUUM holds (autovacuum already at work); a throttled backfill
 * ({@code maxRowsPerSecond}) vacuums with autovacuum's cost delay. It is an optimisation: a
 * VACUUM that cannot run (not the owner, a statement timeout) leaves the backfill done as it is.
 */
final class TargetVacuum {
    /** autovacuum_vacuum_cost_delay's default: a throttled backfill's VACUUM is paced like autovacuum's. */
    static final String THROTTLED_COST_DELAY = "2ms";

    /** query_canceled (a statement timeout), lock_not_available, insufficient_privilege. */
    private static final Set<String> SKIPPABLE = Set.of("57014", "55P03", "42501");

    private TargetVacuum() {
    }

    /**
     * A VACUUM does not read from its client, so a killed worker (its pod deleted, say by a rollback)
     * would leave it running to the end, holding its lock; with this setting the server looks at the
     * connection every second and ends the VACUUM when the client is gone. Not every platform has
     * it (setting it is an error there): then the VACUUM runs without.
     */
    private static void watchClient(Statement s) {
        try {
            s.execute("SET client_connection_check_interval = '1s'");
        } catch (SQLException e) {
            // unsupported here: nothing else to do
        }
    }

    /** The distinct tables the plan's backfill writes, in entry order. */
    static Set<String> tables(MigrationPlan plan) {
        Set<String> tables = new LinkedHashSet<>();
        for (CompiledSync entry : plan.sync()) {
            tables.add(entry.target());
        }
        return tables;
    }

    static void run(Connection c, Ledger ledger, MigrationPlan plan, BackfillTuning tuning, Backfiller.Listener listener)
            throws SQLException {
        String lock = plan.key() + "#vacuum";
        if (plan.sync().isEmpty() || !ledger.trySessionLock(c, lock)) {
            return;
        }
        c.setAutoCommit(true); // VACUUM runs outside a transaction block
        listener.at(Backfiller.Point.BEFORE_VACUUM, 0, 0);
        try (Statement s = c.createStatement()) {
            s.execute("SET vacuum_cost_delay = '" + (tuning.maxRowsPerSecond() > 0 ? THROTTLED_COST_DELAY : "0") + "'");
            watchClient(s);
            for (String table : tables(plan)) {
                try {
                    s.execute("VACUUM (SKIP_LOCKED, TRUNCATE false) " + table);
                } catch (SQLException e) {
                    if (!SKIPPABLE.contains(e.getSQLState())) {
                        throw e;
                    }
                    // Cancelled by a statement timeout, or not ours to vacuum: autovacuum does the same later.
                }
            }
            s.execute("RESET vacuum_cost_delay");
            s.execute("RESET client_connection_check_interval");
            listener.at(Backfiller.Point.AFTER_VACUUM, 0, 0);
        } finally {
            ledger.sessionUnlock(c, lock);
        }
    }
}
