package dev.tandem.cli;

import dev.tandem.engine.DatabaseTarget;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
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
            return new Open(remote(database, user), null);
        }
        Path setupFile = setup != null ? setup : manifest.toAbsolutePath().getParent().resolve("setup.sql");
        if (setup != null && !Files.isRegularFile(setup)) {
            throw CliError.input("--setup: " + setup + ": no such file");
        }
        out.println("Starting an embedded PostgreSQL (no --database given) ...");
        EmbeddedDatabase embedded = EmbeddedDatabase.start();
        if (Files.isRegularFile(setupFile)) {
            embedded.load(setupFile);
            out.println("Loaded " + setupFile.getFileName() + " into the embedded database on port " + embedded.port());
        } else {
            out.println("No setup SQL found at " + setupFile + "; starting from an empty database");
        }
        return new Open(embedded.target(), embedded);
    }
}
