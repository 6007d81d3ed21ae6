package dev.tandem.plan.lint;

import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.api.v1alpha1.SqlSpec;
import dev.tandem.engine.CatalogReader;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.plan.Planner;
import dev.tandem.testing.Specs;
import dev.tandem.testing.TestDatabase;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The rules only the catalog can decide, against a real PostgreSQL: sizes, NOT NULL columns, contract dependencies. */
class LintCatalogTest {
    static DatabaseTarget db;

    @BeforeAll
    static void schema() {
        db = TestDatabase.fresh("lint");
        TestDatabase.exec(db, """
                CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL,
                                    full_name text NOT NULL, nick text);
                INSERT INTO users (email, full_name) SELECT 'u' || g || '@example.com', 'User ' || g
                FROM generate_series(1, 20000) g;
                ANALYZE users;
                ALTER TABLE users ADD CONSTRAINT nick_nn CHECK (nick IS NOT NULL) NOT VALID;
                UPDATE users SET nick = 'n';
                ALTER TABLE users VALIDATE CONSTRAINT nick_nn;
                CREATE TABLE events (id bigserial PRIMARY KEY, action text);
                CREATE TABLE events_new (id bigint PRIMARY KEY DEFAULT nextval('events_id_seq'), action text);
                CREATE VIEW recent_events AS SELECT * FROM events ORDER BY id DESC LIMIT 10;
                CREATE TABLE comments (id bigint PRIMARY KEY, event_id bigint CONSTRAINT comments_event_fk REFERENCES events (id));
                """);
    }

    static List<Finding> lint(SchemaMigrationSpec spec) throws Exception {
        try (Connection c = db.connect("tandem-test")) {
            return Linter.lint(spec, Planner.plan("ns", "m", spec), new CatalogReader(c)).findings();
        }
    }

    static List<Finding> rule(List<Finding> findings, String rule) {
        return findings.stream().filter(f -> f.rule().equals(rule)).toList();
    }

    @Test
    void aRewriteSaysHowMuchItRewrites() throws Exception {
        List<Finding> findings = lint(Specs.of("ALTER TABLE users ALTER COLUMN email TYPE varchar(200)", null, null,
                "SELECT 1"));
        assertThat(rule(findings, Rules.TABLE_REWRITE)).singleElement().satisfies(f -> {
            assertThat(f.size()).matches("[0-9.]+ (kB|MB) \\(20 k rows\\)");
            assertThat(LintRenderer.underLock(f)).startsWith("rewrites " + f.size() + " under ACCESS EXCLUSIVE");
        });
    }

    @Test
    void setNotNullUsesAValidatedCheckFromTheCatalog() throws Exception {
        assertThat(rule(lint(Specs.of("ALTER TABLE users ALTER COLUMN nick SET NOT NULL", null, null, "SELECT 1")),
                Rules.SET_NOT_NULL)).isEmpty();
        assertThat(rule(lint(Specs.of("ALTER TABLE users ALTER COLUMN email SET NOT NULL", null, null, "SELECT 1")),
                Rules.SET_NOT_NULL)).hasSize(1);
    }

    @Test
    void anOldNotNullColumnWithoutDefaultThatContractDropsIsAnError() throws Exception {
        SchemaMigrationSpec spec = Specs.of("CREATE TABLE users_pii (user_id bigint PRIMARY KEY, full_name text)", null,
                "ALTER TABLE users DROP COLUMN full_name", "DROP TABLE IF EXISTS users_pii");
        spec.setSync(List.of(LintRulesTest.entry(Map.of("user_id", "id", "full_name", "full_name"), null)));
        assertThat(rule(lint(spec), Rules.OLD_COLUMN_NOT_NULL)).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.ERROR);
            assertThat(f.message()).contains("users.full_name is NOT NULL without a default");
        });
        spec.setExpand(new SqlSpec("CREATE TABLE users_pii (user_id bigint PRIMARY KEY, full_name text); "
                + "ALTER TABLE users ALTER COLUMN full_name DROP NOT NULL"));
        assertThat(rule(lint(spec), Rules.OLD_COLUMN_NOT_NULL)).isEmpty();
    }

    @Test
    void contractThatDropsWhatOthersNeedIsAnError() throws Exception {
        SchemaMigrationSpec spec = Specs.of("CREATE TABLE t_new (a int)", null, "DROP TABLE events", "DROP TABLE t_new");
        List<Finding> findings = rule(lint(spec), Rules.CONTRACT_DROPS_DEPENDENCY);
        assertThat(findings).extracting(Finding::message).anySatisfy(m -> assertThat(m).contains("view recent_events"))
                .anySatisfy(m -> assertThat(m).contains("foreign key comments_event_fk of comments"))
                .anySatisfy(m -> assertThat(m).contains("owns sequence events_id_seq").contains("events_new.id"));
        assertThat(findings).allSatisfy(f -> {
            assertThat(f.severity()).isEqualTo(Severity.ERROR);
            assertThat(f.location()).isEqualTo("spec.contract.sql statement 1");
        });

        spec.setCutover(new dev.tandem.api.v1alpha1.CutoverSpec("ALTER SEQUENCE events_id_seq OWNED BY events_new.id"));
        spec.setContract(new dev.tandem.api.v1alpha1.ContractSpec("DROP VIEW recent_events; ALTER TABLE comments DROP CONSTRAINT comments_event_fk; "
                + "DROP TABLE events"));
        assertThat(rule(lint(spec), Rules.CONTRACT_DROPS_DEPENDENCY)).isEmpty();
    }

    @Test
    void aSequenceThatExpandWillUseIsFoundInTheExpandSql() throws Exception {
        TestDatabase.exec(db, "CREATE TABLE legacy (id bigserial PRIMARY KEY)");
        SchemaMigrationSpec spec = Specs.of("CREATE TABLE modern (id bigint DEFAULT nextval('legacy_id_seq'))", null,
                "DROP TABLE legacy", "DROP TABLE modern");
        assertThat(rule(lint(spec), Rules.CONTRACT_DROPS_DEPENDENCY)).singleElement()
                .satisfies(f -> assertThat(f.message()).contains("legacy_id_seq").contains("modern"));
    }

    @Test
    void contractNamesTablesAsCutoverRenamedThem() throws Exception {
        SchemaMigrationSpec spec = Specs.of("CREATE TABLE t_new (a int)", "ALTER TABLE events RENAME TO events_old",
                "DROP TABLE events_old", "DROP TABLE t_new");
        assertThat(rule(lint(spec), Rules.CONTRACT_DROPS_DEPENDENCY)).hasSize(3)
                .allSatisfy(f -> assertThat(f.table()).isEqualTo("events_old"));
    }
}
