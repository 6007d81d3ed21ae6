package dev.tandem.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

import java.util.Map;

/** One condition cutover waits for: exactly one of rollout, sql, verification. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"name", "rollout", "sql", "verification"})
@ValidationRule(value = "(has(self.rollout) ? 1 : 0) + (has(self.sql) ? 1 : 0) + (has(self.verification) ? 1 : 0) == 1",
        message = "a gate has exactly one of rollout, sql, verification")
public class GateSpec {
    @Required
    @Pattern("^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
    @JsonPropertyDescription("Name of the gate, unique in cutover.gates, shown in status.gates and in messages.")
    private String name;

    @JsonPropertyDescription("The application is fully rolled out: a Deployment or StatefulSet of the migration's "
            + "namespace has observed its latest generation and all its replicas are updated and available, "
            + "optionally running a given image or carrying given labels or annotations on its pod template.")
    private RolloutGate rollout;

    @JsonPropertyDescription("A read-only SQL query that must return exactly one row with one boolean column, true; "
            + "run in a read-only transaction on the migration's database, re-checked every few seconds.")
    private String sql;

    @JsonPropertyDescription("The latest clean verification pass finished after the backfill and within maxAge. When it "
            + "is older, a new pass runs first, so cutover always crosses on a fresh proof.")
    private VerificationGate verification;

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public RolloutGate getRollout() { return rollout; }
    public void setRollout(RolloutGate rollout) { this.rollout = rollout; }
    public String getSql() { return sql; }
    public void setSql(String sql) { this.sql = sql; }
    public VerificationGate getVerification() { return verification; }
    public void setVerification(VerificationGate verification) { this.verification = verification; }

    /** The kind of this gate, for status: rollout, sql or verification. */
    public String kind() {
        return rollout != null ? "rollout" : sql != null ? "sql" : verification != null ? "verification" : "unknown";
    }

    /** A workload that must be fully rolled out. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"deployment", "statefulSet", "image", "labels", "annotations"})
    @ValidationRule(value = "has(self.deployment) != has(self.statefulSet)",
            message = "a rollout gate names exactly one of deployment, statefulSet")
    public static class RolloutGate {
        @JsonPropertyDescription("Name of a Deployment in the migration's namespace.")
        private String deployment;

        @JsonPropertyDescription("Name of a StatefulSet in the migration's namespace.")
        private String statefulSet;

        @JsonPropertyDescription("Image every container of the pod template must include: a full reference "
                + "(registry/app:2.0) matches exactly; a tag or digest given alone (':2.0', '@sha256:…') matches a "
                + "reference that ends with it. Unset: any image.")
        private String image;

        @JsonPropertyDescription("Labels the pod template must carry, with these values.")
        private Map<String, String> labels;

        @JsonPropertyDescription("Annotations the pod template must carry, with these values.")
        private Map<String, String> annotations;

        public String getDeployment() { return deployment; }
        public void setDeployment(String deployment) { this.deployment = deployment; }
        public String getStatefulSet() { return statefulSet; }
        public void setStatefulSet(String statefulSet) { this.statefulSet = statefulSet; }
        public String getImage() { return image; }
        public void setImage(String image) { this.image = image; }
        public Map<String, String> getLabels() { return labels; }
        public void setLabels(Map<String, String> labels) { this.labels = labels; }
        public Map<String, String> getAnnotations() { return annotations; }
        public void setAnnotations(Map<String, String> annotations) { this.annotations = annotations; }

        /** "deployment NAME" or "statefulset NAME". */
        public String describe() {
            return deployment != null ? "deployment " + deployment : "statefulset " + statefulSet;
        }
    }

    /** How fresh the proof must be. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class VerificationGate {
        @Pattern(SchemaMigrationSpec.DURATION_PATTERN)
        @ValidationRule(value = "duration(self) >= duration('1s') && duration(self) <= duration('720h')",
                message = "maxAge must be a duration from 1s to 720h")
        @JsonPropertyDescription("Oldest clean pass cutover accepts, e.g. 30m. Unset: verify.reverifyEvery, else 1h.")
        private String maxAge;

        public String getMaxAge() { return maxAge; }
        public void setMaxAge(String maxAge) { this.maxAge = maxAge; }
    }
}
