package dev.tandem.engine;

import dev.tandem.plan.MigrationPlan;
import dev.tandem.testing.TestDatabase;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Deterministic interleavings of a write to a source row and a write to its looked-up row (READ
 * COMMITTED): the first transaction writes and holds its transaction open, the second writes
 * meanwhile (and waits, where the lookup's locks order the two), then the first commits or rolls
 * back and the second commits. Whatever the order, no rule is left with a stale owner, and neither
 * write fails (no deadlock).
 */
class LookupRaceTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** The change of rule 6's proxy (7) that every case races with. */
    private static final String LOOKUP_WRITE = "UPDATE proxies SET backend_api_id = 9 WHERE id = 7";

    enum SourceWrite {
        /** A new rule of proxy 7: the lookup's trigger cannot see it until it commits. */
        INSERT("INSERT INTO proxy_rules VALUES (9001, 7, '/new')"),
        /** Rule 6 of proxy 7 changes otherwise: its relation to proxy 7 stays. */
        UPDATE("UPDATE proxy_rules SET pattern = '/changed' WHERE id = 6"),
        /** Rule 10 moves from proxy 11 to proxy 7: it newly relates to it. */
        MOVE_IN("UPDATE proxy_rules SET proxy_id = 7 WHERE id = 10"),
        /** Rule 6 moves from proxy 7 to proxy 11. */
        MOVE_OUT("UPDATE proxy_rules SET proxy_id = 11 WHERE id = 6"),
        DELETE("DELETE FROM proxy_rules WHERE id = 6");

        final String sql;

        SourceWrite(String sql) {
            this.sql = sql;
        }
    }

    enum Order { SOURCE_FIRST, LOOKUP_FIRST }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (boolean inPlace : new boolean[]{true, false}) {
            for (SourceWrite w : SourceWrite.values()) {
                for (Order o : Order.values()) {
                    for (boolean rollback : new boolean[]{false, true}) {
                        out.add(Arguments.of(inPlace, w, o, rollback));
                    }
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "in place {0}: {1}, {2}, first rolls back: {3}")
    @MethodSource("cases")
    void aSourceWriteAndALookedUpWriteInEitherOrderLeaveNoStaleOwner(boolean inPlace, SourceWrite write, Order order,
                                                                     boolean firstRollsBack) throws Exception {
        DatabaseTarget db = Seed001.database("lookup_race", 200);
        MigrationPlan plan = Seed001.plan(inPlace);
        Seed001.expand(db, plan);
        Seed001.backfill(db, plan);
        String first = order == Order.SOURCE_FIRST ? write.sql : LOOKUP_WRITE;
        String second = order == Order.SOURCE_FIRST ? LOOKUP_WRITE : write.sql;
        try (Connection a = db.connect("lookup-first"); Connection b = db.connect("lookup-second")) {
            a.setAutoCommit(false);
            b.setAutoCommit(false);
            exec(a, first);
            CompletableFuture<Void> w = CompletableFuture.runAsync(() -> {
                try {
                    exec(b, second);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(WAIT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5))
                    .until(() -> w.isDone() || waiting(db, "lookup-second"));
            if (firstRollsBack) {
                a.rollback();
            } else {
                a.commit();
            }
            w.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            b.commit();
        }
        assertThat(Seed001.wrongOwners(db, inPlace)).as("rules whose owner is not their proxy's backend API").isZero();
        Object expected = firstRollsBack && order == Order.LOOKUP_FIRST ? 3L : 9L;
        long rule = write == SourceWrite.INSERT ? 9001 : write == SourceWrite.MOVE_IN ? 10 : 56;
        if (!(firstRollsBack && order == Order.SOURCE_FIRST && (write == SourceWrite.INSERT || write == SourceWrite.MOVE_IN))) {
            assertThat(Seed001.owner(db, inPlace, rule)).as("owner of rule " + rule).isEqualTo(expected);
        }
    }

    static boolean waiting(DatabaseTarget db, String applicationName) {
        return Boolean.TRUE.equals(TestDatabase.query(db, "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE "
                + "application_name = '" + applicationName + "' AND wait_event_type = 'Lock')"));
    }

    static void exec(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
