package dev.tandem.engine;

import dev.tandem.plan.Durations;
import dev.tandem.plan.VerifySql;
import dev.tandem.plan.VerifyTuning;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Compares one chunk of a sync entry in one REPEATABLE READ, READ ONLY transaction, old and new
 * side in the same snapshot: aggregate hashes first, row by row only where they differ. A row whose
 * expressions raise is recorded as an "error" mismatch (its new row cannot be right) and every
 * other row is compared.
 */
final class ChunkComparison {
    private static final int MAX_BUCKETS = 4096;

    private final Connection c;
    private final VerifySql q;
    private final String statementTimeout;
    /** statement_timeout of a whole-table comparison: its snapshot's age at most. */
    private final String wholeTimeout;
    private final int chunkSize;
    private final int maxRecorded;
    /** PostgreSQL's parallel workers a whole-table statement may take: the pass's other workers wait meanwhile. */
    private final int parallelWorkers;

    /** @param parallelism the pass's workers: a whole-table statement keeps as many database processes busy */
    ChunkComparison(Connection c, VerifySql q, EngineSettings settings, int chunkSize, int maxRecorded, int parallelism) {
        this.c = c;
        this.q = q;
        this.statementTimeout = Durations.toPostgres(settings.statementTimeout());
        this.wholeTimeout = Durations.toPostgres(settings.statementTimeout().compareTo(VerifyTuning.WHOLE_TABLE_TIMEOUT) < 0
                ? settings.statementTimeout() : VerifyTuning.WHOLE_TABLE_TIMEOUT);
        this.chunkSize = chunkSize;
        this.maxRecorded = maxRecorded;
        this.parallelWorkers = Math.max(0, parallelism - 1);
    }

    /** Work inside the snapshot. */
    interface Work<T> {
        T run() throws SQLException;
    }

    /** How the statements of a snapshot are planned. */
    enum Plans {
        /** Key ranges: each side walked through its key's index, by this process alone. */
        KEY_RANGES,
        /** The planner's own choice (whole tables, user checks). */
        FREE
    }

    /** Runs {@code work} in one REPEATABLE READ, READ ONLY transaction: one snapshot, no writes. */
    static <T> T inSnapshot(Connection c, String statementTimeout, Plans plans, Work<T> work) throws SQLException {
        return inSnapshot(c, statementTimeout, plans, -1, work);
    }

