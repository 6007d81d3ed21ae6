package dev.tandem.testing;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The status Flux (kustomize-controller and helm-controller health checks, {@code flux get}) and
 * kpt/cli-utils compute for a custom resource: kstatus' generic rules
 * (sigs.k8s.io/cli-utils/pkg/kstatus/status, {@code Compute} with no type-specific rule), written
 * out here because no Java library implements them. In order:
 * <ol>
 *   <li>{@code metadata.deletionTimestamp} set: Terminating;</li>
 *   <li>{@code status.observedGeneration} present and not equal to {@code metadata.generation}:
 *       InProgress (LatestGenerationNotObserved);</li>
 *   <li>the first condition, in list order, that is {@code Reconciling=True} (InProgress) or
 *       {@code Stalled=True} (Failed) decides;</li>
 *   <li>otherwise Current. Ready is not read at all: "abnormal-true" conditions only.</li>
 * </ol>
 */
public final class Kstatus {
    public static final String CURRENT = "Current";
    public static final String IN_PROGRESS = "InProgress";
    public static final String FAILED = "Failed";
    public static final String TERMINATING = "Terminating";

    private Kstatus() {
    }

    public record Result(String status, String message) {
    }

    public static Result compute(JsonNode obj) {
        JsonNode deletion = obj.at("/metadata/deletionTimestamp");
        if (deletion.isTextual() && !deletion.asText().isEmpty()) {
            return new Result(TERMINATING, "Resource scheduled for deletion");
        }
        JsonNode generation = obj.at("/metadata/generation");
        JsonNode observed = obj.at("/status/observedGeneration");
        if (generation.isNumber() && observed.isNumber() && observed.asLong() != generation.asLong()) {
            return new Result(IN_PROGRESS, obj.path("kind").asText() + " generation is " + generation.asLong()
                    + ", but latest observed generation is " + observed.asLong());
        }
        for (JsonNode c : obj.at("/status/conditions")) {
            boolean isTrue = "True".equals(c.path("status").asText());
            if (isTrue && "Reconciling".equals(c.path("type").asText())) {
                return new Result(IN_PROGRESS, c.path("message").asText());
            }
            if (isTrue && "Stalled".equals(c.path("type").asText())) {
                return new Result(FAILED, c.path("message").asText());
            }
        }
        return new Result(CURRENT, "Resource is current");
    }
}
