package dev.tandem.testing;

import dev.tandem.cli.BackfillCommand;
import dev.tandem.cli.VerifyCommand;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Plays the Job controller the mock API server lacks: for each new, unsuspended Job it runs the
 * container's {@code tandem backfill} or {@code tandem verify} in-process, once per completion index, with the environment
 * the kubelet would give it (Secret keys resolved, JOB_COMPLETION_INDEX set, the plan ConfigMap
 * mounted as a file), then marks the Job Complete or Failed.
 */
public final class JobControllerStandIn implements AutoCloseable {
    private final KubernetesClient client;
    private final Watch watch;
    private final Set<String> started = ConcurrentHashMap.newKeySet();
    public final List<String> output = new java.util.concurrent.CopyOnWriteArrayList<>();

    public JobControllerStandIn(KubernetesClient client) {
        this.client = client;
        this.watch = client.batch().v1().jobs().inAnyNamespace().watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, Job job) {
                boolean finished = job.getStatus() != null && job.getStatus().getConditions() != null
                        && !job.getStatus().getConditions().isEmpty();
                if ((action == Action.ADDED || action == Action.MODIFIED) && !Boolean.TRUE.equals(job.getSpec().getSuspend())
                        && !finished && started.add(job.getMetadata().getNamespace() + "/" + job.getMetadata().getName())) {
                    Thread t = new Thread(() -> run(job), "job-" + job.getMetadata().getName());
                    t.setDaemon(true);
                    t.start();
                }
            }

            @Override
            public void onClose(WatcherException cause) {
            }
        });
    }

    private void run(Job job) {
        String ns = job.getMetadata().getNamespace();
        int completions = job.getSpec().getCompletions() == null ? 1 : job.getSpec().getCompletions();
        List<Thread> pods = new ArrayList<>();
        List<Integer> codes = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int index = 0; index < completions; index++) {
            int i = index;
            Thread pod = new Thread(() -> codes.add(runPod(ns, job, i)));
            pod.start();
            pods.add(pod);
        }
        for (Thread pod : pods) {
            try {
                pod.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        boolean ok = codes.stream().allMatch(c -> c == 0);
        Job current = client.batch().v1().jobs().inNamespace(ns).withName(job.getMetadata().getName()).get();
        current.setStatus(new JobStatusBuilder().withSucceeded(ok ? completions : 0).withFailed(ok ? 0 : 1)
                .withConditions(new JobConditionBuilder().withType(ok ? "Complete" : "Failed").withStatus("True")
                        .withReason(ok ? "Completed" : "BackoffLimitExceeded")
                        .withMessage(ok ? null : "Job has reached the specified backoff limit").build()).build());
        client.batch().v1().jobs().inNamespace(ns).resource(current).updateStatus();
    }

    private int runPod(String ns, Job job, int index) {
        try {
            Container container = job.getSpec().getTemplate().getSpec().getContainers().get(0);
            Map<String, String> env = new HashMap<>();
            env.put("JOB_COMPLETION_INDEX", String.valueOf(index));
            for (EnvVar var : container.getEnv()) {
                if (var.getValue() != null) {
                    env.put(var.getName(), var.getValue());
                } else if (var.getValueFrom() != null && var.getValueFrom().getSecretKeyRef() != null) {
                    Secret secret = client.secrets().inNamespace(ns).withName(var.getValueFrom().getSecretKeyRef().getName()).get();
                    String encoded = secret.getData().get(var.getValueFrom().getSecretKeyRef().getKey());
                    env.put(var.getName(), new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8));
                }
            }
            Path mount = Files.createTempDirectory("tandem-plan");
            for (Volume v : job.getSpec().getTemplate().getSpec().getVolumes()) {
                if (v.getConfigMap() != null) {
                    ConfigMap cm = client.configMaps().inNamespace(ns).withName(v.getConfigMap().getName()).get();
                    for (Map.Entry<String, String> e : cm.getData().entrySet()) {
                        Files.writeString(mount.resolve(e.getKey()), e.getValue());
                    }
                }
            }
            List<String> args = new ArrayList<>();
            for (String arg : container.getArgs().subList(1, container.getArgs().size())) {
                args.add(arg.startsWith("--plan=") ? "--plan=" + mount.resolve(Path.of(arg.substring(7)).getFileName()) : arg);
            }
            StringWriter out = new StringWriter();
            PrintWriter w = new PrintWriter(out, true);
            int rc;
            if ("verify".equals(container.getArgs().get(0))) {
                VerifyCommand command = new VerifyCommand();
                new CommandLine(command).parseArgs(args.toArray(String[]::new));
                rc = command.execute(env, w, w);
            } else {
                BackfillCommand command = new BackfillCommand();
                new CommandLine(command).parseArgs(args.toArray(String[]::new));
                rc = command.execute(env, w, w);
            }
            output.add(out.toString());
            return rc;
        } catch (Exception e) {
            output.add(e.toString());
            return 1;
        }
    }

    @Override
    public void close() {
        watch.close();
    }
}
