package dev.tandem.engine;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A database connection from named keys, as a Kubernetes Secret or the environment holds them:
 * {@code jdbc-uri}, else {@code uri}, else {@code host}, {@code port}, {@code dbname},
 * {@code user} (or {@code username}) and {@code password}. Separate user/password keys win over
 * those inside a URI. Errors name the key, never a value.
 */
public final class ConnectionKeys {
    /** The keys understood, in the order they are looked at. */
    public static final String[] KEYS = {"jdbc-uri", "uri", "host", "port", "dbname", "user", "username", "password"};
    /** Prefix of the environment variables a backfill or verification Job gets: TANDEM_DB_JDBC_URI, ... */
    public static final String ENV_PREFIX = "TANDEM_DB_";

    private ConnectionKeys() {
    }

    /** The environment variable that carries a key: jdbc-uri → TANDEM_DB_JDBC_URI. */
    public static String envName(String key) {
        return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** Reads the keys back from an environment. */
    public static Map<String, String> fromEnvironment(Map<String, String> env) {
        Map<String, String> keys = new TreeMap<>();
        for (String key : KEYS) {
            String value = env.get(envName(key));
            if (value != null) {
                keys.put(key, value);
            }
        }
        return keys;
    }

    /**
     * @param where what holds the keys, for messages ("Secret shop/db")
     * @throws IllegalArgumentException naming the missing or invalid key
     */
    public static DatabaseTarget resolve(Map<String, String> data, String where) {
        String user = first(data, "user", "username");
        String password = data.get("password");
        if (data.containsKey("jdbc-uri")) {
            try {
                return DatabaseTarget.ofJdbcUrl(data.get("jdbc-uri").strip(), user, password);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": key jdbc-uri is invalid: " + e.getMessage());
            }
        }
        if (data.containsKey("uri")) {
            try {
                return DatabaseTarget.ofUri(data.get("uri")).withCredentials(user, password);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": key uri is invalid: " + e.getMessage());
            }
        }
        for (String key : new String[]{"host", "dbname"}) {
            if (blank(data.get(key))) {
                throw new IllegalArgumentException(where + " has no key jdbc-uri or uri, and key " + key
                        + " is missing; add jdbc-uri, uri, or host, port, dbname, user and password");
            }
        }
        if (blank(user)) {
            throw new IllegalArgumentException(where + ": key user (or username) is missing");
        }
        int port = 5432;
        if (!blank(data.get("port"))) {
            try {
                port = Integer.parseInt(data.get("port").strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(where + ": key port is not a number");
            }
        }
        return DatabaseTarget.ofParts(data.get("host").strip(), port, data.get("dbname").strip(), user, password);
    }

    private static String first(Map<String, String> data, String... keys) {
        for (String k : keys) {
            if (!blank(data.get(k))) {
                return data.get(k).strip();
            }
        }
        return null;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
