package dev.tandem.engine;

import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.Reason;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.PlanUnit;
import dev.tandem.plan.PlannedStatement;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Runs the units of a step: each unit's statements and its ledger rows in one transaction, under the
 * migration's advisory lock, with lock_timeout and statement_timeout set; a lock timeout retried with
 * exponential backoff and full jitter, a bounded number of times, the blocking sessions named; a
 * statement that cannot run in a transaction run alone, made idempotent, then recorded.
 */
final class StepRunner {
    private final DatabaseTarget target;
    private final EngineSettings settings;
    private final Ledger ledger;
    private final Errors errors;

    StepRunner(DatabaseTarget target, EngineSettings settings, Ledger ledger, Errors errors) {
        this.target = target;
        this.settings = settings;
        this.ledger = ledger;
        this.errors = errors;
    }

    /** What a unit did. */
    record UnitOutcome(boolean applied, int attempts) {
    }

    /** Cutover needs the latest verification pass not to have failed (checked under the migration's lock). */
    private void checkVerification(Connection c, MigrationPlan plan) throws SQLException, EngineException {
        VerifyState verified = Verifier.state(c, plan.key(), ledger);
        if (verified.failed()) {
            c.rollback();
            throw new EngineException(Reason.VerificationFailed, plan.key() + ": "
                    + verified.describe() + "; cutover is refused until a clean pass");
        }
    }

    UnitOutcome runTransactional(MigrationPlan plan, Step step, PlanUnit unit, boolean last, String uid,
                                         boolean skipSql, StepListener listener) throws EngineException {
        String what = step.key() + " of " + plan.key();
        SQLException lastLockTimeout = null;
        List<BlockingSession> blockers = List.of();
        for (int attempt = 1; attempt <= settings.maxAttempts(); attempt++) {
            listener.unitStarted(step, unit.index(), attempt);
            long t0 = System.nanoTime();
            try (Connection c = connect()) {
                c.setAutoCommit(false);
                int pid = backendPid(c);
                applySessionSettings(c, true);
                if (!ledger.tryLock(c, plan.key())) {
                    c.rollback();
                    throw new EngineException(Reason.MigrationBusy, what + ": another runner holds this migration's lock");
                }
                ledger.bootstrapInTransaction(c);
                String recordedHash = ledger.ensureMigration(c, plan.key(), uid, plan.hash());
                LedgerState state = ledger.read(c, plan.key());
                checkHash(plan, recordedHash);
                checkOrder(plan, step, state);
                if (step == Step.CUTOVER && plan.verifies()) {
                    checkVerification(c, plan);
                }
                if (state.applied(step) || state.unitApplied(step, unit.index())) {
                    c.rollback();
                    return new UnitOutcome(false, attempt);
                }
                try (BlockerWatch watch = new BlockerWatch(target, pid, watchInterval())) {
                    try {
                        if (!skipSql) {
                            execute(c, plan, step, unit);
                        }
                    } catch (SQLException e) {
                        blockers = watch.blockers();
                        throw e;
                    }
                }
                long ms = (System.nanoTime() - t0) / 1_000_000;
                ledger.recordUnit(c, plan.key(), step, unit.index(), skipSql ? 0 : unit.statements().size(), ms,
                        settings.runner());
                if (last) {
                    ledger.recordStep(c, plan.key(), step, plan.hash(), Phase.after(step).name(),
                            settings.runner());
                }
                c.commit();
                listener.unitCommitted(step, unit.index(), Duration.ofMillis(ms));
                return new UnitOutcome(true, attempt);
            } catch (SQLException e) {
                if (!Sql.LOCK_NOT_AVAILABLE.equals(e.getSQLState())) {
                    throw classify(what, e);
                }
                lastLockTimeout = e;
                if (attempt < settings.maxAttempts()) {
                    Duration delay = backoff(attempt);
                    listener.lockTimeout(step, unit.index(), attempt, delay, blockers);
                    pause(delay);
                }
            }
        }
        throw new LockTimeoutException(what, settings.maxAttempts(), blockers, lastLockTimeout);
    }

    /** A statement that cannot run in a transaction: made idempotent, run alone, then recorded. */
    UnitOutcome runAlone(MigrationPlan plan, Step step, PlanUnit unit, boolean last, String uid,
                                 StepListener listener) throws EngineException {
        String what = step.key() + " of " + plan.key();
        PlannedStatement statement = unit.statements().get(0);
        SQLException lastLockTimeout = null;
        for (int attempt = 1; attempt <= settings.maxAttempts(); attempt++) {
            listener.unitStarted(step, unit.index(), attempt);
            long t0 = System.nanoTime();
            try (Connection c = connect()) {
                c.setAutoCommit(true);
                applySessionSettings(c, false);
                if (!ledger.trySessionLock(c, plan.key())) {
                    throw new EngineException(Reason.MigrationBusy, what + ": another runner holds this migration's lock");
                }
                try {
                    c.setAutoCommit(false);
                    ledger.bootstrapInTransaction(c);
                    String recordedHash = ledger.ensureMigration(c, plan.key(), uid, plan.hash());
                    LedgerState state = ledger.read(c, plan.key());
                    c.commit();
                    c.setAutoCommit(true);
                    checkHash(plan, recordedHash);
                    checkOrder(plan, step, state);
                    if (state.applied(step) || state.unitApplied(step, unit.index())) {
                        return new UnitOutcome(false, attempt);
                    }
                    try {
                        runIdempotently(c, statement);
                    } catch (SQLException e) {
                        throw new Statements.Failed(Statements.where(plan, step, unit, 0), e);
                    }
                    long ms = (System.nanoTime() - t0) / 1_000_000;
                    c.setAutoCommit(false);
                    ledger.recordUnit(c, plan.key(), step, unit.index(), 1, ms, settings.runner());
                    if (last) {
                        ledger.recordStep(c, plan.key(), step, plan.hash(), Phase.after(step).name(),
                                settings.runner());
                    }
                    c.commit();
                    listener.unitCommitted(step, unit.index(), Duration.ofMillis(ms));
                    return new UnitOutcome(true, attempt);
                } finally {
                    if (!c.getAutoCommit()) {
                        c.rollback();
                        c.setAutoCommit(true);
                    }
                    ledger.sessionUnlock(c, plan.key());
                }
            } catch (SQLException e) {
                if (!Sql.LOCK_NOT_AVAILABLE.equals(e.getSQLState())) {
                    throw classify(what, e);
                }
                lastLockTimeout = e;
                if (attempt < settings.maxAttempts()) {
                    Duration delay = backoff(attempt);
                    listener.lockTimeout(step, unit.index(), attempt, delay, List.of());
                    pause(delay);
                }
            }
        }
        throw new LockTimeoutException(what, settings.maxAttempts(), List.of(), lastLockTimeout);
    }

