package dev.tandem.engine;

import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.PlanStep;
import dev.tandem.plan.PlanUnit;
import dev.tandem.plan.PlannedStatement;
import dev.tandem.plan.Step;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a migration's steps against PostgreSQL, each exactly once.
 *
 * <p>A step's statements and its ledger rows commit in one transaction, under the migration's
 * advisory lock, with {@code lock_timeout} and {@code statement_timeout} set; before acting, the
 * ledger is asked whether the step already committed. A lock timeout is retried with exponential
 * backoff and full jitter, a bounded number of times, and the blocking sessions are named.
 * Statements that cannot run in a transaction run on their own, made idempotent, and are
 * recorded right after.
 */
public final class MigrationEngine {
    private static final Pattern CREATE_INDEX_CONCURRENTLY = Pattern.compile(
            "^\\s*CREATE\\s+(UNIQUE\\s+)?INDEX\\s+CONCURRENTLY\\s+(IF\\s+NOT\\s+EXISTS\\s+)?"
                    + "((?:\"(?:[^\"]|\"\")+\"|[A-Za-z_][A-Za-z0-9_$]*)(?:\\.(?:\"(?:[^\"]|\"\")+\"|[A-Za-z_][A-Za-z0-9_$]*))?)\\s+ON\\b",
            Pattern.CASE_INSENSITIVE);

    private final DatabaseTarget target;
    private final EngineSettings settings;
    private final Ledger ledger;

    public MigrationEngine(DatabaseTarget target, EngineSettings settings) {
        this.target = target;
        this.settings = settings;
        this.ledger = new Ledger(settings.trackingSchema());
    }

    public EngineSettings settings() {
        return settings;
    }

    public DatabaseTarget target() {
        return target;
    }

    /** Connects and returns the server version, e.g. "17.2"; proves the credentials work. */
    public String ping() throws EngineException {
        try (Connection c = connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SHOW server_version")) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            throw classify("connect", e);
        }
    }

    /** The server's version and the migration's ledger state, read over one connection. */
    public record Observation(String serverVersion, LedgerState state) {
    }

    /** Connects (proving the credentials work) and reads the ledger; what a reconcile observes. */
    public Observation observe(String key) throws EngineException {
        try (Connection c = connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SHOW server_version")) {
            rs.next();
            return new Observation(rs.getString(1), ledger.read(c, key));
        } catch (SQLException e) {
            throw classify("connect and read the ledger", e);
        }
    }

    /** What the ledger says about a migration. Reads only; a database without a ledger yields an empty state. */
    public LedgerState state(String key) throws EngineException {
        try (Connection c = connect()) {
            return ledger.read(c, key);
        } catch (SQLException e) {
            throw classify("read the ledger", e);
        }
    }

    /**
     * Applies one step of the plan, unless the ledger says it already committed.
     *
     * @param uid identifier of the resource running it, recorded in the ledger (may be null)
     */
    public StepResult apply(MigrationPlan plan, Step step, String uid, StepListener listener) throws EngineException {
        long started = System.nanoTime();
        String what = step.key() + " of " + plan.key();
        if (!plan.trackingSchema().equals(settings.trackingSchema())) {
            throw new IllegalArgumentException("the plan's tracking schema " + plan.trackingSchema()
                    + " is not the engine's " + settings.trackingSchema());
        }
        LedgerState state;
        try (Connection c = connect()) {
            state = ledger.read(c, plan.key());
            checkOrder(plan, step, state);
            if (state.applied(step)) {
                return new StepResult(step, StepResult.Outcome.ALREADY_APPLIED, 0, since(started));
            }
            if (step == Step.EXPAND && !state.started() && !plan.sync().isEmpty()) {
                // Before anything is created (the tracking schema included): existing rows that would fail.
                new Preflight(c, settings).check(plan);
            }
            ledger.bootstrap(c);
            if (step == Step.BACKFILL && !plan.sync().isEmpty()) {
                BackfillProgress progress = Backfiller.progress(c, plan, ledger);
                if (!progress.complete()) {
                    throw new EngineException(EngineException.BACKFILL_INCOMPLETE, true, plan.key() + ": the backfill is "
                            + progress.percent() + "% done (" + progress.shardsDone() + " of " + progress.shardsTotal()
                            + " ranges); the step commits when every row is copied");
                }
            }
            if (step == Step.VERIFY && plan.verifies()) {
                VerifyState verified = Verifier.state(c, plan.key(), ledger);
                if (!verified.passed()) {
                    throw new EngineException(EngineException.VERIFICATION_INCOMPLETE, true, plan.key() + ": "
                            + (verified.pass() == 0 ? "no verification pass has run" : verified.describe())
                            + "; the step commits after a clean pass");
                }
            }
        } catch (SQLException e) {
            throw classify(what, e);
        }
        PlanStep planStep = plan.step(step);
        // Rolling back a migration none of whose statements ran: record it, run nothing.
        boolean skipSql = step == Step.ROLLBACK && !state.started();
        int maxAttempts = 0;
        boolean appliedAny = false;
        List<PlanUnit> units = planStep.units();
        for (PlanUnit unit : units) {
            boolean last = unit.index() == units.size() - 1;
            UnitOutcome outcome = unit.transactional() || skipSql
                    ? runTransactional(plan, step, unit, last, uid, skipSql, listener)
                    : runAlone(plan, step, unit, last, uid, listener);
            maxAttempts = Math.max(maxAttempts, outcome.attempts);
            appliedAny |= outcome.applied;
        }
        return new StepResult(step, appliedAny ? StepResult.Outcome.APPLIED : StepResult.Outcome.ALREADY_APPLIED,
                maxAttempts, since(started));
    }

