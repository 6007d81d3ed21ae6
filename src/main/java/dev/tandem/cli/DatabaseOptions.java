package dev.tandem.cli;

import dev.tandem.engine.DatabaseTarget;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * Which database a local command works on: --database (the password from PGPASSWORD, never the
 * command line), or an embedded PostgreSQL started for the run, with setup SQL loaded first.
 */
final class DatabaseOptions {
    @Option(names = "--database", paramLabel = "URL", description = "The database: postgresql://host:5432/shop (as libpq "
            + "takes it) or jdbc:postgresql://host:5432/shop. Give the password in PGPASSWORD, not on the command line. "
            + "Default: an embedded PostgreSQL started for this run.")
    String database;

    @Option(names = "--user", description = "Database user (default: PGUSER, or the one in the URL).")
    String user;

    @Option(names = "--setup", description = "SQL file loaded into the embedded database first (default: setup.sql "
            + "beside the manifest).")
    Path setup;

    @Option(names = "--example", paramLabel = "NAME", description = "Run an example: a folder under examples/ "
            + "(quickstart, proxy-rules, ...) or the path of a folder holding migration.yaml. Its setup.sql and the data of "
            + "its generate.sql are loaded into the embedded database first.")
    String example;

    @Option(names = "--size", paramLabel = "ROWS", description = "With an embedded database: the size of the generated "
            + "data (generate.sql beside the manifest), in rows of its largest table (default: "
            + ExampleLoader.DEFAULT_ROWS + ").")
    Long size;

    /** The manifest to run: -f, or the example's. */
    Path manifest(Path file) throws CliError {
        if (example == null) {
            if (file == null) {
                throw CliError.input("give the manifest with -f FILE, or run an example with --example NAME");
            }
            return file;
        }
        if (file != null) {
            throw CliError.input("give either -f FILE or --example " + example + ", not both");
        }
        return ExampleLoader.resolve(example).resolve(ExampleLoader.MANIFEST);
    }

    /** The database to use, open until closed (an embedded one is removed then). */
    static final class Open implements AutoCloseable {
        final DatabaseTarget target;
        final EmbeddedDatabase embedded;

        Open(DatabaseTarget target, EmbeddedDatabase embedded) {
            this.target = target;
            this.embedded = embedded;
        }

        boolean embedded() {
            return embedded != null;
        }

        @Override
        public void close() throws IOException {
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    /**
     * The database a person typed with --database: a libpq URI (postgresql:// or postgres://) or a
     * JDBC URL; the user from --user, else PGUSER, else the URL; the password from PGPASSWORD.
     */
    static DatabaseTarget remote(String url, String user) throws CliError {
        try {
            return DatabaseTarget.of(url, user != null ? user : System.getenv("PGUSER"), System.getenv("PGPASSWORD"));
        } catch (IllegalArgumentException e) {
            throw CliError.input("--database: " + e.getMessage());
        }
    }

    Open open(Path manifest, PrintWriter out) throws CliError, IOException, SQLException {
        if (database != null) {
            if (size != null) {
                throw CliError.input("--size: generated data is loaded into the embedded database only; without "
                        + "--database one is started for the run");
            }
            return new Open(remote(database, user), null);
        }
        Path dir = manifest.toAbsolutePath().getParent();
        Path setupFile = setup != null ? setup : dir.resolve(ExampleLoader.SETUP);
        if (setup != null && !Files.isRegularFile(setup)) {
            throw CliError.input("--setup: " + setup + ": no such file");
        }
        if (size != null && (size < 1 || !Files.isRegularFile(dir.resolve(ExampleLoader.GENERATE)))) {
            throw CliError.input("--size " + size + ": " + (size < 1 ? "give at least 1 row"
                    : "there is no " + ExampleLoader.GENERATE + " beside " + manifest + " to generate data with"));
        }
        out.println("Starting an embedded PostgreSQL (no --database given) ...");
        EmbeddedDatabase embedded = EmbeddedDatabase.start();
        try (Connection c = embedded.connect()) {
            String loaded = ExampleLoader.load(c, dir, setupFile, size != null ? size : ExampleLoader.DEFAULT_ROWS);
            out.println(loaded.isEmpty() ? "No setup SQL found at " + setupFile + "; starting from an empty database"
                    : "Loaded " + loaded + " into the embedded database on port " + embedded.port());
        } catch (SQLException | IOException | CliError e) {
            embedded.close();
            throw e;
        }
        return new Open(embedded.target(), embedded);
    }
}