    /**
     * The same; with {@link Plans#FREE} and {@code parallelWorkers >= 0}, each statement's scans may
     * take that many of PostgreSQL's parallel workers (max_parallel_workers_per_gather), whatever the
     * server's default.
     */
    static <T> T inSnapshot(Connection c, String statementTimeout, Plans plans, int parallelWorkers, Work<T> work)
            throws SQLException {
        c.setAutoCommit(false);
        try {
            try (Statement s = c.createStatement()) {
                s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
            }
            // A chunk's range is bound as parameters: a cached generic plan (chosen after a few chunks) may scan the
            // whole table for every chunk; a custom plan per chunk walks the key's index. Without statistics (a
            // target the backfill has just filled) the planner takes a bitmap scan for it, slower for a key range
            // than walking the index; parallel workers started for each chunk cost more than they save: the
            // verification's workers are its parallelism (measured: docs/benchmarks.md).
            boolean ranges = plans == Plans.KEY_RANGES;
            boolean parallel = !ranges && parallelWorkers >= 0;
            try (PreparedStatement ps = c.prepareStatement("SELECT set_config('statement_timeout', ?, true), "
                    + "set_config('plan_cache_mode', 'force_custom_plan', true), set_config('jit', 'off', true)"
                    + (ranges ? ", set_config('max_parallel_workers_per_gather', '0', true), "
                    + "set_config('enable_bitmapscan', 'off', true), set_config('enable_seqscan', 'off', true)" : "")
                    + (parallel ? ", set_config('max_parallel_workers_per_gather', ?, true)" : ""))) {
                ps.setString(1, statementTimeout);
                if (parallel) {
                    ps.setString(2, Integer.toString(parallelWorkers));
                }
                ps.execute();
            }
            T result = work.run();
            c.commit();
            return result;
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    /**
     * An aligned entry's whole tables in one snapshot, by their hashes alone, in the planner's own plan
     * (sequential scans). Returns the counts when both sides agree; null when they differ, when an
     * expression raises for a row or when the statement ran out of time: the entry's chunks then find
     * the rows.
     */
    ChunkResult whole() throws SQLException {
        try {
            return inSnapshot(c, wholeTimeout, Plans.FREE, parallelWorkers, () -> {
                try (PreparedStatement ps = c.prepareStatement(q.wholeHashes()); ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (!agree(rs)) {
                        return null;
                    }
                    ChunkResult whole = new ChunkResult(maxRecorded);
                    whole.walked = rs.getLong(1);
                    whole.checked = rs.getLong(2);
                    return whole;
                }
            });
        } catch (SQLException e) {
            if (Sql.isRowError(e.getSQLState()) || Sql.QUERY_CANCELED.equals(e.getSQLState())) {
                return null;
            }
            throw e;
        }
    }

    /**
     * The old rows in (lower, upper] (null: unbounded) against their new rows, in one snapshot. When
     * an expression raises for a row, the chunk is compared again in a new snapshot, halved around
     * that row (the clean case pays for no savepoint).
     */
    ChunkResult range(String[] lower, String[] upper) throws SQLException {
        try {
            return inSnapshot(c, statementTimeout, Plans.KEY_RANGES, () -> {
                ChunkResult chunk = new ChunkResult(maxRecorded);
                hashThenDiff(lower, upper, chunk);
                return chunk;
            });
        } catch (SQLException e) {
            if (!Sql.isRowError(e.getSQLState())) {
                throw e;
            }
        }
        ChunkResult chunk = new ChunkResult(maxRecorded);
        inSnapshot(c, statementTimeout, Plans.KEY_RANGES, () -> {
            compareRange(lower, upper, chunk);
            return null;
        });
        return chunk;
    }

    /** Hashes of (lower, upper] on both sides, and the row diff when they differ; adds what it finds to {@code part}. */
    private void hashThenDiff(String[] lower, String[] upper, ChunkResult part) throws SQLException {
        boolean hasLower = lower != null;
        boolean hasUpper = upper != null;
        boolean same;
        try (PreparedStatement ps = c.prepareStatement(q.chunkHashes(hasLower, hasUpper))) {
            bindBothSides(ps, lower, upper);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                part.walked += rs.getLong(1);
                part.checked += rs.getLong(2);
                same = agree(rs);
            }
        }
        if (!same) {
            try (PreparedStatement ps = c.prepareStatement(q.rowDiff(hasLower, hasUpper, 0))) {
                bindBothSides(ps, lower, upper);
                collect(ps, part);
            }
        }
    }

    /**
     * Compares (lower, upper] in a savepoint; when an expression raises for a row, the range is
     * halved until that row is alone.
     */
    private void compareRange(String[] lower, String[] upper, ChunkResult chunk) throws SQLException {
        Savepoint sp = c.setSavepoint();
        try {
            ChunkResult part = new ChunkResult(maxRecorded);
            hashThenDiff(lower, upper, part);
            c.releaseSavepoint(sp);
            chunk.add(part);
        } catch (SQLException e) {
            if (!Sql.isRowError(e.getSQLState())) {
                throw e;
            }
            c.rollback(sp);
            halve(lower, upper, chunk, e);
        }
    }

    /** A range with a row whose expressions raise: that row alone is an error, else both halves are compared. */
    private void halve(String[] lower, String[] upper, ChunkResult chunk, SQLException error) throws SQLException {
        boolean hasLower = lower != null;
        boolean hasUpper = upper != null;
        long rows = single(q.count(hasLower, hasUpper), lower, upper, rs -> rs.getLong(1));
        if (rows <= 1) {
            String key = single(q.keyText(hasLower, hasUpper), lower, upper, rs -> rs.getString(1));
            chunk.walked += rows;
            chunk.checked += rows;
            chunk.mismatch("error", key + ": " + firstLine(error.getMessage()), null, null);
            return;
        }
        String[] middle;
        try (PreparedStatement ps = c.prepareStatement(q.keyAfter(hasLower))) {
            int p = bind(ps, 1, lower);
            ps.setLong(p, rows / 2 - 1);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                middle = new String[q.entry().sourceKey().size()];
                for (int i = 0; i < middle.length; i++) {
                    middle[i] = rs.getString(i + 1);
                }
            }
        }
        compareRange(lower, middle, chunk);
        compareRange(middle, upper, chunk);
    }

