package dev.tandem.cli;

import dev.tandem.engine.DatabaseTarget;
import dev.tandem.engine.EngineException;
import dev.tandem.engine.EngineSettings;
import dev.tandem.engine.Sessions;
import dev.tandem.engine.Verifier;
import dev.tandem.engine.VerifyState;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.SpecValidator;
import dev.tandem.plan.VerifyTuning;
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
 * One verification pass, as the verification Job runs it: the plan from the mounted ConfigMap,
 * the connection from TANDEM_DB_* environment variables (filled from the Secret). Progress and the
 * result go to the tracking schema, where the operator reads them. Exits 0 when the pass finished,
 * whatever it found; 1 when it could not run.
 */
@Command(name = "verify", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Run (or resume) one verification pass of a plan (the verification Job's command). Connection "
                + "from TANDEM_DB_JDBC_URI, TANDEM_DB_URI or TANDEM_DB_HOST/PORT/DBNAME/USER/PASSWORD.")
public class VerifyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    JobInputs inputs;

    @Option(names = "--pass", required = true, description = "Number of the pass: the one after the latest finished "
            + "pass, or an unfinished one to resume.")
    int pass;

    @Option(names = "--retry-token", defaultValue = "", description = "spec.verify.retry, recorded with the pass (default: none).")
    String retryToken;

    @Option(names = "--statement-timeout", defaultValue = "1h", converter = DurationConverter.class,
            paramLabel = "DURATION",
            description = "statement_timeout of each comparison query (default: ${DEFAULT-VALUE}).")
    Duration statementTimeout;

    @Option(names = "--chunk-size", defaultValue = "" + VerifyTuning.DEFAULT_CHUNK_SIZE,
            description = "Source rows per chunk, 100 to 1000000 (default: ${DEFAULT-VALUE}).")
    int chunkSize;

    @Option(names = "--max-recorded-mismatches", defaultValue = "" + VerifyTuning.DEFAULT_MAX_RECORDED,
            description = "Mismatching rows recorded per pass, 0 to 100000 (default: ${DEFAULT-VALUE}).")
    int maxRecorded;

    @Option(names = "--workers", defaultValue = "" + VerifyTuning.DEFAULT_PARALLELISM,
            description = "Workers comparing the pass's chunks at once, 1 to 64 (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--whole-table-rows", defaultValue = "" + VerifyTuning.DEFAULT_WHOLE_TABLE_ROWS,
            description = "An entry whose old and new tables are estimated at no more rows each is first compared "
                    + "whole, in one snapshot; 0 to 1000000000, 0 for chunk by chunk (default: ${DEFAULT-VALUE}).")
    long wholeTableRows;

    @Option(names = "--worker", description = "Run only this worker (default: JOB_COMPLETION_INDEX in an Indexed Job; "
            + "without it every worker runs in this process).")
    Integer worker;

    @Override
    public Integer call() throws Exception {
        return execute(System.getenv(), spec.commandLine().getOut(), spec.commandLine().getErr());
    }

    /** The worker this process runs, or null for all of them. */
    private Integer worker(Map<String, String> env) {
        return worker != null ? worker
                : env.containsKey("JOB_COMPLETION_INDEX") ? Integer.valueOf(env.get("JOB_COMPLETION_INDEX")) : null;
    }

    /** What is wrong with the options, or null. */
    private String invalidOptions(Map<String, String> env) {
        if (workers < 1 || workers > SpecValidator.MAX_PARALLELISM) {
            return "--workers: " + workers + " is out of range; give the number of workers, from 1 to "
                    + SpecValidator.MAX_PARALLELISM;
        }
        if (chunkSize < SpecValidator.MIN_CHUNK_SIZE || chunkSize > SpecValidator.MAX_CHUNK_SIZE) {
            return "--chunk-size: " + chunkSize + " is out of range; give rows per chunk, from "
                    + SpecValidator.MIN_CHUNK_SIZE + " to " + SpecValidator.MAX_CHUNK_SIZE;
        }
        if (maxRecorded < 0 || maxRecorded > SpecValidator.MAX_RECORDED_MISMATCHES) {
            return "--max-recorded-mismatches: " + maxRecorded + " is out of range; give a number from 0 to "
                    + SpecValidator.MAX_RECORDED_MISMATCHES;
        }
        if (wholeTableRows < 0 || wholeTableRows > SpecValidator.MAX_WHOLE_TABLE_ROWS) {
            return "--whole-table-rows: " + wholeTableRows + " is out of range; give the rows per table up to which an entry is "
                    + "first compared whole, from 0 (chunk by chunk) to " + SpecValidator.MAX_WHOLE_TABLE_ROWS;
        }
        String index = env.get("JOB_COMPLETION_INDEX");
        if (worker == null && index != null && !index.matches("[0-9]{1,2}")) {
            return "JOB_COMPLETION_INDEX: '" + index + "' is not a worker index";
        }
        Integer w = worker(env);
        if (w != null && (w < 0 || w >= workers)) {
            return (worker != null ? "--worker" : "JOB_COMPLETION_INDEX") + ": " + w + " is not a worker of "
                    + workers + " (give 0 to " + (workers - 1) + ")";
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
        DatabaseTarget db = JobInputs.database(env, err);
        if (db == null) {
            return 2;
        }
        EngineSettings settings = EngineSettings.defaults("verify").withTrackingSchema(inputs.trackingSchema)
                .withTimeouts(Duration.ofSeconds(2), statementTimeout);
        Integer index = worker(env);
        VerifyTuning tuning = new VerifyTuning(1, null, chunkSize, maxRecorded, workers, wholeTableRows);
        out.println("verification pass " + pass + " of " + plan.key() + " (plan " + plan.hash() + "), "
                + (index == null ? workers + (workers == 1 ? " worker" : " workers") : "worker " + index + " of " + workers)
                + ", database " + db.server());
        try (Sessions.Scope sessions = Sessions.tagged(db)) {
            Verifier verifier = new Verifier(db, settings, tuning);
            VerifyState s = index == null ? verifier.run(plan, pass, retryToken, Verifier.Listener.NONE)
                    : verifier.runWorker(plan, pass, retryToken, index, workers, Verifier.Listener.NONE);
            out.println(s.running() ? "worker " + index + " done; the pass runs on in the other workers: " + s.describe()
                    : s.describe());
        } catch (EngineException e) {
            err.println("error: " + e.reason() + ": " + e.getMessage());
            return 1;
        }
        return 0;
    }
}
