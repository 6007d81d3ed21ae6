package dev.tandem.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Renders the Helm chart in {@code charts/tandem} with the helm library embedded in helm-java
 * (no helm binary, no cluster) and checks what the operator gets: a hardened Deployment and
 * least-privilege RBAC. Runs with the project root as working directory.
 *
 * <p>Nothing here needs the generated CRD in {@code charts/tandem/crds}: {@code helm template}
 * is called without {@code --include-crds}, and lint does not require CRD files.
 */
class HelmChartTest {

  private static final Path CHART = Path.of("charts", "tandem");
  private static final String RELEASE = "tandem";
  private static final String NAMESPACE = "tandem-system";
  private static final YAMLMapper YAML = new YAMLMapper();
  /**
   * Same as {@code helm template --set watchNamespaces={team-a,team-b}}: helm-java escapes
   * braces and commas in values, so the list is given with index keys.
   */
  private static final Map<String, String> WATCH_TEAMS =
      Map.of("watchNamespaces[0]", "team-a", "watchNamespaces[1]", "team-b");

  /** Why helm-java cannot run here, or null when it works. */
  private static String helmUnavailable;

  @BeforeAll
  static void probeHelm() {
    try {
      String version = Helm.version().call();
      assertThat(version).isNotBlank();
    } catch (Throwable t) { // UnsatisfiedLinkError, NoClassDefFoundError, ...
      helmUnavailable = "helm-java native library cannot run on this machine ("
          + System.getProperty("os.name") + "/" + System.getProperty("os.arch") + "): " + t;
      System.err.println("WARNING: HelmChartTest render tests SKIPPED - " + helmUnavailable);
    }
  }

  private static void requireHelm() {
    assumeTrue(helmUnavailable == null, () -> "SKIPPED: " + helmUnavailable);
  }

  // ---------------------------------------------------------------- lint

  @Test
  void lintPassesInStrictMode() {
    requireHelm();
    LintResult result = new Helm(CHART).lint().strict().call();
    assertThat(result.isFailed())
        .as("helm lint --strict messages: %s", result.getMessages())
        .isFalse();
  }

  // ---------------------------------------------------------------- default render

  @Test
  void defaultRenderDeploymentRunsOperatorSubcommand() {
    requireHelm();
    JsonNode container = operatorContainer(render(Map.of()));

    assertThat(texts(container.path("args"))).containsExactly("operator");
    assertThat(container.path("image").asText()).isEqualTo("ghcr.io/tandem-dev/tandem:0.1.0");
    JsonNode port = container.path("ports").get(0);
    assertThat(port.path("name").asText()).isEqualTo("http");
    assertThat(port.path("containerPort").asInt()).isEqualTo(8080);
    assertThat(env(container)).containsEntry("POD_NAMESPACE", null);
    assertThat(container.path("env").findValue("fieldPath").asText()).isEqualTo("metadata.namespace");
  }

  @Test
  void defaultRenderDeploymentIsHardened() {
    requireHelm();
    JsonNode deployment = single(render(Map.of()), "Deployment");
    JsonNode podSpec = deployment.at("/spec/template/spec");
    JsonNode pod = podSpec.path("securityContext");
    assertThat(pod.path("runAsNonRoot").asBoolean()).isTrue();
    assertThat(pod.path("runAsUser").asInt()).isEqualTo(185);
    assertThat(pod.at("/seccompProfile/type").asText()).isEqualTo("RuntimeDefault");

    JsonNode sc = operatorContainer(List.of(deployment)).path("securityContext");
    assertThat(sc.path("allowPrivilegeEscalation").isBoolean()).isTrue();
    assertThat(sc.path("allowPrivilegeEscalation").asBoolean()).isFalse();
    assertThat(sc.path("readOnlyRootFilesystem").asBoolean()).isTrue();
    assertThat(texts(sc.at("/capabilities/drop"))).containsExactly("ALL");
    assertThat(texts(sc.at("/capabilities/add"))).isEmpty();

    // RollingUpdate (the default) rather than Recreate
    assertThat(deployment.at("/spec/strategy/type").asText("RollingUpdate")).isEqualTo("RollingUpdate");
    assertThat(deployment.at("/spec/replicas").asInt()).isEqualTo(1);
  }

