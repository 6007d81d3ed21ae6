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

@Command(name = "run", mixinStandardHelpOptions = true,
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
                int rc = drive(engine, plan, target, promoted, out, err);
                if (db.embedded() && rc == 0) {
                    printTables(db.target, out);
                }
                return rc;
            }
        } catch (CliError e) {
            err.println("error: " + e.getMessage());
            return e.exitCode();
        }
    }

    private SchemaMigration load() throws CliError {
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

    private static EngineSettings settings(SchemaMigration migration) {
        return EngineSettings.defaults("cli")
                .withTrackingSchema(Planner.trackingSchema(migration.getSpec()))
                .withTimeouts(Durations.parseOr(migration.getSpec().getLockTimeout(), Duration.ofSeconds(2)),
                        Durations.parseOr(migration.getSpec().getStatementTimeout(), Duration.ofMinutes(15)));
    }

    /**
     * The same walk the operator makes, through the engine's conductor: decide, take one step,
     * print it, until the target is reached or something stops it.
     */
    private int drive(MigrationEngine engine, MigrationPlan plan, TargetPhase target, String promotedHash,
                      PrintWriter out, PrintWriter err) {
        Conductor conductor = new Conductor(engine);
        Conductor.Promotion promotion = new Conductor.Promotion(target, promotedHash);
        InProcessWorkers workers = new InProcessWorkers(engine.target(), engine.settings(),
                new InProcessWorkers.Progress(out, System.console() != null));
        // Each run is a new request: a verification pass that failed in an earlier run is not the last word.
        String retryToken = "run " + Instant.now();
        Gatekeeper gatekeeper = new LocalGatekeeper(skipGates);
        boolean reverified = false;
        Instant heldSince = null;
        String lastHold = null;
        try {
            out.println("Database " + engine.target().server() + " (PostgreSQL " + engine.ping() + ")");
            while (true) {
                Conductor.Decision decision = Conductor.decide(plan, engine.state(plan.key()), promotion);
                if (decision instanceof Conductor.Decision.Stop stop) {
                    return stopped(stop, plan, err);
                }
                if (decision instanceof Conductor.Decision.Reached reached) {
                    if (reached.phase() == Phase.Verified && target == TargetPhase.Verified && !reverified
                            && plan.verifies() && !justVerified) {
                        // asked again for Verified: check again, the application ran meanwhile
                        reverified = true;
                        out.println("  Verifying again (the migration was already Verified) ...");
                        out.flush();
                        Workers.Worker w = workers.verify(plan, engine.verification(plan).pass() + 1, retryToken,
                                verifyTuning, false);
                        if (w.state() == Workers.State.FAILED) {
                            err.println("error: " + (w.reason() == null ? Reason.VerifyJobFailed : w.reason()) + ": "
                                    + w.failure());
                            return 1;
                        }
                        out.println("  " + engine.verification(plan).describe());
                        continue;
                    }
                    out.println("Reached " + reached.phase() + " (" + reached.phase().stepLabel() + ")"
                            + advice(reached, plan));
                    return 0;
                }
                Phase next = ((Conductor.Decision.Next) decision).phase();
                if (lastHold == null) {
                    out.println("  " + next.inFlightPhase().orElseThrow() + " ...");
                    out.flush();
                }
                Instant now = Instant.now();
                Outcome outcome = conductor.advance(next, new StepRequest(null, plan, tuning, verifyTuning, retryToken,
                        workers, StepObserver.NONE, now, gatekeeper));
                if (outcome instanceof Outcome.Held h) {
                    heldSince = heldSince == null ? now : heldSince;
                    if (!h.message().equals(lastHold)) {
                        out.println("  waiting: " + h.message());
                        out.flush();
                        lastHold = h.message();
                    }
                    Duration left = maxWait.minus(Duration.between(heldSince, now));
                    if (left.isNegative() || left.isZero()) {
                        err.println("error: " + h.hold() + ": " + h.message() + "; waited " + Durations.format(maxWait)
                                + " (--max-wait): run the same command again " + (h.possibleAt() != null
                                ? "after then" : "when it holds") + ", or wait longer with --max-wait");
                        return 3;
                    }
                    pause(h.recheck().compareTo(left) < 0 ? h.recheck() : left);
                    continue;
                }
                heldSince = null;
                lastHold = null;
                justVerified |= outcome instanceof Outcome.Advanced a0 && a0.phase() == Phase.Verified;
                if (outcome instanceof Outcome.Advanced a) {
                    out.println("  done: " + a.phase() + " (" + a.detail() + ")");
                } else if (outcome instanceof Outcome.Retry r) {
                    err.println("error: " + r.reason() + ": " + r.message());
                    err.println("This is transient and nothing is half done: run the same command again when the "
                            + "cause has cleared; it goes on where it stopped.");
                    return 1;
                } else if (outcome instanceof Outcome.Failed f) {
                    err.println("error: " + f.reason() + ": " + f.message());
                    return 1;
                }
                // Waiting: the in-process work of this step has run; decide again.
            }
        } catch (EngineException e) {
            err.println("error: " + e.reason() + ": " + e.getMessage());
            return 1;
        }
    }

    /**
     * Why the run cannot go on. A ledger that holds another plan under this name is a different
     * migration (another manifest with the same metadata.name) or a changed one: either way nothing
     * of this manifest may run.
     */
    private static int stopped(Conductor.Decision.Stop stop, MigrationPlan plan, PrintWriter err) {
        if (stop.reason() == Reason.SpecImmutable) {
            err.println("error: " + Reason.PlanMismatch + ": the database already holds migration " + plan.key()
                    + " with a different plan: " + stop.message().replaceFirst("^.*?: the database ran", "it ran")
                    + ". If this is another migration, give it its own metadata.name; nothing was run");
            return 2;
        }
        err.println("error: " + stop.reason() + ": " + stop.message());
        return stop.reason() == Reason.PlanHashMismatch ? 2 : 1;
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(Math.max(10, d.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting", e);
        }
    }

    private static String advice(Conductor.Decision.Reached reached, MigrationPlan plan) {
        return reached.next().map(next -> "; next: --until " + next + (next.needsPlanHash() ? " --plan-hash "
                + plan.hash() : "") + (next == Phase.CutOver ? " (the point of no return)" : "")).orElse("");
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
