package dev.tandem.plan;

import dev.tandem.testing.Specs;
import dev.tandem.api.v1alpha1.CutoverSpec;
import dev.tandem.api.v1alpha1.ContractSpec;
import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.api.v1alpha1.SecretRef;
import dev.tandem.api.v1alpha1.SqlSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.function.BiConsumer;

import static org.assertj.core.api.Assertions.assertThat;

class SpecValidatorTest {

    private static SchemaMigrationSpec valid() {
        return Specs.of("ALTER TABLE t ADD COLUMN b int;", "ALTER TABLE t ALTER COLUMN a DROP NOT NULL;",
                "ALTER TABLE t DROP COLUMN a;", "ALTER TABLE t DROP COLUMN IF EXISTS b;");
    }

    @Test
    void validSpecHasNoErrors() {
        assertThat(SpecValidator.validate(valid(), true)).isEmpty();
    }

    @Test
    void missingSpecIsAnError() {
        assertThat(SpecValidator.validate(null, false)).singleElement().asString().startsWith("spec:");
    }

    @Test
    void missingTargetPhaseNamesTheField() {
        SchemaMigrationSpec spec = valid();
        spec.setTargetPhase(null);
        assertThat(SpecValidator.validate(spec, true)).singleElement().asString()
                .startsWith("spec.targetPhase:").contains("Expanded");
    }

    @Test
    void missingOrBlankExpandSqlNamesTheField() {
        SchemaMigrationSpec spec = valid();
        spec.setExpand(null);
        assertThat(SpecValidator.validate(spec, true)).singleElement().asString().startsWith("spec.expand.sql:");
        spec.setExpand(new SqlSpec("  \n"));
        assertThat(SpecValidator.validate(spec, true)).singleElement().asString().startsWith("spec.expand.sql:");
    }

    @Test
    void invalidLockTimeoutNamesTheFieldAndAnExample() {
        SchemaMigrationSpec spec = valid();
        spec.setLockTimeout("soon");
        assertThat(SpecValidator.validate(spec, true)).singleElement().asString()
                .startsWith("spec.lockTimeout:").contains("'soon'").contains("500ms");
    }

    @Test
    void zeroLockTimeoutIsRejected() {
        SchemaMigrationSpec spec = valid();
        spec.setLockTimeout("0s");
        assertThat(SpecValidator.validate(spec, true)).singleElement().asString()
                .startsWith("spec.lockTimeout:").contains("out of range").contains("from 1ms to 1h");
    }

    @Test
    void invalidStatementTimeoutNamesTheField() {
        SchemaMigrationSpec spec = valid();
        spec.setStatementTimeout("5");
        assertThat(SpecValidator.validate(spec, true)).singleElement().asString().startsWith("spec.statementTimeout:");
    }

    @Test
    void missingSecretNameIsAnErrorOnlyWhenASecretIsNeeded() {
        SchemaMigrationSpec noDatabase = valid();
        noDatabase.setDatabase(null);
        assertThat(SpecValidator.validate(noDatabase, true)).singleElement().asString()
                .startsWith("spec.database.secretRef.name:");
        assertThat(SpecValidator.validate(noDatabase, false)).isEmpty();

        SchemaMigrationSpec blankName = valid();
        blankName.getDatabase().setSecretRef(new SecretRef(" "));
        assertThat(SpecValidator.validate(blankName, true)).singleElement().asString()
                .startsWith("spec.database.secretRef.name:");

        SchemaMigrationSpec noRef = valid();
        noRef.getDatabase().setSecretRef(null);
        assertThat(SpecValidator.validate(noRef, true)).singleElement().asString()
                .startsWith("spec.database.secretRef.name:");
    }

    @ParameterizedTest
    @ValueSource(strings = {"BEGIN", "begin transaction isolation level serializable", "START TRANSACTION", "COMMIT",
            "END", "ROLLBACK", "abort", "SAVEPOINT s1", "RELEASE SAVEPOINT s1", "ROLLBACK TO SAVEPOINT s1",
            "PREPARE TRANSACTION 'x'", "/* sneaky */ COMMIT"})
    void rejectsTransactionControlInExpand(String control) {
        SchemaMigrationSpec spec = valid();
        spec.setExpand(new SqlSpec("ALTER TABLE t ADD COLUMN b int;\n" + control + ";\nSELECT 1;"));
        List<String> errors = SpecValidator.validate(spec, true);
        assertThat(errors).singleElement().asString().startsWith("spec.expand.sql:").contains("remove");
    }

    @Test
    void rejectsTransactionControlInEverySqlField() {
        record Field(String name, BiConsumer<SchemaMigrationSpec, SqlSpec> set) {
        }
        List<Field> fields = List.of(
                new Field("spec.expand.sql", SchemaMigrationSpec::setExpand),
                new Field("spec.cutover.sql", (s, q) -> s.setCutover(new CutoverSpec(q.getSql()))),
                new Field("spec.contract.sql", (s, q) -> s.setContract(new ContractSpec(q.getSql()))),
                new Field("spec.rollback.sql", SchemaMigrationSpec::setRollback));
        for (Field field : fields) {
            for (String control : List.of("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT a")) {
                SchemaMigrationSpec spec = valid();
                field.set().accept(spec, new SqlSpec("SELECT 1; " + control + "; SELECT 2"));
                assertThat(SpecValidator.validate(spec, true)).as("%s in %s", control, field.name())
                        .singleElement().asString().startsWith(field.name() + ":").contains(control);
            }
        }
    }

