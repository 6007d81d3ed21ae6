package dev.tandem.plan.lint;

import dev.tandem.api.v1alpha1.PromotionSpec;
import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.api.v1alpha1.SyncSource;
import dev.tandem.api.v1alpha1.SyncSpec;
import dev.tandem.api.v1alpha1.SyncTarget;
import dev.tandem.api.v1alpha1.TargetPhase;
import dev.tandem.plan.Planner;
import dev.tandem.testing.Specs;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** One test per lint rule: the risky form is flagged with its location, lock and fix; the safe form is not. */
class LintRulesTest {
    private static final String ROLLBACK = "DROP TABLE IF EXISTS t_new";

    static List<Finding> lint(SchemaMigrationSpec spec) {
        return Linter.lint(spec, Planner.plan("ns", "m", spec)).findings();
    }

    static List<Finding> expand(String sql) {
        return lint(Specs.of(sql, null, null, ROLLBACK));
    }

    static List<Finding> rule(List<Finding> findings, String rule) {
        return findings.stream().filter(f -> f.rule().equals(rule)).toList();
    }

    @Test
    void alterColumnTypeRewritesTheTable() {
        assertThat(rule(expand("ALTER TABLE accounts ALTER COLUMN balance TYPE numeric(20, 2)"), Rules.TABLE_REWRITE))
                .singleElement().satisfies(f -> {
                    assertThat(f.severity()).isEqualTo(Severity.ERROR);
                    assertThat(f.location()).isEqualTo("spec.expand.sql statement 1");
                    assertThat(f.table()).isEqualTo("accounts");
                    assertThat(f.lock()).isEqualTo("ACCESS EXCLUSIVE");
                    assertThat(f.underLock()).isEqualTo("rewrites");
                    assertThat(f.fix()).contains("in-place sync entry");
                });
        assertThat(rule(expand("ALTER TABLE accounts SET DATA TYPE text"), Rules.TABLE_REWRITE)).isEmpty();
        assertThat(rule(expand("ALTER TABLE accounts ALTER COLUMN note SET DATA TYPE text"), Rules.TABLE_REWRITE))
                .singleElement().satisfies(f -> assertThat(f.severity()).isEqualTo(Severity.WARNING));
        assertThat(rule(expand("CREATE TABLE t_new (a int); ALTER TABLE t_new ALTER COLUMN a TYPE bigint"),
                Rules.TABLE_REWRITE)).as("a table created in the same script").isEmpty();
    }

    @Test
    void addColumnWithAVolatileDefaultRewritesTheTable() {
        assertThat(rule(expand("ALTER TABLE users ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid()"),
                Rules.TABLE_REWRITE)).singleElement().satisfies(f -> {
                    assertThat(f.severity()).isEqualTo(Severity.ERROR);
                    assertThat(f.message()).contains("users.token").contains("volatile default");
                });
        assertThat(rule(expand("ALTER TABLE users ADD COLUMN n bigserial"), Rules.TABLE_REWRITE)).hasSize(1);
        assertThat(rule(expand("ALTER TABLE users ADD COLUMN created timestamptz DEFAULT now()"), Rules.TABLE_REWRITE))
                .as("a stable default is stored once, no rewrite").isEmpty();
        assertThat(rule(expand("ALTER TABLE users ADD COLUMN token uuid"), Rules.TABLE_REWRITE)).isEmpty();
    }

    @Test
    void checkWithoutNotValidScansUnderLock() {
        assertThat(rule(expand("ALTER TABLE orders ADD CONSTRAINT positive CHECK (total > 0)"), Rules.CHECK_NOT_VALID))
                .singleElement().satisfies(f -> {
                    assertThat(f.severity()).isEqualTo(Severity.WARNING);
                    assertThat(f.underLock()).isEqualTo("scans");
                    assertThat(f.fix()).contains("NOT VALID").contains("VALIDATE CONSTRAINT");
                });
        assertThat(rule(expand("ALTER TABLE orders ADD CONSTRAINT positive CHECK (total > 0) NOT VALID"),
                Rules.CHECK_NOT_VALID)).isEmpty();
    }

