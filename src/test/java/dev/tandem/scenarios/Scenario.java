package dev.tandem.scenarios;

import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.cli.ExampleLoader;
import dev.tandem.cli.ManifestLoader;
import dev.tandem.engine.DatabaseTarget;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * One example folder, {@code examples/<name>/}: the starting schema (setup.sql), the data generator
 * (generate.sql, {@code :rows} the size), the manifest (migration.yaml) and what the application
 * writes meanwhile (workload.yaml, see {@link Workload}).
 */
public record Scenario(String name, Path dir, SchemaMigration migration, Workload.Definition workload) {
    /** The size of the largest table: -Dtandem.scenario.rows, else {@link ExampleLoader#DEFAULT_ROWS}. */
    public static final String ROWS_PROPERTY = "tandem.scenario.rows";

    public static long rows() {
        return Long.getLong(ROWS_PROPERTY, ExampleLoader.DEFAULT_ROWS);
    }

    public static Scenario load(String name) throws IOException, ManifestLoader.ManifestException {
        Path dir = Path.of("examples", name);
        for (String f : new String[]{ExampleLoader.SETUP, ExampleLoader.GENERATE, ExampleLoader.MANIFEST, "workload.yaml",
                "README.md"}) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                throw new IllegalStateException(dir + " has no " + f + "; an example needs setup.sql, generate.sql, "
                        + "migration.yaml, workload.yaml and README.md");
            }
        }
        return new Scenario(name, dir, ManifestLoader.load(dir.resolve(ExampleLoader.MANIFEST)),
                Workload.Definition.load(dir.resolve("workload.yaml")));
    }

    /** Loads the schema and the generated data at this size into {@code db}. */
    public void loadInto(DatabaseTarget db, long rows) throws Exception {
        try (Connection c = db.connect("scenario-setup")) {
            ExampleLoader.load(c, dir, null, rows);
        }
    }
}