    @Test
    void allowsTransactionWordsInsideFunctionBodies() {
        SchemaMigrationSpec spec = valid();
        spec.setExpand(new SqlSpec("CREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n  NEW.b := NEW.a;\n"
                + "  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n"
                + "CREATE PROCEDURE p() AS $body$\nBEGIN\n  COMMIT;\n  ROLLBACK;\nEND\n$body$ LANGUAGE plpgsql;\n"
                + "DO $$ BEGIN PERFORM 1; END $$;"));
        assertThat(SpecValidator.validate(spec, true)).isEmpty();
    }

    @Test
    void allowsTransactionWordsInsideStringsIdentifiersAndComments() {
        SchemaMigrationSpec spec = valid();
        spec.setExpand(new SqlSpec("INSERT INTO log (msg) VALUES ('BEGIN; COMMIT; ROLLBACK');\n"
                + "-- COMMIT;\n/* ROLLBACK; */\n"
                + "ALTER TABLE t ADD COLUMN \"commit;\" int;\n"
                + "COMMENT ON TABLE t IS 'x';\n"
                + "ALTER TABLE t ADD COLUMN ended boolean;"));
        assertThat(SpecValidator.validate(spec, true)).isEmpty();
    }

    @Test
    void reportsEveryProblemAtOnce() {
        SchemaMigrationSpec spec = valid();
        spec.setTargetPhase(null);
        spec.setLockTimeout("soon");
        spec.setContract(new ContractSpec("COMMIT"));
        assertThat(SpecValidator.validate(spec, true)).hasSize(3)
                .anySatisfy(e -> assertThat(e).startsWith("spec.targetPhase:"))
                .anySatisfy(e -> assertThat(e).startsWith("spec.lockTimeout:"))
                .anySatisfy(e -> assertThat(e).startsWith("spec.contract.sql:"));
    }

    @Test
    void cutoverContractAndRollbackRefuseStatementsThatCannotRunInATransaction() {
        for (String field : List.of("cutover", "contract", "rollback")) {
            SchemaMigrationSpec spec = valid();
            String sql = "SELECT 1; CREATE INDEX CONCURRENTLY i ON t (a)";
            switch (field) {
                case "cutover" -> spec.setCutover(new CutoverSpec(sql));
                case "contract" -> spec.setContract(new ContractSpec(sql));
                default -> spec.setRollback(new SqlSpec(sql));
            }
            assertThat(SpecValidator.validate(spec, true)).as(field).singleElement().asString()
                    .startsWith("spec." + field + ".sql: statement 2 ('CREATE INDEX CONCURRENTLY i ON t (a)') cannot run in a "
                            + "transaction").contains("build indexes in spec.expand.sql");
        }
    }

    @Test
    void gatesAreCheckedFieldByField() {
        SchemaMigrationSpec spec = valid();
        CutoverSpec cutover = new CutoverSpec("SELECT 1");
        dev.tandem.api.v1alpha1.GateSpec both = new dev.tandem.api.v1alpha1.GateSpec();
        both.setName("both");
        both.setSql("SELECT true");
        both.setVerification(new dev.tandem.api.v1alpha1.GateSpec.VerificationGate());
        dev.tandem.api.v1alpha1.GateSpec twoQueries = new dev.tandem.api.v1alpha1.GateSpec();
        twoQueries.setName("both");
        twoQueries.setSql("SELECT true; SELECT false");
        dev.tandem.api.v1alpha1.GateSpec badRollout = new dev.tandem.api.v1alpha1.GateSpec();
        badRollout.setName("app");
        dev.tandem.api.v1alpha1.GateSpec.RolloutGate r = new dev.tandem.api.v1alpha1.GateSpec.RolloutGate();
        r.setDeployment("App_V2");
        badRollout.setRollout(r);
        dev.tandem.api.v1alpha1.GateSpec stale = new dev.tandem.api.v1alpha1.GateSpec();
        stale.setName("fresh");
        dev.tandem.api.v1alpha1.GateSpec.VerificationGate v = new dev.tandem.api.v1alpha1.GateSpec.VerificationGate();
        v.setMaxAge("90d");
        stale.setVerification(v);
        cutover.setGates(List.of(both, twoQueries, badRollout, stale));
        spec.setCutover(cutover);
        assertThat(SpecValidator.validate(spec, true)).containsExactly(
                "spec.cutover.gates[0]: give exactly one of rollout, sql, verification (found 2)",
                "spec.cutover.gates[1].name: 'both' is used twice; gate names must be unique",
                "spec.cutover.gates[1].sql: " + SqlFragment.queryError("SELECT true; SELECT false").orElseThrow()
                        + "; a gate is one query returning one row with one boolean",
                "spec.cutover.gates[2].rollout.deployment: 'App_V2' is not a Kubernetes object name (lower-case letters, "
                        + "digits, '-' and '.')",
                "spec.cutover.gates[3].verification.maxAge: " + errorOf("90d"),
                "spec.cutover.gates: 2 verification gates; give at most one");
    }

    private static String errorOf(String duration) {
        try {
            Durations.parse(duration);
            return "'" + duration + "' is out of range; give a duration from 1s to 720h";
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }
}
