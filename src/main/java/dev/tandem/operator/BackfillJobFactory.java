package dev.tandem.operator;

import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.engine.ConnectionKeys;
import dev.tandem.operator.handlers.BackfillJobs;
import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.MigrationPlan;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Builds and follows a migration's backfill Job: the operator's own image running
 * {@code tandem backfill}, the plan from the plan ConfigMap, the connection from the Secret as
 * TANDEM_DB_* variables, no service-account token, non-root, read-only root file system, all
 * capabilities dropped. Create-only and named by plan hash: a new plan gets a new Job; only
 * {@code spec.suspend} of an existing Job is ever changed.
 */
@ApplicationScoped
public class BackfillJobFactory {
    static final String PLAN_MOUNT = "/etc/tandem/plan";
    static final int BACKOFF_LIMIT = 6;
    static final int TTL_SECONDS = 86_400;

    private final KubernetesClient client;
    private final String image;

    public BackfillJobFactory(KubernetesClient client,
                              @ConfigProperty(name = "tandem.image", defaultValue = "ghcr.io/tandem-dev/tandem:0.1.0") String image) {
        this.client = client;
        this.image = image;
    }

    /** The Job port of one migration, for one reconcile. */
    public BackfillJobs forMigration(SchemaMigration m, Secret secret) {
        return (plan, tuning, suspend) -> ensure(m, secret, plan, tuning, suspend);
    }

