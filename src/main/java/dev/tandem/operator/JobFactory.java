package dev.tandem.operator;

import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.engine.ConnectionKeys;
import dev.tandem.engine.conductor.Workers;
import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.VerifyTuning;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.ResourceClaim;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
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
import java.util.Optional;

/**
 * Builds and follows a migration's Jobs: the backfill ({@code tandem backfill}, one per plan) and
 * the verification passes ({@code tandem verify}, one per pass). Both are Indexed Jobs with one
 * pod per worker (backfill.parallelism, verify.parallelism). Each runs the operator's own
 * image (pulled with the operator's imagePullSecrets and pull policy, as the chart configures them),
 * reads the plan from the plan ConfigMap and the connection from the Secret as TANDEM_DB_*
 * variables, has no service-account token, runs non-root with a read-only root file system and
 * all capabilities dropped. Create-only: a new plan or pass gets a new Job; only
 * {@code spec.suspend} of an existing Job is ever changed.
 */
@ApplicationScoped
public class JobFactory {
    static final String PLAN_MOUNT = "/etc/tandem/plan";
    static final int BACKOFF_LIMIT = 6;
    static final int TTL_SECONDS = 86_400;
    static final String BACKFILL = "backfill";
    static final String VERIFY = "verify";

    private final KubernetesClient client;
    private final String image;
    private final String pullPolicy;
    private final List<LocalObjectReference> pullSecrets;

    /**
     * @param image       the operator's own image, which the Jobs run (TANDEM_IMAGE, set by the chart)
     * @param pullPolicy  the Job containers' imagePullPolicy (TANDEM_IMAGE_PULL_POLICY, the chart's image.pullPolicy);
     *                    empty: Kubernetes' default
     * @param pullSecrets Secrets the Job pods pull the image with (TANDEM_IMAGE_PULL_SECRETS, comma-separated names,
     *                    the chart's imagePullSecrets). Each must exist in the migration's namespace.
     */
    public JobFactory(KubernetesClient client,
                      @ConfigProperty(name = "tandem.image", defaultValue = "ghcr.io/tandem-dev/tandem:0.1.0") String image,
                      @ConfigProperty(name = "tandem.image-pull-policy") Optional<String> pullPolicy,
                      @ConfigProperty(name = "tandem.image-pull-secrets") Optional<List<String>> pullSecrets) {
        this.client = client;
        this.image = image;
        this.pullPolicy = pullPolicy.map(String::trim).filter(p -> !p.isEmpty()).orElse(null);
        this.pullSecrets = pullSecrets.orElse(List.of()).stream().map(String::trim).filter(n -> !n.isEmpty()).distinct()
                .map(LocalObjectReference::new).toList();
    }

    static final String RETRY_HINT = "delete the Job to start a new one";

    /** The migration's workers as Jobs, for one reconcile. */
    public Workers forMigration(SchemaMigration m, Secret secret) {
        return new Workers() {
            @Override
            public Worker backfill(MigrationPlan plan, BackfillTuning tuning, boolean suspend) {
                return ensure(m, build(m, secret, plan, BACKFILL, backfillJobName(m, plan), backfillArgs(m, plan, tuning),
                        Math.max(1, tuning.parallelism()), m.getSpec().getBackfill() == null ? null
                                : m.getSpec().getBackfill().getResources(), suspend), suspend);
            }

            @Override
            public Worker verify(MigrationPlan plan, int pass, String retryToken, VerifyTuning tuning, boolean suspend) {
                List<String> args = new ArrayList<>(List.of(VERIFY, "--plan=" + PLAN_MOUNT + "/" + Names.PLAN_JSON_KEY,
                        "--plan-hash=" + plan.hash(), "--pass=" + pass, "--retry-token=" + (retryToken == null ? "" : retryToken),
                        "--tracking-schema=" + m.getSpec().getDatabase().effectiveTrackingSchema()));
                args.addAll(tuning.toArgs());
                return ensure(m, build(m, secret, plan, VERIFY, verifyJobName(m, plan, pass), args, tuning.parallelism(),
                        m.getSpec().getVerify() == null ? null : m.getSpec().getVerify().getResources(), suspend), suspend);
            }
        };
    }

