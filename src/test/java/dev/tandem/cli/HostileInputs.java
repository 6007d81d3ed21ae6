package dev.tandem.cli;

import dev.tandem.engine.DatabaseTarget;
import dev.tandem.plan.Planner;
import dev.tandem.testing.TestDatabase;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hostile and invalid inputs of {@link HostileInputTest} (and, for the specs, of the operator's
 * test): manifests, command lines, what each must bring back, and how to compare a database
 * before and after.
 */
public final class HostileInputs {
    public static final String SECRET = "S3cret-Pw9";
    public static final String ROLE_PASSWORD = "Right-Pw-123";
    private static final Pattern STACK_TRACE = Pattern.compile("(?m)^\\s+at [\\w.$]+\\(|Exception\\b|\\bCaused by\\b");
    private static final Pattern CLASS_NAME = Pattern.compile(
            "\\b(java|javax|jakarta|com\\.fasterxml|org\\.postgresql|dev\\.tandem|picocli|io\\.fabric8|io\\.quarkus)\\.[a-z]");

    public static final String BASE = """
            apiVersion: tandem.dev/v1alpha1
            kind: SchemaMigration
            metadata:
              name: hostile
              namespace: shop
            spec:
              database:
                secretRef:
                  name: shop-db
              targetPhase: Verified
              lockTimeout: 2s
              statementTimeout: 30s
              expand:
                sql: |
                  CREATE TABLE users_pii (user_id bigint PRIMARY KEY, full_name text NOT NULL);
              sync:
                - name: full-name
                  from: {table: users, key: [id], where: "full_name IS NOT NULL"}
                  to: {table: users_pii, key: [user_id]}
                  columns: {user_id: id, full_name: full_name}
              backfill:
                batchSize: auto
                parallelism: 1
              verify:
                cleanPasses: 1
                checks:
                  - name: no-orphans
                    sql: SELECT count(*) = 0 FROM users_pii p LEFT JOIN users u ON u.id = p.user_id WHERE u.id IS NULL
              cutover:
                sql: |
                  ALTER TABLE users ALTER COLUMN full_name DROP NOT NULL;
              contract:
                sql: |
                  ALTER TABLE users DROP COLUMN full_name;
              rollback:
                sql: |
                  DROP TABLE IF EXISTS users_pii;
            """;

    public static final String SETUP = """
            CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE, full_name text NOT NULL, age int,
                                created_at timestamptz NOT NULL DEFAULT '2020-01-01');
            INSERT INTO users SELECT g, 'u' || g || '@example.com', 'User ' || g, g % 90, '2020-01-01'
              FROM generate_series(1, 200) g;
            CREATE TABLE notes (id bigint, body text);
            CREATE UNIQUE INDEX notes_id ON notes (id);
            INSERT INTO notes VALUES (1, 'a'), (NULL, 'b'), (3, 'c');
            CREATE TABLE accounts (id bigint PRIMARY KEY, owner text);
            INSERT INTO accounts VALUES (1, 'x'), (2, 'y');
            """;

    static final Pattern STACK_TRACE_PATTERN = STACK_TRACE;
    static final Pattern CLASS_NAME_PATTERN = CLASS_NAME;
    private static Path dir;

    private HostileInputs() {
    }

