package dev.tandem.cli;

import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.TargetPhase;
import dev.tandem.engine.BackfillProgress;
import dev.tandem.engine.Backfiller;
import dev.tandem.engine.BlockingSession;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.engine.EngineException;
import dev.tandem.engine.EngineSettings;
import dev.tandem.engine.LedgerState;
import dev.tandem.engine.MigrationEngine;
import dev.tandem.engine.StepListener;
import dev.tandem.engine.StepResult;
import dev.tandem.engine.Verifier;
import dev.tandem.engine.VerifyState;
import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.Durations;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import dev.tandem.plan.SpecValidator;
import dev.tandem.plan.Step;
import dev.tandem.plan.VerifyTuning;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Drive a migration through its phases in-process, without Kubernetes, up to --until "
                + "(default: spec.targetPhase). Exits 0 only when that phase is reached.",
                "Without --database an embedded PostgreSQL is started and the setup SQL beside the manifest "
                        + "(setup.sql in the same directory, or --setup) is loaded first."})
public class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-f", "--file"}, required = true, description = "SchemaMigration manifest (YAML).")
    Path file;

    @Option(names = "--database", description = "JDBC URL, e.g. jdbc:postgresql://localhost:5432/shop. The password "
            + "comes from the environment (PGPASSWORD), never from the command line.")
    String database;

    @Option(names = "--user", description = "Database user (default: PGUSER, or the one in the URL).")
    String user;

    @Option(names = "--until", description = "Phase to reach: Expanded, Backfilled, Verified, CutOver, Contracted, "
            + "RolledBack.")
    TargetPhase until;

    @Option(names = "--plan-hash", description = "Plan hash that promotes to CutOver or Contracted "
            + "(default: spec.promotion.planHash).")
    String planHash;

    @Option(names = "--setup", description = "SQL file loaded into the embedded database first (default: setup.sql "
            + "beside the manifest).")
    Path setup;

    private BackfillTuning tuning = BackfillTuning.defaults();
    private VerifyTuning verifyTuning = VerifyTuning.defaults();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        SchemaMigration migration;
        try {
            migration = ManifestLoader.load(file);
        } catch (ManifestLoader.ManifestException e) {
            err.println("error: " + e.getMessage());
            return 2;
        }
        List<String> errors = SpecValidator.validate(migration.getSpec(), false);
        if (!errors.isEmpty()) {
            errors.forEach(e -> err.println("error: " + file + ": " + e));
            return 2;
        }
        MigrationPlan plan = Planner.plan(migration);
        TargetPhase target = until != null ? until : migration.getSpec().getTargetPhase();
        if (target.requiresPromotionHash()) {
            String promoted = planHash != null ? planHash : migration.getSpec().promotedPlanHash();
            if (!plan.hash().equals(promoted)) {
                err.println("error: reaching " + target + " needs the plan hash " + plan.hash() + " (got "
                        + (promoted == null ? "none" : promoted) + "): review 'tandem plan -f " + file
                        + "', then pass --plan-hash " + plan.hash() + " or set spec.promotion.planHash");
                return 2;
            }
        }
        out.println("Migration " + plan.key() + ", plan " + plan.hash() + ", target " + target);
        EmbeddedDatabase embedded = null;
        try {
            DatabaseTarget db;
            if (database != null) {
                try {
                    db = DatabaseTarget.ofJdbcUrl(database, firstNonNull(user, System.getenv("PGUSER")),
                            System.getenv("PGPASSWORD"));
                } catch (IllegalArgumentException e) {
                    err.println("error: --database: " + e.getMessage());
                    return 2;
                }
            } else {
                Path setupFile = setup != null ? setup : file.toAbsolutePath().getParent().resolve("setup.sql");
                if (setup != null && !Files.isRegularFile(setup)) {
                    err.println("error: --setup: " + setup + ": no such file");
                    return 2;
                }
                out.println("Starting an embedded PostgreSQL (no --database given) ...");
                embedded = EmbeddedDatabase.start();
                db = embedded.target();
                if (Files.isRegularFile(setupFile)) {
                    embedded.load(setupFile);
                    out.println("Loaded " + setupFile.getFileName() + " into the embedded database on port "
                            + embedded.port());
                } else {
                    out.println("No setup SQL found at " + setupFile + "; starting from an empty database");
                }
            }
            EngineSettings settings = EngineSettings.defaults("cli")
                    .withTrackingSchema(migration.getSpec().getDatabase() == null ? EngineSettings.DEFAULT_SCHEMA
                            : migration.getSpec().getDatabase().effectiveTrackingSchema())
                    .withTimeouts(Durations.parseOr(migration.getSpec().getLockTimeout(), Duration.ofSeconds(2)),
                            Durations.parseOr(migration.getSpec().getStatementTimeout(), Duration.ofMinutes(15)));
            MigrationEngine engine = new MigrationEngine(db, settings);
            tuning = BackfillTuning.from(migration.getSpec().getBackfill());
            verifyTuning = VerifyTuning.from(migration.getSpec().getVerify());
            int rc = drive(engine, plan, target, out, err);
            if (embedded != null && rc == 0) {
                printTables(db, out);
            }
            return rc;
        } finally {
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    private int drive(MigrationEngine engine, MigrationPlan plan, TargetPhase target, PrintWriter out,
                      PrintWriter err) {
        try {
            out.println("Database " + engine.target().server() + " (PostgreSQL " + engine.ping() + ")");
            while (true) {
                LedgerState state = engine.state(plan.key());
                Phase phase = state.settledPhase();
                Optional<Phase> next = phase.nextToward(target);
                if (next.isEmpty()) {
                    if (phase == target.phase()) {
                        out.println("Reached " + phase + " (" + phase.stepLabel() + ")" + advice(phase, plan));
                        return 0;
                    }
                    err.println("error: the migration is at " + phase + " and cannot reach " + target
                            + (phase.isPastPointOfNoReturn() ? ": it is past the point of no return"
                            : ": phases never run backwards"));
                    return 1;
                }
                Step step = LedgerState.stepTo(next.get());
                int statements = plan.step(step).statements().size();
                out.print("  " + next.get().inFlightPhase().orElseThrow() + " ... ");
                out.flush();
                if (step == Step.BACKFILL && !plan.sync().isEmpty()) {
                    backfill(engine, plan, out);
                }
                if (step == Step.VERIFY && plan.verifies()) {
                    VerifyState verified = verify(engine, plan, out);
                    if (!verified.passed()) {
                        out.println();
                        err.println("error: " + verified.describe() + "; every mismatch is listed in "
                                + engine.settings().trackingSchema() + ".verify_mismatches (pass " + verified.pass()
                                + "); fix the data and run again to start a new pass, or --until RolledBack");
                        return 1;
                    }
                }
                StepResult result = engine.apply(plan, step, null, new StepListener() {
                    @Override
                    public void lockTimeout(Step s, int unit, int attempt, Duration retryIn,
                                            List<BlockingSession> blockers) {
                        out.print("lock timeout (" + (blockers.isEmpty() ? "blocker gone"
                                : blockers.stream().map(BlockingSession::describe).collect(Collectors.joining("; ")))
                                + "), retry in " + retryIn.toMillis() + "ms ... ");
                        out.flush();
                    }
                });
                out.println("done: " + next.get() + " in " + result.took().toMillis() + " ms, " + statements
                        + (statements == 1 ? " statement" : " statements")
                        + (result.applied() ? "" : " (already applied)"));
            }
        } catch (EngineException e) {
            out.println();
            err.println("error: " + e.reason() + ": " + e.getMessage());
            return 1;
        }
    }

    /** Copies existing rows in-process, one worker, with a progress line. */
    private void backfill(MigrationEngine engine, MigrationPlan plan, PrintWriter out) throws EngineException {
        Backfiller backfiller = new Backfiller(engine.target(), engine.settings(), tuning);
        long started = System.nanoTime();
        backfiller.run(plan, 0, 1, new Backfiller.Listener() {
            private long lastPrint;

            @Override
            public void batch(int entry, int shard, long rowsWritten, long pagesDone, int batchPages) {
                long now = System.nanoTime();
                if (now - lastPrint > 500_000_000L) {
                    lastPrint = now;
                    try {
                        BackfillProgress p = backfiller.progress(plan);
                        out.print("\r  Backfilling ... " + bar(p.percent()) + " " + p.percent() + "% " + p.rowsProcessed()
                                + " rows, " + Math.round(p.rowsPerSecond()) + " rows/s   ");
                        out.flush();
                    } catch (EngineException ignored) {
                        // progress display only
                    }
                }
            }

            @Override
            public void paused(String reason) {
                out.print("\r  Backfilling ... paused: " + reason + "   ");
                out.flush();
            }
        });
        BackfillProgress p = backfiller.progress(plan);
        out.print("\r  Backfilling ... " + bar(100) + " 100% " + p.rowsProcessed() + " rows in "
                + (System.nanoTime() - started) / 1_000_000 + " ms; ");
        out.flush();
    }

    /** Runs verification passes in-process until spec.verify.cleanPasses passed in a row, or one did not pass. */
    private VerifyState verify(MigrationEngine engine, MigrationPlan plan, PrintWriter out) throws EngineException {
        Verifier verifier = new Verifier(engine.target(), engine.settings(), verifyTuning);
        VerifyState state = verifier.state(plan);
        while (state.consecutivePassed() < verifyTuning.cleanPasses() || !state.passed()) {
            int pass = state.running() ? state.pass() : state.pass() + 1;
            long started = System.nanoTime();
            state = verifier.run(plan, pass, "", new Verifier.Listener() {
                private long lastPrint;

                @Override
                public void chunk(int entry, long rowsWalked, long mismatches) {
                    long now = System.nanoTime();
                    if (now - lastPrint > 500_000_000L) {
                        lastPrint = now;
                        try {
                            VerifyState p = verifier.state(plan);
                            out.print("\r  Verifying pass " + pass + " ... " + bar(p.percent()) + " " + p.percent() + "% "
                                    + p.rowsChecked() + " rows, " + p.mismatches() + " mismatches   ");
                            out.flush();
                        } catch (EngineException ignored) {
                            // progress display only
                        }
                    }
                }
            });
            out.print("\r  Verifying pass " + pass + " ... " + bar(100) + " " + state.result() + ": " + state.rowsChecked()
                    + " rows, " + state.mismatches() + " mismatches in " + (System.nanoTime() - started) / 1_000_000
                    + " ms; ");
            out.flush();
            if (!state.passed()) {
                return state;
            }
        }
        return state;
    }

    private static String bar(int percent) {
        int filled = percent / 5;
        return "[" + "#".repeat(filled) + ".".repeat(20 - filled) + "]";
    }

    private static String advice(Phase phase, MigrationPlan plan) {
        return switch (phase) {
            case Expanded, Backfilled, Verified -> "; next: --until CutOver --plan-hash " + plan.hash()
                    + " (the point of no return)";
            case CutOver -> "; next: --until Contracted --plan-hash " + plan.hash();
            default -> "";
        };
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

    private static String firstNonNull(String a, String b) {
        return a != null ? a : b;
    }
}
