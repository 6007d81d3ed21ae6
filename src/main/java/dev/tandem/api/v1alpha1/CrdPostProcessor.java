package dev.tandem.api.v1alpha1;

import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;

import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Build-time touches to the generated CRD, for what the generator's annotations cannot say:
 * <ul>
 *   <li>printer columns in reading order (the generator sorts them by JSON path), Age last among
 *       the default columns as kubectl users expect;</li>
 *   <li>a description of the resource itself (the schema's root), for {@code kubectl explain smig};</li>
 *   <li>{@code status.conditions} as a list-map keyed by {@code type} (one entry per type, merged by
 *       type in patches, as for Kubernetes' own {@code metav1.Condition} lists);</li>
 *   <li>the Job pods' {@code resources} (Kubernetes' own ResourceRequirements): only {@code limits}
 *       and {@code requests}, described. {@code claims} is dropped: it names pod-level resource
 *       claims, which the Jobs do not declare, so a Job given claims could not be created.</li>
 * </ul>
 */
public class CrdPostProcessor implements CRDPostProcessor {
    static final List<String> ORDER = List.of("Target", "Phase", "Step", "Progress", "Ready", "Reversible", "Age", "Rows",
            "ETA", "Mismatches", "Plan", "Message");

    public static final String DESCRIPTION = "SchemaMigration is an online, zero-downtime PostgreSQL schema migration "
            + "(expand/contract) that the Tandem operator walks phase by phase: Expand (new storage and sync triggers), "
            + "Backfill (copy existing rows), Verify (prove old and new agree), CutOver (the point of no return) and "
            + "Contract (drop the old storage), never past spec.targetPhase. Promote it by changing spec.targetPhase "
            + "(CutOver and Contracted also need spec.promotion.planHash); watch it with 'kubectl get smig'.";

    static final String LIMITS = "Maximum amount of compute resources the container may use, by resource name "
            + "(cpu, memory, ephemeral-storage), e.g. {memory: 512Mi}. Kubernetes' core/v1 ResourceRequirements.limits.";
    static final String REQUESTS = "Minimum amount of compute resources the container needs, by resource name "
            + "(cpu, memory, ephemeral-storage), e.g. {cpu: 250m, memory: 256Mi}; defaults to limits where omitted. "
            + "Kubernetes' core/v1 ResourceRequirements.requests.";

    @Override
    public HasMetadata process(HasMetadata crd, String crdSpecVersion) {
        if (crd instanceof CustomResourceDefinition v1) {
            v1.getSpec().getVersions().forEach(version -> {
                if (version.getAdditionalPrinterColumns() != null) {
                    version.getAdditionalPrinterColumns().sort(Comparator.comparingInt(
                            (CustomResourceColumnDefinition c) -> ORDER.indexOf(c.getName()) < 0 ? ORDER.size()
                                    : ORDER.indexOf(c.getName())));
                }
                if (version.getSchema() != null && version.getSchema().getOpenAPIV3Schema() != null) {
                    JSONSchemaProps root = version.getSchema().getOpenAPIV3Schema();
                    root.setDescription(DESCRIPTION);
                    conditionsAsListMap(property(root, "status", "conditions"));
                    podResources(property(root, "spec", "backfill", "resources"));
                    podResources(property(root, "spec", "verify", "resources"));
                }
            });
        }
        return crd;
    }

    private static void conditionsAsListMap(JSONSchemaProps conditions) {
        if (conditions == null || conditions.getItems() == null || conditions.getItems().getSchema() == null) {
            return;
        }
        conditions.setXKubernetesListType("map");
        conditions.setXKubernetesListMapKeys(List.of("type"));
        // A list-map key must be required; status is part of every condition too (metav1.Condition).
        conditions.getItems().getSchema().setRequired(List.of("type", "status"));
    }

    private static void podResources(JSONSchemaProps resources) {
        if (resources == null || resources.getProperties() == null) {
            return;
        }
        Map<String, JSONSchemaProps> properties = resources.getProperties();
        properties.remove("claims");
        describe(properties.get("limits"), LIMITS);
        describe(properties.get("requests"), REQUESTS);
    }

    private static void describe(JSONSchemaProps field, String description) {
        if (field != null) {
            field.setDescription(description);
        }
    }

    private static JSONSchemaProps property(JSONSchemaProps schema, String... path) {
        JSONSchemaProps at = schema;
        for (String name : path) {
            if (at == null || at.getProperties() == null) {
                return null;
            }
            at = at.getProperties().get(name);
        }
        return at;
    }
}
