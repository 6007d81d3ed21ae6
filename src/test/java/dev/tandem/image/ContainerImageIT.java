package dev.tandem.image;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What can be checked of the image without a container engine, after {@code ./mvnw package}: every
 * file src/main/docker/Dockerfile.jvm copies exists where the build puts it, the image's
 * entrypoint and default command run from that layout, its user is the one the chart and the Jobs
 * run as, and the documented build command is this Dockerfile's.
 */
class ContainerImageIT {
    static final Path DOCKERFILE = Path.of("src/main/docker/Dockerfile.jvm");
    static final Path APP = Path.of("target/quarkus-app");
    private static final Pattern COPY = Pattern.compile("^COPY\\s+(?:--\\S+\\s+)*(\\S+)\\s+(\\S+)\\s*$");

    private static List<String> lines() throws IOException {
        return Files.readAllLines(DOCKERFILE).stream().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    }

    @Test
    void everyFileTheDockerfileCopiesIsWhereThePackageBuildPutsIt() throws IOException {
        List<String> copies = lines().stream().filter(l -> l.startsWith("COPY")).toList();
        assertThat(copies).hasSizeGreaterThanOrEqualTo(4);
        for (String copy : copies) {
            Matcher m = COPY.matcher(copy);
            assertThat(m.matches()).as(copy).isTrue();
            String source = m.group(1);
            if (source.contains("*")) {
                Path dir = Path.of(source.substring(0, source.lastIndexOf('/')));
                String glob = source.substring(source.lastIndexOf('/') + 1);
                try (var files = Files.newDirectoryStream(dir, glob)) {
                    assertThat(files.iterator().hasNext()).as(source + " matches a file after ./mvnw package").isTrue();
                }
            } else {
                assertThat(Path.of(source)).as(source + " after ./mvnw package").exists();
            }
        }
        assertThat(APP.resolve("quarkus-run.jar")).isRegularFile();
        assertThat(Path.of(".dockerignore")).as("nothing keeps target/ out of the build context").doesNotExist();
    }

    @Test
    void theImageRunsAsTheUserTheChartAndTheJobsExpectWithAWritableTmp() throws IOException {
        assertThat(lines()).contains("USER 185");
        assertThat(Files.readString(Path.of("charts/tandem/templates/deployment.yaml"))).contains("runAsUser: 185");
        assertThat(Files.readString(Path.of("src/main/java/dev/tandem/operator/JobFactory.java"))).contains("withRunAsUser(185L)");
        assertThat(entrypoint()).contains("-Djava.io.tmpdir=/tmp"); // the root file system is read-only, /tmp an emptyDir
    }

    /** The ENTRYPOINT, with /deployments mapped to target/quarkus-app, runs the packaged binary. */
    @Test
    void theEntrypointRunsThePackagedBinaryAndItsDefaultCommandIsTheOperator() throws Exception {
        List<String> entrypoint = entrypoint();
        assertThat(entrypoint.get(0)).isEqualTo("java");
        assertThat(cmd()).containsExactly("operator");

        String help = run(entrypoint, "--help");
        assertThat(help).contains("operator", "backfill", "verify");
        String hash = run(entrypoint, "plan", "-f", "examples/quickstart/migration.yaml", "-o", "hash");
        assertThat(hash.strip()).matches("[0-9a-f]{12}");
    }

    @Test
    void theDocumentedBuildCommandBuildsWithThisDockerfile() throws IOException {
        for (Path doc : List.of(Path.of("docs/install.md"), Path.of("README.md"))) {
            assertThat(Files.readString(doc)).as(doc.toString())
                    .contains("./mvnw -B package -DskipTests")
                    .contains("docker build -f " + DOCKERFILE + " -t ");
        }
    }

    private static List<String> entrypoint() throws IOException {
        return jsonArray("ENTRYPOINT");
    }

    private static List<String> cmd() throws IOException {
        return jsonArray("CMD");
    }

    private static List<String> jsonArray(String instruction) throws IOException {
        String line = lines().stream().filter(l -> l.startsWith(instruction + " ")).reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("no " + instruction + " in " + DOCKERFILE));
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(line.substring(instruction.length()));
        while (m.find()) {
            out.add(m.group(1));
        }
        assertThat(out).as(instruction + " in exec form").isNotEmpty();
        return out;
    }

    private static String run(List<String> entrypoint, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String part : entrypoint.subList(1, entrypoint.size())) {
            command.add(part.replace("/deployments/", APP + "/").replace("-Djava.io.tmpdir=/tmp",
                    "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir")));
        }
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("finished: " + command).isTrue();
        assertThat(p.exitValue()).as(command + " exit code; output:\n" + out).isZero();
        return out;
    }
}