    /** Removes the migration's backfill Jobs and their pods (before a rollback drops what they write to). */
    public void deleteAll(SchemaMigration m) {
        client.batch().v1().jobs().inNamespace(m.getMetadata().getNamespace())
                .withLabel(Names.LABEL_MIGRATION, m.getMetadata().getName())
                .withLabel(Names.LABEL_COMPONENT, "backfill")
                .withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND).delete();
    }

    public static String jobName(SchemaMigration m, MigrationPlan plan) {
        String base = m.getMetadata().getName();
        base = base.length() > 44 ? base.substring(0, 44) : base;
        return base + "-backfill-" + plan.hash().substring(0, 8);
    }

    private BackfillJobs.Job ensure(SchemaMigration m, Secret secret, MigrationPlan plan, BackfillTuning tuning,
                                    boolean suspend) {
        String ns = m.getMetadata().getNamespace();
        String name = jobName(m, plan);
        Job job = client.batch().v1().jobs().inNamespace(ns).withName(name).get();
        if (job == null) {
            job = client.batch().v1().jobs().inNamespace(ns).resource(build(m, secret, plan, tuning, suspend)).create();
        } else if (!Objects.equals(Boolean.TRUE.equals(job.getSpec().getSuspend()), suspend)) {
            job = client.batch().v1().jobs().inNamespace(ns).withName(name)
                    .edit(j -> new JobBuilder(j).editSpec().withSuspend(suspend).endSpec().build());
        }
        return state(ns, job);
    }

    Job build(SchemaMigration m, Secret secret, MigrationPlan plan, BackfillTuning tuning, boolean suspend) {
        int workers = Math.max(1, tuning.parallelism());
        List<String> args = new ArrayList<>(List.of("backfill", "--plan=" + PLAN_MOUNT + "/" + Names.PLAN_JSON_KEY,
                "--plan-hash=" + plan.hash(), "--shards=" + workers,
                "--tracking-schema=" + m.getSpec().getDatabase().effectiveTrackingSchema(),
                "--lock-timeout=" + (m.getSpec().getLockTimeout() == null ? "2s" : m.getSpec().getLockTimeout())));
        args.addAll(tuning.toArgs());
        List<EnvVar> env = new ArrayList<>();
        for (String key : CredentialsResolver.presentKeys(secret)) {
            env.add(new EnvVarBuilder().withName(ConnectionKeys.envName(key)).withNewValueFrom().withNewSecretKeyRef()
                    .withName(secret.getMetadata().getName()).withKey(key).endSecretKeyRef().endValueFrom().build());
        }
        env.add(new EnvVarBuilder().withName("JAVA_TOOL_OPTIONS").withValue("-Djava.io.tmpdir=/tmp").build());
        Map<String, String> labels = Map.of(Names.LABEL_MANAGED_BY, Names.MANAGED_BY,
                Names.LABEL_MIGRATION, m.getMetadata().getName(), Names.LABEL_PLAN_HASH, plan.hash(),
                Names.LABEL_COMPONENT, "backfill");
        return new JobBuilder()
                .withNewMetadata().withName(jobName(m, plan)).withNamespace(m.getMetadata().getNamespace())
                .withLabels(labels)
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion(SchemaMigration.API_VERSION)
                        .withKind(SchemaMigration.KIND).withName(m.getMetadata().getName())
                        .withUid(m.getMetadata().getUid()).withController(true).withBlockOwnerDeletion(true).build())
                .endMetadata()
                .withNewSpec()
                .withSuspend(suspend)
                .withBackoffLimit(BACKOFF_LIMIT)
                .withTtlSecondsAfterFinished(TTL_SECONDS)
                .withCompletions(workers).withParallelism(workers).withCompletionMode("Indexed")
                .withNewTemplate()
                .withNewMetadata().withLabels(labels).endMetadata()
                .withNewSpec()
                .withRestartPolicy("Never")
                .withAutomountServiceAccountToken(false)
                .withEnableServiceLinks(false)
                .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser(185L)
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
                .addNewContainer()
                .withName("backfill").withImage(image).withArgs(args).withEnv(env)
                .withResources(m.getSpec().getBackfill() == null ? null : m.getSpec().getBackfill().getResources())
                .withNewSecurityContext().withAllowPrivilegeEscalation(false).withReadOnlyRootFilesystem(true)
                .withRunAsNonRoot(true).withNewCapabilities().withDrop("ALL").endCapabilities().endSecurityContext()
                .addNewVolumeMount().withName("plan").withMountPath(PLAN_MOUNT).withReadOnly(true).endVolumeMount()
                .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
                .endContainer()
                .addNewVolume().withName("plan").withNewConfigMap().withName(Names.planConfigMap(m.getMetadata().getName()))
                .endConfigMap().endVolume()
                .addNewVolume().withName("tmp").withNewEmptyDir().endEmptyDir().endVolume()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build();
    }

    private BackfillJobs.Job state(String ns, Job job) {
        String name = job.getMetadata().getName();
        if (job.getStatus() != null && job.getStatus().getConditions() != null) {
            for (JobCondition c : job.getStatus().getConditions()) {
                if ("True".equals(c.getStatus()) && ("Failed".equals(c.getType()))) {
                    return new BackfillJobs.Job(name, BackfillJobs.State.FAILED, podFailure(ns, name, c));
                }
                if ("True".equals(c.getStatus()) && "Complete".equals(c.getType())) {
                    return new BackfillJobs.Job(name, BackfillJobs.State.SUCCEEDED, null);
                }
            }
        }
        return new BackfillJobs.Job(name, Boolean.TRUE.equals(job.getSpec().getSuspend()) ? BackfillJobs.State.SUSPENDED
                : BackfillJobs.State.RUNNING, null);
    }

    /** The reason of the last failed pod of the Job, else the Job's own condition. */
    private String podFailure(String ns, String job, JobCondition condition) {
        for (Pod pod : client.pods().inNamespace(ns).withLabel("job-name", job).list().getItems()) {
            if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
                continue;
            }
            for (var cs : pod.getStatus().getContainerStatuses()) {
                ContainerStateTerminated t = cs.getState() == null ? null : cs.getState().getTerminated();
                if (t != null && t.getExitCode() != null && t.getExitCode() != 0) {
                    return "pod " + pod.getMetadata().getName() + " " + t.getReason() + " (exit " + t.getExitCode() + ")"
                            + (t.getMessage() == null ? "" : ": " + t.getMessage());
                }
            }
        }
        return condition.getReason() + (condition.getMessage() == null ? "" : ": " + condition.getMessage());
    }
}
