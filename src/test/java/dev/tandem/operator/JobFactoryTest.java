package dev.tandem.operator;

import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.TargetPhase;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import dev.tandem.testing.Manifests;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceClaim;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** What the backfill and verify Jobs get from the operator's configuration (set by the chart). */
class JobFactoryTest {
    private static final SchemaMigration M = withUid(Manifests.attributeMove("shop", "m", "shop-db", TargetPhase.Verified));
    private static final MigrationPlan PLAN = Planner.plan(M);
    private static final Secret SECRET = Manifests.secret("shop", "shop-db",
            DatabaseTarget.ofParts("db", 5432, "shop", "app", "s3cret"), "app", "s3cret");

    private static SchemaMigration withUid(SchemaMigration m) {
        m.getMetadata().setUid("0b7c2a4e-1111-2222-3333-444455556666");
        return m;
    }

    private static Job job(JobFactory factory, String component, ResourceRequirements resources) {
        return factory.build(M, SECRET, PLAN, component, "m-" + component, List.of(component), 1, resources, false);
    }

    @Test
    void backfillAndVerifyJobsPullTheImageWithTheOperatorsPullSecretsAndPolicy() {
        JobFactory factory = new JobFactory(null, "registry.example/tandem:1.0", Optional.of("Always"),
                Optional.of(List.of("regcred", " mirror ", "regcred", "")));
        for (String component : List.of(JobFactory.BACKFILL, JobFactory.VERIFY)) {
            PodSpec pod = job(factory, component, null).getSpec().getTemplate().getSpec();
            assertThat(pod.getImagePullSecrets()).as(component).extracting(LocalObjectReference::getName)
                    .containsExactly("regcred", "mirror");
            assertThat(pod.getContainers().get(0).getImage()).isEqualTo("registry.example/tandem:1.0");
            assertThat(pod.getContainers().get(0).getImagePullPolicy()).isEqualTo("Always");
            assertThat(pod.getAutomountServiceAccountToken()).isFalse();
        }
    }

    @Test
    void withoutPullSecretsTheJobsNameNoneAndKeepKubernetesDefaultPullPolicy() {
        JobFactory factory = new JobFactory(null, "ghcr.io/tandem-dev/tandem:0.1.0", Optional.empty(), Optional.empty());
        PodSpec pod = job(factory, JobFactory.BACKFILL, null).getSpec().getTemplate().getSpec();
        assertThat(pod.getImagePullSecrets()).isEmpty();
        assertThat(pod.getContainers().get(0).getImagePullPolicy()).isNull();
    }

    /** The chart sets TANDEM_IMAGE_PULL_SECRETS; that variable is the property JobFactory reads. */
    @Test
    void theChartsEnvironmentVariableIsThePropertyTheFactoryReads() {
        SmallRyeConfig config = new SmallRyeConfigBuilder().withSources(new EnvConfigSource(Map.of(
                "TANDEM_IMAGE_PULL_SECRETS", "regcred,mirror", "TANDEM_IMAGE_PULL_POLICY", "IfNotPresent"), 300)).build();
        assertThat(config.getOptionalValues("tandem.image-pull-secrets", String.class))
                .hasValue(List.of("regcred", "mirror"));
        assertThat(config.getOptionalValue("tandem.image-pull-policy", String.class)).hasValue("IfNotPresent");
    }

    @Test
    void podResourcesKeepLimitsAndRequestsAndDropClaimsNoJobDeclares() {
        JobFactory factory = new JobFactory(null, "img", Optional.empty(), Optional.empty());
        ResourceRequirements given = new ResourceRequirementsBuilder().addToLimits("memory", new Quantity("1Gi"))
                .addToRequests("cpu", new Quantity("500m")).withClaims(new ResourceClaim("gpu", null)).build();
        ResourceRequirements used = job(factory, JobFactory.VERIFY, given).getSpec().getTemplate().getSpec()
                .getContainers().get(0).getResources();
        assertThat(used.getLimits()).containsEntry("memory", new Quantity("1Gi"));
        assertThat(used.getRequests()).containsEntry("cpu", new Quantity("500m"));
        assertThat(used.getClaims()).isNullOrEmpty();
        assertThat(given.getClaims()).as("the spec's object is not changed").hasSize(1);
    }
}