    @Test
    void foreignKeyWithoutNotValidScansUnderLock() {
        assertThat(rule(expand("ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id)"),
                Rules.FOREIGN_KEY_NOT_VALID)).singleElement().satisfies(f -> {
                    assertThat(f.lock()).isEqualTo("SHARE ROW EXCLUSIVE");
                    assertThat(f.underLock()).isEqualTo("scans");
                });
        assertThat(rule(expand("ALTER TABLE dogs ADD COLUMN breed_id bigint REFERENCES breeds (id)"),
                Rules.FOREIGN_KEY_NOT_VALID)).hasSize(1);
        assertThat(rule(expand("ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID"),
                Rules.FOREIGN_KEY_NOT_VALID)).isEmpty();
    }

    @Test
    void validatingInTheTransactionThatAddedTheConstraintStillScansUnderAccessExclusive() {
        String add = "ALTER TABLE orders ADD CONSTRAINT positive CHECK (total > 0) NOT VALID";
        String validate = "ALTER TABLE orders VALIDATE CONSTRAINT positive";
        assertThat(rule(expand(add + "; " + validate), Rules.VALIDATE_SAME_TRANSACTION)).singleElement()
                .satisfies(f -> assertThat(f.statement()).isEqualTo(2));
        assertThat(rule(lint(Specs.of(add, validate, null, ROLLBACK)), Rules.VALIDATE_SAME_TRANSACTION))
                .as("validated in a later phase").isEmpty();
    }

    @Test
    void setNotNullWithoutAValidatedCheckScans() {
        String set = "ALTER TABLE users ALTER COLUMN email SET NOT NULL";
        assertThat(rule(expand(set), Rules.SET_NOT_NULL)).singleElement().satisfies(f -> {
            assertThat(f.lock()).isEqualTo("ACCESS EXCLUSIVE");
            assertThat(f.fix()).contains("CHECK (email IS NOT NULL) NOT VALID");
        });
        List<Finding> safe = lint(Specs.of("ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID",
                "ALTER TABLE users VALIDATE CONSTRAINT email_nn; " + set, null, ROLLBACK));
        assertThat(rule(safe, Rules.SET_NOT_NULL)).isEmpty();
    }

    @Test
    void indexOnAnExistingTableMustBeBuiltConcurrently() {
        assertThat(rule(expand("CREATE INDEX users_email ON users (email)"), Rules.INDEX_NOT_CONCURRENT))
                .singleElement().satisfies(f -> {
                    assertThat(f.lock()).isEqualTo("SHARE");
                    assertThat(f.fix()).contains("CONCURRENTLY");
                });
        assertThat(rule(expand("CREATE TABLE t_new (a int); CREATE INDEX t_new_a ON t_new (a)"), Rules.INDEX_NOT_CONCURRENT))
                .as("a table created in the same script").isEmpty();
        assertThat(rule(expand("CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email)"),
                Rules.INDEX_NOT_CONCURRENT)).isEmpty();
        assertThat(rule(expand("ALTER TABLE users ADD CONSTRAINT email_key UNIQUE (email)"), Rules.INDEX_NOT_CONCURRENT))
                .hasSize(1);
    }

    @Test
    void aFullTableUpdateOrCopyInsideTheDdlTransactionIsFlagged() {
        assertThat(rule(expand("UPDATE users SET email = lower(email)"), Rules.FULL_TABLE_DML)).singleElement()
                .satisfies(f -> assertThat(f.message()).contains("updates every row of users"));
        List<Finding> copy = expand("CREATE TABLE t_new (id bigint); CREATE TRIGGER t AFTER INSERT ON users FOR EACH ROW "
                + "EXECUTE FUNCTION f(); INSERT INTO t_new SELECT id FROM users");
        assertThat(rule(copy, Rules.FULL_TABLE_DML)).singleElement().satisfies(f -> {
            assertThat(f.statement()).isEqualTo(3);
            assertThat(f.table()).isEqualTo("users");
            assertThat(f.message()).contains("SHARE ROW EXCLUSIVE on users (statement 2)");
        });
        assertThat(rule(expand("UPDATE users SET email = lower(email) WHERE id < 1000"), Rules.FULL_TABLE_DML)).isEmpty();
        assertThat(rule(expand("CREATE TABLE t_new (id bigint); INSERT INTO t_new VALUES (1)"), Rules.FULL_TABLE_DML))
                .isEmpty();
    }

    @Test
    void truncateOfAnExistingTableIsAnError() {
        assertThat(rule(lint(Specs.of("CREATE TABLE t_new (a int)", "TRUNCATE TABLE users", null, ROLLBACK)), Rules.TRUNCATE))
                .singleElement().satisfies(f -> {
                    assertThat(f.severity()).isEqualTo(Severity.ERROR);
                    assertThat(f.field()).isEqualTo("spec.cutover.sql");
                });
        assertThat(rule(lint(Specs.of("CREATE TABLE t_new (a int)", null, null, "TRUNCATE t_new")), Rules.TRUNCATE))
                .as("rollback empties what expand created").isEmpty();
    }

