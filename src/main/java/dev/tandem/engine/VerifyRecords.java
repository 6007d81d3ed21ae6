package dev.tandem.engine;

import dev.tandem.api.v1alpha1.Reason;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.plan.CompiledSync;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.TrackingSql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Verification's bookkeeping in the tracking schema: the numbered pass ({@code verify_passes}),
 * each entry's counts ({@code verify_progress}), each compared chunk (its checkpoint, in
 * {@code verify_chunks}) and the mismatches ({@code verify_mismatches}, up to the pass's limit). A
 * chunk's counts, mismatches and checkpoint commit in one transaction, so a pass killed at any
 * moment counts every row once when it resumes.
 */
final class VerifyRecords {
    private static final int SAMPLES = 5;

    private final Ledger ledger;
    private final int maxRecorded;

    VerifyRecords(Ledger ledger, int maxRecorded) {
        this.ledger = ledger;
        this.maxRecorded = maxRecorded;
    }

    /**
     * Creates the pass row, or finds it unfinished; false when the pass already finished. The pass
     * must be the one after the latest finished pass.
     */
    boolean begin(Connection c, MigrationPlan plan, int pass, String retryToken, String runner)
            throws SQLException, EngineException {
        return Transactions.inTransaction(c, () -> {
            ledger.lock(c, plan.key() + "#verify");
            LedgerState state = ledger.read(c, plan.key());
            if (!state.applied(Step.BACKFILL)) {
                throw new EngineException(Reason.StepOutOfOrder,
                        "cannot verify " + plan.key() + " before the backfill has committed");
            }
            if (state.applied(Step.CUTOVER) || state.applied(Step.ROLLBACK)) {
                throw new EngineException(Reason.StepOutOfOrder, plan.key() + " has "
                        + (state.applied(Step.CUTOVER) ? "cut over" : "rolled back") + "; there is nothing left to verify");
            }
            Integer latest = null;
            boolean latestFinished = true;
            try (PreparedStatement ps = c.prepareStatement("SELECT pass, finished_at IS NOT NULL FROM "
                    + ledger.table(TrackingSql.VERIFY_PASSES) + " WHERE migration = ? ORDER BY pass DESC LIMIT 1")) {
                ps.setString(1, plan.key());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        latest = rs.getInt(1);
                        latestFinished = rs.getBoolean(2);
                    }
                }
            }
            if (latest != null && pass <= latest) {
                return !(pass < latest || latestFinished);
            }
            int expected = latest == null ? 1 : latest + 1;
            if (pass != expected || !latestFinished) {
                throw new EngineException(Reason.StepOutOfOrder, "verification pass " + pass + " of "
                        + plan.key() + " cannot start: " + (latestFinished ? "the next pass is " + expected
                        : "pass " + latest + " has not finished"));
            }
            insertPass(c, plan, pass, retryToken, runner);
            return true;
        });
    }

    private void insertPass(Connection c, MigrationPlan plan, int pass, String retryToken, String runner)
            throws SQLException {
        long estimate = 0;
        for (CompiledSync entry : plan.sync()) {
            estimate += Catalog.estimate(c, entry);
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + ledger.table(TrackingSql.VERIFY_PASSES)
                + " (migration, pass, retry_token, rows_estimate, runner) VALUES (?, ?, ?, ?, ?)")) {
            ps.setString(1, plan.key());
            ps.setInt(2, pass);
            ps.setString(3, retryToken);
            ps.setLong(4, estimate);
            ps.setString(5, runner);
            ps.executeUpdate();
        }
    }

    /**
     * Commits a chunk's checkpoint, counts and (up to the pass's limit) its mismatches in one
     * transaction; false when another runner recorded the chunk first (nothing is counted twice).
     */
    boolean record(Connection c, MigrationPlan plan, int pass, CompiledSync entry, int chunkNo, ChunkResult chunk)
            throws SQLException, EngineException {
        return Transactions.inTransaction(c, () -> {
            stopIfCutOver(c, plan, pass);
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + ledger.table(TrackingSql.VERIFY_CHUNKS)
                    + " SET done = true, rows_walked = ?, done_at = now() WHERE migration = ? AND pass = ? AND entry = ? "
                    + "AND chunk = ? AND NOT done")) {
                ps.setLong(1, chunk.walked);
                ps.setInt(VerifyChunks.bindEntry(ps, 2, plan, pass, entry), chunkNo);
                if (ps.executeUpdate() == 0) {
                    return false;
                }
            }
            int stored = chunk.mismatches.isEmpty() ? 0 : storeMismatches(c, plan, pass, entry, chunk);
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + ledger.table(TrackingSql.VERIFY_PASSES)
                    + " SET recorded = recorded + ?, updated_at = now() WHERE migration = ? AND pass = ?")) {
                ps.setInt(1, stored);
                ps.setString(2, plan.key());
                ps.setInt(3, pass);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + ledger.table(TrackingSql.VERIFY_PROGRESS)
                    + " SET rows_walked = rows_walked + ?, rows_checked = rows_checked + ?, chunks = chunks + 1, "
                    + "missing = missing + ?, extra = extra + ?, different = different + ?, updated_at = now() "
                    + "WHERE migration = ? AND pass = ? AND entry = ?")) {
                ps.setLong(1, chunk.walked);
                ps.setLong(2, chunk.checked);
                ps.setLong(3, chunk.missing);
                ps.setLong(4, chunk.extra);
                ps.setLong(5, chunk.different);
                VerifyChunks.bindEntry(ps, 6, plan, pass, entry);
                ps.executeUpdate();
            }
            return true;
        });
    }

    /**
     * Commits an entry compared whole and found equal: its counts, as one chunk, and no chunk left to
     * cut; false when the pass had touched the entry already.
     */
    boolean recordWhole(Connection c, MigrationPlan plan, int pass, CompiledSync entry, ChunkResult whole)
            throws SQLException, EngineException {
        return Transactions.inTransaction(c, () -> {
            stopIfCutOver(c, plan, pass);
            VerifyChunks.ensureProgress(c, ledger, plan, pass, entry);
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + ledger.table(TrackingSql.VERIFY_PROGRESS)
                    + " SET chunks_planned = 1, "
                    + "rows_walked = rows_walked + ?, rows_checked = rows_checked + ?, chunks = chunks + 1, "
                    + "updated_at = now() WHERE migration = ? AND pass = ? AND entry = ? AND " + VerifyChunks.UNTOUCHED)) {
                ps.setLong(1, whole.walked);
                ps.setLong(2, whole.checked);
                VerifyChunks.bindEntry(ps, 3, plan, pass, entry);
                if (ps.executeUpdate() == 0) {
                    return false;
                }
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + ledger.table(TrackingSql.VERIFY_PASSES)
                    + " SET updated_at = now() WHERE migration = ? AND pass = ?")) {
                ps.setString(1, plan.key());
                ps.setInt(2, pass);
                ps.executeUpdate();
            }
            return true;
        });
    }

    private void stopIfCutOver(Connection c, MigrationPlan plan, int pass) throws SQLException, EngineException {
        if (cutOver(c, plan.key())) {
            throw new EngineException(Reason.StepOutOfOrder, plan.key()
                    + " cut over while verification pass " + pass + " ran; the pass stops");
        }
    }

    /** Inserts as many of the chunk's mismatches as the pass has room for (the pass row is locked meanwhile). */
    private int storeMismatches(Connection c, MigrationPlan plan, int pass, CompiledSync entry, ChunkResult chunk)
            throws SQLException {
        int recorded;
        try (PreparedStatement ps = c.prepareStatement("SELECT recorded FROM " + ledger.table(TrackingSql.VERIFY_PASSES)
                + " WHERE migration = ? AND pass = ? FOR UPDATE")) {
            ps.setString(1, plan.key());
            ps.setInt(2, pass);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                recorded = rs.getInt(1);
            }
        }
        int room = Math.max(0, maxRecorded - recorded);
        List<ChunkResult.Mismatch> stored = chunk.mismatches.subList(0, Math.min(room, chunk.mismatches.size()));
        if (stored.isEmpty()) {
            return 0;
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + ledger.table(TrackingSql.VERIFY_MISMATCHES)
                + " (migration, pass, entry, entry_name, kind, key, old_row, new_row) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                + "ON CONFLICT DO NOTHING")) {
            for (ChunkResult.Mismatch m : stored) {
                int p = VerifyChunks.bindEntry(ps, 1, plan, pass, entry);
                ps.setString(p++, entry.name());
                ps.setString(p++, m.kind());
                ps.setString(p++, m.key());
                ps.setString(p++, m.oldRow());
                ps.setString(p, m.newRow());
                ps.addBatch();
            }
            ps.executeBatch();
        }
        return stored.size();
    }

    /** Whether the pass has ended. */
    boolean finished(Connection c, String key, int pass) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT finished_at IS NOT NULL FROM "
                + ledger.table(TrackingSql.VERIFY_PASSES) + " WHERE migration = ? AND pass = ?")) {
            ps.setString(1, key);
            ps.setInt(2, pass);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    boolean cutOver(Connection c, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM " + ledger.table(TrackingSql.STEPS)
                + " WHERE migration = ? AND step = ?)")) {
            ps.setString(1, key);
            ps.setString(2, Step.CUTOVER.key());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /**
     * Ends the pass with its result, unless another worker ended it first: a mismatch or a check
     * that returned false fails it, a check that could not run makes it inconclusive. A pass that
     * does not pass withdraws a committed Verify step. The pass's chunks are forgotten.
     */
    void finish(Connection c, MigrationPlan plan, int pass, List<String> failedChecks, boolean errored)
            throws SQLException, EngineException {
        Transactions.inTransaction(c, () -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT finished_at IS NOT NULL FROM "
                    + ledger.table(TrackingSql.VERIFY_PASSES) + " WHERE migration = ? AND pass = ? FOR UPDATE")) {
                ps.setString(1, plan.key());
                ps.setInt(2, pass);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next() || rs.getBoolean(1)) {
                        return null;
                    }
                }
            }
            VerifyState s = state(c, plan.key(), ledger);
            boolean checksFalse = failedChecks.stream().anyMatch(f -> f.endsWith(": returned false"));
            String result = s.mismatches() > 0 || checksFalse ? VerifyState.FAILED
                    : errored ? VerifyState.INCONCLUSIVE : VerifyState.PASSED;
            boolean revoked = !VerifyState.PASSED.equals(result) && ledger.revokeVerified(c, plan.key());
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + ledger.table(TrackingSql.VERIFY_PASSES)
                    + " SET finished_at = now(), updated_at = now(), result = ?, failed_checks = ?, message = ? "
                    + "WHERE migration = ? AND pass = ? AND finished_at IS NULL")) {
                ps.setString(1, result);
                ps.setArray(2, c.createArrayOf("text", failedChecks.toArray()));
                ps.setString(3, s.finishedWith(result, failedChecks).describe()
                        + (revoked ? "; Verified withdrawn: cutover waits for a clean pass" : ""));
                ps.setString(4, plan.key());
                ps.setInt(5, pass);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + ledger.table(TrackingSql.VERIFY_PROGRESS)
                    + " SET done = true WHERE migration = ? AND pass = ?")) {
                ps.setString(1, plan.key());
                ps.setInt(2, pass);
                ps.executeUpdate();
            }
            VerifyChunks.forget(c, ledger, plan.key(), pass);
            return null;
        });
    }

    /** The latest pass's own row. */
    private record PassRow(int pass, boolean running, String result, String token, Instant started, Instant finished,
                           Instant updated, long estimate, List<String> failedChecks, String message) {
        double seconds() {
            return started == null || updated == null ? 0
                    : Math.max(0.001, (updated.toEpochMilli() - started.toEpochMilli()) / 1000.0);
        }
    }

    /** The latest pass of a migration, as the tracking schema has it. */
    static VerifyState state(Connection c, String key, Ledger ledger) throws SQLException {
        if (!ledger.exists(c, TrackingSql.VERIFY_PASSES)) {
            return VerifyState.none();
        }
        PassRow p;
        try (PreparedStatement ps = c.prepareStatement("SELECT pass, finished_at IS NULL, result, retry_token, started_at, "
                + "finished_at, updated_at, rows_estimate, failed_checks, message FROM " + ledger.table(TrackingSql.VERIFY_PASSES)
                + " WHERE migration = ? ORDER BY pass DESC LIMIT 1")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return VerifyState.none();
                }
                String[] checks = VerifyChunks.array(rs.getArray(9));
                p = new PassRow(rs.getInt(1), rs.getBoolean(2), rs.getString(3), rs.getString(4),
                        instant(rs.getTimestamp(5)), instant(rs.getTimestamp(6)), instant(rs.getTimestamp(7)),
                        rs.getLong(8), checks == null ? List.of() : List.of(checks), rs.getString(10));
            }
        }
        long[] sums = sums(c, key, p.pass(), ledger);
        double rate = p.running() && p.seconds() > 0 ? sums[0] / p.seconds() : 0;
        return new VerifyState(p.pass(), p.running(), p.result(), p.token(), p.started(), p.finished(), p.estimate(),
                sums[0], sums[1], sums[2], sums[3], sums[4], sums[5], rate, samples(c, key, p.pass(), ledger),
                p.failedChecks(), p.message(), consecutivePassed(c, key, ledger));
    }

    /** Rows walked, rows checked, chunks, missing, extra, different of a pass. */
    private static long[] sums(Connection c, String key, int pass, Ledger ledger) throws SQLException {
        long[] sums = new long[6];
        try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(sum(rows_walked), 0), coalesce(sum(rows_checked), 0), "
                + "coalesce(sum(chunks), 0), coalesce(sum(missing), 0), coalesce(sum(extra), 0), coalesce(sum(different), 0) "
                + "FROM " + ledger.table(TrackingSql.VERIFY_PROGRESS) + " WHERE migration = ? AND pass = ?")) {
            ps.setString(1, key);
            ps.setInt(2, pass);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                for (int i = 0; i < sums.length; i++) {
                    sums[i] = rs.getLong(i + 1);
                }
            }
        }
        return sums;
    }

    private static List<String> samples(Connection c, String key, int pass, Ledger ledger) throws SQLException {
        List<String> samples = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT entry_name || ' ' || kind || ' ' || key FROM "
                + ledger.table(TrackingSql.VERIFY_MISMATCHES) + " WHERE migration = ? AND pass = ? ORDER BY seq LIMIT " + SAMPLES)) {
            ps.setString(1, key);
            ps.setInt(2, pass);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    samples.add(rs.getString(1));
                }
            }
        }
        return List.copyOf(samples);
    }

    /** Finished passes in a row, newest first, that passed. */
    private static int consecutivePassed(Connection c, String key, Ledger ledger) throws SQLException {
        int consecutive = 0;
        try (PreparedStatement ps = c.prepareStatement("SELECT result FROM " + ledger.table(TrackingSql.VERIFY_PASSES)
                + " WHERE migration = ? AND finished_at IS NOT NULL ORDER BY pass DESC")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next() && VerifyState.PASSED.equals(rs.getString(1))) {
                    consecutive++;
                }
            }
        }
        return consecutive;
    }

    private static Instant instant(Timestamp ts) {
        return ts == null ? null : ts.toInstant();
    }
}