    /** Cutover needs the latest verification pass not to have failed (checked under the migration's lock). */
    private void checkVerification(Connection c, MigrationPlan plan) throws SQLException, EngineException {
        VerifyState verified = Verifier.state(c, plan.key(), ledger);
        if (verified.failed()) {
            c.rollback();
            throw new EngineException(EngineException.VERIFICATION_FAILED, false, plan.key() + ": "
                    + verified.describe() + "; cutover is refused until a clean pass");
        }
    }

    private record UnitOutcome(boolean applied, int attempts) {
    }

    private UnitOutcome runTransactional(MigrationPlan plan, Step step, PlanUnit unit, boolean last, String uid,
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
                    throw new EngineException(EngineException.MIGRATION_BUSY, true,
                            what + ": another runner holds this migration's lock; retrying later");
                }
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
                            execute(c, unit.statements());
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
                    ledger.recordStep(c, plan.key(), step, plan.hash(), LedgerState.phaseAfter(step).name(),
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
    private UnitOutcome runAlone(MigrationPlan plan, Step step, PlanUnit unit, boolean last, String uid,
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
                    throw new EngineException(EngineException.MIGRATION_BUSY, true,
                            what + ": another runner holds this migration's lock; retrying later");
                }
                try {
                    c.setAutoCommit(false);
                    String recordedHash = ledger.ensureMigration(c, plan.key(), uid, plan.hash());
                    LedgerState state = ledger.read(c, plan.key());
                    c.commit();
                    c.setAutoCommit(true);
                    checkHash(plan, recordedHash);
                    checkOrder(plan, step, state);
                    if (state.applied(step) || state.unitApplied(step, unit.index())) {
                        return new UnitOutcome(false, attempt);
                    }
                    runIdempotently(c, statement.sql());
                    long ms = (System.nanoTime() - t0) / 1_000_000;
                    c.setAutoCommit(false);
                    ledger.recordUnit(c, plan.key(), step, unit.index(), 1, ms, settings.runner());
                    if (last) {
                        ledger.recordStep(c, plan.key(), step, plan.hash(), LedgerState.phaseAfter(step).name(),
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
    private void runIdempotently(Connection c, String sql) throws SQLException {
        Matcher m = CREATE_INDEX_CONCURRENTLY.matcher(sql);
        if (m.find()) {
            String name = m.group(3);
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

    private void execute(Connection c, List<PlannedStatement> statements) throws SQLException {
        try (Statement s = c.createStatement()) {
            for (PlannedStatement statement : statements) {
                s.execute(statement.sql());
            }
        }
    }

    private void checkHash(MigrationPlan plan, String recordedHash) throws EngineException {
        if (recordedHash != null && !recordedHash.equals(plan.hash())) {
            throw new EngineException(EngineException.PLAN_MISMATCH, false, plan.key() + " was applied with plan "
                    + recordedHash + " but the spec now gives plan " + plan.hash()
                    + "; the definition cannot change once a step has run: restore it, or roll back and start a new migration");
        }
    }

    private void checkOrder(MigrationPlan plan, Step step, LedgerState state) throws EngineException {
        if (state.applied(step)) {
            return;
        }
        if (step == Step.ROLLBACK) {
            if (state.pastPointOfNoReturn()) {
                throw new EngineException(EngineException.POINT_OF_NO_RETURN, false, plan.key()
                        + " cut over at " + state.pointOfNoReturn()
                        + "; it cannot be rolled back any more, only moved forward to Contracted");
            }
            return;
        }
        if (state.applied(Step.ROLLBACK)) {
            throw new EngineException(EngineException.STEP_ORDER, false, plan.key()
                    + " was rolled back; a rolled-back migration is final: create a new SchemaMigration");
        }
        Step required = step.requires();
        if (required != null && !state.applied(required)) {
            throw new EngineException(EngineException.STEP_ORDER, false, "cannot run " + step.key() + " of "
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
            throw new EngineException(EngineException.DATABASE_UNAVAILABLE, true, "interrupted while backing off");
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
        String state = e.getSQLState();
        String message = target.redact(e.getMessage());
        if (Sql.INVALID_PASSWORD.equals(state) || Sql.INVALID_AUTHORIZATION.equals(state)) {
            return new EngineException(EngineException.AUTHENTICATION_FAILED, false,
                    "database " + target.server() + " refused the credentials: " + message, e);
        }
        if (Sql.isConnectionError(state)) {
            return new EngineException(EngineException.DATABASE_UNAVAILABLE, true,
                    "database " + target.server() + " unreachable: " + message, e);
        }
        if (Sql.QUERY_CANCELED.equals(state)) {
            return new EngineException(EngineException.STATEMENT_TIMEOUT, true,
                    what + ": a statement ran past statement_timeout and was rolled back: " + message, e);
        }
        if (Sql.SYNC_DOES_NOT_FIT.equals(state)) {
            return new EngineException(EngineException.SYNC_INVALID, false, what + " refused, nothing was changed: "
                    + serverMessage(message), e);
        }
        if (Sql.SERIALIZATION_FAILURE.equals(state) || Sql.DEADLOCK.equals(state)) {
            return new EngineException(EngineException.SQL_ERROR, true, what + ": " + message, e);
        }
        return new EngineException(EngineException.SQL_ERROR, false,
                what + " failed and was rolled back: " + message + (state == null ? "" : " (SQLSTATE " + state + ")"), e);
    }

    /** The server's message without the driver's "ERROR: " prefix and the PL/pgSQL context lines. */
    static String serverMessage(String message) {
        if (message == null) {
            return "";
        }
        String first = message.lines().findFirst().orElse("");
        return first.startsWith("ERROR: ") ? first.substring("ERROR: ".length()) : first;
    }

    private static Duration since(long startedNanos) {
        return Duration.ofNanos(System.nanoTime() - startedNanos);
    }
}
