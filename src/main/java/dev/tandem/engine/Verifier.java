package dev.tandem.engine;

import dev.tandem.plan.TrackingSql;

import dev.tandem.api.v1alpha1.Reason;

import dev.tandem.plan.CompiledSync;
import dev.tandem.plan.Durations;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.PlannedCheck;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.plan.VerifyTuning;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Savepoint;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Proves that the new storage holds f(old): for each sync entry, every chunk is read in one
 * REPEATABLE READ, READ ONLY transaction, old and new side in the same snapshot, compared first by
 * an aggregate hash and row by row only when the hashes differ. The sync triggers write both
 * storages in the writer's own transaction, so every committed snapshot has new == f(old): a
 * snapshot per chunk gives no false alarm under concurrent writes, and no transaction stays open
 * for the whole pass (which would hold back VACUUM).
 *
 * <p>A pass is numbered and checkpointed per chunk in the tracking schema (the mismatches a chunk
 * found commit with its checkpoint), so an interrupted pass resumes where it stopped. Then the
 * user's checks run, read-only. A pass that does not pass withdraws a committed Verify step, unless
 * the migration has cut over.
 */
public final class Verifier {
    /** Hears each compared chunk. */
    public interface Listener {
        Listener NONE = new Listener() {
        };

        default void chunk(int entry, long rowsWalked, long mismatches) {
        }
    }

    private static final int SAMPLES = 5;
    private static final int MAX_BUCKETS = 4096;

    private final DatabaseTarget target;
    private final EngineSettings settings;
    private final VerifyTuning tuning;
    private final Ledger ledger;

    public Verifier(DatabaseTarget target, EngineSettings settings, VerifyTuning tuning) {
        this.target = target;
        this.settings = settings;
        this.tuning = tuning;
        this.ledger = new Ledger(settings.trackingSchema());
    }

    /** The latest pass of a migration. */
    public VerifyState state(MigrationPlan plan) throws EngineException {
        try (Connection c = target.connect("tandem-progress")) {
            return state(c, plan.key(), ledger);
        } catch (SQLException e) {
            throw new EngineException(Reason.DatabaseUnavailable, target.redact(e.getMessage()), e);
        }
    }

    /**
     * Runs pass {@code pass} to its end: starts it (it must be the one after the latest finished
     * pass) or resumes it after an interruption. A pass that already finished is not run again.
     *
     * @param retryToken spec.verify.retry when the pass was requested (recorded with it)
     * @return the pass as it ended
     */
    public VerifyState run(MigrationPlan plan, int pass, String retryToken, Listener listener) throws EngineException {
        try (Connection c = target.connect("tandem-verify")) {
            ledger.bootstrap(c);
            if (!begin(c, plan, pass, retryToken == null ? "" : retryToken)) {
                return state(c, plan.key(), ledger);
            }
            for (CompiledSync entry : plan.sync()) {
                verifyEntry(c, plan, pass, entry, listener);
            }
            List<String> failedChecks = new ArrayList<>();
            boolean errored = runChecks(c, plan, failedChecks);
            finish(c, plan, pass, failedChecks, errored);
            return state(c, plan.key(), ledger);
        } catch (SQLException e) {
            throw new EngineException(Sql.isConnectionError(e.getSQLState()) ? Reason.DatabaseUnavailable
                    : Reason.SqlError,
                    "verification of " + plan.key() + ": " + target.redact(e.getMessage()), e);
        }
    }

    /** Creates the pass row, or finds it unfinished; false when the pass already finished. */
    private boolean begin(Connection c, MigrationPlan plan, int pass, String retryToken)
            throws SQLException, EngineException {
        return inTransaction(c, () -> {
            ledger.lock(c, plan.key() + "#verify");
            LedgerState state = ledger.read(c, plan.key());
            if (!state.applied(Step.BACKFILL)) {
                throw new EngineException(Reason.StepOutOfOrder, "cannot verify " + plan.key() + " before the backfill has committed");
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
                ps.setString(5, settings.runner());
                ps.executeUpdate();
            }
            return true;
        });
    }

