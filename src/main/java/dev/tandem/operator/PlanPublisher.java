package dev.tandem.operator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.PlanRenderer;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Map;
import java.util.Objects;

/** Keeps the plan ConfigMap ("&lt;name&gt;-plan", owned by the migration) equal to the plan. */
@ApplicationScoped
public class PlanPublisher {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final KubernetesClient client;

    public PlanPublisher(KubernetesClient client) {
        this.client = client;
    }

    /** Creates or replaces the ConfigMap when its hash differs; returns its name. */
    public String publish(SchemaMigration m, MigrationPlan plan) {
        String name = Names.planConfigMap(m.getMetadata().getName());
        String namespace = m.getMetadata().getNamespace();
        ConfigMap existing = client.configMaps().inNamespace(namespace).withName(name).get();
        if (existing != null && existing.getData() != null
                && Objects.equals(plan.hash(), existing.getData().get(Names.PLAN_HASH_KEY))) {
            return name;
        }
        ConfigMap desired = new ConfigMapBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace)
                .withLabels(Map.of(Names.LABEL_MANAGED_BY, Names.MANAGED_BY,
                        Names.LABEL_MIGRATION, m.getMetadata().getName(),
                        Names.LABEL_PLAN_HASH, plan.hash()))
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion(SchemaMigration.API_VERSION)
                        .withKind(SchemaMigration.KIND).withName(m.getMetadata().getName())
                        .withUid(m.getMetadata().getUid()).withController(true).withBlockOwnerDeletion(true).build())
                .endMetadata()
                .withData(Map.of(Names.PLAN_HASH_KEY, plan.hash(),
                        Names.PLAN_TEXT_KEY, PlanRenderer.render(plan),
                        Names.PLAN_JSON_KEY, json(plan)))
                .build();
        client.configMaps().inNamespace(namespace).resource(desired).createOr(op -> op.update());
        return name;
    }

    private static String json(MigrationPlan plan) {
        try {
            return JSON.writeValueAsString(plan);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