    /**
     * CREATE INDEX CONCURRENTLY leaves an invalid index behind when it fails or its process dies;
     * drop such a leftover and build again. A valid index of that name means an earlier attempt
     * finished before it could be recorded.
     */
    private void runIdempotently(Connection c, PlannedStatement statement) throws SQLException {
        String sql = statement.sql();
        if (statement.buildsIndex() != null) {
            String name = statement.buildsIndex();
            Boolean valid = null;
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass(?)")) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        valid = rs.getBoolean(1);
                    }
                }
            }
            if (Boolean.TRUE.equals(valid)) {
                return;
            }
            if (Boolean.FALSE.equals(valid)) {
                try (Statement s = c.createStatement()) {
                    s.execute("DROP INDEX CONCURRENTLY IF EXISTS " + name);
                }
            }
        }
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private void execute(Connection c, MigrationPlan plan, Step step, PlanUnit unit) throws SQLException {
        try (Statement s = c.createStatement()) {
            for (int i = 0; i < unit.statements().size(); i++) {
                try {
                    s.execute(unit.statements().get(i).sql());
                } catch (SQLException e) {
                    throw new Statements.Failed(Statements.where(plan, step, unit, i), e);
                }
            }
        }
    }

    void checkHash(MigrationPlan plan, String recordedHash) throws EngineException {
        if (recordedHash != null && !recordedHash.equals(plan.hash())) {
            throw new EngineException(Reason.PlanMismatch, plan.key() + " was applied with plan "
                    + recordedHash + " but the spec now gives plan " + plan.hash()
                    + "; the definition cannot change once a step has run: restore it, or roll back and start a new migration");
        }
    }

    void checkOrder(MigrationPlan plan, Step step, LedgerState state) throws EngineException {
        if (state.applied(step)) {
            return;
        }
        if (step == Step.ROLLBACK) {
            if (state.pastPointOfNoReturn()) {
                throw new EngineException(Reason.PointOfNoReturnPassed, plan.key()
                        + " cut over at " + state.pointOfNoReturn()
                        + "; it cannot be rolled back any more, only moved forward to Contracted");
            }
            return;
        }
        if (state.applied(Step.ROLLBACK)) {
            throw new EngineException(Reason.StepOutOfOrder, plan.key()
                    + " was rolled back; a rolled-back migration is final: create a new SchemaMigration");
        }
        Step required = step.requires();
        if (required != null && !state.applied(required)) {
            throw new EngineException(Reason.StepOutOfOrder, "cannot run " + step.key() + " of "
                    + plan.key() + " before " + required.key() + " has committed");
        }
    }

    private void applySessionSettings(Connection c, boolean local) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT set_config('lock_timeout', ?, " + local + "), "
                + "set_config('statement_timeout', ?, " + local + "), "
                + "set_config('idle_in_transaction_session_timeout', ?, " + local + ")")) {
            ps.setString(1, dev.tandem.plan.Durations.toPostgres(settings.lockTimeout()));
            ps.setString(2, dev.tandem.plan.Durations.toPostgres(settings.statementTimeout()));
            ps.setString(3, dev.tandem.plan.Durations.toPostgres(settings.statementTimeout()));
            ps.execute();
        }
        if (c.getMetaData().getDatabaseMajorVersion() >= 14) {
            // A backend whose client died stops holding locks within a second, not at its next send.
            try (Statement s = c.createStatement()) {
                s.execute("SET client_connection_check_interval = '1s'");
            }
        }
    }

    private Duration watchInterval() {
        long ms = Math.max(10, Math.min(250, settings.lockTimeout().toMillis() / 4));
        return Duration.ofMillis(ms);
    }

    private Duration backoff(int attempt) {
        long cap = Math.min(settings.backoffMax().toMillis(),
                settings.backoffBase().toMillis() * (1L << Math.min(20, attempt - 1)));
        long half = cap / 2;
        return Duration.ofMillis(half + ThreadLocalRandom.current().nextLong(Math.max(1, cap - half + 1)));
    }

    private static void pause(Duration d) throws EngineException {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EngineException(Reason.DatabaseUnavailable, "interrupted while backing off");
        }
    }

    private static int backendPid(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private Connection connect() throws SQLException {
        return target.connect("tandem-" + settings.runner());
    }

    private EngineException classify(String what, SQLException e) {
        return errors.classify(what, e);
    }
}
