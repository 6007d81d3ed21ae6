package dev.tandem.cli;

import dev.tandem.engine.Errors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An example folder ({@code examples/<name>/}): its starting schema ({@code setup.sql}) and its data
 * generator ({@code generate.sql}, where {@code :rows} stands for the chosen size), loaded into a
 * database before the migration runs.
 */
public final class ExampleLoader {
    /** The size when none is chosen: small, seconds to load and migrate. */
    public static final long DEFAULT_ROWS = 5_000;
    public static final String SETUP = "setup.sql";
    public static final String GENERATE = "generate.sql";
    public static final String MANIFEST = "migration.yaml";
    private static final Pattern ROWS = Pattern.compile("(?<!:):rows\\b");

    private ExampleLoader() {
    }

    /**
     * The example folder for {@code --example}: a path to a folder holding migration.yaml, or the name of
     * one under {@code examples/} (in the working directory, or the one above the installed binary).
     */
    public static Path resolve(String nameOrPath) throws CliError {
        Path direct = Path.of(nameOrPath);
        if (Files.isRegularFile(direct.resolve(MANIFEST))) {
            return direct;
        }
        if (nameOrPath.matches("[A-Za-z0-9._-]+")) {
            for (Path root : roots()) {
                Path candidate = root.resolve("examples").resolve(nameOrPath);
                if (Files.isRegularFile(candidate.resolve(MANIFEST))) {
                    return candidate;
                }
            }
        }
        throw CliError.input("--example " + nameOrPath + ": no example of that name (a folder examples/" + nameOrPath
                + "/ with " + MANIFEST + ") and no folder of that path holding " + MANIFEST + "; the examples are "
                + known());
    }

    /** Where examples/ may be: the working directory, and the project the binary was built in. */
    private static java.util.List<Path> roots() {
        java.util.List<Path> roots = new java.util.ArrayList<>(java.util.List.of(Path.of("")));
        try {
            Path at = Path.of(ExampleLoader.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (int i = 0; i < 6 && at != null; i++, at = at.getParent()) {
                roots.add(at);
            }
        } catch (java.net.URISyntaxException | RuntimeException e) {
            // no code location: the working directory only
        }
        return roots;
    }

    private static String known() {
        Path examples = roots().stream().map(r -> r.resolve("examples")).filter(Files::isDirectory).findFirst()
                .orElse(Path.of("examples"));
        try (var dirs = Files.list(examples)) {
            String names = String.join(", ", dirs.filter(d -> Files.isRegularFile(d.resolve(MANIFEST)))
                    .map(d -> d.getFileName().toString()).sorted().toList());
            return names.isEmpty() ? "none here" : names;
        } catch (IOException e) {
            return "in the folder examples/ of the project";
        }
    }

    /** The generator's SQL at this size ({@code :rows} replaced; a {@code ::cast} is left alone). */
    public static String generator(String sql, long rows) {
        if (rows < 1) {
            throw new IllegalArgumentException("the size must be at least 1 row, not " + rows);
        }
        return ROWS.matcher(sql).replaceAll(Matcher.quoteReplacement(Long.toString(rows)));
    }

    /** Runs setup.sql, then generate.sql at {@code rows} when the folder has one; returns what was loaded. */
    public static String load(Connection c, Path dir, Path setup, long rows) throws IOException, SQLException, CliError {
        Path setupFile = setup != null ? setup : dir.resolve(SETUP);
        StringBuilder loaded = new StringBuilder();
        try (Statement s = c.createStatement()) {
            if (Files.isRegularFile(setupFile)) {
                script(s, setupFile, Files.readString(setupFile));
                loaded.append(setupFile.getFileName());
            }
            Path generate = dir.resolve(GENERATE);
            if (Files.isRegularFile(generate)) {
                script(s, generate, generator(Files.readString(generate), rows));
                s.execute("ANALYZE");
                loaded.append(loaded.length() > 0 ? " and " : "").append(GENERATE).append(" (size ").append(rows)
                        .append(')');
            }
        }
        return loaded.toString();
    }

    /** SQLSTATE 25001: a statement that cannot run inside a transaction block. */
    private static final String ACTIVE_SQL_TRANSACTION = "25001";

    /** Runs a file as one script (one transaction); an error names the file, and says what to do. */
    private static void script(Statement s, Path file, String sql) throws CliError, SQLException {
        try {
            s.execute(sql);
        } catch (SQLException e) {
            if (e.getSQLState() == null || e.getSQLState().startsWith("08")) {
                throw e;
            }
            throw CliError.input(file + ": " + Errors.oneLine(e) + (ACTIVE_SQL_TRANSACTION.equals(e.getSQLState())
                    ? " (the file runs as one script, in one transaction: leave out VACUUM, CREATE INDEX CONCURRENTLY "
                    + "and other statements that cannot run in a transaction block; ANALYZE is fine, and the backfill "
                    + "vacuums what it writes)" : "") + "; nothing was migrated");
        }
    }
}
