package dev.tandem.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.engine.ConnectionKeys;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.engine.EngineSettings;
import dev.tandem.plan.MigrationPlan;
import picocli.CommandLine.Option;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;

import java.io.IOException;
import java.nio.file.Files;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a Job's command reads, shared by {@code backfill} and {@code verify}: the plan from the
 * mounted plan ConfigMap (checked against the hash the Job was made for), the tracking schema,
 * and the connection from TANDEM_DB_* environment variables (filled from the Secret).
 */
public class JobInputs {
    @Option(names = "--plan", required = true, description = "plan.json from the plan ConfigMap.")
    Path planFile;

    @Option(names = "--plan-hash", description = "Refuse to run unless the plan has this hash (default: any hash).")
    String planHash;

    @Option(names = "--tracking-schema", defaultValue = EngineSettings.DEFAULT_SCHEMA, description = "Schema of the "
            + "ledger and the work tables, spec.database.trackingSchema (default: ${DEFAULT-VALUE}).")
    String trackingSchema;

    /** Reads the plan a Job got from the plan ConfigMap. */
    public static MigrationPlan readPlan(Path file) throws IOException {
        return new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
                .readValue(file.toFile(), MigrationPlan.class);
    }

    /** The mounted plan, or null (the reason printed) when it is not the one the Job was made for. */
    MigrationPlan plan(PrintWriter err) {
        MigrationPlan plan;
        try {
            if (!Files.isRegularFile(planFile)) {
                err.println("error: --plan " + planFile + ": " + (Files.isDirectory(planFile) ? "is a directory"
                        : Files.exists(planFile) ? "is not a regular file" : "no such file")
                        + "; give plan.json from the migration's plan ConfigMap");
                return null;
            }
            plan = readPlan(planFile);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            err.println("error: --plan " + planFile + ": not a Tandem plan" + (at == null || at.getLineNr() < 1 ? ""
                    : " (at line " + at.getLineNr() + ", column " + at.getColumnNr() + ")")
                    + "; give plan.json from the migration's plan ConfigMap");
            return null;
        } catch (IOException e) {
            err.println("error: --plan " + planFile + ": cannot be read");
            return null;
        }
        if (plan == null || plan.hash() == null || plan.steps() == null) {
            err.println("error: --plan " + planFile + ": not a Tandem plan (no hash or steps); give plan.json from the "
                    + "migration's plan ConfigMap");
            return null;
        }
        if (planHash != null && !planHash.equals(plan.hash())) {
            err.println("error: the mounted plan has hash " + plan.hash() + ", this Job was made for " + planHash);
            return null;
        }
        return plan;
    }

    /** The database from the environment, or null (the reason printed). */
    static DatabaseTarget database(Map<String, String> env, PrintWriter err) {
        try {
            return ConnectionKeys.resolve(ConnectionKeys.fromEnvironment(env), "environment " + ConnectionKeys.ENV_PREFIX + "*");
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return null;
        }
    }
}
