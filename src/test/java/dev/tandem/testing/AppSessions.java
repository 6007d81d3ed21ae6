package dev.tandem.testing;

import dev.tandem.engine.DatabaseTarget;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** What the race tests do as the application: a statement on a held connection, in the background, and reads. */
public final class AppSessions {
    private AppSessions() {
    }

    public static void exec(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    /** The statement on its own thread; a failure (with its SQLSTATE, e.g. 40P01) is rethrown by get(). */
    public static CompletableFuture<Void> writeAsync(Connection app, String sql) {
        return CompletableFuture.runAsync(() -> {
            try {
                exec(app, sql);
            } catch (SQLException e) {
                throw new IllegalStateException(e.getSQLState() + ": " + e.getMessage(), e);
            }
        });
    }

    /** The first column of every row of a query, as text. */
    public static List<String> column(DatabaseTarget db, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = db.connect("check"); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    /** Whether a session of that application name (a LIKE pattern) waits for a lock. */
    public static boolean waiting(DatabaseTarget db, String applicationName) {
        return Boolean.TRUE.equals(TestDatabase.query(db, "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE "
                + "application_name LIKE '" + applicationName + "' AND wait_event_type = 'Lock')"));
    }

    /** Whether a session waits for the advisory lock with that object id. */
    public static boolean waitingOnAdvisory(DatabaseTarget db, long objid) {
        return Boolean.TRUE.equals(TestDatabase.query(db, "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' "
                + "AND NOT granted AND objid = " + objid + ")"));
    }
}
