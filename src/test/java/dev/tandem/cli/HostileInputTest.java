package dev.tandem.cli;

import dev.tandem.engine.DatabaseTarget;
import dev.tandem.testing.TestDatabase;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static dev.tandem.cli.HostileInputs.Case;
import static dev.tandem.cli.HostileInputs.Result;
import static dev.tandem.cli.HostileInputs.SECRET;
import static dev.tandem.cli.HostileInputs.ROLE_PASSWORD;
import static dev.tandem.cli.HostileInputs.SETUP;
import static dev.tandem.cli.HostileInputs.expand;
import static dev.tandem.cli.HostileInputs.leftoverSessions;
import static dev.tandem.cli.HostileInputs.run;
import static dev.tandem.cli.HostileInputs.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile and invalid input, as a careful user or an attacker would give it, through the command
 * line exactly as {@code tandem} runs it (the cases are in {@link HostileInputs}). Every case
 * asserts the exit code, that the message names the field (or option) and what to do, that no
 * stack trace, Java class name or secret is printed, and — for input that is refused — that the
 * catalog and every table's rows are as they were. Runtime faults (a check that never returns, a
 * statement that fails after a part committed) must fail cleanly and leave no session behind.
 */
class HostileInputTest {
    private static DatabaseTarget shared;

    @BeforeAll
    static void setUp() {
        shared = TestDatabase.fresh("hostile_shared");
        TestDatabase.exec(shared, SETUP);
        TestDatabase.ensureRole("tandem_hostile", ROLE_PASSWORD);
    }

    static Stream<Case> cases() {
        return HostileInputs.cases();
    }

    /**
     * A run interrupted (SIGTERM, as Ctrl-C or Kubernetes sends it) while a check sleeps on the
     * server ends its sessions: without that, the backend would sleep on after the JVM is gone.
     */
    @org.junit.jupiter.api.Test
    void anInterruptedRunEndsItsSessions() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("hostile_interrupted");
        TestDatabase.exec(db, SETUP);
        String manifest = HostileInputs.BASE.replace("statementTimeout: 30s", "statementTimeout: 1h").replace(
                "sql: SELECT count(*) = 0 FROM users_pii p LEFT JOIN users u ON u.id = p.user_id WHERE u.id IS NULL",
                "sql: SELECT pg_sleep(1e6) IS NULL");
        java.nio.file.Path file = java.nio.file.Files.createTempFile(HostileInputs.dir(), "interrupted", ".yaml");
        java.nio.file.Files.writeString(file, manifest);
        List<String> command = new java.util.ArrayList<>(List.of(
                java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), CliInChildProcess.class.getName(),
                "run", "-f", file.toString(), "--database", db.jdbcUrl()));
        if (db.user() != null) {
            command.addAll(List.of("--user", db.user()));
        }
        Process child = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String sleeping = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                + "AND query LIKE '%pg_sleep(1e6)%' AND pid <> pg_backend_pid()";
        try {
            Awaitility.await("the check sleeps on the server").atMost(Duration.ofSeconds(90))
                    .until(() -> ((Number) TestDatabase.query(db, sleeping)).longValue() == 1);
            child.destroy(); // SIGTERM: the JVM runs its shutdown hooks
            assertThat(child.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).as("the run ends").isTrue();
            Awaitility.await("the sleeping session is ended").atMost(Duration.ofSeconds(10))
                    .until(() -> ((Number) TestDatabase.query(db, sleeping)).longValue() == 0);
        } finally {
            child.destroyForcibly();
            TestDatabase.exec(db, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                    + "AND pid <> pg_backend_pid()");
        }
    }

    @org.junit.jupiter.api.Test
    void theSuiteCoversAtLeastSixtyCases() {
        assertThat(cases().count()).isGreaterThanOrEqualTo(60);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void refusedCleanly(Case k) throws Exception {
        DatabaseTarget db = k.fresh ? TestDatabase.fresh("hostile") : shared;
        if (k.fresh) {
            TestDatabase.exec(db, SETUP);
            k.prepare.accept(db);
        }
        String before = snapshot(db);
        Result r;
        try (HostileInputs.SessionHolder holder = k.holder == null ? null : k.holder.open(db)) {
            r = run(db, k.manifest, k.args);
        }
        String all = r.all();
        assertThat(r.exit()).as("exit code of " + k + ":\n" + all).isEqualTo(k.exit);
        for (String m : k.mentions) {
            assertThat(all).as(k + " names " + m).contains(expand(m, db, k.manifest));
        }
        for (String m : k.absent) {
            assertThat(all).as(k + " does not say " + m).doesNotContain(m);
        }
        assertThat(HostileInputs.STACK_TRACE_PATTERN.matcher(all).find()).as(k + ": no stack trace or exception name:\n" + all).isFalse();
        assertThat(HostileInputs.CLASS_NAME_PATTERN.matcher(all).find()).as(k + ": no Java class name:\n" + all).isFalse();
        assertThat(all).as(k + ": no secret").doesNotContain(SECRET).doesNotContain(ROLE_PASSWORD)
                .doesNotContain(URLEncoder.encode(SECRET, StandardCharsets.UTF_8));
        if (k.exit != 0) {
            assertThat(r.err()).as(k + ": the refusal is on stderr").contains("error: ");
        }
        if (k.unchanged) {
            assertThat(snapshot(db)).as(k + ": the catalog and every table's rows are as they were").isEqualTo(before);
        }
        if (k.planToo) {
            Result plan = run(db, k.manifest, List.of("plan", "-f", "{manifest}"));
            assertThat(plan.exit()).as("tandem plan refuses " + k + ":\n" + plan.all()).isEqualTo(2);
            for (String m : k.mentions) {
                assertThat(plan.all()).as("tandem plan names " + m).contains(m);
            }
        }
        k.after.accept(db);
        if (db != shared) {
            Awaitility.await(k + ": no session of the run is left behind").atMost(Duration.ofSeconds(10))
                    .until(() -> leftoverSessions(db) == 0);
        }
    }

}
