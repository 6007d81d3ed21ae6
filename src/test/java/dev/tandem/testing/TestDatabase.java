package dev.tandem.testing;

import dev.tandem.engine.DatabaseTarget;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Real PostgreSQL for tests: an embedded server started once per JVM, or the server named by the
 * environment variable TANDEM_TEST_DATABASE_URL (a JDBC URL with user and password, whose role
 * may create databases). Every test gets a fresh database of its own.
 */
public final class TestDatabase {
    public static final String URL_ENV = "TANDEM_TEST_DATABASE_URL";
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static volatile DatabaseTarget server;
    private static EmbeddedPostgres embedded;

    private TestDatabase() {
    }

    /** The maintenance database of the test server. */
    public static synchronized DatabaseTarget server() {
        if (server == null) {
            String url = System.getenv(URL_ENV);
            if (url != null && !url.isBlank()) {
                server = DatabaseTarget.ofJdbcUrl(url, null, null);
            } else {
                try {
                    java.nio.file.Path hba = java.nio.file.Files.createTempFile("tandem-test-hba", ".conf");
                    java.nio.file.Files.writeString(hba, String.join("\n",
                            "local all postgres trust",
                            "host all postgres 127.0.0.1/32 trust",
                            "host all postgres ::1/128 trust",
                            "local all all scram-sha-256",
                            "host all all 127.0.0.1/32 scram-sha-256",
                            "host all all ::1/128 scram-sha-256", ""));
                    hba.toFile().setReadable(true, false);
                    embedded = EmbeddedPostgres.builder()
                            .setServerConfig("hba_file", hba.toString())
                            .setServerConfig("max_connections", "300")
                            .setServerConfig("fsync", "off")
                            .setServerConfig("synchronous_commit", "off")
                            .setServerConfig("full_page_writes", "off")
                            .start();
                } catch (IOException e) {
                    throw new UncheckedIOException("could not start the embedded PostgreSQL", e);
                }
                server = DatabaseTarget.ofJdbcUrl(embedded.getJdbcUrl("postgres", "postgres"), null, null);
            }
        }
        return server;
    }

    /** Creates a new empty database and returns how to reach it. */
    public static DatabaseTarget fresh(String prefix) {
        String name = (prefix.replaceAll("[^a-z0-9_]", "_") + "_" + COUNTER.incrementAndGet() + "_"
                + Long.toHexString(System.nanoTime() & 0xffffff)).toLowerCase();
        DatabaseTarget admin = server();
        try (Connection c = admin.connect("tandem-test"); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE \"" + name + "\"");
        } catch (SQLException e) {
            throw new IllegalStateException("could not create test database " + name, e);
        }
        String url = admin.jdbcUrl();
        int q = url.indexOf('?');
        String base = q < 0 ? url : url.substring(0, q);
        String query = q < 0 ? "" : url.substring(q);
        String withDb = base.substring(0, base.lastIndexOf('/') + 1) + name + query;
        return DatabaseTarget.ofJdbcUrl(withDb, admin.user(), password());
    }

    /** Password of the test server's user (none for the embedded server, which trusts its superuser). */
    public static String password() {
        String url = System.getenv(URL_ENV);
        if (url == null) {
            return null;
        }
        for (String pair : url.substring(url.indexOf('?') + 1).split("&")) {
            if (pair.startsWith("password=")) {
                return java.net.URLDecoder.decode(pair.substring("password=".length()), java.nio.charset.StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    /**
     * A login role with a password (the embedded server checks passwords for every role but its
     * superuser), created once; for tests of credentials.
     */
    public static synchronized void ensureRole(String role, String password) {
        exec(server(), "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" + role + "') THEN "
                + "CREATE ROLE \"" + role + "\" LOGIN SUPERUSER PASSWORD '" + password + "'; END IF; END $$");
    }

    /** Runs SQL on the given database. */
    public static void exec(DatabaseTarget db, String sql) {
        try (Connection c = db.connect("tandem-test"); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** First column of the first row, or null. */
    public static Object query(DatabaseTarget db, String sql) {
        try (Connection c = db.connect("tandem-test"); Statement s = c.createStatement();
             var rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getObject(1) : null;
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    public static boolean tableExists(DatabaseTarget db, String table) {
        return Boolean.TRUE.equals(query(db, "SELECT to_regclass('public." + table + "') IS NOT NULL"));
    }

    public static boolean columnExists(DatabaseTarget db, String table, String column) {
        return Boolean.TRUE.equals(query(db, "SELECT EXISTS (SELECT 1 FROM information_schema.columns "
                + "WHERE table_schema = 'public' AND table_name = '" + table + "' AND column_name = '" + column + "')"));
    }

    public static boolean columnNullable(DatabaseTarget db, String table, String column) {
        return "YES".equals(query(db, "SELECT is_nullable FROM information_schema.columns "
                + "WHERE table_schema = 'public' AND table_name = '" + table + "' AND column_name = '" + column + "'"));
    }
}
