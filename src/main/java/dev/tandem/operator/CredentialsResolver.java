package dev.tandem.operator;

import dev.tandem.api.v1alpha1.Reason;

import dev.tandem.engine.ConnectionKeys;
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
        private final Reason reason;

        public CredentialsException(Reason reason, String message) {
            super(message);
            this.reason = reason;
        }

        public Reason reason() {
            return reason;
        }
    }

    public static DatabaseTarget resolve(Secret secret, String namespace, String name) throws CredentialsException {
        if (secret == null) {
            throw new CredentialsException(Reason.SecretNotFound, "Secret " + namespace + "/" + name
                    + " (spec.database.secretRef.name) not found; create it with key jdbc-uri, uri, or host, port, "
                    + "dbname, user and password");
        }
        try {
            return ConnectionKeys.resolve(decode(secret), "Secret " + namespace + "/" + name);
        } catch (IllegalArgumentException e) {
            throw new CredentialsException(Reason.SecretKeyMissing, e.getMessage());
        }
    }

    /** Which connection keys the Secret has (for the Job's environment). */
    public static java.util.List<String> presentKeys(Secret secret) {
        Map<String, String> data = decode(secret);
        return java.util.Arrays.stream(ConnectionKeys.KEYS).filter(data::containsKey).toList();
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
}