    /**
     * Removes the migration's Jobs and their pods (before a rollback or a cutover changes what they
     * read or write). One by name, so the operator needs no deletecollection permission.
     */
    public void deleteAll(SchemaMigration m) {
        for (Job job : ownJobs(m)) {
            client.batch().v1().jobs().inNamespace(m.getMetadata().getNamespace()).withName(job.getMetadata().getName())
                    .withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND).delete();
        }
    }

    private List<Job> ownJobs(SchemaMigration m) {
        return client.batch().v1().jobs().inNamespace(m.getMetadata().getNamespace())
                .withLabel(Names.LABEL_MIGRATION, m.getMetadata().getName())
                .withLabel(Names.LABEL_MANAGED_BY, Names.MANAGED_BY).list().getItems();
    }

    /** Suspends every unfinished Job of the migration (the incident brake). */
    public void suspendAll(SchemaMigration m) {
        for (Job job : ownJobs(m)) {
            Workers.State state = state(m.getMetadata().getNamespace(), job).state();
            if (state == Workers.State.RUNNING) {
                client.batch().v1().jobs().inNamespace(m.getMetadata().getNamespace()).withName(job.getMetadata().getName())
                        .edit(j -> new JobBuilder(j).editSpec().withSuspend(true).endSpec().build());
            }
        }
    }

    public static String backfillJobName(SchemaMigration m, MigrationPlan plan) {
        return truncate(m.getMetadata().getName(), 44) + "-backfill-" + plan.hash().substring(0, 8);
    }

    public static String verifyJobName(SchemaMigration m, MigrationPlan plan, int pass) {
        return truncate(m.getMetadata().getName(), 38) + "-verify-" + plan.hash().substring(0, 8) + "-" + pass;
    }

    private static String truncate(String s, int max) {
        return s.length() > max ? s.substring(0, max) : s;
    }

    private static List<String> backfillArgs(SchemaMigration m, MigrationPlan plan, BackfillTuning tuning) {
        List<String> args = new ArrayList<>(List.of(BACKFILL, "--plan=" + PLAN_MOUNT + "/" + Names.PLAN_JSON_KEY,
                "--plan-hash=" + plan.hash(), "--shards=" + Math.max(1, tuning.parallelism()),
                "--tracking-schema=" + m.getSpec().getDatabase().effectiveTrackingSchema(),
                "--lock-timeout=" + (m.getSpec().getLockTimeout() == null ? "2s" : m.getSpec().getLockTimeout())));
        args.addAll(tuning.toArgs());
        return args;
    }

    private Workers.Worker ensure(SchemaMigration m, Job wanted, boolean suspend) {
        String ns = m.getMetadata().getNamespace();
        String name = wanted.getMetadata().getName();
        Job job = client.batch().v1().jobs().inNamespace(ns).withName(name).get();
        if (job == null) {
            job = client.batch().v1().jobs().inNamespace(ns).resource(wanted).create();
        } else if (!Objects.equals(Boolean.TRUE.equals(job.getSpec().getSuspend()), suspend)) {
            job = client.batch().v1().jobs().inNamespace(ns).withName(name)
                    .edit(j -> new JobBuilder(j).editSpec().withSuspend(suspend).endSpec().build());
        }
        return state(ns, job);
    }

    Job build(SchemaMigration m, Secret secret, MigrationPlan plan, String component, String name, List<String> args,
              int workers, ResourceRequirements resources, boolean suspend) {
        List<EnvVar> env = new ArrayList<>();
        for (String key : CredentialsResolver.presentKeys(secret)) {
            env.add(new EnvVarBuilder().withName(ConnectionKeys.envName(key)).withNewValueFrom().withNewSecretKeyRef()
                    .withName(secret.getMetadata().getName()).withKey(key).endSecretKeyRef().endValueFrom().build());
        }
        env.add(new EnvVarBuilder().withName("JAVA_TOOL_OPTIONS").withValue("-Djava.io.tmpdir=/tmp").build());
        Map<String, String> labels = Map.of(Names.LABEL_MANAGED_BY, Names.MANAGED_BY,
                Names.LABEL_MIGRATION, m.getMetadata().getName(), Names.LABEL_PLAN_HASH, plan.hash(),
                Names.LABEL_COMPONENT, component);
        return new JobBuilder()
                .withNewMetadata().withName(name).withNamespace(m.getMetadata().getNamespace())
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
                .withImagePullSecrets(pullSecrets)
                .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser(185L)
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
                .addNewContainer()
                .withName(component).withImage(image).withImagePullPolicy(pullPolicy).withArgs(args).withEnv(env)
                .withResources(withoutClaims(resources))
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

    /** Limits and requests only: the Jobs declare no pod-level resource claims for a container to use. */
    private static ResourceRequirements withoutClaims(ResourceRequirements resources) {
        return resources == null ? null
                : new ResourceRequirementsBuilder(resources).withClaims((List<ResourceClaim>) null).build();
    }

    private Workers.Worker state(String ns, Job job) {
        String name = job.getMetadata().getName();
        if (job.getStatus() != null && job.getStatus().getConditions() != null) {
            for (JobCondition c : job.getStatus().getConditions()) {
                if ("True".equals(c.getStatus()) && ("Failed".equals(c.getType()))) {
                    return new Workers.Worker(name, Workers.State.FAILED, podFailure(ns, name, c), null, RETRY_HINT);
                }
                if ("True".equals(c.getStatus()) && "Complete".equals(c.getType())) {
                    return new Workers.Worker(name, Workers.State.SUCCEEDED, null, null, RETRY_HINT);
                }
            }
        }
        return new Workers.Worker(name, Boolean.TRUE.equals(job.getSpec().getSuspend()) ? Workers.State.SUSPENDED
                : Workers.State.RUNNING, null, null, RETRY_HINT);
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
