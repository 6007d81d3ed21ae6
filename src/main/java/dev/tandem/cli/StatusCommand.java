package dev.tandem.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.engine.BackfillProgress;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.engine.EngineException;
import dev.tandem.engine.GateResult;
import dev.tandem.engine.LedgerState;
import dev.tandem.engine.MigrationEngine;
import dev.tandem.engine.OldStorageState;
import dev.tandem.engine.VerifyState;
import dev.tandem.plan.CrossingPolicy;
import dev.tandem.plan.Durations;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Where a migration stands, read from its database without running anything: the ledger, the
 * backfill's progress, the latest verification pass, the cutover gates (SQL gates run read-only),
 * old-storage writes and the next step. Never starts an embedded database.
 */
@Command(name = "status", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"Show where a migration stands in its database, without running anything: phase, steps and "
                + "when they committed, backfill progress, the latest verification pass, cutover gates, old-storage "
                + "writes and the next command. Exits 0 when the state could be read, 2 for bad input, 1 when the "
                + "database cannot be read."})
public class StatusCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Spec
    CommandSpec spec;

    @Option(names = {"-f", "--file"}, required = true, description = "SchemaMigration manifest (YAML).")
    Path file;

    @Option(names = "--database", paramLabel = "URL", description = "The migration's database: postgresql://host:5432/"
            + "shop (as libpq takes it) or jdbc:postgresql://...; the password in PGPASSWORD. Required: status never "
            + "starts an embedded database.")
    String database;

    @Option(names = "--user", description = "Database user (default: PGUSER, or the one in the URL).")
    String user;

    @Option(names = {"-o", "--output"}, defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).")
    String output;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            if (!output.equals("text") && !output.equals("json")) {
                throw CliError.input("--output: '" + output + "' is not a format; give text or json");
            }
            if (database == null) {
                throw CliError.input("status reads the migration's state from its database: give --database URL "
                        + "(postgresql://user@host:5432/db). The embedded database of 'tandem run' is removed when "
                        + "the run ends, so there is nothing to read without one");
            }
            SchemaMigration migration = RunCommand.load(file);
            MigrationPlan plan = Planner.plan(migration);
            DatabaseTarget target = DatabaseOptions.remote(database, user);
            MigrationEngine engine = new MigrationEngine(target, RunCommand.settings(migration));
            ObjectNode report = read(engine, plan);
            if (output.equals("json")) {
                out.println(JSON.writeValueAsString(report));
            } else {
                StatusText.print(report, out);
            }
            out.flush();
            return 0;
        } catch (CliError e) {
            err.println("error: " + e.getMessage());
            return e.exitCode();
        } catch (EngineException e) {
            err.println("error: " + e.reason() + ": " + e.getMessage());
            return 1;
        }
    }

    private ObjectNode read(MigrationEngine engine, MigrationPlan plan) throws EngineException {
        ObjectNode r = JSON.createObjectNode();
        r.put("migration", plan.key());
        r.put("database", engine.target().server());
        r.put("serverVersion", engine.ping());
        r.put("planHash", plan.hash());
        LedgerState ledger = engine.state(plan.key());
        Phase settled = ledger.settledPhase();
        r.put("ledgerPlanHash", ledger.planHash());
        boolean samePlan = !ledger.started() || ledger.planHash() == null || ledger.planHash().equals(plan.hash())
                || ledger.acceptsRevisedContract(plan.hash(), plan.baseHash());
        r.put("planMatches", samePlan);
        r.put("phase", settled.name());
        r.put("stepLabel", settled.stepLabel());
        ArrayNode steps = r.putArray("steps");
        ledger.steps().entrySet().stream().sorted(Map.Entry.comparingByValue()).forEach(e -> steps.addObject()
                .put("step", e.getKey().key()).put("phase", Phase.after(e.getKey()).name())
                .put("committedAt", time(e.getValue())));
        r.put("pointOfNoReturnTime", time(ledger.pointOfNoReturn()));
        boolean live = ledger.started() && !ledger.applied(Step.CONTRACT) && !ledger.applied(Step.ROLLBACK);
        VerifyState verification = live ? engine.verification(plan) : VerifyState.none();
        if (live && !plan.sync().isEmpty()) {
            r.set("backfill", backfill(engine.backfillProgress(plan)));
        }
        if (verification.pass() > 0) {
            r.set("verification", verification(verification));
        }
        if (live && !ledger.pastPointOfNoReturn()) {
            r.set("gates", gates(engine, plan, verification, settled));
        }
        if (live && ledger.pastPointOfNoReturn()) {
            r.set("oldStorage", oldStorage(engine.oldStorage(plan), plan, ledger));
        }
        r.put("next", samePlan ? next(settled, plan, engine.target()) : "the database ran plan " + ledger.planHash()
                + ", this manifest gives plan " + plan.hash() + " (SpecImmutable): revert the edit, or give another "
                + "migration its own metadata.name");
        return r;
    }

    private static ObjectNode backfill(BackfillProgress p) {
        ObjectNode b = JSON.createObjectNode();
        b.put("started", p.shardsTotal() > 0);
        b.put("complete", p.complete());
        b.put("percent", p.percent());
        b.put("rowsCopied", p.rowsProcessed());
        b.put("rowsEstimate", p.rowsTotal());
        b.put("rowsPerSecond", Math.round(p.rowsPerSecond()));
        b.put("failedRows", p.failedRows());
        b.put("position", p.position());
        return b;
    }

    private static ObjectNode verification(VerifyState v) {
        ObjectNode n = JSON.createObjectNode();
        n.put("pass", v.pass());
        n.put("result", v.running() ? "Running" : v.result());
        n.put("cleanPasses", v.consecutivePassed());
        n.put("checkedRows", v.rowsChecked());
        n.put("mismatchedRows", v.mismatches());
        n.put("finishedAt", time(v.finishedAt()));
        n.put("summary", v.describe());
        return n;
    }

    /** Each cutover gate as far as a database can tell: SQL gates run (read-only), the proof's age, rollouts named. */
    private static ArrayNode gates(MigrationEngine engine, MigrationPlan plan, VerifyState v, Phase settled)
            throws EngineException {
        ArrayNode gates = JSON.createArrayNode();
        for (CrossingPolicy.Gate g : plan.policy().gates()) {
            ObjectNode n = gates.addObject().put("name", g.name()).put("kind", g.kind());
            if (g.sql() != null) {
                GateResult result = engine.gate(g.name(), g.sql());
                n.put("passed", result.passed()).put("message", result.message());
            } else if (g.maxAge() != null) {
                boolean fresh = v.passed() && v.finishedAt() != null
                        && v.finishedAt().plus(g.maxAge()).isAfter(Instant.now());
                n.put("passed", fresh).put("message", !v.passed() ? "no passed verification pass yet"
                        : "latest pass " + v.pass() + " passed at " + time(v.finishedAt()) + " (max age "
                        + Durations.format(g.maxAge()) + (fresh ? ")" : "; a new pass runs before cutover)"));
            } else {
                n.putNull("passed").put("message", "a rollout gate: the operator watches it in a cluster; tandem run "
                        + "crosses it only with --skip-gate " + g.name());
            }
        }
        return gates;
    }

    private static ObjectNode oldStorage(OldStorageState s, MigrationPlan plan, LedgerState ledger) {
        ObjectNode n = JSON.createObjectNode();
        n.put("mode", String.valueOf(plan.policy().mode()));
        n.put("writes", s.writes());
        n.put("lastWriteTime", time(s.lastAt()));
        n.put("lastWrite", s.describeLast());
        Instant possible = ledger.pointOfNoReturn() == null ? null : ledger.pointOfNoReturn().plus(plan.policy().minWait());
        n.put("contractPossibleTime", time(possible));
        return n;
    }

    private String next(Phase settled, MigrationPlan plan, DatabaseTarget target) {
        java.util.Optional<Phase> next = settled.nextToward(dev.tandem.api.v1alpha1.TargetPhase.Contracted);
        if (next.isEmpty()) {
            return "nothing: the migration is " + settled;
        }
        Phase phase = next.get();
        return "tandem run -f " + file + " --database " + target + " --until " + phase
                + (phase.needsPlanHash() ? " --plan-hash " + plan.hash() : "")
                + (phase == Phase.CutOver ? "   (the point of no return)" : "");
    }

    private static String time(Instant t) {
        return t == null ? null : t.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