    private void verifyEntry(Connection c, MigrationPlan plan, int pass, CompiledSync entry, Listener listener)
            throws SQLException, EngineException {
        String progress = ledger.table(TrackingSql.VERIFY_PROGRESS);
        String[] last;
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + progress + " (migration, pass, entry) "
                + "VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
            ps.setString(1, plan.key());
            ps.setInt(2, pass);
            ps.setInt(3, entry.index());
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT last_key, done FROM " + progress
                + " WHERE migration = ? AND pass = ? AND entry = ?")) {
            ps.setString(1, plan.key());
            ps.setInt(2, pass);
            ps.setInt(3, entry.index());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getBoolean(2)) {
                    return;
                }
                last = array(rs.getArray(1));
            }
        }
        VerifyQueries q = queries(c, entry);
        if (q.aligned()) {
            while (last != Chunk.END) {
                Chunk chunk = alignedChunk(c, q, last);
                record(c, plan, pass, entry, chunk);
                last = chunk.upper == null ? Chunk.END : chunk.upper;
                listener.chunk(entry.index(), chunk.walked, chunk.mismatches.size());
            }
        } else {
            Chunk chunk = bucketed(c, q, Catalog.estimate(c, entry));
            record(c, plan, pass, entry, chunk);
            listener.chunk(entry.index(), chunk.walked, chunk.mismatches.size());
        }
    }

    /** What one chunk found. {@code upper} null: the entry is done. */
    private static final class Chunk {
        static final String[] END = new String[0];
        String[] upper;
        long walked;
        long checked;
        long missing;
        long extra;
        long different;
        final List<String[]> mismatches = new ArrayList<>();

        /** Adds what a part of this chunk found. */
        void add(Chunk part, int maxRecorded) {
            missing += part.missing;
            extra += part.extra;
            different += part.different;
            checked += part.checked;
            for (String[] m : part.mismatches) {
                if (mismatches.size() < maxRecorded) {
                    mismatches.add(m);
                }
            }
        }
    }

    /** Work inside one transaction. */
    private interface Work<T, E extends Exception> {
        T run() throws SQLException, E;
    }

    /** Runs {@code work} in one transaction: committed when it returns, rolled back when it throws. */
    private static <T, E extends Exception> T inTransaction(Connection c, Work<T, E> work) throws SQLException, E {
        c.setAutoCommit(false);
        try {
            T result = work.run();
            c.commit();
            return result;
        } catch (Exception e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    /** Runs {@code work} in one REPEATABLE READ, READ ONLY transaction: one snapshot, no writes. */
    private <T> T inSnapshot(Connection c, Work<T, RuntimeException> work) throws SQLException {
        return inTransaction(c, () -> {
            try (Statement s = c.createStatement()) {
                s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
            }
            // A chunk's range is bound as parameters: a cached generic plan (chosen after a few chunks) may scan the
            // whole table for every chunk; a custom plan per chunk walks the key's index.
            try (PreparedStatement ps = c.prepareStatement("SELECT set_config('statement_timeout', ?, true), "
                    + "set_config('plan_cache_mode', 'force_custom_plan', true), set_config('jit', 'off', true)")) {
                ps.setString(1, Durations.toPostgres(settings.statementTimeout()));
                ps.execute();
            }
            return work.run();
        });
    }

    private Chunk alignedChunk(Connection c, VerifyQueries q, String[] lower) throws SQLException {
        Chunk chunk = new Chunk();
        boolean hasLower = lower != null;
        inSnapshot(c, () -> {
            try (PreparedStatement ps = c.prepareStatement(q.chunkUpper(hasLower))) {
                int p = bind(ps, 1, lower);
                ps.setInt(p, Math.max(0, tuning.chunkSize() - 1));
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        chunk.upper = new String[q.entry.sourceKey().size()];
                        for (int i = 0; i < chunk.upper.length; i++) {
                            chunk.upper[i] = rs.getString(i + 1);
                        }
                    }
                }
            }
            compareRange(c, q, lower, chunk.upper, chunk);
            return null;
        });
        return chunk;
    }

    /**
     * Compares the old rows in (lower, upper] with their new rows: hashes, then row by row where they
     * differ. When an expression raises for a row, the range is halved until that row is alone; it is
     * recorded as an "error" mismatch (its new row cannot be right) and every other row is compared.
     */
    private void compareRange(Connection c, VerifyQueries q, String[] lower, String[] upper, Chunk chunk)
            throws SQLException {
        boolean hasLower = lower != null;
        boolean hasUpper = upper != null;
        Savepoint sp = c.setSavepoint();
        try {
            boolean same;
            long walked;
            long checked;
            try (PreparedStatement ps = c.prepareStatement(q.chunkHashes(hasLower, hasUpper))) {
                int p = bind(ps, 1, lower);
                p = bind(ps, p, upper);
                p = bind(ps, p, lower);
                bind(ps, p, upper);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    walked = rs.getLong(1);
                    checked = rs.getLong(2);
                    same = rs.getLong(2) == rs.getLong(4) && Objects.equals(rs.getBigDecimal(3), rs.getBigDecimal(5));
                }
            }
            Chunk part = new Chunk();
            if (!same) {
                try (PreparedStatement ps = c.prepareStatement(q.rowDiff(hasLower, hasUpper, 0))) {
                    int p = bind(ps, 1, lower);
                    p = bind(ps, p, upper);
                    p = bind(ps, p, lower);
                    bind(ps, p, upper);
                    collect(ps, part);
                }
            }
            c.releaseSavepoint(sp);
            chunk.walked += walked;
            chunk.checked += checked;
            chunk.add(part, tuning.maxRecordedMismatches());
        } catch (SQLException e) {
            if (!Sql.isRowError(e.getSQLState())) {
                throw e;
            }
            c.rollback(sp);
            long rows = single(c, q.count(hasLower, hasUpper), lower, upper, rs -> rs.getLong(1));
            if (rows <= 1) {
                String key = single(c, q.keyText(hasLower, hasUpper), lower, upper, rs -> rs.getString(1));
                chunk.walked += rows;
                chunk.checked += rows;
                chunk.different++;
                if (chunk.mismatches.size() < tuning.maxRecordedMismatches()) {
                    chunk.mismatches.add(new String[]{"error", key + ": " + firstLine(e.getMessage()), null, null});
                }
                return;
            }
            String[] middle;
            try (PreparedStatement ps = c.prepareStatement(q.chunkUpper(hasLower))) {
                int p = bind(ps, 1, lower);
                ps.setLong(p, rows / 2 - 1);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    middle = new String[q.entry.sourceKey().size()];
                    for (int i = 0; i < middle.length; i++) {
                        middle[i] = rs.getString(i + 1);
                    }
                }
            }
            compareRange(c, q, lower, middle, chunk);
            compareRange(c, q, middle, upper, chunk);
        }
    }

    private interface Column<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private static <T> T single(Connection c, String sql, String[] lower, String[] upper, Column<T> column)
            throws SQLException {
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

    private Chunk bucketed(Connection c, VerifyQueries q, long estimate) throws SQLException {
        Chunk chunk = new Chunk();
        int buckets = (int) Math.max(1, Math.min(MAX_BUCKETS, estimate / Math.max(1, tuning.chunkSize())));
        inSnapshot(c, () -> {
            List<String> failing = new ArrayList<>();
            List<Long> differing = new ArrayList<>();
            while (true) {
                Savepoint sp = c.setSavepoint();
                try {
                    differing.clear();
                    long checked = 0;
                    try (PreparedStatement ps = c.prepareStatement(q.bucketHashes(buckets))) {
                        ps.setArray(1, c.createArrayOf("tid", failing.toArray()));
                        try (ResultSet rs = ps.executeQuery()) {
                            while (rs.next()) {
                                checked += rs.getLong(2);
                                if (rs.getLong(2) != rs.getLong(4)
                                        || !Objects.equals(rs.getBigDecimal(3), rs.getBigDecimal(5))) {
                                    differing.add(rs.getLong(1));
                                }
                            }
                        }
                    }
                    c.releaseSavepoint(sp);
                    chunk.checked += checked;
                    break;
                } catch (SQLException e) {
                    if (!Sql.isRowError(e.getSQLState()) || !failing.isEmpty()) {
                        throw e;
                    }
                    c.rollback(sp);
                    // Rows whose expressions raise: found page by page, recorded, and left out of the comparison.
                    for (String[] row : RowErrors.find(c, q.entry)) {
                        failing.add(row[0]);
                        chunk.different++;
                        chunk.checked++;
                        if (chunk.mismatches.size() < tuning.maxRecordedMismatches()) {
                            chunk.mismatches.add(new String[]{"error", row[1] + ": " + row[2], null, null});
                        }
                    }
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

    /** Counts every mismatch a row diff returns; keeps as many as may be recorded. */
    private void collect(PreparedStatement ps, Chunk chunk) throws SQLException {
        ps.setFetchSize(1000);
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String kind = rs.getString(1);
                switch (kind) {
                    case "missing" -> chunk.missing++;
                    case "extra" -> chunk.extra++;
                    default -> chunk.different++;
                }
                if (chunk.mismatches.size() < tuning.maxRecordedMismatches()) {
                    chunk.mismatches.add(new String[]{kind, rs.getString(2), rs.getString(3), rs.getString(4)});
                }
            }
        }
        chunk.checked += chunk.extra;
    }

    /** Commits a chunk's checkpoint, counts and (up to the pass's limit) its mismatches in one transaction. */
    private void record(Connection c, MigrationPlan plan, int pass, CompiledSync entry, Chunk chunk)
            throws SQLException, EngineException {
        inTransaction(c, () -> {
            if (cutOver(c, plan.key())) {
                throw new EngineException(Reason.StepOutOfOrder, plan.key()
                        + " cut over while verification pass " + pass + " ran; the pass stops");
            }
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
            int room = Math.max(0, tuning.maxRecordedMismatches() - recorded);
            int stored = 0;
            if (room > 0 && !chunk.mismatches.isEmpty()) {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + ledger.table(TrackingSql.VERIFY_MISMATCHES)
                        + " (migration, pass, entry, entry_name, kind, key, old_row, new_row) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                        + "ON CONFLICT DO NOTHING")) {
                    for (String[] m : chunk.mismatches.subList(0, Math.min(room, chunk.mismatches.size()))) {
                        ps.setString(1, plan.key());
                        ps.setInt(2, pass);
                        ps.setInt(3, entry.index());
                        ps.setString(4, entry.name());
                        ps.setString(5, m[0]);
                        ps.setString(6, m[1]);
                        ps.setString(7, m[2]);
                        ps.setString(8, m[3]);
                        ps.addBatch();
                        stored++;
                    }
                    ps.executeBatch();
                }
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + ledger.table(TrackingSql.VERIFY_PASSES)
                    + " SET recorded = recorded + ?, updated_at = now() WHERE migration = ? AND pass = ?")) {
                ps.setInt(1, stored);
                ps.setString(2, plan.key());
                ps.setInt(3, pass);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + ledger.table(TrackingSql.VERIFY_PROGRESS)
                    + " SET last_key = ?, rows_walked = rows_walked + ?, rows_checked = rows_checked + ?, "
                    + "chunks = chunks + 1, missing = missing + ?, extra = extra + ?, different = different + ?, "
                    + "done = ?, updated_at = now() WHERE migration = ? AND pass = ? AND entry = ?")) {
                ps.setArray(1, chunk.upper == null ? null : c.createArrayOf("text", chunk.upper));
                ps.setLong(2, chunk.walked);
                ps.setLong(3, chunk.checked);
                ps.setLong(4, chunk.missing);
                ps.setLong(5, chunk.extra);
                ps.setLong(6, chunk.different);
                ps.setBoolean(7, chunk.upper == null);
                ps.setString(8, plan.key());
                ps.setInt(9, pass);
                ps.setInt(10, entry.index());
                ps.executeUpdate();
            }
            return null;
        });
    }

    private boolean cutOver(Connection c, String key) throws SQLException {
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

    /** Runs the user's checks read-only; returns whether one could not run. */
    private boolean runChecks(Connection c, MigrationPlan plan, List<String> failed) throws SQLException {
        boolean errored = false;
        for (PlannedCheck check : plan.checks()) {
            CheckRun run;
            try {
                run = inSnapshot(c, () -> CheckRun.run(c, check));
            } catch (SQLException e) {
                if (Sql.isConnectionError(e.getSQLState())) {
                    throw e;
                }
                run = CheckRun.failed(check, e, Durations.format(settings.statementTimeout()), target);
            }
            if (!run.passed()) {
                failed.add(run.message());
                errored |= !run.answered();
            }
        }
        return errored;
    }

    private void finish(Connection c, MigrationPlan plan, int pass, List<String> failedChecks, boolean errored)
            throws SQLException {
        inTransaction(c, () -> {
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
                ps.setString(3, s.finishedWith(result, failedChecks).describe() + (revoked ? "; Verified withdrawn: cutover waits for a clean pass" : ""));
                ps.setString(4, plan.key());
                ps.setInt(5, pass);
                ps.executeUpdate();
            }
            return null;
        });
    }

    static VerifyState state(Connection c, String key, Ledger ledger) throws SQLException {
        if (!ledger.exists(c, TrackingSql.VERIFY_PASSES)) {
            return VerifyState.none();
        }
        int pass;
        boolean running;
        String result;
        String token;
        Instant started;
        Instant finished;
        Instant updated;
        long estimate;
        List<String> failedChecks;
        String message;
        try (PreparedStatement ps = c.prepareStatement("SELECT pass, finished_at IS NULL, result, retry_token, started_at, "
                + "finished_at, updated_at, rows_estimate, failed_checks, message FROM " + ledger.table(TrackingSql.VERIFY_PASSES)
                + " WHERE migration = ? ORDER BY pass DESC LIMIT 1")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return VerifyState.none();
                }
                pass = rs.getInt(1);
                running = rs.getBoolean(2);
                result = rs.getString(3);
                token = rs.getString(4);
                started = instant(rs.getTimestamp(5));
                finished = instant(rs.getTimestamp(6));
                updated = instant(rs.getTimestamp(7));
                estimate = rs.getLong(8);
                String[] checks = array(rs.getArray(9));
                failedChecks = checks == null ? List.of() : List.of(checks);
                message = rs.getString(10);
            }
        }
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
        double seconds = started == null || updated == null ? 0
                : Math.max(0.001, (updated.toEpochMilli() - started.toEpochMilli()) / 1000.0);
        double rate = running && seconds > 0 ? sums[0] / seconds : 0;
        return new VerifyState(pass, running, result, token, started, finished, estimate, sums[0], sums[1], sums[2],
                sums[3], sums[4], sums[5], rate, List.copyOf(samples), failedChecks, message, consecutive);
    }

    private VerifyQueries queries(Connection c, CompiledSync entry) throws SQLException {
        return new VerifyQueries(entry, Catalog.columnTypes(c, entry.target(), VerifyQueries.compared(entry), entry.name()),
                Catalog.columnTypes(c, entry.source(), entry.sourceKey(), entry.name()));
    }

    private static int bind(PreparedStatement ps, int first, String[] key) throws SQLException {
        int p = first;
        if (key != null) {
            for (String v : key) {
                ps.setString(p++, v);
            }
        }
        return p;
    }

    private static Instant instant(Timestamp ts) {
        return ts == null ? null : ts.toInstant();
    }

    private static String[] array(Array a) throws SQLException {
        return a == null ? null : Arrays.stream((Object[]) a.getArray()).map(String::valueOf).toArray(String[]::new);
    }
}
