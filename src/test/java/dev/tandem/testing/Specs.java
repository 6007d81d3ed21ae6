package dev.tandem.testing;

import dev.tandem.api.v1alpha1.DatabaseSpec;
import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.api.v1alpha1.SecretRef;
import dev.tandem.api.v1alpha1.SqlSpec;
import dev.tandem.api.v1alpha1.TargetPhase;

/** Specs for tests: a valid spec with the given SQL (null leaves a phase without SQL). */
public final class Specs {
    private Specs() {
    }

    public static SchemaMigrationSpec of(String expand, String cutover, String contract, String rollback) {
        SchemaMigrationSpec spec = new SchemaMigrationSpec();
        DatabaseSpec db = new DatabaseSpec();
        db.setSecretRef(new SecretRef("app-db"));
        spec.setDatabase(db);
        spec.setTargetPhase(TargetPhase.Expanded);
        spec.setLockTimeout("2s");
        spec.setStatementTimeout("15m");
        spec.setExpand(sql(expand));
        spec.setCutover(cutover == null ? null : new dev.tandem.api.v1alpha1.CutoverSpec(cutover));
        spec.setContract(contract == null ? null : new dev.tandem.api.v1alpha1.ContractSpec(contract));
        spec.setRollback(sql(rollback));
        return spec;
    }

    private static SqlSpec sql(String text) {
        return text == null ? null : new SqlSpec(text);
    }
}
