package dev.tandem.engine;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Keeps credentials out of every text Tandem shows (messages, status, events, logs): the user info
 * of a URL, {@code password=} parameters, and every password this process has been given (each
 * {@link DatabaseTarget} remembers its own), as written and percent-encoded.
 */
public final class Redaction {
    private static final Pattern USER_INFO = Pattern.compile("(?i)([a-z][a-z0-9+.-]*://)([^/@\\s:]*):([^@\\s/]*)@");
    private static final Pattern PASSWORD_PARAMETER = Pattern.compile(
            "(?i)\\b(password|passwd|pwd|PGPASSWORD)(\\s*[=:]\\s*)('[^']*'|\"[^\"]*\"|[^&\\s;,)]+)");
    private static final Set<String> SECRETS = ConcurrentHashMap.newKeySet();

    private Redaction() {
    }

    /**
     * Shorter secrets are not replaced wherever they occur (that would garble every message); the
     * patterns above still cover them where a URL or a parameter shows them.
     */
    static final int MIN_REMEMBERED = 4;

    /** A secret to keep out of every text from now on. */
    public static void remember(String secret) {
        if (secret != null && secret.strip().length() >= MIN_REMEMBERED) {
            SECRETS.add(secret);
            String encoded = URLEncoder.encode(secret, StandardCharsets.UTF_8);
            if (!encoded.equals(secret)) {
                SECRETS.add(encoded);
            }
        }
    }

    /** The text with user info, password parameters and every remembered secret replaced by ***. */
    public static String scrub(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String out = USER_INFO.matcher(text).replaceAll("$1$2:***@");
        out = PASSWORD_PARAMETER.matcher(out).replaceAll("$1$2***");
        for (String secret : SECRETS) {
            out = out.replace(secret, "***");
        }
        return out;
    }
}
