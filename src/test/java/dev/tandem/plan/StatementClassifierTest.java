package dev.tandem.plan;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class StatementClassifierTest {

    private static LockLevel lock(String sql) {
        return StatementClassifier.classify(sql).lock();
    }

    private static boolean transactional(String sql) {
        return StatementClassifier.classify(sql).transactional();
    }

    @Test
    void createTableLocksNothing() {
        assertThat(lock("CREATE TABLE t (id bigint PRIMARY KEY, a text)")).isEqualTo(LockLevel.NONE);
        assertThat(transactional("CREATE TABLE t (id bigint PRIMARY KEY, a text)")).isTrue();
    }

    @Test
    void createTableWithReferencesLocksTheReferencedTableShareRowExclusive() {
        assertThat(lock("CREATE TABLE t (id bigint, u_id bigint REFERENCES users (id))"))
                .isEqualTo(LockLevel.SHARE_ROW_EXCLUSIVE);
    }

    @Test
    void createIndexTakesShareLockInTransaction() {
        assertThat(lock("CREATE INDEX i ON t (a)")).isEqualTo(LockLevel.SHARE);
        assertThat(transactional("CREATE INDEX i ON t (a)")).isTrue();
        assertThat(lock("CREATE UNIQUE INDEX i ON t (a)")).isEqualTo(LockLevel.SHARE);
    }

    @Test
    void createIndexConcurrentlyTakesShareUpdateExclusiveOutsideTransaction() {
        assertThat(lock("CREATE INDEX CONCURRENTLY i ON t (a)")).isEqualTo(LockLevel.SHARE_UPDATE_EXCLUSIVE);
        assertThat(transactional("CREATE INDEX CONCURRENTLY i ON t (a)")).isFalse();
        assertThat(lock("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a)"))
                .isEqualTo(LockLevel.SHARE_UPDATE_EXCLUSIVE);
        assertThat(transactional("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a)")).isFalse();
    }

    @Test
    void dropIndexConcurrentlyRunsOutsideTransaction() {
        assertThat(transactional("DROP INDEX CONCURRENTLY IF EXISTS i")).isFalse();
        assertThat(lock("DROP INDEX CONCURRENTLY IF EXISTS i")).isEqualTo(LockLevel.SHARE_UPDATE_EXCLUSIVE);
    }

    @Test
    void plainDropIndexIsAccessExclusiveInTransaction() {
        assertThat(lock("DROP INDEX i")).isEqualTo(LockLevel.ACCESS_EXCLUSIVE);
        assertThat(transactional("DROP INDEX i")).isTrue();
    }

    @Test
    void alterTableAddColumnIsAccessExclusive() {
        assertThat(lock("ALTER TABLE t ADD COLUMN b int")).isEqualTo(LockLevel.ACCESS_EXCLUSIVE);
        assertThat(transactional("ALTER TABLE t ADD COLUMN b int")).isTrue();
    }

    @Test
    void alterTableValidateConstraintIsShareUpdateExclusive() {
        assertThat(lock("ALTER TABLE t VALIDATE CONSTRAINT t_b_fk")).isEqualTo(LockLevel.SHARE_UPDATE_EXCLUSIVE);
        assertThat(lock("ALTER TABLE IF EXISTS ONLY t VALIDATE CONSTRAINT t_b_fk"))
                .isEqualTo(LockLevel.SHARE_UPDATE_EXCLUSIVE);
    }

    @Test
    void validateCombinedWithAnotherSubcommandIsAccessExclusive() {
        assertThat(lock("ALTER TABLE t VALIDATE CONSTRAINT c, ADD COLUMN z int")).isEqualTo(LockLevel.ACCESS_EXCLUSIVE);
    }

    @Test
    void alterTableAddForeignKeyIsShareRowExclusive() {
        assertThat(lock("ALTER TABLE t ADD CONSTRAINT t_u_fk FOREIGN KEY (u_id) REFERENCES users (id) NOT VALID"))
                .isEqualTo(LockLevel.SHARE_ROW_EXCLUSIVE);
    }

    @Test
    void createTriggerIsShareRowExclusive() {
        assertThat(lock("CREATE TRIGGER sync BEFORE INSERT OR UPDATE ON t FOR EACH ROW EXECUTE FUNCTION f()"))
                .isEqualTo(LockLevel.SHARE_ROW_EXCLUSIVE);
        assertThat(lock("CREATE OR REPLACE TRIGGER sync BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()"))
                .isEqualTo(LockLevel.SHARE_ROW_EXCLUSIVE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"INSERT INTO t (a) VALUES (1)", "UPDATE t SET a = 1 WHERE id = 2", "DELETE FROM t WHERE id = 3"})
    void dataModificationIsRowExclusive(String sql) {
        assertThat(lock(sql)).isEqualTo(LockLevel.ROW_EXCLUSIVE);
        assertThat(transactional(sql)).isTrue();
    }

    @Test
    void selectIsAccessShare() {
        assertThat(lock("SELECT count(*) FROM t")).isEqualTo(LockLevel.ACCESS_SHARE);
    }

    @Test
    void createFunctionLocksNothing() {
        String fn = "CREATE OR REPLACE FUNCTION f() RETURNS trigger AS $$ BEGIN UPDATE t SET a = 1; RETURN NEW; END $$ "
                + "LANGUAGE plpgsql";
        assertThat(lock(fn)).isEqualTo(LockLevel.NONE);
        assertThat(lock("CREATE FUNCTION g() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql")).isEqualTo(LockLevel.NONE);
    }

    @Test
    void leadingCommentsAreIgnored() {
        String sql = "-- index for lookups\n/* reviewed /* nested */ */\nCREATE INDEX CONCURRENTLY i ON t (a)";
        assertThat(lock(sql)).isEqualTo(LockLevel.SHARE_UPDATE_EXCLUSIVE);
        assertThat(transactional(sql)).isFalse();
        assertThat(lock("-- note\nALTER TABLE t ADD COLUMN b int")).isEqualTo(LockLevel.ACCESS_EXCLUSIVE);
    }

    @Test
    void classificationIsCaseInsensitive() {
        assertThat(lock("create index concurrently i on t (a)")).isEqualTo(LockLevel.SHARE_UPDATE_EXCLUSIVE);
        assertThat(transactional("create index concurrently i on t (a)")).isFalse();
        assertThat(lock("Alter Table t Validate Constraint c")).isEqualTo(LockLevel.SHARE_UPDATE_EXCLUSIVE);
        assertThat(lock("insert into t values (1)")).isEqualTo(LockLevel.ROW_EXCLUSIVE);
        assertThat(lock("create table t (u int references users)")).isEqualTo(LockLevel.SHARE_ROW_EXCLUSIVE);
    }

    @Test
    void quotedIdentifierNamedConcurrentlyDoesNotMakeIndexConcurrent() {
        assertThat(transactional("CREATE INDEX \"concurrently\" ON t (a)")).isTrue();
        assertThat(lock("CREATE INDEX \"concurrently\" ON t (a)")).isEqualTo(LockLevel.SHARE);
    }
}
