package dev.tandem.engine;

import dev.tandem.api.v1alpha1.Reason;

import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.PlanStep;
import dev.tandem.plan.PlanUnit;
import dev.tandem.api.v1alpha1.Step;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

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
public final class MigrationEngine implements Engine {

    private final DatabaseTarget target;
    private final EngineSettings settings;
    private final Ledger ledger;
    private final Errors errors;
    private final StepRunner runner;

    public MigrationEngine(DatabaseTarget target, EngineSettings settings) {
        this.target = target;
        this.settings = settings;
        this.ledger = new Ledger(settings.trackingSchema());
        this.errors = new Errors(target);
        this.runner = new StepRunner(target, settings, ledger, errors);
    }

    @Override
    public BackfillProgress backfillProgress(MigrationPlan plan) throws EngineException {
        try (Connection c = connect()) {
            return Backfiller.progress(c, plan, ledger);
        } catch (SQLException e) {
            throw classify("read the backfill's progress", e);
        }
    }

    @Override
    public VerifyState verification(MigrationPlan plan) throws EngineException {
        try (Connection c = connect()) {
            return Verifier.state(c, plan.key(), ledger);
        } catch (SQLException e) {
            throw classify("read the verification's state", e);
        }
    }

    @Override
    public String trackingSchema() {
        return settings.trackingSchema();
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

    @Override
    public Observation observe(String key) throws EngineException {
        try (Connection c = connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SHOW server_version")) {
            rs.next();
            return new Observation(rs.getString(1), ledger.read(c, key));
        } catch (SQLException e) {
            throw classify("connect and read the ledger", e);
        }
    }

    /** Reads only; a database without a ledger yields an empty state. */
    @Override
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
    @Override
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
            runner.checkOrder(plan, step, state);
            if (state.applied(step)) {
                return new StepResult(step, StepResult.Outcome.ALREADY_APPLIED, 0, since(started));
            }
            if (step == Step.EXPAND && !state.started() && !plan.sync().isEmpty()) {
                // Before anything is created (the tracking schema included): existing rows that would fail.
                new Preflight(c, settings).check(plan);
            }
            if (step == Step.EXPAND) {
                ledger.checkOwnership(c); // the expand's own transaction creates the ledger with its statements
            } else {
                ledger.bootstrap(c);
            }
            if (step == Step.BACKFILL && !plan.sync().isEmpty()) {
                BackfillProgress progress = Backfiller.progress(c, plan, ledger);
                if (!progress.complete()) {
                    throw new EngineException(Reason.BackfillIncomplete, plan.key() + ": the backfill is "
                            + progress.percent() + "% done (" + progress.shardsDone() + " of " + progress.shardsTotal()
                            + " ranges); the step commits when every row is copied");
                }
            }
            if (step == Step.VERIFY && plan.verifies()) {
                VerifyState verified = Verifier.state(c, plan.key(), ledger);
                if (!verified.passed()) {
                    throw new EngineException(Reason.VerificationIncomplete, plan.key() + ": "
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
            StepRunner.UnitOutcome outcome;
            try {
                outcome = unit.transactional() || skipSql
                        ? runner.runTransactional(plan, step, unit, last, uid, skipSql, listener)
                        : runner.runAlone(plan, step, unit, last, uid, listener);
            } catch (EngineException e) {
                throw unit.index() == 0 ? e : Errors.partly(e, plan, step, unit.index());
            }
            maxAttempts = Math.max(maxAttempts, outcome.attempts());
            appliedAny |= outcome.applied();
        }
        return new StepResult(step, appliedAny ? StepResult.Outcome.APPLIED : StepResult.Outcome.ALREADY_APPLIED,
                maxAttempts, since(started));
    }

    private Connection connect() throws SQLException {
        return target.connect("tandem-" + settings.runner());
    }

    private EngineException classify(String what, SQLException e) {
        return errors.classify(what, e);
    }

    private static Duration since(long startedNanos) {
        return Duration.ofNanos(System.nanoTime() - startedNanos);
    }
}
