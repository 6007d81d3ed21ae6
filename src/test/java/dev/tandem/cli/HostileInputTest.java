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
