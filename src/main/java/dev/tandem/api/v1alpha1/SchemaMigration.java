package dev.tandem.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * An online, zero-downtime PostgreSQL schema migration, walked phase by phase up to
 * {@code spec.targetPhase}.
 */
@Group(SchemaMigration.GROUP)
@Version(SchemaMigration.VERSION)
@ShortNames("smig")
@Categories("tandem")
@AdditionalPrinterColumn(name = "Target", type = AdditionalPrinterColumn.Type.STRING, jsonPath = ".spec.targetPhase")
@AdditionalPrinterColumn(name = "Phase", type = AdditionalPrinterColumn.Type.STRING, jsonPath = ".status.phase")
@AdditionalPrinterColumn(name = "Step", type = AdditionalPrinterColumn.Type.STRING, jsonPath = ".status.step")
@AdditionalPrinterColumn(name = "Progress", type = AdditionalPrinterColumn.Type.INTEGER,
        jsonPath = ".status.backfill.progressPercent")
@AdditionalPrinterColumn(name = "Ready", type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(name = "Reversible", type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.conditions[?(@.type==\"Reversible\")].status")
@AdditionalPrinterColumn(name = "Age", type = AdditionalPrinterColumn.Type.DATE, jsonPath = ".metadata.creationTimestamp")
@AdditionalPrinterColumn(name = "Rows", type = AdditionalPrinterColumn.Type.INTEGER,
        jsonPath = ".status.backfill.rowsProcessed", priority = 1)
@AdditionalPrinterColumn(name = "ETA", type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.backfill.eta", priority = 1)
@AdditionalPrinterColumn(name = "Mismatches", type = AdditionalPrinterColumn.Type.INTEGER,
        jsonPath = ".status.verification.mismatchedRows", priority = 1)
@AdditionalPrinterColumn(name = "Plan", type = AdditionalPrinterColumn.Type.STRING, jsonPath = ".status.plan.hash", priority = 1)
@AdditionalPrinterColumn(name = "Message", type = AdditionalPrinterColumn.Type.STRING, jsonPath = ".status.message", priority = 1)
public class SchemaMigration extends CustomResource<SchemaMigrationSpec, SchemaMigrationStatus> implements Namespaced {
    public static final String GROUP = "tandem.dev";
    public static final String VERSION = "v1alpha1";
    public static final String API_VERSION = GROUP + "/" + VERSION;
    public static final String KIND = "SchemaMigration";

    @Override
    @JsonPropertyDescription("What the migration does and how far it may go.")
    public SchemaMigrationSpec getSpec() {
        return super.getSpec();
    }

    @Override
    @JsonPropertyDescription("What the operator observed and did; written by the operator only.")
    public SchemaMigrationStatus getStatus() {
        return super.getStatus();
    }

    @Override
    protected SchemaMigrationStatus initStatus() {
        return new SchemaMigrationStatus();
    }
}
