package dev.tandem.engine;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Properties;

/**
 * How to reach a database. Credentials are held apart from the URL and never appear in
 * {@link #toString()}, {@link #server()} or any message that passes through {@link #redact}.
 */
public final class DatabaseTarget {
    private static final org.postgresql.Driver DRIVER = new org.postgresql.Driver();
    private final String jdbcUrl;
    private final String user;
    private final String password;

    private DatabaseTarget(String jdbcUrl, String user, String password) {
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
    }

    /**
     * From a JDBC URL; user and password given separately win over those in the URL's query, which
     * are removed from the URL kept here.
     */
    public static DatabaseTarget ofJdbcUrl(String jdbcUrl, String user, String password) {
        if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("not a PostgreSQL JDBC URL: it must start with jdbc:postgresql://");
        }
        String base = jdbcUrl;
        String query = null;
        int q = jdbcUrl.indexOf('?');
        if (q >= 0) {
            base = jdbcUrl.substring(0, q);
            query = jdbcUrl.substring(q + 1);
        }
        String urlUser = null;
        String urlPassword = null;
        List<String> kept = new ArrayList<>();
        if (query != null) {
            for (String pair : query.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String key = eq < 0 ? pair : pair.substring(0, eq);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                switch (key) {
                    case "user" -> urlUser = value;
                    case "password" -> urlPassword = value;
                    default -> kept.add(pair);
                }
            }
        }
        String url = kept.isEmpty() ? base : base + "?" + String.join("&", kept);
        return new DatabaseTarget(url, firstNonBlank(user, urlUser), firstNonBlank(password, urlPassword));
    }

    /** From a libpq URI: postgresql://user:password@host:port/dbname?sslmode=require. */
    public static DatabaseTarget ofUri(String uri) {
        URI parsed;
        try {
            parsed = URI.create(uri.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a postgresql:// URI");
        }
        if (!"postgresql".equals(parsed.getScheme()) && !"postgres".equals(parsed.getScheme())) {
            throw new IllegalArgumentException("not a postgresql:// URI");
        }
        String user = null;
        String password = null;
        if (parsed.getRawUserInfo() != null) {
            String info = parsed.getRawUserInfo();
            int colon = info.indexOf(':');
            user = URLDecoder.decode(colon < 0 ? info : info.substring(0, colon), StandardCharsets.UTF_8);
            password = colon < 0 ? null : URLDecoder.decode(info.substring(colon + 1), StandardCharsets.UTF_8);
        }
        String host = parsed.getHost() == null ? "localhost" : parsed.getHost();
        int port = parsed.getPort() < 0 ? 5432 : parsed.getPort();
        String path = parsed.getRawPath() == null || parsed.getRawPath().length() <= 1 ? "/postgres" : parsed.getRawPath();
        String url = "jdbc:postgresql://" + host + ":" + port + path
                + (parsed.getRawQuery() == null ? "" : "?" + parsed.getRawQuery());
        return ofJdbcUrl(url, user, password);
    }

    public static DatabaseTarget ofParts(String host, int port, String dbname, String user, String password) {
        return ofJdbcUrl("jdbc:postgresql://" + host + ":" + port + "/" + dbname, user, password);
    }

    /** The JDBC URL without credentials. */
    public String jdbcUrl() {
        return jdbcUrl;
    }

    public String user() {
        return user;
    }

    /** host:port/dbname, safe to show. */
    public String server() {
        String s = jdbcUrl.substring("jdbc:postgresql://".length());
        int q = s.indexOf('?');
        return q < 0 ? s : s.substring(0, q);
    }

    /** Same database, another user and password (null keeps the current one). */
    public DatabaseTarget withCredentials(String newUser, String newPassword) {
        return new DatabaseTarget(jdbcUrl, firstNonBlank(newUser, user), firstNonBlank(newPassword, password));
    }

    public Connection connect(String applicationName) throws SQLException {
        Properties props = new Properties();
        if (user != null) {
            props.setProperty("user", user);
        }
        if (password != null) {
            props.setProperty("password", password);
        }
        props.setProperty("ApplicationName", applicationName);
        props.setProperty("connectTimeout", "10");
        props.setProperty("loginTimeout", "15");
        props.setProperty("tcpKeepAlive", "true");
        try {
            // The driver directly, not DriverManager: it works whatever class loader runs us.
            Connection c = DRIVER.connect(jdbcUrl, props);
            if (c == null) {
                throw new SQLException("not a PostgreSQL JDBC URL: " + server(), "08001");
            }
            return c;
        } catch (SQLException e) {
            throw new SQLException(redact(e.getMessage()), e.getSQLState(), e.getErrorCode());
        }
    }

    /** Removes the password from a text that may contain it. */
    public String redact(String text) {
        if (text == null || password == null || password.isEmpty()) {
            return text;
        }
        return text.replace(password, "***");
    }

    @Override
    public String toString() {
        return "postgresql://" + (user == null ? "" : user + "@") + server();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DatabaseTarget d && d.jdbcUrl.equals(jdbcUrl) && Objects.equals(d.user, user)
                && Objects.equals(d.password, password);
    }

    @Override
    public int hashCode() {
        return Objects.hash(jdbcUrl, user);
    }

    private static String firstNonBlank(String a, String b) {
        return a != null && !a.isBlank() ? a : b;
    }
}