    private interface Column<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private <T> T single(String sql, String[] lower, String[] upper, Column<T> column) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, bind(ps, 1, lower), upper);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return column.read(rs);
            }
        }
    }

    private static String firstLine(String message) {
        return message == null ? "" : message.lines().findFirst().orElse("").replaceFirst("^ERROR: ", "");
    }

    /**
     * The whole entry in one snapshot, in hash buckets of the new key (for entries whose new key is
     * not the old key). Rows whose expressions raise are found page by page, recorded and left out.
     */
    ChunkResult buckets(long estimate) throws SQLException {
        ChunkResult chunk = new ChunkResult(maxRecorded);
        int buckets = (int) Math.max(1, Math.min(MAX_BUCKETS, estimate / Math.max(1, chunkSize)));
        // One worker scans both whole tables, with as many of PostgreSQL's parallel workers as the pass has others.
        inSnapshot(c, statementTimeout, Plans.FREE, parallelWorkers, () -> {
            List<String> failing = new ArrayList<>();
            List<Long> differing = new ArrayList<>();
            SQLException error;
            while ((error = bucketHashes(buckets, failing, differing, chunk)) != null) {
                List<String[]> rows = RowErrors.find(c, q.entry());
                if (rows.isEmpty()) {
                    throw error;
                }
                for (String[] row : rows) {
                    failing.add(row[0]);
                    chunk.checked++;
                    chunk.mismatch("error", row[1] + ": " + row[2], null, null);
                }
            }
            chunk.walked = Math.max(estimate, chunk.checked);
            if (!differing.isEmpty()) {
                try (PreparedStatement ps = c.prepareStatement(q.rowDiff(false, false, buckets))) {
                    Array a = c.createArrayOf("bigint", differing.toArray());
                    ps.setArray(1, c.createArrayOf("tid", failing.toArray()));
                    ps.setArray(2, a);
                    ps.setArray(3, a);
                    collect(ps, chunk);
                }
            }
            return null;
        });
        return chunk;
    }

    /**
     * Bucket hashes of both sides, leaving out the {@code failing} old rows; the buckets that differ
     * go to {@code differing}. Returns the error when an expression raised and no failing rows are
     * known yet, else null.
     */
    private SQLException bucketHashes(int buckets, List<String> failing, List<Long> differing, ChunkResult chunk)
            throws SQLException {
        Savepoint sp = c.setSavepoint();
        try {
            differing.clear();
            long checked = 0;
            try (PreparedStatement ps = c.prepareStatement(q.bucketHashes(buckets))) {
                ps.setArray(1, c.createArrayOf("tid", failing.toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        checked += rs.getLong(2);
                        if (!agree(rs)) {
                            differing.add(rs.getLong(1));
                        }
                    }
                }
            }
            c.releaseSavepoint(sp);
            chunk.checked += checked;
            return null;
        } catch (SQLException e) {
            if (!Sql.isRowError(e.getSQLState()) || !failing.isEmpty()) {
                throw e;
            }
            c.rollback(sp);
            return e;
        }
    }

    /** Whether a row of hashes (columns 2 to 5: old count, old hash, new count, new hash) has both sides alike. */
    private static boolean agree(ResultSet rs) throws SQLException {
        return rs.getLong(2) == rs.getLong(4) && Objects.equals(rs.getBigDecimal(3), rs.getBigDecimal(5));
    }

    /** Counts every mismatch a row diff returns (extra rows are checked rows too); keeps what may be recorded. */
    private static void collect(PreparedStatement ps, ChunkResult chunk) throws SQLException {
        ps.setFetchSize(1000);
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String kind = rs.getString(1);
                if ("extra".equals(kind)) {
                    chunk.checked++;
                }
                chunk.mismatch(kind, rs.getString(2), rs.getString(3), rs.getString(4));
            }
        }
    }

    private static void bindBothSides(PreparedStatement ps, String[] lower, String[] upper) throws SQLException {
        int p = bind(ps, 1, lower);
        p = bind(ps, p, upper);
        p = bind(ps, p, lower);
        bind(ps, p, upper);
    }

    static int bind(PreparedStatement ps, int first, String[] key) throws SQLException {
        int p = first;
        if (key != null) {
            for (String v : key) {
                ps.setString(p++, v);
            }
        }
        return p;
    }
}
