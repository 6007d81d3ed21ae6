package dev.tandem.operator.handlers;

import dev.tandem.engine.BackfillProgress;
import dev.tandem.engine.Backfiller;
import dev.tandem.engine.EngineException;
import dev.tandem.operator.MigrationMetrics;
import dev.tandem.plan.Step;
import jakarta.inject.Singleton;

import java.time.Duration;

/**
 * Copies existing rows: starts the backfill Job (create-only, one per plan), follows its progress
 * in the tracking schema, and commits the Backfilled step once every row is copied. With no sync
 * entries there is nothing to copy.
 */
@Singleton
public class BackfillHandler extends StepHandler {
    static final Duration RECHECK = Duration.ofSeconds(2);

    public BackfillHandler(MigrationMetrics metrics) {
        super(Step.BACKFILL, metrics);
    }

    @Override
    public HandlerResult handle(StepContext context) {
        if (context.plan().sync().isEmpty() || context.jobs() == null) {
            return super.handle(context);
        }
        BackfillProgress progress;
        try {
            progress = new Backfiller(context.engine().target(), context.engine().settings(), context.tuning())
                    .progress(context.plan());
        } catch (EngineException e) {
            return new HandlerResult.Retry(e.reason(), e.getMessage(), RETRY_OTHER);
        }
        if (progress.complete()) {
            return super.handle(context);
        }
        Jobs.Job job = context.jobs().backfill(context.plan(), context.tuning(), false);
        if (job.state() == Jobs.State.FAILED) {
            return new HandlerResult.Failed("BackfillJobFailed", "backfill Job " + job.name() + " failed: "
                    + job.failure() + "; fix the cause, then delete the Job to start a new one (it resumes from its checkpoint)");
        }
        if (job.state() == Jobs.State.SUCCEEDED) {
            return new HandlerResult.Failed("BackfillIncomplete", "backfill Job " + job.name() + " finished but "
                    + (progress.shardsTotal() - progress.shardsDone()) + " key ranges are not done; delete the Job to resume");
        }
        String message = "backfilling: " + progress.percent() + "% (" + progress.rowsProcessed() + " of ~"
                + Math.max(progress.rowsTotal(), progress.rowsProcessed()) + " rows, " + Math.round(progress.rowsPerSecond())
                + " rows/s)" + (progress.throttledReason() == null ? "" : ", paused: " + progress.throttledReason());
        return new HandlerResult.Waiting(message, RECHECK, progress, job.name());
    }
}
