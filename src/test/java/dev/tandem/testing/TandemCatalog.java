package dev.tandem.testing;

import dev.tandem.engine.DatabaseTarget;
import dev.tandem.plan.TrackingSql;

import java.sql.SQLException;

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
        assertThat(AppSessions.column(db, "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "WHERE n.nspname = 'tandem' AND c.relkind IN ('r', 'p', 'v', 'm')"))
                .as("tables in the tracking schema").containsExactlyInAnyOrderElementsOf(TrackingSql.LEDGER_TABLES);
        assertThat(AppSessions.column(db, "SELECT n.nspname || '.' || p.proname FROM pg_proc p JOIN pg_namespace n "
                + "ON n.oid = p.pronamespace WHERE n.nspname = 'tandem' OR p.proname LIKE 'tandem%'"))
                .as("functions of Tandem").isEmpty();
        assertThat(AppSessions.column(db, "SELECT tgrelid::regclass || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal"))
                .as("triggers (the examples have none of their own)").isEmpty();
        assertThat(AppSessions.column(db, "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "WHERE n.nspname = 'tandem' AND c.relkind = 'S'")).as("sequences of Tandem").isEmpty();
        assertThat(((Number) TestDatabase.query(db, "SELECT count(*) FROM tandem.steps WHERE migration = '"
                + migrationKey.replace("'", "''") + "'")).longValue()).as("the ledger history stays").isEqualTo(5);
    }

}
