package dev.tandem.operator.handlers;

import dev.tandem.engine.EngineException;
import dev.tandem.engine.Verifier;
import dev.tandem.engine.VerifyState;
import dev.tandem.operator.MigrationMetrics;
import dev.tandem.plan.Step;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Proves old and new storage agree: runs verification passes as Jobs, one Job per pass, follows
 * them in the tracking schema, and commits the Verified step after spec.verify.cleanPasses clean
 * passes in a row. A pass that did not pass stalls the migration until spec.verify.retry changes.
 * While the migration waits at Verified, {@link #watch} re-verifies every reverifyEvery; a pass
 * that finds a mismatch then withdraws Verified (the engine does it, in the database), so cutover
 * waits for a clean pass. With no sync entries and no checks there is nothing to compare.
 */
@Singleton
public class VerifyHandler extends StepHandler {
    static final Duration RECHECK = Duration.ofSeconds(2);
    public static final String FAILED = EngineException.VERIFICATION_FAILED;
    public static final String INCONCLUSIVE = "VerificationInconclusive";
    public static final String JOB_FAILED = "VerifyJobFailed";

    public VerifyHandler(MigrationMetrics metrics) {
        super(Step.VERIFY, metrics);
    }

    @Override
    public HandlerResult handle(StepContext context) {
        if (!context.plan().verifies() || context.jobs() == null) {
            return super.handle(context);
        }
        VerifyState state;
        try {
            state = verifier(context).state(context.plan());
        } catch (EngineException e) {
            return new HandlerResult.Retry(e.reason(), e.getMessage(), RETRY_OTHER);
        }
        int needed = context.verifyTuning().cleanPasses();
        if (state.passed() && state.consecutivePassed() >= needed) {
            HandlerResult result = super.handle(context);
            return result instanceof HandlerResult.Advanced a
                    ? new HandlerResult.Advanced(a.phase(), a.ranNow(), a.detail() + " after " + state.consecutivePassed()
                    + (state.consecutivePassed() == 1 ? " clean pass" : " clean passes") + " (" + state.rowsChecked()
                    + " rows checked)", state)
                    : result;
        }
        if (state.failed() && Objects.equals(state.retryToken(), context.retryToken())) {
            return new HandlerResult.Failed(VerifyState.INCONCLUSIVE.equals(state.result()) ? INCONCLUSIVE : FAILED,
                    state.describe() + "; every mismatch is listed in table "
                            + context.engine().settings().trackingSchema() + ".verify_mismatches (pass " + state.pass()
                            + "). Fix the data, then set spec.verify.retry to a new value to verify again, or set "
                            + "targetPhase RolledBack", state);
        }
        int pass = state.running() ? state.pass() : state.pass() + 1;
        Jobs.Job job = context.jobs().verify(context.plan(), pass, context.retryToken(), context.verifyTuning(), false);
        if (job.state() == Jobs.State.FAILED) {
            return new HandlerResult.Failed(JOB_FAILED, "verification Job " + job.name() + " failed: " + job.failure()
                    + "; fix the cause, then delete the Job to run the pass again (it resumes from its checkpoint)", state);
        }
        String progress = state.running() ? state.describe() : "verification pass " + pass + " starting";
        return new HandlerResult.Waiting(progress + "; " + Math.min(state.consecutivePassed(), needed) + " of " + needed
                + (needed == 1 ? " clean pass" : " clean passes") + " so far", RECHECK, null, state, job.name());
    }

    /**
     * While waiting at Verified: what the latest pass says, and a new pass once reverifyEvery has
     * passed since the last one finished.
     *
     * @param recheck when to look again (null: no re-verification)
     * @param state   the latest pass
     * @param job     the Job running a pass now, or null
     * @param failure why that Job failed, or null
     * @param nextRun when the next pass is due, or null
     */
    public record Watch(Duration recheck, VerifyState state, String job, String failure, Instant nextRun) {
    }

    public Optional<Watch> watch(StepContext context) {
        if (!context.plan().verifies() || context.jobs() == null) {
            return Optional.empty();
        }
        VerifyState state;
        try {
            state = verifier(context).state(context.plan());
        } catch (EngineException e) {
            return Optional.empty();
        }
        Duration every = context.verifyTuning().reverifyEvery();
        Instant due = every == null ? null : state.finishedAt() == null ? context.now() : state.finishedAt().plus(every);
        int pass;
        if (state.running()) {
            pass = state.pass();
        } else if (due != null && !context.now().isBefore(due)) {
            pass = state.pass() + 1;
        } else {
            return Optional.of(new Watch(due == null ? null : Duration.between(context.now(), due), state, null, null, due));
        }
        Jobs.Job job = context.jobs().verify(context.plan(), pass, context.retryToken(), context.verifyTuning(), false);
        String failure = job.state() == Jobs.State.FAILED ? "re-verification Job " + job.name() + " failed: "
                + job.failure() + "; fix the cause, then delete the Job to run the pass again" : null;
        return Optional.of(new Watch(RECHECK, state, job.name(), failure, null));
    }

    private static Verifier verifier(StepContext context) {
        return new Verifier(context.engine().target(), context.engine().settings(), context.verifyTuning());
    }
}