    @Test
    void dropCascadeIsFlagged() {
        assertThat(rule(lint(Specs.of("CREATE TABLE t_new (a int)", null, "DROP TABLE users_old CASCADE", ROLLBACK)),
                Rules.DROP_CASCADE)).singleElement().satisfies(f -> assertThat(f.fix()).contains("without CASCADE"));
        assertThat(rule(lint(Specs.of("CREATE TABLE t_new (a int)", null, "DROP TABLE users_old", ROLLBACK)),
                Rules.DROP_CASCADE)).isEmpty();
    }

    @Test
    void expandWithoutRollbackSqlIsFlagged() {
        assertThat(rule(lint(Specs.of("CREATE TABLE t_new (a int)", null, null, null)), Rules.ROLLBACK_MISSING))
                .singleElement().satisfies(f -> {
                    assertThat(f.location()).isEqualTo("spec.rollback.sql");
                    assertThat(f.fix()).contains("DROP TABLE IF EXISTS t_new");
                });
        assertThat(rule(lint(Specs.of("CREATE TABLE t_new (a int)", null, null, ROLLBACK)), Rules.ROLLBACK_MISSING)).isEmpty();
    }

    @Test
    void concurrentlyInCutoverSplitsThePointOfNoReturn() {
        String index = "CREATE INDEX CONCURRENTLY users_email ON users (email)";
        assertThat(rule(lint(Specs.of("CREATE TABLE t_new (a int)", "COMMENT ON TABLE t_new IS 'x'; " + index, null,
                ROLLBACK)), Rules.CONCURRENTLY_SPLITS_PHASE)).singleElement().satisfies(f -> {
                    assertThat(f.severity()).isEqualTo(Severity.ERROR);
                    assertThat(f.location()).isEqualTo("spec.cutover.sql statement 2");
                    assertThat(f.fix()).contains("in expand");
                });
        assertThat(rule(lint(Specs.of("CREATE TABLE t_new (a int); " + index, null, null, ROLLBACK)),
                Rules.CONCURRENTLY_SPLITS_PHASE)).singleElement()
                .satisfies(f -> assertThat(f.severity()).isEqualTo(Severity.WARNING));
        assertThat(rule(lint(Specs.of(index, null, null, ROLLBACK)), Rules.CONCURRENTLY_SPLITS_PHASE))
                .as("alone in its phase").isEmpty();
    }

