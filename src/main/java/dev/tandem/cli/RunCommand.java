package dev.tandem.cli;

import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.Reason;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.TargetPhase;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.engine.EngineException;
import dev.tandem.engine.EngineSettings;
import dev.tandem.engine.MigrationEngine;
import dev.tandem.engine.Sessions;
import dev.tandem.engine.conductor.Conductor;
import dev.tandem.engine.conductor.Gatekeeper;
import dev.tandem.engine.conductor.Workers;
import dev.tandem.engine.conductor.Outcome;
import dev.tandem.engine.conductor.StepObserver;
import dev.tandem.engine.conductor.StepRequest;
import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.Durations;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import dev.tandem.plan.SpecValidator;
import dev.tandem.plan.VerifyTuning;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "run", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"Drive a migration through its phases in-process, without Kubernetes, up to --until "
                + "(default: spec.targetPhase). Exits 0 only when that phase is reached.",
                "Without --database an embedded PostgreSQL is started and the setup SQL beside the manifest "
                        + "(setup.sql in the same directory, or --setup) is loaded first."})
public class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-f", "--file"}, description = "SchemaMigration manifest (YAML); with --example, that example's.")
    Path file;

    @Option(names = "--until", description = "Phase to reach: Expanded, Backfilled, Verified, CutOver, Contracted, "
            + "RolledBack.")
    TargetPhase until;

    @Option(names = "--plan-hash", description = "Plan hash that promotes to CutOver or Contracted "
            + "(default: spec.promotion.planHash).")
    String planHash;

    @Option(names = "--skip-gate", paramLabel = "NAME", description = "Cross cutover without checking this gate "
            + "(repeatable). A rollout gate needs a cluster: in local mode it holds only when skipped.")
    java.util.Set<String> skipGates = new java.util.LinkedHashSet<>();

    @Option(names = "--max-wait", paramLabel = "DURATION", defaultValue = "1m", converter = DurationConverter.class,
            description = "How long to wait for cutover gates or contract's waits before giving up with exit code 3 "
                    + "(default: ${DEFAULT-VALUE}).")
    Duration maxWait;

    @Mixin
    DatabaseOptions databaseOptions = new DatabaseOptions();

    private BackfillTuning tuning = BackfillTuning.defaults();
    /** This run committed Verified itself: asking for Verified needs no second pass. */
    private boolean justVerified;
    private VerifyTuning verifyTuning = VerifyTuning.defaults();
    /** Each run is a new request: a verification pass that failed in an earlier run is not the last word. */
    private final String retryToken = "run " + Instant.now();
    private boolean reverified;
    private Instant heldSince;
    private String lastHold;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            file = databaseOptions.manifest(file);
            SchemaMigration migration = load();
            MigrationPlan plan = Planner.plan(migration);
            TargetPhase target = until != null ? until : migration.getSpec().getTargetPhase();
            String promoted = planHash != null ? planHash : migration.getSpec().promotedPlanHash();
            if (target.requiresPromotionHash() && !plan.hash().equals(promoted)) {
                throw CliError.input("reaching " + target + " needs the plan hash " + plan.hash() + " (got "
                        + (promoted == null ? "none" : promoted) + "): review 'tandem plan -f " + file
                        + "', then pass --plan-hash " + plan.hash() + " or set spec.promotion.planHash");
            }
            List<String> gateNames = plan.policy().gates().stream().map(g -> g.name()).toList();
            for (String skip : skipGates) {
                if (!gateNames.contains(skip)) {
                    throw CliError.input("--skip-gate " + skip + ": the migration has no such gate; its gates are "
                            + (gateNames.isEmpty() ? "none" : String.join(", ", gateNames)));
                }
            }
            out.println("Migration " + plan.key() + ", plan " + plan.hash() + ", target " + target);
            try (DatabaseOptions.Open db = databaseOptions.open(file, out);
                 Sessions.Scope sessions = Sessions.tagged(db.target)) {
                MigrationEngine engine = new MigrationEngine(db.target, settings(migration));
                tuning = BackfillTuning.from(migration.getSpec().getBackfill());
                verifyTuning = VerifyTuning.from(migration.getSpec().getVerify());
                RunSummary summary = new RunSummary();
                int rc = drive(engine, plan, target, promoted, new Io(out, err, summary, db));
                if (db.embedded() && rc == 0) {
                    printTables(db.target, out);
                }
                err.flush();
                summary.print(out, engine, plan, rc);
                return rc;
            }
        } catch (CliError e) {
            err.println("error: " + e.getMessage());
            return e.exitCode();
        }
    }

    private SchemaMigration load() throws CliError {
        return load(file);
    }

    /** The manifest, parsed and validated. */
    static SchemaMigration load(Path file) throws CliError {
        SchemaMigration migration;
        try {
            migration = ManifestLoader.load(file);
        } catch (ManifestLoader.ManifestException e) {
            throw CliError.input(e.getMessage());
        }
        List<String> errors = SpecValidator.validate(migration.getSpec(), false);
        if (!errors.isEmpty()) {
            throw CliError.input(String.join("\nerror: ", errors.stream().map(e -> file + ": " + e).toList()));
        }
        return migration;
    }

    /**
     * The engine's settings for this manifest; lock-timeout retries as the operator makes them
     * (tandem.ddl.max-attempts, backoff-base, backoff-max).
     */
    static EngineSettings settings(SchemaMigration migration) {
        EngineSettings defaults = EngineSettings.defaults("cli");
        int attempts = defaults.maxAttempts();
        Duration base = defaults.backoffBase();
        Duration max = defaults.backoffMax();
        try {
            org.eclipse.microprofile.config.Config config = org.eclipse.microprofile.config.ConfigProvider.getConfig();
            attempts = config.getOptionalValue("tandem.ddl.max-attempts", Integer.class).orElse(attempts);
            base = config.getOptionalValue("tandem.ddl.backoff-base", Duration.class).orElse(base);
            max = config.getOptionalValue("tandem.ddl.backoff-max", Duration.class).orElse(max);
        } catch (RuntimeException e) {
            // no configuration outside the application: the defaults
        }
        return defaults.withTrackingSchema(Planner.trackingSchema(migration.getSpec()))
                .withTimeouts(Durations.parseOr(migration.getSpec().getLockTimeout(), Duration.ofSeconds(2)),
                        Durations.parseOr(migration.getSpec().getStatementTimeout(), Duration.ofMinutes(15)))
                .withRetries(attempts, base, max);
    }

    /** Where a run writes, what it records for the summary, and the database it runs on. */
    private record Io(PrintWriter out, PrintWriter err, RunSummary summary, DatabaseOptions.Open db) {
    }

    /**
     * The same walk the operator makes, through the engine's conductor: decide, take one step,
     * print it, until the target is reached or something stops it.
     */
    private int drive(MigrationEngine engine, MigrationPlan plan, TargetPhase target, String promotedHash, Io io) {
        PrintWriter out = io.out();
        RunSummary summary = io.summary();
        Conductor conductor = new Conductor(engine);
        Conductor.Promotion promotion = new Conductor.Promotion(target, promotedHash);
        InProcessWorkers workers = new InProcessWorkers(engine.target(), engine.settings(),
                new InProcessWorkers.Progress(out, InProcessWorkers.Progress.onTerminal()));
        Gatekeeper gatekeeper = new LocalGatekeeper(skipGates);
        try {
            out.println("Database " + engine.target().server() + " (PostgreSQL " + engine.ping() + ")");
            while (true) {
                dev.tandem.engine.LedgerState ledger = engine.state(plan.key());
                Conductor.Decision decision = Conductor.decide(plan, ledger, promotion);
                if (decision instanceof Conductor.Decision.Stop stop) {
                    summary.next(stopNext(stop, plan, io));
                    return stopped(stop, plan, io.err());
                }
                if (decision instanceof Conductor.Decision.Reached reached) {
                    Integer rc = reached(reached, engine, plan, target, workers, io);
                    if (rc != null) {
                        return rc;
                    }
                    continue;
                }
                Phase next = ((Conductor.Decision.Next) decision).phase();
                if (summary.starting(next)) {
                    out.println("  " + next.inFlightPhase().orElseThrow() + " ...");
                    out.flush();
                    if (next == Phase.Contracted) {
                        summary.capture(engine, plan, ledger); // contract removes the tracking rows
                    }
                }
                Instant now = Instant.now();
                Outcome outcome = conductor.advance(next, new StepRequest(null, plan, tuning, verifyTuning, retryToken,
                        workers, StepObserver.NONE, now, gatekeeper));
                Integer rc = outcome instanceof Outcome.Held h ? held(h, now, io) : report(outcome, io);
                if (rc != null) {
                    return rc;
                }
            }
        } catch (EngineException e) {
            io.err().println("error: " + e.reason() + ": " + e.getMessage());
            summary.next(e.isTransient() ? "run the same command again when the cause has cleared"
                    : "fix the cause above, then run the same command again");
            return 1;
        }
    }

    /**
     * The target is reached: the exit code, or null to decide again after verifying once more
     * (asked again for Verified: the application ran meanwhile).
     */
    private Integer reached(Conductor.Decision.Reached reached, MigrationEngine engine, MigrationPlan plan,
                            TargetPhase target, InProcessWorkers workers, Io io) throws EngineException {
        if (reached.phase() == Phase.Verified && target == TargetPhase.Verified && !reverified && plan.verifies()
                && !justVerified) {
            reverified = true;
            io.out().println("  Verifying again (the migration was already Verified) ...");
            io.out().flush();
            Workers.Worker w = workers.verify(plan, engine.verification(plan).pass() + 1, retryToken, verifyTuning, false);
            if (w.state() == Workers.State.FAILED) {
                io.err().println("error: " + (w.reason() == null ? Reason.VerifyJobFailed : w.reason()) + ": "
                        + w.failure());
                io.summary().next("fix the cause above, then run the same command again");
                return 1;
            }
            io.out().println("  " + engine.verification(plan).describe());
            return null;
        }
        String label = reached.phase().stepLabel();
        io.out().println("Reached " + reached.phase() + (label.isEmpty() ? "" : " (" + label + ")"));
        io.summary().next(advice(reached, plan, io));
        return 0;
    }

    /** A crossing that does not hold yet: waits (null) up to --max-wait, then exit code 3. */
    private Integer held(Outcome.Held h, Instant now, Io io) {
        heldSince = heldSince == null ? now : heldSince;
        if (!h.message().equals(lastHold)) {
            io.out().println("  waiting: " + h.message());
            io.out().flush();
            lastHold = h.message();
        }
        Duration left = maxWait.minus(Duration.between(heldSince, now));
        if (left.isNegative() || left.isZero()) {
            io.err().println("error: " + h.hold() + ": " + h.message() + "; waited " + Durations.format(maxWait)
                    + " (--max-wait): run the same command again " + (h.possibleAt() != null
                    ? "after then" : "when it holds") + ", or wait longer with --max-wait");
            io.summary().next("run the same command again " + (h.possibleAt() != null ? "after " + h.possibleAt()
                    : "when " + h.hold() + " is over") + " (or give a longer --max-wait)");
            return 3;
        }
        pause(h.recheck().compareTo(left) < 0 ? h.recheck() : left);
        return null;
    }

    /** Prints what one step did; the exit code when the run ends here, null to go on. */
    private Integer report(Outcome outcome, Io io) {
        heldSince = null;
        lastHold = null;
        RunSummary summary = io.summary();
        PrintWriter out = io.out();
        PrintWriter err = io.err();
        if (outcome instanceof Outcome.Advanced a) {
            justVerified |= a.phase() == Phase.Verified;
            out.println("  done: " + a.phase() + " in " + RunSummary.seconds(summary.reached(a.phase())) + " ("
                    + a.detail() + ")");
            return null;
        }
        if (outcome instanceof Outcome.Retry r) {
            err.println("error: " + r.reason() + ": " + r.message());
            err.println("This is transient and nothing is half done, but tandem run does not retry it: run the same "
                    + "command again when the cause has cleared; it goes on where it stopped.");
            summary.next("run the same command again when the cause has cleared");
            return 1;
        }
        if (outcome instanceof Outcome.Failed f) {
            err.println("error: " + f.reason() + ": " + f.message());
            summary.next("fix the cause above, then run the same command again (or --until RolledBack before cutover)");
            return 1;
        }
        return null; // Waiting: the in-process work of this step has run; decide again.
    }

    /**
     * Why the run cannot go on. A ledger that holds another plan under this name is a changed
     * manifest or a different migration (another manifest with the same metadata.name): the two
     * cannot be told apart, and either way nothing of this manifest may run.
     */
    private static int stopped(Conductor.Decision.Stop stop, MigrationPlan plan, PrintWriter err) {
        if (stop.reason() == Reason.SpecImmutable) {
            err.println("error: " + Reason.SpecImmutable + ": the database already holds migration " + plan.key()
                    + " with another plan: " + stop.message().replaceFirst("^.*?: the database ran", "it ran")
                    .replaceFirst("; revert the change.*$", "") + ". Either this manifest was edited after expand: "
                    + "revert the change (only targetPhase, promotion, suspend and tuning may change), or it is "
                    + "another migration with the same metadata.name: give it its own name. Nothing was run");
            return 2;
        }
        err.println("error: " + stop.reason() + ": " + stop.message());
        return stop.reason() == Reason.PlanHashMismatch ? 2 : 1;
    }

    private String stopNext(Conductor.Decision.Stop stop, MigrationPlan plan, Io io) {
        if (stop.reason() == Reason.PlanHashMismatch) {
            return "review 'tandem plan -f " + file + "', then " + command(io) + " --until " + (until != null ? until
                    : "CutOver") + " --plan-hash " + plan.hash();
        }
        return "fix what the error says, then run again";
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(Math.max(10, d.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting", e);
        }
    }

    /** The very next command: the next phase, or nothing left. */
    private String advice(Conductor.Decision.Reached reached, MigrationPlan plan, Io io) {
        if (reached.next().isEmpty()) {
            return reached.phase().isFinal() ? "nothing: the migration is " + reached.phase() : "nothing";
        }
        Phase next = reached.next().get();
        String text = command(io) + " --until " + next + (next.needsPlanHash() ? " --plan-hash " + plan.hash() : "")
                + (next == Phase.CutOver ? "   (the point of no return)" : "");
        return io.db().embedded() ? text + "; the embedded database is removed when this run ends: give --database "
                + "to keep a migration's state" : text;
    }

    /** This command again, without --until and --plan-hash: the database as a URL without its password. */
    private String command(Io io) {
        return "tandem run -f " + file + (io.db().embedded() ? "" : " --database " + io.db().target);
    }

    private static void printTables(DatabaseTarget db, PrintWriter out) {
        try (Connection c = db.connect("tandem-cli"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT c.relname, string_agg(a.attname || ' ' || "
                     + "format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END, "
                     + "', ' ORDER BY a.attnum) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                     + "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
                     + "WHERE n.nspname = 'public' AND c.relkind = 'r' GROUP BY c.relname ORDER BY c.relname")) {
            out.println("Tables in schema public now:");
            while (rs.next()) {
                out.println("  " + rs.getString(1) + "(" + rs.getString(2) + ")");
            }
        } catch (Exception e) {
            out.println("(could not list tables: " + db.redact(e.getMessage()) + ")");
        }
    }

}
