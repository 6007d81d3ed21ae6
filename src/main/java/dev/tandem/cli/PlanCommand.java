package dev.tandem.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.PlanRenderer;
import dev.tandem.plan.Planner;
import dev.tandem.plan.SpecValidator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "plan", mixinStandardHelpOptions = true,
        description = "Print every statement of every phase, with its lock level, and the plan hash. Needs no cluster "
                + "and no database.")
public class PlanCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-f", "--file"}, required = true, description = "SchemaMigration manifest (YAML).")
    Path file;

    @Option(names = {"-o", "--output"}, defaultValue = "text", description = "text, json, or hash (the hash alone).")
    String output;

    @Override
    public Integer call() throws Exception {
        SchemaMigration migration;
        try {
            migration = ManifestLoader.load(file);
        } catch (ManifestLoader.ManifestException e) {
            spec.commandLine().getErr().println("error: " + e.getMessage());
            return 2;
        }
        List<String> errors = SpecValidator.validate(migration.getSpec(), false);
        if (!errors.isEmpty()) {
            errors.forEach(err -> spec.commandLine().getErr().println("error: " + file + ": " + err));
            return 2;
        }
        MigrationPlan plan = Planner.plan(migration);
        switch (output) {
            case "hash" -> spec.commandLine().getOut().println(plan.hash());
            case "json" -> spec.commandLine().getOut().println(new ObjectMapper()
                    .enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(plan));
            case "text" -> spec.commandLine().getOut().print(PlanRenderer.render(plan));
            default -> {
                spec.commandLine().getErr().println("error: --output must be text, json or hash");
                return 2;
            }
        }
        spec.commandLine().getOut().flush();
        return 0;
    }
}
