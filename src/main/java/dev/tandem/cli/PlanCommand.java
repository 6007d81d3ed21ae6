package dev.tandem.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.engine.CatalogReader;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.engine.Redaction;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.PlanRenderer;
import dev.tandem.plan.Planner;
import dev.tandem.plan.SpecValidator;
import dev.tandem.plan.lint.LintRenderer;
import dev.tandem.plan.lint.LintReport;
import dev.tandem.plan.lint.Linter;
import dev.tandem.plan.lint.Severity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "plan", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"Print every statement of every phase, with its lock level, the plan hash, what a reviewer signs "
                + "(target phase, promotion, timeouts) and the lint: each risky statement with what it locks, whether "
                + "it scans or rewrites the table under that lock, and the safe form. Needs no cluster and no database.",
                "Exit codes: 0 when no finding reaches --fail-on, 2 when one does (or the manifest is invalid), "
                        + "1 when the database given with --database cannot be read."})
public class PlanCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-f", "--file"}, required = true, description = "SchemaMigration manifest (YAML).")
    Path file;

    @Option(names = {"-o", "--output"}, defaultValue = "text", description = "text, json (the plan with its review "
            + "and findings), or hash (the hash alone).")
    String output;

    @Option(names = "--fail-on", defaultValue = "error", paramLabel = "LEVEL", description = "Exit with code 2 when a "
            + "finding is at least this severe: error (default), warning, or never.")
    String failOn;

    @Option(names = "--database", paramLabel = "URL", description = "Also read the database's catalog (read-only): "
            + "table sizes in the findings, columns the application stops writing, what contract drops that others "
            + "need. postgresql://host:5432/shop or jdbc:postgresql://...; the password in PGPASSWORD. Without it, "
            + "no database is used.")
    String database;

    @Option(names = "--user", description = "Database user for --database (default: PGUSER, or the one in the URL).")
    String user;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        Severity threshold;
        try {
            threshold = threshold(failOn);
        } catch (CliError e) {
            err.println("error: " + e.getMessage());
            return e.exitCode();
        }
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
        if (output.equals("hash")) {
            out.println(plan.hash());
            out.flush();
            return 0;
        }
        if (!output.equals("text") && !output.equals("json")) {
            err.println("error: --output must be text, json or hash");
            return 2;
        }
        LintReport report;
        try {
            report = lint(migration, plan);
        } catch (CliError e) {
            err.println("error: " + e.getMessage());
            return e.exitCode();
        }
        if (output.equals("json")) {
            out.println(json(migration, plan, report));
        } else {
            out.print(PlanRenderer.render(plan, LintRenderer.review(migration.getSpec(), plan)));
            out.print(LintRenderer.section(report));
        }
        out.flush();
        if (report.fails(threshold)) {
            err.println("error: the plan has " + report.summary() + "; --fail-on " + failOn.toLowerCase()
                    + " fails it (see the lint above)");
            return 2;
        }
        return 0;
    }

    private LintReport lint(SchemaMigration migration, MigrationPlan plan) throws CliError {
        if (database == null) {
            return Linter.lint(migration.getSpec(), plan);
        }
        DatabaseTarget target = DatabaseOptions.remote(database, user);
        try (Connection c = target.connect("tandem-plan")) {
            c.setReadOnly(true);
            return Linter.lint(migration.getSpec(), plan, new CatalogReader(c));
        } catch (SQLException | CatalogReader.CatalogException e) {
            throw new CliError(1, "--database " + target.server() + ": cannot read the catalog: "
                    + Redaction.scrub(target.redact(e.getMessage())));
        }
    }

    private static Severity threshold(String failOn) throws CliError {
        switch (failOn == null ? "" : failOn.toLowerCase()) {
            case "error":
                return Severity.ERROR;
            case "warning":
                return Severity.WARNING;
            case "never":
                return null;
            default:
                throw CliError.input("--fail-on: '" + failOn + "' is not a level; give error, warning or never");
        }
    }

    private static String json(SchemaMigration migration, MigrationPlan plan, LintReport report) throws Exception {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode node = mapper.valueToTree(plan);
        ObjectNode review = node.putObject("review");
        review.put("targetPhase", String.valueOf(migration.getSpec().getTargetPhase()));
        review.put("promotedPlanHash", migration.getSpec().promotedPlanHash());
        review.put("planHashMatches", plan.hash().equals(migration.getSpec().promotedPlanHash()));
        review.put("lockTimeout", migration.getSpec().getLockTimeout() == null ? "2s" : migration.getSpec().getLockTimeout());
        review.put("statementTimeout", migration.getSpec().getStatementTimeout() == null ? "15m"
                : migration.getSpec().getStatementTimeout());
        ObjectNode lint = node.putObject("lint");
        lint.put("errors", report.count(Severity.ERROR));
        lint.put("warnings", report.count(Severity.WARNING));
        lint.put("notes", report.count(Severity.INFO));
        lint.put("catalog", report.catalog());
        lint.set("findings", mapper.valueToTree(report.findings()));
        lint.set("notParsed", mapper.valueToTree(report.notParsed()));
        return mapper.writeValueAsString(node);
    }
}
