package dev.tandem.engine;

import dev.tandem.api.v1alpha1.Reason;
import dev.tandem.plan.CompiledSync;
import dev.tandem.plan.Durations;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.PlannedCheck;
import dev.tandem.plan.VerifySql;
import dev.tandem.plan.VerifyTuning;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Proves that the new storage holds f(old), pass by pass. Each comparison runs in one REPEATABLE
 * READ, READ ONLY transaction, old and new side in the same snapshot ({@link ChunkComparison}, SQL
 * from {@link VerifySql}). The sync triggers write both storages in the writer's own transaction,
 * so every committed snapshot has new == f(old): no false alarm under concurrent writes.
 *
 * <p>An entry keyed by its old key whose tables are small enough (tuning.wholeTableRows) is first
 * compared whole: both tables hashed in one snapshot by sequential scans, about half the time of
 * walking their key indexes. When both sides agree, that is the entry's one chunk. Else
 * (and above the limit) the pass cuts the entry into chunks ({@link VerifyChunks}) compared each in
 * a snapshot of its own, which finds the rows, and no transaction stays open longer than a chunk
 * (which would hold back VACUUM).
 *
 * <p>Workers compare a pass's chunks at once, each on its own connection: worker w of n owns every
 * n-th chunk. {@link #run} starts them as threads of this process; a Job's pod runs one with
 * {@link #runWorker}. A worker holds a session lock on the chunk it compares; one that has compared
 * its own chunks helps the workers still running, taking their last chunks first, so that the
 * workers finish together however unevenly the chunks' rows or the machine's cores are shared out.
 * A worker that has not started (or has died) keeps its chunks for itself: a Job's pod restarted
 * resumes them. Each chunk's result and checkpoint commit together ({@link VerifyRecords}), so an
 * interrupted pass resumes where it stopped. The worker that finds every chunk compared runs the
 * user's checks, read-only, and ends the pass. A pass that does not pass withdraws a committed
 * Verify step, unless the migration has cut over.
 */
public final class Verifier {
    /** Hears each compared chunk (calls from several workers are serialized). */
    public interface Listener {
        Listener NONE = new Listener() {
        };

        default void chunk(int entry, long rowsWalked, long mismatches) {
        }
    }

    private final DatabaseTarget target;
    private final EngineSettings settings;
    private final VerifyTuning tuning;
    private final Ledger ledger;
    private final VerifyRecords records;

    public Verifier(DatabaseTarget target, EngineSettings settings, VerifyTuning tuning) {
        this.target = target;
        this.settings = settings;
        this.tuning = tuning;
        this.ledger = new Ledger(settings.trackingSchema());
        this.records = new VerifyRecords(ledger, tuning.maxRecordedMismatches());
    }

    /** The latest pass of a migration. */
    public VerifyState state(MigrationPlan plan) throws EngineException {
        try (Connection c = target.connect("tandem-progress")) {
            return state(c, plan.key(), ledger);
        } catch (SQLException e) {
            throw new EngineException(Reason.DatabaseUnavailable, target.redact(e.getMessage()), e);
        }
    }

    static VerifyState state(Connection c, String key, Ledger ledger) throws SQLException {
        return VerifyRecords.state(c, key, ledger);
    }

    /**
     * Runs pass {@code pass} to its end with {@code parallelism} workers in this process: starts it
     * (it must be the one after the latest finished pass) or resumes it after an interruption. A
     * pass that already finished is not run again.
     *
     * @param retryToken spec.verify.retry when the pass was requested (recorded with it)
     * @return the pass as it ended
     */
    public VerifyState run(MigrationPlan plan, int pass, String retryToken, Listener listener) throws EngineException {
        int workers = tuning.parallelism();
        if (workers == 1) {
            return runWorker(plan, pass, retryToken, 0, 1, listener);
        }
        Listener serialized = new Listener() {
            @Override
            public synchronized void chunk(int entry, long rowsWalked, long mismatches) {
                listener.chunk(entry, rowsWalked, mismatches);
            }
        };
        AtomicReference<Exception> failure = new AtomicReference<>();
        AtomicReference<VerifyState> ended = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            int worker = w;
            Thread t = new Thread(() -> {
                try {
                    VerifyState left = runWorker(plan, pass, retryToken, worker, workers, serialized);
                    if (!left.running()) {
                        ended.compareAndSet(null, left);
                    }
                } catch (EngineException | RuntimeException e) {
                    failure.compareAndSet(null, e);
                }
            }, "tandem-verify-" + w);
            threads.add(t);
            t.start();
        }
        join(threads);
        if (failure.get() instanceof EngineException e) {
            throw e;
        }
        if (failure.get() instanceof RuntimeException e) {
            throw e;
        }
        // The worker that ended the pass read its state last; another connection is needed only when none did.
        return ended.get() != null ? ended.get() : state(plan);
    }

    private static void join(List<Thread> threads) throws EngineException {
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EngineException(Reason.DatabaseUnavailable, "verification interrupted");
            }
        }
    }

    /**
     * Runs worker {@code worker} of {@code workers} of pass {@code pass}: starts or resumes the pass,
     * compares the worker's chunks of every entry, and ends the pass when no chunk is left.
     *
     * @return the pass as this worker leaves it (still running while other workers compare)
     */
    public VerifyState runWorker(MigrationPlan plan, int pass, String retryToken, int worker, int workers,
                                 Listener listener) throws EngineException {
        if (worker < 0 || worker >= workers) {
            throw new IllegalArgumentException("worker must be in [0, " + workers + ")");
        }
        try (Connection c = target.connect("tandem-verify")) {
            ledger.bootstrap(c);
            if (!records.begin(c, plan, pass, retryToken == null ? "" : retryToken, settings.runner())) {
                return state(c, plan.key(), ledger);
            }
            // Held while this worker runs: the others help it only then (a session lock, gone with the connection).
            // Not taken when a helper is checking it at that instant: this worker is then not helped, nothing else.
            ledger.trySessionLock(c, ChunkClaims.presence(plan, pass, worker, workers));
            for (CompiledSync entry : plan.sync()) {
                verifyEntry(c, plan, pass, entry, worker, workers, listener);
            }
            if (VerifyChunks.complete(c, ledger, plan, pass)) {
                end(c, plan, pass);
            }
            return state(c, plan.key(), ledger);
        } catch (SQLException e) {
            throw new EngineException(Sql.isConnectionError(e.getSQLState()) ? Reason.DatabaseUnavailable
                    : Reason.SqlError,
                    "verification of " + plan.key() + ": " + target.redact(e.getMessage()), e);
        }
    }

    /** Cuts the entry's chunks (once per pass) and compares this worker's share of them. */
    private void verifyEntry(Connection c, MigrationPlan plan, int pass, CompiledSync entry, int worker, int workers,
                             Listener listener) throws SQLException, EngineException {
        VerifySql q = new VerifySql(entry, Catalog.columnTypes(c, entry.target(), VerifySql.compared(entry), entry.name()),
                Catalog.columnTypes(c, entry.source(), entry.sourceKey(), entry.name()));
        ChunkComparison compare = new ChunkComparison(c, q, settings, tuning.chunkSize(), tuning.maxRecordedMismatches(),
                tuning.parallelism());
        setUp(c, plan, pass, q, compare, workers, listener);
        ChunkClaims claims = new ChunkClaims(c, ledger, plan, pass, entry, worker, workers);
        int after = -1;
        VerifyChunks.Bounds chunk;
        while ((chunk = VerifyChunks.next(c, ledger, plan, pass, entry, worker, workers, after)) != null) {
            after = chunk.chunk();
            if (claims.claim(chunk.chunk())) {
                compareHeld(c, plan, pass, entry, q, compare, claims, chunk, listener);
            }
        }
        while ((chunk = claims.claimToHelp()) != null) {
            compareHeld(c, plan, pass, entry, q, compare, claims, chunk, listener);
        }
    }

    /**
     * Compares the entry whole when the pass has not touched it yet and it may be
     * ({@link #wholeFirst}): when both sides agree, it is done. Else cuts it into chunks (once per
     * pass). Under the entry's lock: the other workers wait for the answer, the comparison's
     * PostgreSQL parallel workers taking their cores meanwhile. A worker that waits longer than a
     * statement may run leaves the entry to the holder (its chunks, if any, still wait for it).
     */
    private void setUp(Connection c, MigrationPlan plan, int pass, VerifySql q, ChunkComparison compare, int workers,
                       Listener listener) throws SQLException, EngineException {
        CompiledSync entry = q.entry();
        String lock = ChunkClaims.entry(plan, pass, entry);
        if (!ledger.sessionLock(c, lock, settings.statementTimeout())) {
            return;
        }
        try {
            if (VerifyChunks.untouched(c, ledger, plan, pass, entry) && wholeFirst(c, q)) {
                ChunkResult whole = compare.whole();
                if (whole != null) {
                    if (records.recordWhole(c, plan, pass, entry, whole)) {
                        listener.chunk(entry.index(), whole.walked, 0);
                    }
                    return;
                }
            }
            VerifyChunks.prepare(c, ledger, plan, pass, q, tuning.chunkSize(), workers);
        } finally {
            ledger.sessionUnlock(c, lock);
        }
    }

    /**
     * Whether the entry is compared whole first: it may be ({@link VerifySql#comparableWhole}), and
     * both its tables hold at most tuning.wholeTableRows rows (a shared new table holds every
     * entry's rows, and the whole comparison reads all of them).
     */
    private boolean wholeFirst(Connection c, VerifySql q) throws SQLException {
        long limit = tuning.wholeTableRows();
        return limit > 0 && q.comparableWhole() && Catalog.atMost(c, q.entry().source(), limit)
                && Catalog.atMost(c, q.entry().target(), limit);
    }

    /** Compares and records a chunk this worker holds, and lets it go. */
    private void compareHeld(Connection c, MigrationPlan plan, int pass, CompiledSync entry, VerifySql q,
                             ChunkComparison compare, ChunkClaims claims, VerifyChunks.Bounds chunk, Listener listener)
            throws SQLException, EngineException {
        try {
            ChunkResult result = q.aligned() ? compare.range(chunk.lower(), chunk.upper())
                    : compare.buckets(Catalog.estimate(c, entry));
            if (records.record(c, plan, pass, entry, chunk.chunk(), result)) {
                listener.chunk(entry.index(), result.walked, result.mismatches.size());
            }
        } catch (SQLException | EngineException | RuntimeException e) {
            try {
                claims.release(chunk.chunk());
            } catch (SQLException unlock) {
                e.addSuppressed(unlock);
            }
            throw e;
        }
        claims.release(chunk.chunk());
    }

    /**
     * Every chunk is compared: runs the checks and ends the pass, unless another worker that found
     * the same does it (it holds the lock meanwhile) or did.
     */
    private void end(Connection c, MigrationPlan plan, int pass) throws SQLException, EngineException {
        String lock = plan.key() + "#verify-end#" + pass;
        if (!ledger.trySessionLock(c, lock)) {
            return;
        }
        try {
            if (records.finished(c, plan.key(), pass)) {
                return;
            }
            List<String> failedChecks = new ArrayList<>();
            boolean errored = runChecks(c, plan, failedChecks);
            records.finish(c, plan, pass, failedChecks, errored);
        } finally {
            ledger.sessionUnlock(c, lock);
        }
    }

    /**
     * Runs the user's checks read-only, each as a subquery that must return exactly one boolean
     * ({@link CheckRun}); returns whether one gave no answer (could not run, or returned no boolean).
     */
    private boolean runChecks(Connection c, MigrationPlan plan, List<String> failed) throws SQLException {
        boolean errored = false;
        String timeout = Durations.toPostgres(settings.statementTimeout());
        for (PlannedCheck check : plan.checks()) {
            CheckRun run;
            try {
                run = ChunkComparison.inSnapshot(c, timeout, ChunkComparison.Plans.FREE, () -> CheckRun.run(c, check));
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
}
