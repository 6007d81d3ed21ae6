package dev.tandem.testing;

import dev.tandem.engine.DatabaseTarget;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts a class's main in a JVM of its own, to be killed: arguments are the database's JDBC URL
 * and user; the password goes through the environment (CHILD_DB_PASSWORD), never the command line.
 */
public final class ChildJvm {
    private ChildJvm() {
    }

    public static Process start(Class<?> main, DatabaseTarget db) throws IOException {
        return start(main, db, java.util.Map.of());
    }

    /** The same, with more environment variables for the child. */
    public static Process start(Class<?> main, DatabaseTarget db, java.util.Map<String, String> env) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), main.getName(), db.jdbcUrl()));
        if (db.user() != null) {
            command.add(db.user());
        }
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().putAll(env);
        if (TestDatabase.password() != null) {
            pb.environment().put("CHILD_DB_PASSWORD", TestDatabase.password());
        }
        return pb.start();
    }
}
