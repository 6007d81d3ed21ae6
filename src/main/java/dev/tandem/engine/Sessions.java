package dev.tandem.engine;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Sessions a command opens carry its tag at the end of application_name while the command runs,
 * so that when it is interrupted (Ctrl-C, SIGTERM from Kubernetes) it ends its own sessions on the
 * server rather than leaving a statement running behind it.
 */
public final class Sessions {
    private static final int MAX_NAME = 63;
    private static volatile String tag;

    private Sessions() {
    }

    /** application_name for a session, with the current tag if a command set one. */
    static String name(String applicationName) {
        String t = tag;
        if (t == null) {
            return applicationName;
        }
        String base = applicationName.length() + t.length() > MAX_NAME
                ? applicationName.substring(0, MAX_NAME - t.length()) : applicationName;
        return base + t;
    }

    /**
     * Tags every session opened until the scope closes; while it is open, a shutdown of this process
     * terminates the tagged sessions on {@code target}'s server.
     */
    public static Scope tagged(DatabaseTarget target) {
        String t = "@" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        tag = t;
        Thread hook = new Thread(() -> end(target, t), "tandem-end-sessions");
        Runtime.getRuntime().addShutdownHook(hook);
        return new Scope(t, hook);
    }

    /** Terminates the server's sessions carrying a tag (other than the one asking); returns how many. */
    static int end(DatabaseTarget target, String t) {
        try (Connection c = target.connect("tandem-end-sessions");
             PreparedStatement ps = c.prepareStatement("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                     + "WHERE right(application_name, length(?)) = ? AND pid <> pg_backend_pid()")) {
            ps.setString(1, t);
            ps.setString(2, t);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        } catch (SQLException e) {
            return 0; // the server is gone, or never was: nothing of ours runs there
        }
    }

    /** While open, sessions are tagged; closing it ends the tagging (the command finished by itself). */
    public static final class Scope implements AutoCloseable {
        private final String tag;
        private final Thread hook;

        private Scope(String tag, Thread hook) {
            this.tag = tag;
            this.hook = hook;
        }

        public String tag() {
            return tag;
        }

        @Override
        public void close() {
            Sessions.tag = null;
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs (or ran) anyway
            }
        }
    }
}
