package dev.tandem.engine;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * While a DDL transaction runs, polls from a second connection which sessions block it, so a lock
 * timeout can name them (once the DDL gives up, the wait and its blockers are gone).
 */
final class BlockerWatch implements AutoCloseable {
    private static final String QUERY = "SELECT a.pid, a.state, now() - a.xact_start, a.query_start, a.usename, "
            + "a.application_name FROM pg_stat_activity a WHERE a.pid = ANY (pg_blocking_pids(?))";

    private final AtomicReference<List<BlockingSession>> lastSeen = new AtomicReference<>(List.of());
    private final Thread thread;
    private volatile boolean running = true;

    BlockerWatch(DatabaseTarget target, int watchedPid, Duration interval) {
        thread = new Thread(() -> poll(target, watchedPid, interval), "tandem-blocker-watch-" + watchedPid);
        thread.setDaemon(true);
        thread.start();
    }

    private void poll(DatabaseTarget target, int watchedPid, Duration interval) {
        try (Connection c = target.connect("tandem-blocker-watch");
             PreparedStatement ps = c.prepareStatement(QUERY)) {
            ps.setInt(1, watchedPid);
            while (running) {
                List<BlockingSession> found = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Object age = rs.getObject(3);
                        Timestamp started = rs.getTimestamp(4);
                        found.add(new BlockingSession(rs.getInt(1), rs.getString(2), toDuration(age),
                                started == null ? null : started.toInstant(), rs.getString(5), rs.getString(6)));
                    }
                }
                if (!found.isEmpty()) {
                    lastSeen.set(List.copyOf(found));
                }
                synchronized (this) {
                    if (running) {
                        wait(Math.max(1, interval.toMillis()));
                    }
                }
            }
        } catch (SQLException | InterruptedException e) {
            // Best effort: without a watch the timeout is still reported, only without names.
        }
    }

    private static Duration toDuration(Object interval) {
        if (interval instanceof org.postgresql.util.PGInterval i) {
            long millis = Math.round(((((i.getDays() * 24L + i.getHours()) * 60 + i.getMinutes()) * 60) + i.getSeconds()) * 1000);
            return Duration.ofMillis(millis);
        }
        return null;
    }

    List<BlockingSession> blockers() {
        return lastSeen.get();
    }

    @Override
    public void close() {
        running = false;
        synchronized (this) {
            notifyAll();
        }
    }
}