  @Test
  void defaultRenderMountsTmpEmptyDirAndProbesQuarkusHealth() {
    requireHelm();
    JsonNode deployment = single(render(Map.of()), "Deployment");
    JsonNode container = operatorContainer(List.of(deployment));

    JsonNode tmpMount = stream(container.path("volumeMounts"))
        .filter(m -> m.path("mountPath").asText().equals("/tmp"))
        .findFirst().orElseThrow(() -> new AssertionError("no volumeMount at /tmp"));
    JsonNode tmpVolume = stream(deployment.at("/spec/template/spec/volumes"))
        .filter(v -> v.path("name").asText().equals(tmpMount.path("name").asText()))
        .findFirst().orElseThrow(() -> new AssertionError("no volume for /tmp"));
    assertThat(tmpVolume.has("emptyDir")).as("/tmp volume is an emptyDir").isTrue();

    assertThat(container.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/q/health/live");
    assertThat(container.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/q/health/ready");
    assertThat(container.at("/livenessProbe/httpGet/port").asText()).isEqualTo("http");
    assertThat(container.at("/readinessProbe/httpGet/port").asText()).isEqualTo("http");

    assertThat(container.at("/resources/requests/cpu").asText()).isEqualTo("100m");
    assertThat(container.at("/resources/requests/memory").asText()).isEqualTo("256Mi");
    assertThat(container.at("/resources/limits/memory").asText()).isEqualTo("512Mi");
  }

  @Test
  void defaultRenderWatchesAllNamespacesWithClusterRoleBinding() {
    requireHelm();
    List<JsonNode> docs = render(Map.of());
    Map<String, String> env = env(operatorContainer(docs));
    assertThat(env).containsEntry("QUARKUS_OPERATOR_SDK_NAMESPACES", "JOSDK_ALL_NAMESPACES");
    assertThat(env).containsEntry("TANDEM_LEADER_ELECTION_ENABLED", "true");
    assertThat(env).containsEntry("TANDEM_LEADER_ELECTION_LEASE_NAME", "tandem-leader");
    assertThat(env).containsEntry("QUARKUS_LOG_LEVEL", "INFO");

    JsonNode operatorRole = clusterRoleGranting(docs, "schemamigrations")
        .orElseThrow(() -> new AssertionError("no ClusterRole for schemamigrations"));
    JsonNode binding = ofKind(docs, "ClusterRoleBinding").stream()
        .filter(b -> b.at("/roleRef/name").asText().equals(operatorRole.at("/metadata/name").asText()))
        .findFirst().orElseThrow(() -> new AssertionError("operator ClusterRole is not bound"));
    assertBoundToOperatorServiceAccount(binding, docs);

    assertThat(ofKind(docs, "Role"))
        .as("no namespaced operator Role when watching all namespaces")
        .noneMatch(r -> grants(r, "schemamigrations"));
  }

  @Test
  void rbacHasNoWildcardsAndSecretsAreReadOnly() {
    requireHelm();
    List<JsonNode> docs = new ArrayList<>(render(Map.of()));
    docs.addAll(render(WATCH_TEAMS));
    List<JsonNode> roles = docs.stream()
        .filter(d -> d.path("kind").asText().matches("(Cluster)?Role"))
        .collect(Collectors.toList());
    assertThat(roles).isNotEmpty();
    for (JsonNode role : roles) {
      String name = role.path("kind").asText() + "/" + role.at("/metadata/name").asText();
      for (JsonNode rule : role.path("rules")) {
        for (String field : List.of("verbs", "resources", "apiGroups")) {
          assertThat(texts(rule.path(field))).as("%s rule %s has no wildcard", name, field)
              .noneMatch(v -> v.contains("*"));
        }
        if (texts(rule.path("resources")).contains("secrets")) {
          assertThat(texts(rule.path("verbs"))).as("%s: secrets are read-only", name)
              .containsOnly("get", "list", "watch");
        }
      }
    }

    JsonNode clusterRole = clusterRoleGranting(docs, "schemamigrations").orElseThrow();
    assertThat(verbs(clusterRole, "tandem.dev", "schemamigrations"))
        .containsExactlyInAnyOrder("get", "list", "watch", "update", "patch");
    assertThat(verbs(clusterRole, "tandem.dev", "schemamigrations/status"))
        .containsExactlyInAnyOrder("get", "update", "patch");
    assertThat(verbs(clusterRole, "tandem.dev", "schemamigrations/finalizers")).containsExactly("update");
    assertThat(verbs(clusterRole, "", "configmaps"))
        .containsExactlyInAnyOrder("get", "list", "watch", "create", "update", "patch", "delete");
    assertThat(verbs(clusterRole, "", "secrets")).containsExactlyInAnyOrder("get", "list", "watch");
    assertThat(verbs(clusterRole, "", "events")).containsExactlyInAnyOrder("create", "patch");
    assertThat(verbs(clusterRole, "events.k8s.io", "events")).containsExactlyInAnyOrder("create", "patch");
    assertThat(verbs(clusterRole, "batch", "jobs"))
        .containsExactlyInAnyOrder("get", "list", "watch", "create", "patch", "delete");
    assertThat(verbs(clusterRole, "", "pods")).containsExactlyInAnyOrder("get", "list", "watch");
    assertThat(verbs(clusterRole, "apps", "deployments")).containsExactlyInAnyOrder("get", "list", "watch");

    JsonNode crdReader = ofKind(docs, "ClusterRole").stream()
        .filter(r -> grants(r, "customresourcedefinitions")).findFirst()
        .orElseThrow(() -> new AssertionError("no ClusterRole to read CRDs"));
    assertThat(verbs(crdReader, "apiextensions.k8s.io", "customresourcedefinitions"))
        .containsExactlyInAnyOrder("get", "list");
  }

  // ---------------------------------------------------------------- watchNamespaces

  @Test
  void watchNamespacesRenderRoleAndRoleBindingPerNamespaceAndNoClusterWideGrant() {
    requireHelm();
    List<JsonNode> docs = render(WATCH_TEAMS);

    for (String ns : List.of("team-a", "team-b")) {
      JsonNode role = ofKind(docs, "Role").stream()
          .filter(r -> r.at("/metadata/namespace").asText().equals(ns) && grants(r, "schemamigrations"))
          .findFirst().orElseThrow(() -> new AssertionError("no operator Role in " + ns));
      assertThat(verbs(role, "", "secrets")).containsExactlyInAnyOrder("get", "list", "watch");
      JsonNode binding = ofKind(docs, "RoleBinding").stream()
          .filter(b -> b.at("/metadata/namespace").asText().equals(ns)
              && b.at("/roleRef/kind").asText().equals("Role")
              && b.at("/roleRef/name").asText().equals(role.at("/metadata/name").asText()))
          .findFirst().orElseThrow(() -> new AssertionError("no operator RoleBinding in " + ns));
      assertBoundToOperatorServiceAccount(binding, docs);
    }

    assertThat(clusterRoleGranting(docs, "schemamigrations")).as("no cluster-wide schemamigrations grant")
        .isEmpty();
    assertThat(ofKind(docs, "ClusterRole")).as("only the CRD reader stays cluster-wide")
        .allMatch(r -> !grants(r, "secrets") && !grants(r, "jobs") && !grants(r, "configmaps"));
    assertThat(env(operatorContainer(docs)))
        .containsEntry("QUARKUS_OPERATOR_SDK_NAMESPACES", "team-a,team-b");

    // the lease Role stays in the release namespace, not in the watched ones
    assertThat(leaseRole(docs)).hasValueSatisfying(
        r -> assertThat(r.at("/metadata/namespace").asText()).isEqualTo(NAMESPACE));
  }

  @Test
  void watchNamespacesAlsoAcceptsCommaSeparatedString() {
    requireHelm();
    List<JsonNode> docs = render(Map.of("watchNamespaces", " team-a, team-b ,team-a"));
    assertThat(env(operatorContainer(docs)))
        .containsEntry("QUARKUS_OPERATOR_SDK_NAMESPACES", "team-a,team-b");
    assertThat(ofKind(docs, "Role").stream()
        .filter(r -> grants(r, "schemamigrations"))
        .map(r -> r.at("/metadata/namespace").asText()))
        .containsExactly("team-a", "team-b");
  }

  @Test
  void invalidWatchNamespaceFailsRendering() {
    requireHelm();
    assertThatThrownBy(() -> render(Map.of("watchNamespaces[0]", "Team_A")))
        .hasMessageContaining("not a valid namespace name");
  }

  // ---------------------------------------------------------------- leader election

  @Test
  void leaderElectionEnabledByDefaultGrantsLeasesInReleaseNamespaceOnly() {
    requireHelm();
    List<JsonNode> docs = render(Map.of());
    JsonNode role = leaseRole(docs).orElseThrow(() -> new AssertionError("no lease Role"));
    assertThat(role.at("/metadata/namespace").asText()).isEqualTo(NAMESPACE);
    assertThat(verbs(role, "coordination.k8s.io", "leases"))
        .containsExactlyInAnyOrder("get", "list", "watch", "create", "update", "patch");
    assertThat(ofKind(docs, "ClusterRole")).noneMatch(r -> grants(r, "leases"));
    assertThat(ofKind(docs, "RoleBinding")).anyMatch(
        b -> b.at("/roleRef/name").asText().equals(role.at("/metadata/name").asText())
            && b.at("/metadata/namespace").asText().equals(NAMESPACE));
  }

  @Test
  void leaderElectionDisabledWithSeveralReplicasIsRejected() {
    requireHelm();
    assertThatThrownBy(() -> render(Map.of("leaderElection.enabled", "false", "replicaCount", "2")))
        .hasMessageContaining("replicaCount > 1 requires leaderElection.enabled=true");
  }

  @Test
  void leaderElectionDisabledRemovesLeaseRole() {
    requireHelm();
    List<JsonNode> docs = render(Map.of("leaderElection.enabled", "false"));
    assertThat(leaseRole(docs)).isEmpty();
    assertThat(docs).noneMatch(d -> grants(d, "leases"));
    assertThat(env(operatorContainer(docs))).containsEntry("TANDEM_LEADER_ELECTION_ENABLED", "false");
  }

  // ---------------------------------------------------------------- image / metrics

  @Test
  void imageTagOverrideIsUsed() {
    requireHelm();
    List<JsonNode> docs = render(Map.of("image.tag", "1.2.3-rc1", "image.pullPolicy", "Always"));
    JsonNode container = operatorContainer(docs);
    assertThat(container.path("image").asText()).isEqualTo("ghcr.io/tandem-dev/tandem:1.2.3-rc1");
    assertThat(container.path("imagePullPolicy").asText()).isEqualTo("Always");
  }

  @Test
  void metricsEnabledAddsScrapeAnnotationsAndService() {
    requireHelm();
    List<JsonNode> docs = render(Map.of("metrics.enabled", "true"));
    JsonNode annotations = single(docs, "Deployment").at("/spec/template/metadata/annotations");
    assertThat(annotations.path("prometheus.io/scrape").asText()).isEqualTo("true");
    assertThat(annotations.path("prometheus.io/port").asText()).isEqualTo("8080");
    assertThat(annotations.path("prometheus.io/path").asText()).isEqualTo("/q/metrics");
    JsonNode service = single(docs, "Service");
    assertThat(service.at("/spec/type").asText()).isEqualTo("ClusterIP");
    assertThat(service.at("/spec/ports/0/port").asInt()).isEqualTo(8080);
    assertThat(service.at("/spec/ports/0/name").asText()).isEqualTo("http");

    List<JsonNode> off = render(Map.of("metrics.enabled", "false"));
    assertThat(ofKind(off, "Service")).isEmpty();
    assertThat(single(off, "Deployment").at("/spec/template/metadata/annotations/prometheus.io~1scrape")
        .isMissingNode()).isTrue();
  }

  @Test
  void commonLabelsAreSetOnEveryObject() {
    requireHelm();
    for (JsonNode doc : render(Map.of())) {
      JsonNode labels = doc.at("/metadata/labels");
      String what = doc.path("kind").asText() + "/" + doc.at("/metadata/name").asText();
      assertThat(labels.path("app.kubernetes.io/name").asText()).as(what).isEqualTo("tandem");
      assertThat(labels.path("app.kubernetes.io/instance").asText()).as(what).isEqualTo(RELEASE);
      assertThat(labels.path("app.kubernetes.io/version").asText()).as(what).isEqualTo("0.1.0");
      assertThat(labels.path("app.kubernetes.io/managed-by").asText()).as(what).isEqualTo("Helm");
      assertThat(labels.path("helm.sh/chart").asText()).as(what).isEqualTo("tandem-0.1.0");
    }
  }

  // ---------------------------------------------------------------- image pull secrets

  @Test
  void imagePullSecretsGoToTheOperatorPodAndToItsBackfillAndVerifyJobs() {
    requireHelm();
    List<JsonNode> docs = render(Map.of("imagePullSecrets[0].name", "regcred", "imagePullSecrets[1].name", "mirror",
        "image.pullPolicy", "Always"));
    JsonNode pod = single(docs, "Deployment").at("/spec/template/spec");
    assertThat(stream(pod.path("imagePullSecrets")).map(n -> n.path("name").asText()))
        .containsExactly("regcred", "mirror");
    Map<String, String> env = env(operatorContainer(docs));
    assertThat(env).as("read by the operator as tandem.image-pull-secrets, given to every Job it creates")
        .containsEntry("TANDEM_IMAGE_PULL_SECRETS", "regcred,mirror")
        .containsEntry("TANDEM_IMAGE_PULL_POLICY", "Always")
        .containsEntry("TANDEM_IMAGE", "ghcr.io/tandem-dev/tandem:0.1.0");

    List<JsonNode> plainNames = render(Map.of("imagePullSecrets[0]", "regcred"));
    assertThat(single(plainNames, "Deployment").at("/spec/template/spec/imagePullSecrets/0/name").asText())
        .isEqualTo("regcred");
    assertThat(env(operatorContainer(plainNames))).containsEntry("TANDEM_IMAGE_PULL_SECRETS", "regcred");

    List<JsonNode> none = render(Map.of());
    assertThat(single(none, "Deployment").at("/spec/template/spec/imagePullSecrets").isMissingNode()).isTrue();
    assertThat(env(operatorContainer(none))).containsEntry("TANDEM_IMAGE_PULL_SECRETS", "")
        .containsEntry("TANDEM_IMAGE_PULL_POLICY", "IfNotPresent");
  }

  @Test
  void imageRepositoryAndTagPointTheOperatorAndItsJobsAtYourRegistry() {
    requireHelm();
    List<JsonNode> docs = render(Map.of("image.repository", "registry.example.com/platform/tandem", "image.tag", "0.1.0-abc123"));
    assertThat(operatorContainer(docs).path("image").asText()).isEqualTo("registry.example.com/platform/tandem:0.1.0-abc123");
    assertThat(env(operatorContainer(docs))).containsEntry("TANDEM_IMAGE", "registry.example.com/platform/tandem:0.1.0-abc123");
  }

  // ---------------------------------------------------------------- values.schema.json

  @Test
  void valuesSchemaRejectsWrongTypesUnknownKeysAndBadEnums() {
    requireHelm();
    assertThatThrownBy(() -> render(Map.of("image.pullPolicy", "Sometimes")))
        .hasMessageContaining("pullPolicy");
    assertThatThrownBy(() -> render(Map.of("imagePullSecret[0].name", "regcred")))
        .as("a typo of imagePullSecrets").hasMessageContaining("imagePullSecret");
    assertThatThrownBy(() -> render(Map.of("metrics.serviceMonitor.interval", "often")))
        .hasMessageContaining("interval");
    assertThatThrownBy(() -> render(Map.of("networkPolicy.database.ports[0]", "70000")))
        .hasMessageContaining("ports");
  }

  // ---------------------------------------------------------------- ServiceMonitor

  @Test
  void serviceMonitorIsOptionalAndScrapesTheMetricsService() {
    requireHelm();
    assertThat(ofKind(render(Map.of()), "ServiceMonitor")).isEmpty();

    List<JsonNode> docs = render(Map.of("metrics.serviceMonitor.enabled", "true",
        "metrics.serviceMonitor.labels.release", "kube-prometheus-stack"));
    JsonNode monitor = single(docs, "ServiceMonitor");
    assertThat(monitor.path("apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
    assertThat(monitor.at("/metadata/labels/release").asText()).isEqualTo("kube-prometheus-stack");
    JsonNode service = single(docs, "Service");
    assertThat(labelsSelect(monitor.at("/spec/selector/matchLabels"), service.at("/metadata/labels"))).isTrue();
    assertThat(texts(monitor.at("/spec/namespaceSelector/matchNames"))).containsExactly(NAMESPACE);
    JsonNode endpoint = monitor.at("/spec/endpoints/0");
    assertThat(endpoint.path("port").asText()).isEqualTo(service.at("/spec/ports/0/name").asText());
    assertThat(endpoint.path("path").asText()).isEqualTo("/q/metrics");
    assertThat(endpoint.path("interval").asText()).isEqualTo("30s");

    assertThatThrownBy(() -> render(Map.of("metrics.serviceMonitor.enabled", "true", "metrics.enabled", "false")))
        .hasMessageContaining("requires metrics.enabled=true");
  }

  // ---------------------------------------------------------------- PodDisruptionBudget

  @Test
  void podDisruptionBudgetCoversTheOperatorPodsAndNeverBlocksADrainByDefault() {
    requireHelm();
    List<JsonNode> docs = render(Map.of());
    JsonNode pdb = single(docs, "PodDisruptionBudget");
    assertThat(pdb.path("apiVersion").asText()).isEqualTo("policy/v1");
    assertThat(pdb.at("/spec/maxUnavailable").asInt()).isEqualTo(1);
    assertThat(pdb.at("/spec/minAvailable").isMissingNode()).isTrue();
    assertThat(labelsSelect(pdb.at("/spec/selector/matchLabels"),
        single(docs, "Deployment").at("/spec/template/metadata/labels"))).isTrue();

    JsonNode min = single(render(Map.of("podDisruptionBudget.minAvailable", "1",
        "podDisruptionBudget.maxUnavailable", "null", "replicaCount", "2")), "PodDisruptionBudget");
    assertThat(min.at("/spec/minAvailable").asInt()).isEqualTo(1);
    assertThat(min.at("/spec/maxUnavailable").isMissingNode()).isTrue();

    assertThatThrownBy(() -> render(Map.of("podDisruptionBudget.minAvailable", "1")))
        .hasMessageContaining("either minAvailable or maxUnavailable, not both");
    assertThat(ofKind(render(Map.of("podDisruptionBudget.enabled", "false")), "PodDisruptionBudget")).isEmpty();
  }

  // ---------------------------------------------------------------- NetworkPolicy

  @Test
  void networkPolicyIsOptionalAndLetsOnlyMetricsInAndDnsApiServerAndPostgresOut() throws IOException {
    requireHelm();
    assertThat(ofKind(render(Map.of()), "NetworkPolicy")).isEmpty();

    List<JsonNode> docs = render(Map.of("networkPolicy.enabled", "true"));
    JsonNode policy = single(docs, "NetworkPolicy");
    assertThat(texts(policy.at("/spec/policyTypes"))).containsExactlyInAnyOrder("Ingress", "Egress");
    assertThat(labelsSelect(policy.at("/spec/podSelector/matchLabels"),
        single(docs, "Deployment").at("/spec/template/metadata/labels"))).isTrue();
    assertThat(policy.at("/spec/ingress")).hasSize(1);
    assertThat(policy.at("/spec/ingress/0/ports/0/port").asText()).isEqualTo("http");
    assertThat(egressPorts(policy)).containsExactlyInAnyOrder("UDP/53", "TCP/53", "TCP/443", "TCP/6443", "TCP/5432");

    Path values = Files.createTempFile("tandem-netpol", ".yaml");
    try {
      Files.writeString(values, """
          networkPolicy:
            enabled: true
            metricsFrom:
              - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}
            apiServer: {ports: [6443], cidrs: [10.0.0.1/32]}
            database:
              ports: [5432, 6432]
              to:
                - ipBlock: {cidr: 10.20.0.0/16}
            extraEgress:
              - ports: [{port: 4317, protocol: TCP}]
          """);
      JsonNode custom = single(renderWithValues(values), "NetworkPolicy");
      assertThat(custom.at("/spec/ingress/0/from/0/namespaceSelector/matchLabels/kubernetes.io~1metadata.name").asText())
          .isEqualTo("monitoring");
      assertThat(egressPorts(custom)).containsExactlyInAnyOrder("UDP/53", "TCP/53", "TCP/6443", "TCP/5432", "TCP/6432",
          "TCP/4317");
      assertThat(stream(custom.at("/spec/egress")).flatMap(r -> stream(r.path("to")))
          .map(peer -> peer.at("/ipBlock/cidr").asText())).contains("10.0.0.1/32", "10.20.0.0/16");
    } finally {
      Files.deleteIfExists(values);
    }
  }

  private static List<String> egressPorts(JsonNode policy) {
    return stream(policy.at("/spec/egress")).flatMap(r -> stream(r.path("ports")))
        .map(p -> p.path("protocol").asText() + "/" + p.path("port").asText()).collect(Collectors.toList());
  }

  // ---------------------------------------------------------------- alerts and dashboard

  @Test
  void alertsAndDashboardAreOffByDefaultAndShipWhenEnabled() throws IOException {
    requireHelm();
    List<JsonNode> defaults = render(Map.of());
    assertThat(ofKind(defaults, "PrometheusRule")).isEmpty();
    assertThat(ofKind(defaults, "ConfigMap")).isEmpty();

    List<JsonNode> docs = render(Map.of("metrics.prometheusRule.enabled", "true",
        "metrics.grafanaDashboard.enabled", "true", "metrics.prometheusRule.throttledFor", "45m"));
    JsonNode rule = single(docs, "PrometheusRule");
    assertThat(rule.path("apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
    Map<String, JsonNode> alerts = stream(rule.at("/spec/groups/0/rules"))
        .collect(Collectors.toMap(r -> r.path("alert").asText(), r -> r));
    assertThat(alerts).containsKeys("TandemMigrationStalled", "TandemBackfillNoProgress", "TandemBackfillThrottled",
        "TandemVerificationFailed", "TandemOldStorageWritesAfterCutover");
    assertThat(alerts.get("TandemBackfillThrottled").path("for").asText()).isEqualTo("45m");
    assertThat(alerts.get("TandemMigrationStalled").at("/annotations/summary").asText())
        .as("Prometheus templates survive Helm's").contains("{{ $labels.reason }}");
    assertThat(alerts.get("TandemOldStorageWritesAfterCutover").at("/labels/severity").asText()).isEqualTo("critical");

    JsonNode dashboard = single(docs, "ConfigMap");
    assertThat(dashboard.at("/metadata/labels/grafana_dashboard").asText()).isEqualTo("1");
    JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dashboard.at("/data/tandem.json").asText());
    assertThat(json.path("uid").asText()).isEqualTo("tandem-migrations");
    assertThat(json.path("panels").size()).isGreaterThan(10);
    assertThat(json).isEqualTo(new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(CHART.resolve("files/grafana/tandem.json").toFile()));
  }

  /** helm lint --strict of the chart with every optional object switched on (lint reads only values.yaml). */
  @Test
  void lintPassesInStrictModeWithEveryOptionalObjectEnabled() throws IOException {
    requireHelm();
    Path copy = Files.createTempDirectory("tandem-chart").resolve("tandem");
    try {
      copyTree(CHART, copy);
      com.fasterxml.jackson.databind.node.ObjectNode values =
          (com.fasterxml.jackson.databind.node.ObjectNode) YAML.readTree(copy.resolve("values.yaml").toFile());
      ((com.fasterxml.jackson.databind.node.ObjectNode) values.at("/metrics/serviceMonitor")).put("enabled", true);
      ((com.fasterxml.jackson.databind.node.ObjectNode) values.at("/metrics/prometheusRule")).put("enabled", true);
      ((com.fasterxml.jackson.databind.node.ObjectNode) values.at("/metrics/grafanaDashboard")).put("enabled", true);
      ((com.fasterxml.jackson.databind.node.ObjectNode) values.path("networkPolicy")).put("enabled", true);
      values.putArray("imagePullSecrets").addObject().put("name", "regcred");
      YAML.writeValue(copy.resolve("values.yaml").toFile(), values);
      LintResult result = new Helm(copy).lint().strict().call();
      assertThat(result.isFailed()).as("helm lint --strict messages: %s", result.getMessages()).isFalse();
    } finally {
      try (var files = Files.walk(copy.getParent())) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (var files = Files.walk(from)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }

  private static boolean labelsSelect(JsonNode selector, JsonNode labels) {
    assertThat(selector.size()).as("selector has labels").isPositive();
    return stream(selector.fields()).allMatch(e -> e.getValue().asText().equals(labels.path(e.getKey()).asText()));
  }

  private static <T> java.util.stream.Stream<T> stream(java.util.Iterator<T> it) {
    return StreamSupport.stream(((Iterable<T>) () -> it).spliterator(), false);
  }

  // ---------------------------------------------------------------- structural fallback (no helm)

  /** Always runs: a cheap check of the chart's files that holds even where helm-java cannot load. */
  @Test
  void chartFilesArePresentWithoutNeedingTheCrd() throws IOException {
    assertThat(CHART.resolve("Chart.yaml")).isRegularFile();
    JsonNode chart = YAML.readTree(CHART.resolve("Chart.yaml").toFile());
    assertThat(chart.path("apiVersion").asText()).isEqualTo("v2");
    assertThat(chart.path("name").asText()).isEqualTo("tandem");
    assertThat(chart.path("version").asText()).isEqualTo("0.1.0");
    assertThat(chart.path("appVersion").asText()).isEqualTo("0.1.0");
    assertThat(CHART.resolve("values.yaml")).isRegularFile();
    assertThat(CHART.resolve("crds")).isDirectory();
    assertThat(CHART.resolve("values.schema.json")).isRegularFile();
    assertThat(YAML.readTree(CHART.resolve("values.schema.json").toFile()).path("properties").has("imagePullSecrets"))
        .isTrue();
    assertThat(CHART.resolve("files/grafana/tandem.json")).isRegularFile();
    for (String t : List.of("_helpers.tpl", "deployment.yaml", "serviceaccount.yaml", "service.yaml",
        "rbac-operator.yaml", "rbac-leader-election.yaml", "rbac-crd-reader.yaml", "NOTES.txt",
        "servicemonitor.yaml", "poddisruptionbudget.yaml", "networkpolicy.yaml", "prometheusrule.yaml",
        "grafana-dashboard.yaml")) {
      assertThat(CHART.resolve("templates").resolve(t)).isRegularFile();
    }
    String templates;
    try (var files = Files.list(CHART.resolve("templates"))) {
      templates = files.map(HelmChartTest::read).collect(Collectors.joining("\n"));
    }
    assertThat(templates)
        .contains("args: [\"operator\"]", "readOnlyRootFilesystem: true", "runAsNonRoot: true",
            "allowPrivilegeEscalation: false", "drop: [\"ALL\"]", "mountPath: /tmp", "emptyDir: {}",
            "/q/health/live", "/q/health/ready", "QUARKUS_OPERATOR_SDK_NAMESPACES",
            "JOSDK_ALL_NAMESPACES", "TANDEM_LEADER_ELECTION_ENABLED", "coordination.k8s.io")
        .doesNotContain("\"*\"");
  }

  // ---------------------------------------------------------------- helpers

  private static List<JsonNode> render(Map<String, String> sets) {
    TemplateCommand template = new Helm(CHART).template().withName(RELEASE).withNamespace(NAMESPACE);
    new LinkedHashMap<>(sets).forEach(template::set);
    return parse(template.call());
  }

  /** Renders the chart as {@code helm template -f values}. */
  private static List<JsonNode> renderWithValues(Path values) {
    return parse(new Helm(CHART).template().withName(RELEASE).withNamespace(NAMESPACE).withValuesFile(values).call());
  }

  private static List<JsonNode> parse(String yaml) {
    try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(yaml)) {
      List<JsonNode> docs = new ArrayList<>();
      while (it.hasNext()) {
        JsonNode doc = it.next();
        if (doc != null && doc.isObject() && doc.has("kind")) {
          docs.add(doc);
        }
      }
      assertThat(docs).as("rendered documents").isNotEmpty();
      return docs;
    } catch (IOException e) {
      throw new AssertionError("rendered chart is not valid YAML:\n" + yaml, e);
    }
  }

  private static List<JsonNode> ofKind(List<JsonNode> docs, String kind) {
    return docs.stream().filter(d -> d.path("kind").asText().equals(kind)).collect(Collectors.toList());
  }

  private static JsonNode single(List<JsonNode> docs, String kind) {
    List<JsonNode> found = ofKind(docs, kind);
    assertThat(found).as("exactly one %s", kind).hasSize(1);
    return found.get(0);
  }

  private static JsonNode operatorContainer(List<JsonNode> docs) {
    JsonNode containers = single(docs, "Deployment").at("/spec/template/spec/containers");
    assertThat(containers.size()).isEqualTo(1);
    return containers.get(0);
  }

  /** Env vars by name; value is null for valueFrom entries. */
  private static Map<String, String> env(JsonNode container) {
    Map<String, String> env = new LinkedHashMap<>();
    for (JsonNode e : container.path("env")) {
      env.put(e.path("name").asText(), e.has("value") ? e.path("value").asText() : null);
    }
    return env;
  }

  private static boolean grants(JsonNode role, String resource) {
    return stream(role.path("rules")).anyMatch(r -> texts(r.path("resources")).contains(resource));
  }

  private static Optional<JsonNode> clusterRoleGranting(List<JsonNode> docs, String resource) {
    return ofKind(docs, "ClusterRole").stream().filter(r -> grants(r, resource)).findFirst();
  }

  private static Optional<JsonNode> leaseRole(List<JsonNode> docs) {
    return ofKind(docs, "Role").stream().filter(r -> grants(r, "leases")).findFirst();
  }

  private static List<String> verbs(JsonNode role, String apiGroup, String resource) {
    return stream(role.path("rules"))
        .filter(r -> texts(r.path("apiGroups")).contains(apiGroup)
            && texts(r.path("resources")).contains(resource))
        .flatMap(r -> texts(r.path("verbs")).stream())
        .collect(Collectors.toList());
  }

  private static void assertBoundToOperatorServiceAccount(JsonNode binding, List<JsonNode> docs) {
    String sa = single(docs, "ServiceAccount").at("/metadata/name").asText();
    assertThat(binding.path("subjects")).anySatisfy(s -> {
      assertThat(s.path("kind").asText()).isEqualTo("ServiceAccount");
      assertThat(s.path("name").asText()).isEqualTo(sa);
      assertThat(s.path("namespace").asText()).isEqualTo(NAMESPACE);
    });
  }

  private static List<String> texts(JsonNode array) {
    return stream(array).map(JsonNode::asText).collect(Collectors.toList());
  }

  private static java.util.stream.Stream<JsonNode> stream(JsonNode node) {
    return StreamSupport.stream(node.spliterator(), false);
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
