package dev.tandem.plan;

import dev.tandem.testing.Specs;
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
                new Field("spec.cutover.sql", SchemaMigrationSpec::setCutover),
                new Field("spec.contract.sql", SchemaMigrationSpec::setContract),
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
        spec.setContract(new SqlSpec("COMMIT"));
        assertThat(SpecValidator.validate(spec, true)).hasSize(3)
                .anySatisfy(e -> assertThat(e).startsWith("spec.targetPhase:"))
                .anySatisfy(e -> assertThat(e).startsWith("spec.lockTimeout:"))
                .anySatisfy(e -> assertThat(e).startsWith("spec.contract.sql:"));
    }
}
