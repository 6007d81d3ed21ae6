package dev.tandem.engine;

import dev.tandem.plan.BackfillSql;
import dev.tandem.plan.CompiledSync;
import dev.tandem.plan.PreflightSql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the source rows of an entry whose expressions (or where condition) raise: evaluates page
 * ranges, then single pages, then single rows of a page that fails, so the cost stays near one
 * read of the table when few rows fail.
 */
final class RowErrors {
    static final long PAGES_PER_TRY = 2_000;

    /** Runs one read-only statement with two tid parameters; throws what it raises. */
    interface Attempt {
        void run(String sql, String from, String to) throws SQLException;
    }

    /** A failing row: its tid, its key as "k=v, ...", and the field and error. */
    record Failure(String tid, String key, String error) {
    }

    private RowErrors() {
    }

    /** Inside the caller's transaction, each attempt in a savepoint. Rows: tid, key text, error. */
    static List<String[]> find(Connection c, CompiledSync entry) throws SQLException {
        List<String[]> out = new ArrayList<>();
        Attempt inSavepoint = (sql, from, to) -> {
            Savepoint sp = c.setSavepoint();
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, from);
                ps.setString(2, to);
                ps.executeQuery().close();
                c.releaseSavepoint(sp);
            } catch (SQLException e) {
                c.rollback(sp);
                throw e;
            }
        };
        for (Failure f : find(c, entry, inSavepoint, Integer.MAX_VALUE)) {
            out.add(new String[]{f.tid(), f.key(), f.error()});
        }
        return out;
    }

    /** Up to {@code limit} failing rows (in page order). */
    static List<Failure> find(Connection c, CompiledSync entry, Attempt attempt, int limit) throws SQLException {
        List<Failure> failures = new ArrayList<>();
        long pages = BackfillLayout.measure(c, entry, 1).pages();
        for (long first = 0; first < pages && failures.size() < limit; first += PAGES_PER_TRY) {
            long end = Math.min(pages, first + PAGES_PER_TRY);
            if (fails(attempt, PreflightSql.evaluate(entry), BackfillSql.tid(first, 0), BackfillSql.tid(end, 0)) == null) {
                continue;
            }
            for (long page = first; page < end && failures.size() < limit; page++) {
                if (fails(attempt, PreflightSql.evaluate(entry), BackfillSql.tid(page, 0), BackfillSql.tid(page + 1, 0)) != null) {
                    rows(c, entry, attempt, page, failures, limit);
                }
            }
        }
        return failures;
    }

    private static void rows(Connection c, CompiledSync entry, Attempt attempt, long page, List<Failure> failures, int limit)
            throws SQLException {
        List<String[]> rows = rowsOfPage(c, entry, page);
        List<String> statements = PreflightSql.evaluateEach(entry);
        List<String> fields = PreflightSql.fields(entry);
        for (String[] row : rows) {
            if (failures.size() >= limit) {
                return;
            }
            int item = item(row[0]);
            String from = BackfillSql.tid(page, item);
            String to = BackfillSql.tid(page, item + 1);
            for (int i = 0; i < statements.size(); i++) {
                String error = fails(attempt, statements.get(i), from, to);
                if (error != null) {
                    List<String> key = new ArrayList<>();
                    for (int k = 0; k < entry.sourceKey().size(); k++) {
                        key.add(entry.sourceKey().get(k) + "=" + row[k + 1]);
                    }
                    failures.add(new Failure(row[0], String.join(", ", key), fields.get(i) + ": " + error));
                    break;
                }
            }
        }
    }

    /** The rows stored in one page: each its tid as text, then its source key values as text. */
    static List<String[]> rowsOfPage(Connection c, CompiledSync entry, long page) throws SQLException {
        List<String[]> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(BackfillSql.keysInRange(entry))) {
            ps.setString(1, BackfillSql.tid(page, 0));
            ps.setString(2, BackfillSql.tid(page + 1, 0));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String[] row = new String[entry.sourceKey().size() + 1];
                    for (int i = 0; i < row.length; i++) {
                        row[i] = rs.getString(i + 1);
                    }
                    rows.add(row);
                }
            }
        }
        return rows;
    }

    /** The item number of a tid written as "(page,item)". */
    static int item(String tid) {
        return Integer.parseInt(tid.substring(tid.indexOf(',') + 1, tid.length() - 1));
    }

    /** The error a statement raises for a tid range, or null when it evaluates. */
    private static String fails(Attempt attempt, String sql, String from, String to) throws SQLException {
        try {
            attempt.run(sql, from, to);
            return null;
        } catch (SQLException e) {
            if (Sql.READ_ONLY_TRANSACTION.equals(e.getSQLState())) {
                return null; // the expression writes: it cannot be tried read-only
            }
            if (!Sql.isRowError(e.getSQLState())) {
                throw e;
            }
            return e.getMessage() == null ? e.getSQLState()
                    : e.getMessage().lines().findFirst().orElse("").replaceFirst("^ERROR: ", "");
        }
    }
}
