package dev.tandem.testing;

import dev.tandem.engine.DatabaseTarget;
import dev.tandem.plan.TrackingSql;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What Tandem left in a database's catalog. */
public final class TandemCatalog {
    private TandemCatalog() {
    }

    /**
     * After contract: of Tandem only the ledger tables are left in the tracking schema; no function,
     * trigger or sequence anywhere; the ledger keeps the five steps of this migration.
     */
    public static void assertNothingOfTandemButTheLedger(DatabaseTarget db, String migrationKey) throws SQLException {
        assertThat(names(db, "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "WHERE n.nspname = 'tandem' AND c.relkind IN ('r', 'p', 'v', 'm')"))
                .as("tables in the tracking schema").containsExactlyInAnyOrderElementsOf(TrackingSql.LEDGER_TABLES);
        assertThat(names(db, "SELECT n.nspname || '.' || p.proname FROM pg_proc p JOIN pg_namespace n "
                + "ON n.oid = p.pronamespace WHERE n.nspname = 'tandem' OR p.proname LIKE 'tandem%'"))
                .as("functions of Tandem").isEmpty();
        assertThat(names(db, "SELECT tgrelid::regclass || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal"))
                .as("triggers (the examples have none of their own)").isEmpty();
        assertThat(names(db, "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "WHERE n.nspname = 'tandem' AND c.relkind = 'S'")).as("sequences of Tandem").isEmpty();
        assertThat(((Number) TestDatabase.query(db, "SELECT count(*) FROM tandem.steps WHERE migration = '"
                + migrationKey.replace("'", "''") + "'")).longValue()).as("the ledger history stays").isEqualTo(5);
    }

    private static List<String> names(DatabaseTarget db, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = db.connect("tandem-test"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