    @Test
    void aStaleOrMadeUpPlanHashIsAnError() {
        SchemaMigrationSpec spec = Specs.of("CREATE TABLE t_new (a int)", null, null, ROLLBACK);
        String hash = Planner.plan("ns", "m", spec).hash();
        spec.setTargetPhase(TargetPhase.CutOver);
        spec.setPromotion(new PromotionSpec());
        spec.getPromotion().setPlanHash("0123456789ab");
        assertThat(rule(lint(spec), Rules.PLAN_HASH)).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.ERROR);
            assertThat(f.message()).contains("the plan changed");
            assertThat(f.fix()).contains(hash);
        });
        spec.getPromotion().setPlanHash("3f9a1c2b");
        assertThat(rule(lint(spec), Rules.PLAN_HASH)).singleElement()
                .satisfies(f -> assertThat(f.message()).contains("not a plan hash"));
        spec.getPromotion().setPlanHash(null);
        assertThat(rule(lint(spec), Rules.PLAN_HASH)).hasSize(1);
        spec.getPromotion().setPlanHash(hash);
        assertThat(rule(lint(spec), Rules.PLAN_HASH)).isEmpty();
    }

    static SyncSpec entry(Map<String, String> columns, Map<String, String> reverse) {
        SyncSpec s = new SyncSpec();
        s.setName("full-name");
        SyncSource from = new SyncSource();
        from.setTable("users");
        from.setKey(List.of("id"));
        SyncTarget to = new SyncTarget();
        to.setTable("users_pii");
        to.setKey(List.of("user_id"));
        s.setFrom(from);
        s.setTo(to);
        s.setColumns(new LinkedHashMap<>(columns));
        s.setReverse(reverse);
        return s;
    }

    @Test
    void anOldColumnTheNewVersionStopsWritingIsNotedOfflineUnlessRelaxed() {
        SchemaMigrationSpec spec = Specs.of("CREATE TABLE users_pii (user_id bigint PRIMARY KEY, full_name text)", null,
                "ALTER TABLE users DROP COLUMN full_name", "DROP TABLE IF EXISTS users_pii");
        spec.setSync(List.of(entry(Map.of("user_id", "id", "full_name", "full_name"), null)));
        assertThat(rule(lint(spec), Rules.OLD_COLUMN_NOT_NULL)).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.INFO);
            assertThat(f.message()).contains("users.full_name").contains("--database");
            assertThat(f.fix()).contains("ALTER TABLE users ALTER COLUMN full_name DROP NOT NULL");
        });
        spec.setCutover(new dev.tandem.api.v1alpha1.CutoverSpec("ALTER TABLE users ALTER COLUMN full_name DROP NOT NULL"));
        assertThat(rule(lint(spec), Rules.OLD_COLUMN_NOT_NULL)).isEmpty();
    }

    @Test
    void cutoverThatDropsWhatAReverseMappingFillsIsAnError() {
        SchemaMigrationSpec spec = Specs.of("CREATE TABLE users_pii (user_id bigint PRIMARY KEY, full_name text)",
                "ALTER TABLE users DROP COLUMN full_name", null, "DROP TABLE IF EXISTS users_pii");
        spec.setSync(List.of(entry(Map.of("user_id", "id", "full_name", "full_name"), Map.of("full_name", "full_name"))));
        assertThat(rule(lint(spec), Rules.CUTOVER_BREAKS_REVERSE)).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.ERROR);
            assertThat(f.location()).isEqualTo("spec.cutover.sql statement 1");
            assertThat(f.fix()).isEqualTo("drop it in contract");
        });
        spec.setCutover(new dev.tandem.api.v1alpha1.CutoverSpec("ALTER TABLE users ALTER COLUMN full_name DROP NOT NULL"));
        spec.setContract(new dev.tandem.api.v1alpha1.ContractSpec("ALTER TABLE users DROP COLUMN full_name"));
        assertThat(rule(lint(spec), Rules.CUTOVER_BREAKS_REVERSE)).isEmpty();
    }

    @Test
    void statementsTheParserDoesNotKnowAreReadByTheLexerAndListed() {
        LintReport report = Linter.lint(Specs.of("DO $$ BEGIN PERFORM 1; END $$; VACUUM users", null, null, ROLLBACK),
                Planner.plan("ns", "m", Specs.of("DO $$ BEGIN PERFORM 1; END $$", null, null, ROLLBACK)));
        assertThat(report.notParsed()).contains("spec.expand.sql statement 1");
        assertThat(Linter.statement("spec.expand.sql", 1, "ALTER TABLE ONLY users ADD CONSTRAINT c CHECK (a > 0) NOT VALID")
                .facts().actions()).singleElement().satisfies(a -> assertThat(a.notValid()).isTrue());
        assertThat(Linter.statement("spec.expand.sql", 1, "ALTER TABLE users ADD CONSTRAINT c CHECK (a > 0) NOT VALID")
                .facts().parsed()).as("NOT VALID normalized before parsing").isTrue();
    }

    @Test
    void theLexerFlagsWhatTheParserCannotRead() {
        LintReport report = Linter.lint(Specs.of("ALTER TABLE ONLY users ADD CHECK (age > 0)", null, null, ROLLBACK),
                Planner.plan("ns", "m", Specs.of("ALTER TABLE ONLY users ADD CHECK (age > 0)", null, null, ROLLBACK)));
        assertThat(report.notParsed()).containsExactly("spec.expand.sql statement 1");
        assertThat(rule(report.findings(), Rules.CHECK_NOT_VALID)).singleElement()
                .satisfies(f -> assertThat(f.table()).isEqualTo("users"));
        assertThat(rule(expand("WITH old AS (SELECT 1) UPDATE public.users SET a = 1"), Rules.FULL_TABLE_DML))
                .singleElement().satisfies(f -> assertThat(f.table()).isEqualTo("users"));
        assertThat(rule(expand("ALTER TABLE IF EXISTS ONLY \"Users\" ALTER COLUMN \"Age\" SET DATA TYPE bigint"),
                Rules.TABLE_REWRITE)).singleElement().satisfies(f -> {
                    assertThat(f.table()).isEqualTo("Users");
                    assertThat(f.message()).contains("Users.Age");
                });
    }
}
