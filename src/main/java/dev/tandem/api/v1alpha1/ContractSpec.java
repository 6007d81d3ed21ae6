package dev.tandem.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * Phase 5: drops the old storage and every object Tandem created for the migration. The SQL is part
 * of the plan; after cutover it may still change (the plan gets a new hash that promotion to
 * Contracted must name). The waits are policy.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"sql", "minWait", "quietFor"})
public class ContractSpec extends SqlSpec {
    @Default("0s")
    @Pattern(SchemaMigrationSpec.DURATION_PATTERN)
    @ValidationRule(value = "duration(self) <= duration('8760h')", message = "minWait must be a duration up to 8760h")
    @JsonPropertyDescription("Contract runs no earlier than this long after cutover, e.g. 24h: time for every "
            + "application instance and batch job to show it no longer uses the old storage.")
    private String minWait;

    @Default("0s")
    @Pattern(SchemaMigrationSpec.DURATION_PATTERN)
    @ValidationRule(value = "duration(self) <= duration('8760h')", message = "quietFor must be a duration up to 8760h")
    @JsonPropertyDescription("Contract runs only when no write has reached the old storage for this long (seen by the "
            + "old-storage watch, status.oldStorage), e.g. 1h. Until then the migration waits with AwaitingQuiet and "
            + "status says when contract becomes possible.")
    private String quietFor;

    public ContractSpec() {
    }

    public ContractSpec(String sql) {
        super(sql);
    }

    public String getMinWait() { return minWait; }
    public void setMinWait(String minWait) { this.minWait = minWait; }
    public String getQuietFor() { return quietFor; }
    public void setQuietFor(String quietFor) { this.quietFor = quietFor; }
}
