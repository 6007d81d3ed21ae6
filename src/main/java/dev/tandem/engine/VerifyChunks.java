package dev.tandem.engine;

import dev.tandem.plan.CompiledSync;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.TrackingSql;
import dev.tandem.plan.VerifySql;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How a pass cuts an entry into chunks, once, and which of them a worker compares. An aligned
 * entry's chunks are key ranges whose bounds are every n-th key of a sample of the old table
 * (whole heap pages, {@code TABLESAMPLE SYSTEM}): about {@code chunkSize} old rows each (fewer on a
 * small table, so that every worker gets several), for the cost of reading about 1 % of the
 * table, whatever the key's type or distribution. The last chunk has no upper bound, so rows
 * inserted after the cut are compared too. An entry compared in hash buckets is one chunk. The chunks are rows of {@code verify_chunks}: the first worker to
 * reach an entry writes them, the others wait for its commit; worker w of n owns the chunks whose
 * number plus the entry's index is w modulo n and compares them in key order, and then helps the
 * others ({@link ChunkClaims}).
 */
final class VerifyChunks {
    /** Sampled keys per chunk (whole pages of them): chunk sizes then vary by a tenth or so. */
    static final int SAMPLE_PER_CHUNK = 2_000;
    /** At most this many sampled keys per entry (a huge table gets fewer per chunk). */
    static final long MAX_SAMPLE = 1_000_000;
    /** A small table is cut into at least this many chunks per worker, so that the workers finish together. */
    static final int CHUNKS_PER_WORKER = 4;
    static final int MIN_CHUNK = 100;

    /** One chunk: (lower, upper], null meaning unbounded. */
    record Bounds(int chunk, String[] lower, String[] upper) {
    }

    private VerifyChunks() {
    }

