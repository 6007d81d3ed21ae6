package dev.tandem.cli;

import dev.tandem.engine.Backfiller;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.engine.EngineException;
import dev.tandem.engine.EngineSettings;
import dev.tandem.engine.Sessions;
import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.SpecValidator;
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
@Command(name = "backfill", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Copy existing rows for a plan's sync entries (the backfill Job's command). Connection from "
                + "TANDEM_DB_JDBC_URI, TANDEM_DB_URI or TANDEM_DB_HOST/PORT/DBNAME/USER/PASSWORD.")
public class BackfillCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    JobInputs inputs;

    @Option(names = "--shard", description = "Index of this worker, 0 to --shards - 1 (default: JOB_COMPLETION_INDEX, "
            + "else 0).")
    Integer shard;

    @Option(names = "--shards", defaultValue = "1", description = "Number of workers, 1 to 64; each copies its share "
            + "of every entry's pages (default: ${DEFAULT-VALUE}).")
    int shards;

    @Option(names = "--lock-timeout", paramLabel = "DURATION", defaultValue = "2s", converter = DurationConverter.class,
            description = "lock_timeout of each batch: how long a batch waits for a row lock before it backs off "
                    + "(default: ${DEFAULT-VALUE}).")
    Duration lockTimeout;

    @Option(names = "--batch-size", defaultValue = "auto", description = "Rows per batch (1 to 1000000), or auto: sized "
            + "so that a batch takes --target-batch-time (default: ${DEFAULT-VALUE}).")
    String batchSize;

    @Option(names = "--target-batch-time", paramLabel = "DURATION", defaultValue = "200ms",
            converter = DurationConverter.class, description = "How long a batch should take with --batch-size auto; "
                    + "short batches hold row locks briefly (default: ${DEFAULT-VALUE}).")
    Duration targetBatchTime;

    @Option(names = "--max-rows-per-second", defaultValue = "0", description = "Upper bound on the rows this worker "
            + "writes per second, 0 for no limit (default: ${DEFAULT-VALUE}).")
    int maxRowsPerSecond;

    @Option(names = "--max-replication-lag", paramLabel = "DURATION", defaultValue = "10s",
            converter = DurationConverter.class, description = "Pause while a replica lags further behind than this "
                    + "(default: ${DEFAULT-VALUE}).")
    Duration maxReplicationLag;

    @Option(names = "--max-transaction-age", paramLabel = "DURATION", defaultValue = "5m",
            converter = DurationConverter.class, description = "Pause while another transaction is older than this, "
                    + "so that vacuum can keep up (default: ${DEFAULT-VALUE}).")
    Duration maxTransactionAge;

    @Override
    public Integer call() throws Exception {
        return execute(System.getenv(), spec.commandLine().getOut(), spec.commandLine().getErr());
    }

    private int worker(Map<String, String> env) {
        return shard != null ? shard : Integer.parseInt(env.getOrDefault("JOB_COMPLETION_INDEX", "0"));
    }

    /** What is wrong with the options, or null. */
    private String invalidOptions(Map<String, String> env) {
        if (!"auto".equals(batchSize) && !batchSize.matches("[1-9][0-9]{0,6}")
                || !"auto".equals(batchSize) && Integer.parseInt(batchSize) > SpecValidator.MAX_BATCH_SIZE) {
            return "--batch-size: '" + batchSize + "' is not auto or a whole number from 1 to " + SpecValidator.MAX_BATCH_SIZE;
        }
        if (shards < 1 || shards > 64) {
            return "--shards: " + shards + " is out of range; give the number of workers, from 1 to 64";
        }
        if (maxRowsPerSecond < 0) {
            return "--max-rows-per-second: " + maxRowsPerSecond + " is below 0; give rows per second, 0 for no limit";
        }
        String index = env.get("JOB_COMPLETION_INDEX");
        if (shard == null && index != null && !index.matches("[0-9]{1,2}")) {
            return "JOB_COMPLETION_INDEX: '" + index + "' is not a worker index";
        }
        int worker = worker(env);
        if (worker < 0 || worker >= shards) {
            return (shard != null ? "--shard" : "JOB_COMPLETION_INDEX") + ": " + worker + " is not a worker of "
                    + shards + " (give 0 to " + (shards - 1) + ")";
        }
        return null;
    }

    /** The command's work with an explicit environment (the test stand-in for a Job calls this). */
    public int execute(Map<String, String> env, PrintWriter out, PrintWriter err) throws Exception {
        String invalid = invalidOptions(env);
        if (invalid != null) {
            err.println("error: " + invalid);
            return 2;
        }
        MigrationPlan plan = inputs.plan(err);
        if (plan == null) {
            return 2;
        }
        int worker = worker(env);
        DatabaseTarget db = JobInputs.database(env, err);
        if (db == null) {
            return 2;
        }
        BackfillTuning tuning = new BackfillTuning("auto".equals(batchSize) ? null : Integer.valueOf(batchSize),
                targetBatchTime, maxRowsPerSecond, maxReplicationLag, maxTransactionAge, Duration.ofSeconds(1), shards);
        EngineSettings settings = EngineSettings.defaults("backfill").withTrackingSchema(inputs.trackingSchema)
                .withTimeouts(lockTimeout, Duration.ofMinutes(15));
        out.println("backfill of " + plan.key() + " (plan " + plan.hash() + "), worker " + worker + " of " + shards
                + ", database " + db.server());
        try (Sessions.Scope sessions = Sessions.tagged(db)) {
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
