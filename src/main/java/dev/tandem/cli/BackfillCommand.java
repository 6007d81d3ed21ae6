package dev.tandem.cli;

import dev.tandem.engine.Backfiller;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.engine.EngineException;
import dev.tandem.engine.EngineSettings;
import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.Durations;
import dev.tandem.plan.MigrationPlan;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * One backfill worker, as the backfill Job runs it: the plan from the mounted ConfigMap, the
 * connection from TANDEM_DB_* environment variables (filled from the Secret), worker index from
 * JOB_COMPLETION_INDEX. Progress goes to the tracking schema, where the operator reads it.
 */
@Command(name = "backfill", mixinStandardHelpOptions = true,
        description = "Copy existing rows for a plan's sync entries (the backfill Job's command). Connection from "
                + "TANDEM_DB_JDBC_URI, TANDEM_DB_URI or TANDEM_DB_HOST/PORT/DBNAME/USER/PASSWORD.")
public class BackfillCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    JobInputs inputs;

    @Option(names = "--shard", description = "Worker index (default: JOB_COMPLETION_INDEX, else 0).")
    Integer shard;

    @Option(names = "--shards", defaultValue = "1", description = "Number of workers.")
    int shards;

    @Option(names = "--lock-timeout", defaultValue = "2s")
    String lockTimeout;

    @Option(names = "--batch-size", defaultValue = "auto")
    String batchSize;

    @Option(names = "--target-batch-time", defaultValue = "200ms")
    String targetBatchTime;

    @Option(names = "--max-rows-per-second", defaultValue = "0")
    int maxRowsPerSecond;

    @Option(names = "--max-replication-lag", defaultValue = "10s")
    String maxReplicationLag;

    @Option(names = "--max-transaction-age", defaultValue = "5m")
    String maxTransactionAge;

    @Override
    public Integer call() throws Exception {
        return execute(System.getenv(), spec.commandLine().getOut(), spec.commandLine().getErr());
    }

    /** The command's work with an explicit environment (the test stand-in for a Job calls this). */
    public int execute(Map<String, String> env, PrintWriter out, PrintWriter err) throws Exception {
        MigrationPlan plan = inputs.plan(err);
        if (plan == null) {
            return 2;
        }
        int worker = shard != null ? shard
                : env.containsKey("JOB_COMPLETION_INDEX") ? Integer.parseInt(env.get("JOB_COMPLETION_INDEX")) : 0;
        DatabaseTarget db = JobInputs.database(env, err);
        if (db == null) {
            return 2;
        }
        BackfillTuning tuning = new BackfillTuning("auto".equals(batchSize) ? null : Integer.valueOf(batchSize),
                Durations.parse(targetBatchTime), maxRowsPerSecond, Durations.parse(maxReplicationLag),
                Durations.parse(maxTransactionAge), Duration.ofSeconds(1), shards);
        EngineSettings settings = EngineSettings.defaults("backfill").withTrackingSchema(inputs.trackingSchema)
                .withTimeouts(Durations.parse(lockTimeout), Duration.ofMinutes(15));
        out.println("backfill of " + plan.key() + " (plan " + plan.hash() + "), worker " + worker + " of " + shards
                + ", database " + db.server());
        try {
            new Backfiller(db, settings, tuning).run(plan, worker, shards, new Backfiller.Listener() {
                private long lastReport;

                @Override
                public void batch(int entry, int s, long rowsWritten, long pagesDone, int batchPages) {
                    if (rowsWritten - lastReport >= 100_000) {
                        lastReport = rowsWritten;
                        out.println("entry " + plan.sync().get(entry).name() + ": " + rowsWritten + " rows written, "
                                + pagesDone + " pages walked");
                        out.flush();
                    }
                }
            });
        } catch (EngineException e) {
            err.println("error: " + e.reason() + ": " + e.getMessage());
            return 1;
        }
        out.println("worker " + worker + " done");
        return 0;
    }
}
