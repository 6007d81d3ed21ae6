package dev.tandem.operator;

import dev.tandem.engine.DatabaseTarget;
import io.fabric8.kubernetes.api.model.Secret;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads a database connection from a Secret: key {@code jdbc-uri}, else {@code uri}, else
 * {@code host}, {@code port}, {@code dbname}, {@code user} (or {@code username}) and
 * {@code password}. A CloudNativePG "&lt;cluster&gt;-app" Secret works as it is. Separate
 * {@code user}/{@code username} and {@code password} keys override those inside a URI.
 */
public final class CredentialsResolver {
    private CredentialsResolver() {
    }

    /** A Secret that cannot be used; the message names the Secret and the key. */
    public static final class CredentialsException extends Exception {
        private final String reason;

        public CredentialsException(String reason, String message) {
            super(message);
            this.reason = reason;
        }

        public String reason() {
            return reason;
        }
    }

    public static DatabaseTarget resolve(Secret secret, String namespace, String name) throws CredentialsException {
        if (secret == null) {
            throw new CredentialsException(Names.Reasons.SECRET_NOT_FOUND, "Secret " + namespace + "/" + name
                    + " (spec.database.secretRef.name) not found; create it with key jdbc-uri, uri, or host, port, "
                    + "dbname, user and password");
        }
        Map<String, String> data = decode(secret);
        String user = first(data, "user", "username");
        String password = data.get("password");
        String where = "Secret " + namespace + "/" + name;
        try {
            if (data.containsKey("jdbc-uri")) {
                return DatabaseTarget.ofJdbcUrl(data.get("jdbc-uri").strip(), user, password);
            }
            if (data.containsKey("uri")) {
                return DatabaseTarget.ofUri(data.get("uri")).withCredentials(user, password);
            }
        } catch (IllegalArgumentException e) {
            throw new CredentialsException(Names.Reasons.SECRET_KEY_MISSING, where + ": key "
                    + (data.containsKey("jdbc-uri") ? "jdbc-uri" : "uri") + " is invalid: " + e.getMessage());
        }
        for (String key : new String[]{"host", "dbname"}) {
            if (blank(data.get(key))) {
                throw new CredentialsException(Names.Reasons.SECRET_KEY_MISSING, where + " has no key jdbc-uri or uri, "
                        + "and key " + key + " is missing; add jdbc-uri, uri, or host, port, dbname, user and password");
            }
        }
        if (blank(user)) {
            throw new CredentialsException(Names.Reasons.SECRET_KEY_MISSING, where + ": key user (or username) is missing");
        }
        int port = 5432;
        if (!blank(data.get("port"))) {
            try {
                port = Integer.parseInt(data.get("port").strip());
            } catch (NumberFormatException e) {
                throw new CredentialsException(Names.Reasons.SECRET_KEY_MISSING, where + ": key port is not a number");
            }
        }
        return DatabaseTarget.ofParts(data.get("host").strip(), port, data.get("dbname").strip(), user, password);
    }

    private static Map<String, String> decode(Secret secret) {
        Map<String, String> out = new HashMap<>();
        if (secret.getData() != null) {
            secret.getData().forEach((k, v) -> {
                if (v != null) {
                    out.put(k, new String(Base64.getDecoder().decode(v.strip()), StandardCharsets.UTF_8));
                }
            });
        }
        if (secret.getStringData() != null) {
            out.putAll(secret.getStringData());
        }
        return out;
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
