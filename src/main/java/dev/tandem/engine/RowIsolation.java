package dev.tandem.engine;

import dev.tandem.plan.TrackingSql;

import dev.tandem.api.v1alpha1.Reason;

import dev.tandem.plan.BackfillSql;
import dev.tandem.plan.CompiledSync;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.PreflightSql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.List;

/**
 * Copies a page range whose batch failed on a row error, one page and then one row at a time
 * (each in a savepoint of the batch's transaction), so that every other row is copied and the rows
 * that raise are known by key. With onError Record each is recorded in sync_errors (verification
 * then names it); with Fail the first one ends the backfill with its key, field and error. Its
 * statements are the batch's, source rows locked FOR KEY SHARE included when the batch locks them.
 */
final class RowIsolation {
    /** What a batch wrote: new rows, and rows that raised. */
    record Written(long rows, long failed) {
    }

    private final Connection c;
    private final CompiledSync entry;
    private final MigrationPlan plan;
    private final List<String> derivedTypes;
    private final boolean lockSource;
    private long rows;
    private long failed;

    RowIsolation(Connection c, CompiledSync entry, MigrationPlan plan, List<String> derivedTypes, boolean lockSource) {
        this.c = c;
        this.entry = entry;
        this.plan = plan;
        this.derivedTypes = derivedTypes;
        this.lockSource = lockSource;
    }

    Written copy(long first, long end) throws SQLException, EngineException {
        for (long page = first; page < end; page++) {
            Savepoint sp = c.setSavepoint();
            try {
                rows += write(BackfillSql.tid(page, 0), BackfillSql.tid(page + 1, 0));
                c.releaseSavepoint(sp);
            } catch (SQLException e) {
                if (!Sql.isRowError(e.getSQLState())) {
                    throw e;
                }
                c.rollback(sp);
                rowByRow(page);
            }
        }
        return new Written(rows, failed);
    }

    private void rowByRow(long page) throws SQLException, EngineException {
        List<String[]> keys = RowErrors.rowsOfPage(c, entry, page);
        for (String[] row : keys) {
            int item = RowErrors.item(row[0]);
            String from = BackfillSql.tid(page, item);
            String to = BackfillSql.tid(page, item + 1);
            Savepoint sp = c.setSavepoint();
            try {
                rows += write(from, to);
                c.releaseSavepoint(sp);
            } catch (SQLException e) {
                if (!Sql.isRowError(e.getSQLState())) {
                    throw e;
                }
                c.rollback(sp);
                failure(row, from, to, e);
            }
        }
    }

    private int write(String from, String to) throws SQLException {
        String sql = entry.inPlace() ? BackfillSql.derive(entry, derivedTypes)
                : BackfillSql.copy(entry, BackfillSql.Mode.ON_CONFLICT, lockSource);
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, from);
            ps.setString(2, to);
            return ps.executeUpdate();
        }
    }

    private void failure(String[] row, String from, String to, SQLException e) throws SQLException, EngineException {
        String key = keyText(row);
        String field = field(from, to);
        String message = e.getMessage() == null ? e.getSQLState() : e.getMessage().lines().findFirst().orElse("");
        if (!entry.recordErrors()) {
            throw new EngineException(Reason.SyncRowFailed, "backfill of sync entry " + entry.name()
                    + ": the row " + entry.sourceTable() + " (" + key + ") fails" + (field == null ? "" : " at " + field)
                    + ": " + message + "; fix the row, or set " + entry.field() + ".onError: Record to copy the other rows "
                    + "and let verification name this one");
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + dev.tandem.plan.TrackingSql.table(entry.trackingSchema(), TrackingSql.SYNC_ERRORS)
                + " (migration, entry, entry_name, direction, source_key, sqlstate, message) VALUES (?, ?, ?, 'backfill', ?, ?, ?)")) {
            ps.setString(1, plan.key());
            ps.setInt(2, entry.index());
            ps.setString(3, entry.name());
            String[] values = new String[row.length - 1];
            System.arraycopy(row, 1, values, 0, values.length);
            ps.setArray(4, c.createArrayOf("text", values));
            ps.setString(5, e.getSQLState());
            ps.setString(6, (field == null ? "" : field + ": ") + message);
            ps.executeUpdate();
        }
        failed++;
    }

    /** Which field of the entry raises for the row: its where, or one of its columns. */
    private String field(String from, String to) throws SQLException {
        List<String> statements = PreflightSql.evaluateEach(entry);
        List<String> fields = PreflightSql.fields(entry);
        for (int i = 0; i < statements.size(); i++) {
            Savepoint sp = c.setSavepoint();
            try (PreparedStatement ps = c.prepareStatement(statements.get(i))) {
                ps.setString(1, from);
                ps.setString(2, to);
                ps.executeQuery().close();
                c.releaseSavepoint(sp);
            } catch (SQLException e) {
                c.rollback(sp);
                return fields.get(i);
            }
        }
        return null;
    }

    private String keyText(String[] row) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < entry.sourceKey().size(); i++) {
            parts.add(entry.sourceKey().get(i) + "=" + row[i + 1]);
        }
        return String.join(", ", parts);
    }
}