    /** Where the cases' files go (one directory per JVM, removed at exit). */
    static synchronized Path dir() {
        if (dir == null) {
            try {
                dir = Files.createTempDirectory("tandem-hostile");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            Path d = dir;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try (Stream<Path> files = Files.walk(d)) {
                    files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
                } catch (java.io.IOException ignored) {
                    // a temporary directory
                }
            }));
        }
        return dir;
    }

    /** A spec that loads but is invalid, and what {@code tandem plan} printed for it. */
    public record Invalid(String name, String manifest, String cliOutput) {
    }

    /** The cases whose manifest loads but whose spec is refused: what an API server without the CRD's rules passes on. */
    public static List<Invalid> invalidSpecs() throws Exception {
        List<Invalid> out = new ArrayList<>();
        for (Case k : cases().toList()) {
            if (!k.planToo) {
                continue;
            }
            dev.tandem.api.v1alpha1.SchemaMigration m;
            try {
                m = load(k.manifest);
            } catch (ManifestLoader.ManifestException notLoaded) {
                continue;
            }
            if (dev.tandem.plan.SpecValidator.validate(m.getSpec(), true).isEmpty()) {
                continue;
            }
            Result plan = run(null, k.manifest, List.of("plan", "-f", "{manifest}"));
            out.add(new Invalid(k.name, k.manifest, plan.all()));
        }
        return out;
    }

    // ---------------------------------------------------------------- the cases

    /** One hostile input: how to call the binary, what must come back, what must hold of the database. */
    static final class Case {
        final String name;
        String manifest = BASE;
        List<String> args = List.of("run", "-f", "{manifest}", "{database}");
        int exit = 2;
        List<String> mentions = new ArrayList<>();
        List<String> absent = new ArrayList<>();
        boolean fresh;
        boolean unchanged = true;
        boolean planToo;
        Consumer<DatabaseTarget> prepare = db -> { };
        Consumer<DatabaseTarget> after = db -> { };
        SessionHolder holder;

        Case(String name) {
            this.name = name;
        }

        Case yaml(String from, String to) {
            assertThat(manifest).as(name + ": the base manifest has " + from).contains(from);
            manifest = manifest.replace(from, to);
            return this;
        }

        Case manifest(String text) {
            manifest = text;
            return this;
        }

        Case args(String... a) {
            args = List.of(a);
            return this;
        }

        Case exit(int code) {
            exit = code;
            return this;
        }

        Case mentions(String... s) {
            mentions.addAll(Arrays.asList(s));
            return this;
        }

        Case never(String... s) {
            absent.addAll(Arrays.asList(s));
            return this;
        }

        /** The same manifest is refused by {@code tandem plan} too. */
        Case plan() {
            planToo = true;
            return this;
        }

        Case fresh(Consumer<DatabaseTarget> prepare) {
            this.fresh = true;
            this.prepare = prepare;
            return this;
        }

        Case fresh() {
            return fresh(db -> { });
        }

        /** A runtime fault: the run got further before it failed; the database is not compared. */
        Case runtime() {
            unchanged = false;
            fresh = true;
            return this;
        }

        Case then(Consumer<DatabaseTarget> check) {
            after = check;
            return this;
        }

        Case holding(String sql) {
            holder = new SessionHolder(sql);
            return this;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static Case c(String name) {
        return new Case(name);
    }

    static Stream<Case> cases() {
        return Stream.of(
                // --- numbers and durations: bounded, at plan time, with the field named
                c("batchSize 0").yaml("batchSize: auto", "batchSize: \"0\"").mentions("spec.backfill.batchSize", "1 to 1000000").plan(),
                c("batchSize negative").yaml("batchSize: auto", "batchSize: \"-5\"").mentions("spec.backfill.batchSize").plan(),
                c("batchSize 20 digits").yaml("batchSize: auto", "batchSize: 99999999999999999999").mentions("spec.backfill.batchSize").plan(),
                c("batchSize above a million").yaml("batchSize: auto", "batchSize: \"1000001\"").mentions("spec.backfill.batchSize").plan(),
                c("batchSize a word").yaml("batchSize: auto", "batchSize: lots").mentions("spec.backfill.batchSize", "auto").plan(),
                c("parallelism 0").yaml("parallelism: 1", "parallelism: 0").mentions("spec.backfill.parallelism", "1 to 64").plan(),
                c("parallelism 10000").yaml("parallelism: 1", "parallelism: 10000").mentions("spec.backfill.parallelism").plan(),
                c("parallelism overflows").yaml("parallelism: 1", "parallelism: 99999999999999999999").mentions("spec.backfill.parallelism", "whole number").plan(),
                c("parallelism a word").yaml("parallelism: 1", "parallelism: two").mentions("spec.backfill.parallelism").plan(),
                c("maxRowsPerSecond negative").yaml("parallelism: 1", "parallelism: 1\n    maxRowsPerSecond: -1").mentions("spec.backfill.maxRowsPerSecond").plan(),
                c("targetBatchTime an hour").yaml("parallelism: 1", "parallelism: 1\n    targetBatchTime: 1h").mentions("spec.backfill.targetBatchTime", "10m").plan(),
                c("targetBatchTime a word").yaml("parallelism: 1", "parallelism: 1\n    targetBatchTime: fast").mentions("spec.backfill.targetBatchTime", "not a duration").plan(),
                c("lockTimeout zero").yaml("lockTimeout: 2s", "lockTimeout: 0s").mentions("spec.lockTimeout").plan(),
                c("lockTimeout without unit").yaml("lockTimeout: 2s", "lockTimeout: 2").mentions("spec.lockTimeout", "500ms").plan(),
                c("lockTimeout a list").yaml("lockTimeout: 2s", "lockTimeout: [1, 2]").mentions("spec.lockTimeout").plan(),
                c("statementTimeout absurd").yaml("statementTimeout: 30s", "statementTimeout: 1000h").mentions("spec.statementTimeout", "24h").plan(),
                c("statementTimeout overflows").yaml("statementTimeout: 30s", "statementTimeout: 99999999999999999999h").mentions("spec.statementTimeout").plan(),
                c("maxReplicationLag zero").yaml("parallelism: 1", "parallelism: 1\n    throttle: {maxReplicationLag: 0s}").mentions("spec.backfill.throttle.maxReplicationLag").plan(),
                c("maxTransactionAge in days").yaml("parallelism: 1", "parallelism: 1\n    throttle: {maxTransactionAge: 30d}").mentions("spec.backfill.throttle.maxTransactionAge").plan(),
                c("cleanPasses 0").yaml("cleanPasses: 1", "cleanPasses: 0").mentions("spec.verify.cleanPasses").plan(),
                c("chunkSize 10").yaml("cleanPasses: 1", "cleanPasses: 1\n    chunkSize: 10").mentions("spec.verify.chunkSize").plan(),
                c("wholeTableRows negative").yaml("cleanPasses: 1", "cleanPasses: 1\n    wholeTableRows: -1")
                        .mentions("spec.verify.wholeTableRows", "0 for chunk by chunk").plan(),
                c("verify parallelism 65").yaml("cleanPasses: 1", "cleanPasses: 1\n    parallelism: 65").mentions("spec.verify.parallelism", "64").plan(),
                c("maxRecordedMismatches negative").yaml("cleanPasses: 1", "cleanPasses: 1\n    maxRecordedMismatches: -1").mentions("spec.verify.maxRecordedMismatches").plan(),
                c("reverifyEvery below a second").yaml("cleanPasses: 1", "cleanPasses: 1\n    reverifyEvery: 500ms").mentions("spec.verify.reverifyEvery", "1s").plan(),
                // --- names and kinds
                c("trackingSchema with capitals").yaml("name: shop-db", "name: shop-db\n    trackingSchema: Tandem-Ledger").mentions("spec.database.trackingSchema").plan(),
                c("trackingSchema public").yaml("name: shop-db", "name: shop-db\n    trackingSchema: public").mentions("spec.database.trackingSchema").plan(),
                c("trackingSchema pg_").yaml("name: shop-db", "name: shop-db\n    trackingSchema: pg_tandem").mentions("spec.database.trackingSchema").plan(),
                c("targetPhase unknown").yaml("targetPhase: Verified", "targetPhase: Finished").mentions("spec.targetPhase", "Expanded").plan(),
                c("targetPhase a number").yaml("targetPhase: Verified", "targetPhase: 3").mentions("spec.targetPhase").plan(),
                c("targetPhase missing").yaml("  targetPhase: Verified\n", "").mentions("spec.targetPhase").plan(),
                c("duplicate key").yaml("targetPhase: Verified", "targetPhase: Verified\n  targetPhase: Contracted").mentions("targetPhase", "twice").plan(),
                c("duplicate nested key").yaml("columns: {user_id: id, full_name: full_name}", "columns: {user_id: id, full_name: full_name, full_name: email}").mentions("full_name", "twice").plan(),
                c("unknown field").yaml("  expand:", "  expnad:").mentions("spec.expnad").plan(),
                c("sync not a list").yaml("  sync:\n", "  sync: everything\n  syncx:\n").mentions("spec.sync").plan(),
                c("not YAML").manifest("spec: {targetPhase: \"Verified\n").mentions("not valid YAML", "line").plan(),
                c("empty file").manifest("").mentions("kind: SchemaMigration").plan(),
                c("another kind").yaml("kind: SchemaMigration", "kind: Deployment").mentions("kind: SchemaMigration").plan(),
                c("another apiVersion").yaml("apiVersion: tandem.dev/v1alpha1", "apiVersion: tandem.dev/v2").mentions("apiVersion").plan(),
                c("metadata.name missing").yaml("  name: hostile\n", "").mentions("metadata.name").plan(),
                c("metadata.name with capitals").yaml("name: hostile", "name: Users_PII").mentions("metadata.name").plan(),
                c("metadata.name too long").yaml("name: hostile", "name: " + "a".repeat(300)).mentions("metadata.name", "253").plan(),
                c("metadata.namespace invalid").yaml("namespace: shop", "namespace: \"Shop!\"").mentions("metadata.namespace").plan(),
                // --- files
                c("a directory").args("run", "-f", "{dir}", "{database}").mentions("is a directory"),
                c("/dev/zero").args("run", "-f", "/dev/zero", "{database}").mentions("not a regular file"),
                c("no such file").args("run", "-f", "{dir}/missing.yaml", "{database}").mentions("no such file"),
                c("a huge file").manifest(BASE + "#" + "x".repeat(1_100_000) + "\n").mentions("larger than 1 MiB"),
                // --- fragments spliced into generated SQL: one expression (or one query), nothing more
                c("to.where smuggles statements").yaml("to: {table: users_pii, key: [user_id]}",
                        "to: {table: users_pii, key: [user_id], where: \"true; COMMIT; DELETE FROM users\"}").mentions("spec.sync[0].to.where").plan(),
                c("from.where breaks out of its parentheses").yaml("where: \"full_name IS NOT NULL\"",
                        "where: \"full_name IS NOT NULL) OR (true\"").mentions("spec.sync[0].from.where").plan(),
                c("from.where hides a statement in a string").yaml("where: \"full_name IS NOT NULL\"",
                        "where: \"full_name <> 'x'' ; DELETE FROM users; --'\"").exit(0).runtime()
                        .then(db -> assertThat(TestDatabase.query(db, "SELECT count(*) FROM users")).isEqualTo(200L)),
                c("from.where unterminated string").yaml("where: \"full_name IS NOT NULL\"",
                        "where: \"full_name <> 'x\"").mentions("spec.sync[0].from.where").plan(),
                c("from.where dollar quote left open").yaml("where: \"full_name IS NOT NULL\"",
                        "where: \"full_name <> $q$x\"").mentions("spec.sync[0].from.where").plan(),
                c("column expression with a statement").yaml("full_name: full_name}", "full_name: \"full_name); DROP TABLE users; --\"}")
                        .mentions("spec.sync[0].columns").plan(),
                c("reverse expression with a statement").yaml("columns: {user_id: id, full_name: full_name}",
                        "columns: {user_id: id, full_name: full_name}\n      reverse: {full_name: \"full_name; DELETE FROM users\"}")
                        .mentions("spec.sync[0].reverse").plan(),
                c("lookup condition smuggles a statement").yaml("columns: {user_id: id, full_name: full_name}",
                        "columns: {user_id: id, full_name: \"coalesce(accounts.owner, full_name)\"}\n"
                                + "      lookups: [{table: accounts, on: \"accounts.id = users.id; DELETE FROM users\"}]")
                        .mentions("spec.sync[0].lookups[0].on").plan(),
                c("lookup that no column reads").yaml("columns: {user_id: id, full_name: full_name}",
                        "columns: {user_id: id, full_name: full_name}\n"
                                + "      lookups: [{table: accounts, on: \"accounts.id = users.id\"}]")
                        .mentions("spec.sync[0].lookups[0]", "no column").plan(),
                c("check with two statements").yaml("sql: SELECT count(*) = 0 FROM users_pii p", "sql: SELECT true; DELETE FROM users; SELECT count(*) = 0 FROM users_pii p")
                        .mentions("spec.verify.checks[0].sql").plan(),
                c("check that commits").yaml("sql: SELECT count(*) = 0 FROM users_pii p LEFT JOIN users u ON u.id = p.user_id WHERE u.id IS NULL",
                        "sql: COMMIT").mentions("spec.verify.checks[0].sql", "SELECT").plan(),
                c("check empty").yaml("sql: SELECT count(*) = 0 FROM users_pii p LEFT JOIN users u ON u.id = p.user_id WHERE u.id IS NULL",
                        "sql: \"\"").mentions("spec.verify.checks[0].sql").plan(),
                c("checks share a name").yaml("    checks:\n", "    checks:\n      - name: no-orphans\n        sql: SELECT true\n")
                        .mentions("spec.verify.checks[1].name").plan(),
                c("table name injection").yaml("from: {table: users,", "from: {table: 'users\"; DROP TABLE users; --',")
                        .mentions("spec.sync[0].from.table").plan(),
                c("sync key empty").yaml("from: {table: users, key: [id]", "from: {table: users, key: []").mentions("spec.sync[0].from.key").plan(),
                // --- sync entries that do not fit the database: refused by expand before any trigger exists
                c("unknown source column").yaml("full_name: full_name}", "full_name: fullname}").exit(1)
                        .mentions("SyncInvalid", "spec.sync[0]", "fullname").fresh(),
                c("unknown target column").yaml("columns: {user_id: id, full_name: full_name}", "columns: {user_id: id, fullname: full_name}").exit(1)
                        .mentions("SyncInvalid", "spec.sync[0]", "fullname").fresh(),
                c("unknown source table").yaml("from: {table: users,", "from: {table: user_accounts,").exit(1)
                        .mentions("SyncInvalid", "spec.sync[0].from.table", "user_accounts").fresh(),
                c("unknown target table").yaml("to: {table: users_pii,", "to: {table: users_info,").exit(1)
                        .mentions("SyncInvalid", "spec.sync[0].to.table", "users_info").fresh(),
                c("lookup of a table that does not exist").yaml("columns: {user_id: id, full_name: full_name}",
                        "columns: {user_id: id, full_name: \"coalesce(profiles.name, full_name)\"}\n"
                                + "      lookups: [{table: profiles, on: \"profiles.user_id = users.id\"}]")
                        .exit(1).mentions("SyncInvalid", "spec.sync[0].lookups[0].table", "profiles").fresh(),
                c("a type that does not fit").yaml("columns: {user_id: id, full_name: full_name}", "columns: {user_id: email, full_name: full_name}")
                        .exit(1).mentions("spec.sync[0].columns.user_id").fresh(),
                c("a nullable key holding NULLs").yaml("from: {table: users, key: [id], where: \"full_name IS NOT NULL\"}", "from: {table: notes, key: [id]}")
                        .yaml("columns: {user_id: id, full_name: full_name}", "columns: {user_id: id, full_name: body}")
                        .exit(1).mentions("spec.sync[0].from.key", "NULL").fresh(),
                c("a key column that does not exist").yaml("from: {table: users, key: [id]", "from: {table: users, key: [uid]")
                        .exit(1).mentions("spec.sync[0].from.key", "uid").never("not a unique key").fresh(),
                // --- SQL of the spec: errors name the field and the statement
                c("syntax error in expand.sql").yaml("CREATE TABLE users_pii", "CREATE TABEL users_pii").exit(1)
                        .mentions("spec.expand.sql, statement 1", "TABEL").fresh(),
                c("second statement of expand.sql fails").yaml("full_name text NOT NULL);\n", "full_name text NOT NULL);\n      ALTER TABLE users ADD COLUMN email text;\n")
                        .exit(1).mentions("spec.expand.sql, statement 2", "email").fresh(),
                c("expand split by CREATE INDEX CONCURRENTLY fails later").yaml("full_name text NOT NULL);\n",
                                "full_name text NOT NULL);\n      CREATE UNIQUE INDEX CONCURRENTLY users_age ON users (age);\n")
                        .exit(1).mentions("spec.expand.sql, statement 2", "part 1 committed and stays", "RolledBack")
                        .never("failed and was rolled back").runtime(),
                c("cutover.sql fails").yaml("ALTER TABLE users ALTER COLUMN full_name DROP NOT NULL;", "ALTER TABLE users ALTER COLUMN nosuch DROP NOT NULL;")
                        .args("run", "-f", "{manifest}", "{database}", "--until", "CutOver", "--plan-hash", "{hash}")
                        .exit(1).mentions("spec.cutover.sql, statement 1", "nosuch").runtime(),
                // --- the database connection: never a password, a clear reason
                c("password in the JDBC URL's user info").args("run", "-f", "{manifest}", "--database",
                        "jdbc:postgresql://u:" + SECRET + "@127.0.0.1:1/db").exit(1).mentions("DatabaseUnavailable", "127.0.0.1:1"),
                c("password in a libpq URI").args("run", "-f", "{manifest}", "--database",
                        "postgresql://u:" + SECRET + "@127.0.0.1:1/db").exit(1).mentions("DatabaseUnavailable"),
                c("password as a URL parameter").args("run", "-f", "{manifest}", "--database",
                        "jdbc:postgresql://127.0.0.1:1/db?user=u&password=" + SECRET).exit(1).mentions("DatabaseUnavailable"),
                c("percent-encoded password").args("run", "-f", "{manifest}", "--database",
                        "postgresql://u:" + URLEncoder.encode(SECRET + "@/", StandardCharsets.UTF_8) + "@127.0.0.1:1/db").exit(1)
                        .mentions("DatabaseUnavailable"),
                c("wrong password").args("run", "-f", "{manifest}", "--database", "postgresql://tandem_hostile:" + SECRET
                        + "@{hostport}/{dbname}").exit(1).mentions("AuthenticationFailed"),
                c("not a PostgreSQL URL").args("run", "-f", "{manifest}", "--database", "mysql://u:" + SECRET + "@h/db")
                        .mentions("--database", "postgresql://"),
                c("a port that is not a number").args("run", "-f", "{manifest}", "--database", "postgresql://u:" + SECRET
                        + "@host:notaport/db").mentions("--database"),
                c("a database that does not exist").args("run", "-f", "{manifest}", "--database",
                        "jdbc:postgresql://{hostport}/no_such_db_hostile?user={user}").exit(1).mentions("DatabaseNotFound", "no_such_db_hostile")
                        .never("rolled back"),
                c("an application schema named tandem").exit(1).mentions("TrackingSchemaTaken", "tandem.orders",
                        "spec.database.trackingSchema").fresh(db -> TestDatabase.exec(db,
                        "CREATE SCHEMA tandem; CREATE TABLE tandem.orders (id int); INSERT INTO tandem.orders VALUES (1)")),
                c("standard_conforming_strings off").exit(1).mentions("UnsupportedServer", "standard_conforming_strings")
                        .fresh(db -> TestDatabase.exec(db, "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET "
                                + "standard_conforming_strings = off', current_database()); END $$")),
                c("a lock held by the application").yaml("lockTimeout: 2s", "lockTimeout: 50ms").exit(1)
                        .mentions("LockTimeout", "run the same command again").never("operator")
                        .holding("LOCK TABLE users IN ROW EXCLUSIVE MODE").fresh(),
                // --- options of the commands
                c("--until unknown").args("run", "-f", "{manifest}", "{database}", "--until", "Bogus").mentions("--until", "Expanded"),
                c("cutover without the plan hash").args("run", "-f", "{manifest}", "{database}", "--until", "CutOver")
                        .mentions("plan hash", "--plan-hash"),
                c("cutover with a wrong plan hash").args("run", "-f", "{manifest}", "{database}", "--until", "CutOver",
                        "--plan-hash", "000000000000").mentions("000000000000", "--plan-hash"),
                c("plan -o unknown").args("plan", "-f", "{manifest}", "-o", "yaml").mentions("--output"),
                c("unknown option").args("run", "-f", "{manifest}", "--databse", "x").mentions("--databse"),
                c("backfill without a plan").args("backfill").mentions("--plan"),
                c("backfill with a missing plan").args("backfill", "--plan", "{dir}/nothing.json").mentions("--plan", "no such file"),
                c("backfill with a plan that is not one").args("backfill", "--plan", "{garbage}").mentions("--plan", "not a Tandem plan"),
                c("backfill with batch size 0").args("backfill", "--plan", "{planjson}", "--batch-size", "0").mentions("--batch-size"),
                c("backfill with a lock timeout that is not a duration").args("backfill", "--plan", "{planjson}", "--lock-timeout", "soon")
                        .mentions("--lock-timeout"),
                c("backfill worker out of range").args("backfill", "--plan", "{planjson}", "--shards", "2", "--shard", "5")
                        .mentions("--shard"),
                c("verify without a pass").args("verify", "--plan", "{planjson}").mentions("--pass"),
                c("verify with no workers").args("verify", "--plan", "{planjson}", "--pass", "1", "--workers", "0").mentions("--workers"),
                c("verify worker out of range").args("verify", "--plan", "{planjson}", "--pass", "1", "--workers", "2", "--worker", "2")
                        .mentions("--worker", "0 to 1"),
                c("verify chunk size 10").args("verify", "--plan", "{planjson}", "--pass", "1", "--chunk-size", "10").mentions("--chunk-size"),
                c("verify whole-table rows negative").args("verify", "--plan", "{planjson}", "--pass", "1",
                        "--whole-table-rows", "-5").mentions("--whole-table-rows", "0 (chunk by chunk)"),
                // --- verification checks: exactly one boolean, where they cannot commit, under statement_timeout
                c("check returning two rows").yaml("sql: SELECT count(*) = 0 FROM users_pii p LEFT JOIN users u ON u.id = p.user_id WHERE u.id IS NULL",
                        "sql: SELECT x FROM (VALUES (true), (false)) v(x)").exit(1).mentions("no-orphans", "more than one row").never("Reached Verified").runtime(),
                c("check returning a number").yaml("sql: SELECT count(*) = 0 FROM users_pii p LEFT JOIN users u ON u.id = p.user_id WHERE u.id IS NULL",
                        "sql: SELECT 1").exit(1).mentions("no-orphans", "boolean").never("Reached Verified").runtime(),
                c("check returning NULL").yaml("sql: SELECT count(*) = 0 FROM users_pii p LEFT JOIN users u ON u.id = p.user_id WHERE u.id IS NULL",
                        "sql: SELECT NULL::boolean").exit(1).mentions("no-orphans", "NULL").never("Reached Verified").runtime(),
                c("check returning no row").yaml("sql: SELECT count(*) = 0 FROM users_pii p LEFT JOIN users u ON u.id = p.user_id WHERE u.id IS NULL",
                        "sql: SELECT true WHERE false").exit(1).mentions("no-orphans", "no row").never("Reached Verified").runtime(),
                c("check returning two columns").yaml("sql: SELECT count(*) = 0 FROM users_pii p LEFT JOIN users u ON u.id = p.user_id WHERE u.id IS NULL",
                        "sql: SELECT true, true").exit(1).mentions("no-orphans", "2 columns").never("Reached Verified").runtime(),
                c("check that deletes").yaml("sql: SELECT count(*) = 0 FROM users_pii p LEFT JOIN users u ON u.id = p.user_id WHERE u.id IS NULL",
                        "sql: WITH d AS (DELETE FROM users RETURNING 1) SELECT count(*) = 0 FROM d").exit(1).mentions("no-orphans")
                        .never("Reached Verified").runtime().then(db -> assertThat(TestDatabase.query(db, "SELECT count(*) FROM users"))
                                .isEqualTo(200L)),
                c("check that never returns").yaml("statementTimeout: 30s", "statementTimeout: 2s")
                        .yaml("sql: SELECT count(*) = 0 FROM users_pii p LEFT JOIN users u ON u.id = p.user_id WHERE u.id IS NULL",
                                "sql: SELECT pg_sleep(1e6) IS NULL").exit(1).mentions("no-orphans", "statement_timeout").runtime(),
                c("check that is false").yaml("sql: SELECT count(*) = 0 FROM users_pii p LEFT JOIN users u ON u.id = p.user_id WHERE u.id IS NULL",
                        "sql: SELECT false").exit(1).mentions("VerificationFailed", "no-orphans").runtime(),
                // --- a name reused by another migration
                c("another migration under the same name").exit(2).mentions("SpecImmutable", "{hash}", "{firsthash}", "metadata.name")
                        .yaml("CREATE TABLE users_pii (user_id bigint PRIMARY KEY, full_name text NOT NULL);",
                                "CREATE TABLE users_pii (user_id bigint PRIMARY KEY, full_name text NOT NULL, note text);")
                        .never("Reached").fresh(db -> {
                            Result first = run(db, BASE, List.of("run", "-f", "{manifest}", "{database}", "--until", "Expanded"));
                            assertThat(first.exit()).as(first.all()).isZero();
                        })
        );
    }

    public record Result(int exit, String out, String err) {
        public String all() {
            return out + err;
        }
    }

    public static Result run(DatabaseTarget db, String manifest, List<String> template) {
        try {
            Path file = Files.createTempFile(dir(), "migration", ".yaml");
            Files.writeString(file, manifest);
            List<String> args = new ArrayList<>();
            for (String a : template) {
                if (a.equals("{database}") && db != null) {
                    args.add("--database");
                    args.add(db.jdbcUrl());
                    if (db.user() != null) {
                        args.add("--user");
                        args.add(db.user());
                    }
                } else {
                    args.add(expand(a, db, manifest).replace("{manifest}", file.toString()));
                }
            }
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CommandLine cli = Cli.commandLine(null);
            cli.setOut(new PrintWriter(out, true));
            cli.setErr(new PrintWriter(err, true));
            int exit = cli.execute(args.toArray(String[]::new));
            return new Result(exit, out.toString(), err.toString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Placeholders: {dir}, {hostport}, {dbname}, {hash} (of the case's manifest), {firsthash} (of BASE), {garbage}, {planjson}. */
    static String expand(String text, DatabaseTarget db, String manifest) {
        try {
            String out = text.replace("{dir}", dir().toString()).replace("{user}", db == null ? "" : String.valueOf(db.user()));
            if (out.contains("{hostport}") || out.contains("{dbname}")) {
                String server = db.server();
                out = out.replace("{hostport}", server.substring(0, server.indexOf('/')))
                        .replace("{dbname}", server.substring(server.indexOf('/') + 1));
            }
            if (out.contains("{hash}")) {
                out = out.replace("{hash}", hashOf(manifest));
            }
            if (out.contains("{firsthash}")) {
                out = out.replace("{firsthash}", hashOf(BASE));
            }
            if (out.contains("{garbage}")) {
                Path garbage = Files.createTempFile(dir(), "garbage", ".json");
                Files.writeString(garbage, "{\"steps\": [1, 2");
                out = out.replace("{garbage}", garbage.toString());
            }
            if (out.contains("{planjson}")) {
                Path plan = Files.createTempFile(dir(), "plan", ".json");
                Files.writeString(plan, new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(
                        Planner.plan(load(BASE))));
                out = out.replace("{planjson}", plan.toString());
            }
            return out;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static dev.tandem.api.v1alpha1.SchemaMigration load(String manifest) throws Exception {
        Path file = Files.createTempFile(dir(), "m", ".yaml");
        Files.writeString(file, manifest);
        return ManifestLoader.load(file);
    }

    private static String hashOf(String manifest) throws Exception {
        return Planner.plan(load(manifest)).hash();
    }

    // ---------------------------------------------------------------- the database, before and after

    /** Everything a refused input must leave as it was: schemas, relations, columns, triggers, functions, rows. */
    public static String snapshot(DatabaseTarget db) throws SQLException {
        String user = "n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'";
        StringBuilder out = new StringBuilder();
        try (Connection c = db.connect("tandem-test"); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT x FROM ("
                    + "SELECT 'schema ' || n.nspname FROM pg_namespace n WHERE " + user
                    + " UNION ALL SELECT 'relation ' || n.nspname || '.' || c.relname || ' ' || c.relkind::text FROM pg_class c "
                    + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE " + user
                    + " UNION ALL SELECT 'column ' || c.oid::regclass || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)"
                    + " || ' ' || a.attnotnull FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n "
                    + "ON n.oid = c.relnamespace WHERE a.attnum > 0 AND NOT a.attisdropped AND " + user
                    + " UNION ALL SELECT 'trigger ' || t.tgrelid::regclass || '.' || t.tgname FROM pg_trigger t WHERE NOT t.tgisinternal"
                    + " UNION ALL SELECT 'function ' || p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                    + " WHERE " + user + ") s(x) ORDER BY x")) {
                while (rs.next()) {
                    out.append(rs.getString(1)).append('\n');
                }
            }
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n "
                    + "ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND " + user + " ORDER BY 1")) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            for (String table : tables) {
                try (ResultSet rs = s.executeQuery("SELECT count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) "
                        + "FROM " + table + " t")) {
                    rs.next();
                    out.append("rows ").append(table).append(' ').append(rs.getLong(1)).append(' ').append(rs.getString(2)).append('\n');
                }
            }
        }
        return out.toString();
    }

    static long leftoverSessions(DatabaseTarget db) throws SQLException {
        String name = db.server().substring(db.server().indexOf('/') + 1);
        try (Connection c = db.connect("tandem-test"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = '" + name
                     + "' AND application_name LIKE 'tandem-%' AND application_name <> 'tandem-test' AND pid <> pg_backend_pid()")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** A second session holding a transaction open (e.g. a lock the application holds) while the case runs. */
    static final class SessionHolder implements AutoCloseable {
        private final String sql;
        private Connection connection;

        SessionHolder(String sql) {
            this.sql = sql;
        }

        SessionHolder open(DatabaseTarget db) throws SQLException {
            SessionHolder h = new SessionHolder(sql);
            h.connection = db.connect("tandem-test");
            h.connection.setAutoCommit(false);
            try (Statement s = h.connection.createStatement()) {
                s.execute(sql);
            }
            return h;
        }

        @Override
        public void close() throws SQLException {
            if (connection != null) {
                connection.rollback();
                connection.close();
            }
        }
    }
}
