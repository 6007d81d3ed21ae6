package dev.tandem.engine;

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
        Redaction.remember(password);
    }

    /**
     * From what a person types for a database: a JDBC URL (jdbc:postgresql://...) or a libpq URI
     * (postgresql://user:password@host:5432/db); a user or password given apart wins.
     */
    public static DatabaseTarget of(String url, String user, String password) {
        String text = url == null ? "" : url.strip();
        if (text.startsWith("postgresql://") || text.startsWith("postgres://")) {
            return ofUri(text).withCredentials(user, password);
        }
        return ofJdbcUrl(text, user, password);
    }

    /**
     * From a JDBC URL; user and password given separately win over those in the URL's query, which
     * are removed from the URL kept here.
     */
    public static DatabaseTarget ofJdbcUrl(String jdbcUrl, String user, String password) {
        if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("not a PostgreSQL URL: give jdbc:postgresql://host:5432/db or "
                    + "postgresql://host:5432/db");
        }
        String base = jdbcUrl;
        // user:password@ in the authority, as many tools accept it: taken out of the URL the driver sees.
        String infoUser = null;
        String infoPassword = null;
        int authorityStart = "jdbc:postgresql://".length();
        if (jdbcUrl.startsWith("jdbc:postgresql://")) {
            int end = jdbcUrl.length();
            for (char stop : new char[]{'/', '?'}) {
                int at = jdbcUrl.indexOf(stop, authorityStart);
                end = at >= 0 ? Math.min(end, at) : end;
            }
            String authority = jdbcUrl.substring(authorityStart, end);
            int at = authority.lastIndexOf('@');
            if (at >= 0) {
                String info = authority.substring(0, at);
                int colon = info.indexOf(':');
                infoUser = percentDecode(colon < 0 ? info : info.substring(0, colon), "the URL's user");
                infoPassword = colon < 0 ? null : percentDecode(info.substring(colon + 1), "the URL's password");
                Redaction.remember(infoPassword);
                jdbcUrl = "jdbc:postgresql://" + authority.substring(at + 1) + jdbcUrl.substring(end);
                base = jdbcUrl;
            }
        }
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
                String value = eq < 0 ? "" : percentDecode(pair.substring(eq + 1), "the URL's " + key + " parameter");
                switch (key) {
                    case "user" -> urlUser = value;
                    case "password" -> urlPassword = value;
                    default -> kept.add(pair);
                }
            }
        }
        String url = kept.isEmpty() ? base : base + "?" + String.join("&", kept);
        return new DatabaseTarget(url, firstNonBlank(user, firstNonBlank(urlUser, infoUser)),
                firstNonBlank(password, firstNonBlank(urlPassword, infoPassword)));
    }

    /**
     * From a libpq URI: postgresql://user:password@host:port/dbname?sslmode=require. Several
     * hosts (host1:5432,host2:5432) and host names Java's URI parser refuses (db_host) are kept.
     */
    public static DatabaseTarget ofUri(String uri) {
        String text = uri == null ? "" : uri.strip();
        int scheme = text.indexOf("://");
        String prefix = scheme < 0 ? "" : text.substring(0, scheme);
        if (!"postgresql".equals(prefix) && !"postgres".equals(prefix)) {
            throw new IllegalArgumentException("not a postgresql:// URI");
        }
        String rest = text.substring(scheme + 3);
        int slash = indexOfAny(rest, '/', '?');
        String authority = slash < 0 ? rest : rest.substring(0, slash);
        String pathAndQuery = slash < 0 ? "" : rest.substring(slash);
        String user = null;
        String password = null;
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            String info = authority.substring(0, at);
            authority = authority.substring(at + 1);
            if (info.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("not a valid postgresql:// URI: its user or password contains a space; percent-encode it (%20)");
            }
            int colon = info.indexOf(':');
            user = percentDecode(colon < 0 ? info : info.substring(0, colon), "the URI's user");
            password = colon < 0 ? null : percentDecode(info.substring(colon + 1), "the URI's password");
        }
        if (authority.isEmpty()) {
            authority = "localhost";
        }
        List<String> hosts = new ArrayList<>();
        for (String host : authority.split(",")) {
            if (!host.matches("(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9._-]+)(:[0-9]{1,5})?")) {
                throw new IllegalArgumentException("not a valid postgresql:// URI: its host part is not host[:port][,host[:port]...]");
            }
            hosts.add(host.matches(".*:[0-9]{1,5}$") ? host : host + ":5432");
        }
        authority = String.join(",", hosts);
        String path = pathAndQuery;
        String query = "";
        int q = pathAndQuery.indexOf('?');
        if (q >= 0) {
            path = pathAndQuery.substring(0, q);
            query = pathAndQuery.substring(q);
        }
        if (path.length() <= 1) {
            path = "/postgres";
        }
        return ofJdbcUrl("jdbc:postgresql://" + authority + path + query, user, password);
    }

    private static int indexOfAny(String s, char a, char b) {
        int i = s.indexOf(a);
        int j = s.indexOf(b);
        return i < 0 ? j : j < 0 ? i : Math.min(i, j);
    }

    /** Percent-decoding as libpq does it: '+' stays '+'. Never quotes the input in an error. */
    private static String percentDecode(String s, String what) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid percent-encoding in " + what);
        }
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
        props.setProperty("ApplicationName", Sessions.name(applicationName));
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

    /** Removes credentials from a text that may contain them (see {@link Redaction}). */
    public String redact(String text) {
        String out = Redaction.scrub(text);
        return out == null || password == null || password.isEmpty() ? out : out.replace(password, "***");
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
