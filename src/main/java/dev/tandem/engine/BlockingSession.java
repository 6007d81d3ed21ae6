package dev.tandem.engine;

import java.time.Duration;
import java.time.Instant;

/**
 * A session that held a lock a DDL statement waited for. No query text: it may hold secrets.
 *
 * @param pid            backend process id (pg_terminate_backend(pid) ends it)
 * @param state          e.g. "idle in transaction", "active" (null when not visible to our role)
 * @param transactionAge how long its transaction has been open (null when unknown)
 * @param queryStart     when its current or last query started (null when unknown)
 * @param user           role name (null when not visible)
 * @param application    application_name (null when not visible)
 */
public record BlockingSession(int pid, String state, Duration transactionAge, Instant queryStart, String user,
                              String application) {
    public String describe() {
        StringBuilder s = new StringBuilder("pid ").append(pid);
        if (state != null) {
            s.append(", ").append(state);
        }
        if (transactionAge != null) {
            s.append(", transaction open for ").append(format(transactionAge));
        }
        if (queryStart != null) {
            s.append(", query started ").append(queryStart);
        }
        if (user != null) {
            s.append(", user ").append(user);
        }
        if (application != null && !application.isBlank()) {
            s.append(", application ").append(application);
        }
        return s.toString();
    }

    private static String format(Duration d) {
        long seconds = d.toSeconds();
        if (seconds < 1) {
            return d.toMillis() + "ms";
        }
        if (seconds < 120) {
            return seconds + "s";
        }
        return seconds / 60 + "m" + seconds % 60 + "s";
    }
}