    /**
     * Cuts the entry's chunks for the pass unless that is done already: {@code chunkSize} old rows
     * each, fewer when the table has less than {@value #CHUNKS_PER_WORKER} chunks per worker.
     */
    static void prepare(Connection c, Ledger ledger, MigrationPlan plan, int pass, VerifySql q, int chunkSize,
                        int workers) throws SQLException, EngineException {
        CompiledSync entry = q.entry();
        String progress = ledger.table(TrackingSql.VERIFY_PROGRESS);
        Transactions.inTransaction(c, () -> {
            ensureProgress(c, ledger, plan, pass, entry);
            String[] resumeAfter;
            try (PreparedStatement ps = c.prepareStatement("SELECT chunks_planned IS NOT NULL OR done, last_key FROM "
                    + progress + " WHERE migration = ? AND pass = ? AND entry = ? FOR UPDATE")) {
                bindEntry(ps, 1, plan, pass, entry);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        return null;
                    }
                    // A pass an older version started walked its entry up to last_key: the chunks start there.
                    resumeAfter = array(rs.getArray(2));
                }
            }
            int chunks = q.aligned() ? cutRanges(c, ledger, plan, pass, q, chunkSize, workers, resumeAfter)
                    : insertWhole(c, ledger, plan, pass, entry);
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + progress + " SET chunks_planned = ? "
                    + "WHERE migration = ? AND pass = ? AND entry = ?")) {
                ps.setInt(1, chunks);
                bindEntry(ps, 2, plan, pass, entry);
                ps.executeUpdate();
            }
            return null;
        });
    }

    /** Inserts the entry's row of the pass's progress unless it is there. */
    static void ensureProgress(Connection c, Ledger ledger, MigrationPlan plan, int pass, CompiledSync entry)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + ledger.table(TrackingSql.VERIFY_PROGRESS)
                + " (migration, pass, entry) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
            bindEntry(ps, 1, plan, pass, entry);
            ps.executeUpdate();
        }
    }

    /** A verify_progress row whose entry the pass has not touched yet (see {@link #untouched}). */
    static final String UNTOUCHED = "chunks_planned IS NULL AND NOT done AND last_key IS NULL";

    /**
     * Whether the pass has not touched the entry yet: not compared whole, not cut into chunks, not
     * started by an older version (which walked it up to a last key).
     */
    static boolean untouched(Connection c, Ledger ledger, MigrationPlan plan, int pass, CompiledSync entry)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + UNTOUCHED + " FROM " + ledger.table(TrackingSql.VERIFY_PROGRESS) + " WHERE migration = ? AND pass = ? AND entry = ?")) {
            bindEntry(ps, 1, plan, pass, entry);
            try (ResultSet rs = ps.executeQuery()) {
                return !rs.next() || rs.getBoolean(1);
            }
        }
    }

    /** Inserts the key-range chunks cut from a sample of the old keys; returns how many. */
    private static int cutRanges(Connection c, Ledger ledger, MigrationPlan plan, int pass, VerifySql q, int chunkSize,
                                 int workers, String[] after) throws SQLException {
        long estimate = Math.max(1, Catalog.estimate(c, q.entry()));
        long rows = Math.min(chunkSize, Math.max(MIN_CHUNK, estimate / ((long) CHUNKS_PER_WORKER * workers)));
        double fraction = Math.min(1.0, Math.min((double) SAMPLE_PER_CHUNK / rows, (double) MAX_SAMPLE / estimate));
        long step = Math.max(1, Math.round(rows * fraction));
        String b = "b.\"tandem_bound\"";
        String n = "b.\"tandem_n\"";
        String sql = "WITH b AS MATERIALIZED (" + q.chunkBounds(after != null) + ") INSERT INTO "
                + ledger.table(TrackingSql.VERIFY_CHUNKS) + " (migration, pass, entry, chunk, lower_key, upper_key) "
                + "SELECT ?, ?, ?, x.chunk, coalesce(x.lower_key, CAST(? AS text[])), x.upper_key FROM ("
                + "SELECT " + n + " - 1 AS chunk, lag(" + b + ") OVER (ORDER BY " + n + ") AS lower_key, " + b
                + " AS upper_key FROM b UNION ALL SELECT (SELECT count(*) FROM b)::int, (SELECT " + b + " FROM b ORDER BY "
                + n + " DESC LIMIT 1), NULL) x";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int p = ChunkComparison.bind(ps, 1, after);
            ps.setDouble(p++, fraction * 100);
            ps.setLong(p++, step);
            p = bindEntry(ps, p, plan, pass, q.entry());
            if (after == null) {
                ps.setNull(p, Types.ARRAY);
            } else {
                ps.setArray(p, c.createArrayOf("text", after));
            }
            return ps.executeUpdate();
        }
    }

    /** One chunk for the whole entry. */
    private static int insertWhole(Connection c, Ledger ledger, MigrationPlan plan, int pass, CompiledSync entry)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + ledger.table(TrackingSql.VERIFY_CHUNKS)
                + " (migration, pass, entry, chunk) VALUES (?, ?, ?, 0)")) {
            bindEntry(ps, 1, plan, pass, entry);
            return ps.executeUpdate();
        }
    }

    /** The worker's next chunk of the entry after chunk {@code after} that is not compared yet, or null. */
    static Bounds next(Connection c, Ledger ledger, MigrationPlan plan, int pass, CompiledSync entry, int worker,
                       int workers, int after) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT chunk, lower_key, upper_key FROM "
                + ledger.table(TrackingSql.VERIFY_CHUNKS) + " WHERE migration = ? AND pass = ? AND entry = ? AND chunk > ? "
                + "AND NOT done AND (chunk + ?) % ? = ? ORDER BY chunk LIMIT 1")) {
            int p = bindEntry(ps, 1, plan, pass, entry);
            ps.setInt(p++, after);
            ps.setInt(p++, entry.index());
            ps.setInt(p++, workers);
            ps.setInt(p, worker);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? bounds(rs) : null;
            }
        }
    }

    /** A chunk from a row of (chunk, lower_key, upper_key). */
    private static Bounds bounds(ResultSet rs) throws SQLException {
        return new Bounds(rs.getInt(1), array(rs.getArray(2)), array(rs.getArray(3)));
    }

    /** Whether the chunk is compared. */
    static boolean done(Connection c, Ledger ledger, MigrationPlan plan, int pass, CompiledSync entry, int chunk)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT done FROM " + ledger.table(TrackingSql.VERIFY_CHUNKS)
                + " WHERE migration = ? AND pass = ? AND entry = ? AND chunk = ?")) {
            ps.setInt(bindEntry(ps, 1, plan, pass, entry), chunk);
            try (ResultSet rs = ps.executeQuery()) {
                return !rs.next() || rs.getBoolean(1);
            }
        }
    }

    /** The chunks of the entry other workers own that are not compared yet, highest first. */
    static List<Bounds> othersLeft(Connection c, Ledger ledger, MigrationPlan plan, int pass, CompiledSync entry,
                                   int worker, int workers) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT chunk, lower_key, upper_key FROM "
                + ledger.table(TrackingSql.VERIFY_CHUNKS) + " WHERE migration = ? AND pass = ? AND entry = ? "
                + "AND NOT done AND (chunk + ?) % ? <> ? ORDER BY chunk DESC")) {
            int p = bindEntry(ps, 1, plan, pass, entry);
            ps.setInt(p++, entry.index());
            ps.setInt(p++, workers);
            ps.setInt(p, worker);
            List<Bounds> left = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    left.add(bounds(rs));
                }
            }
            return left;
        }
    }

    /** Whether every entry of the pass is cut and every chunk compared. */
    static boolean complete(Connection c, Ledger ledger, MigrationPlan plan, int pass) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT (SELECT count(*) FROM " + ledger.table(TrackingSql.VERIFY_PROGRESS)
                + " WHERE migration = ? AND pass = ? AND (done OR chunks_planned IS NOT NULL)) = ? AND NOT EXISTS "
                + "(SELECT 1 FROM " + ledger.table(TrackingSql.VERIFY_CHUNKS) + " WHERE migration = ? AND pass = ? AND NOT done)")) {
            ps.setString(1, plan.key());
            ps.setInt(2, pass);
            ps.setInt(3, plan.sync().size());
            ps.setString(4, plan.key());
            ps.setInt(5, pass);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** Forgets a finished pass's chunks: only an unfinished pass needs them. */
    static void forget(Connection c, Ledger ledger, String key, int pass) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + ledger.table(TrackingSql.VERIFY_CHUNKS)
                + " WHERE migration = ? AND pass = ?")) {
            ps.setString(1, key);
            ps.setInt(2, pass);
            ps.executeUpdate();
        }
    }

    static int bindEntry(PreparedStatement ps, int first, MigrationPlan plan, int pass, CompiledSync entry)
            throws SQLException {
        ps.setString(first, plan.key());
        ps.setInt(first + 1, pass);
        ps.setInt(first + 2, entry.index());
        return first + 3;
    }

    static String[] array(Array a) throws SQLException {
        return a == null ? null : Arrays.stream((Object[]) a.getArray()).map(String::valueOf).toArray(String[]::new);
    }
}
