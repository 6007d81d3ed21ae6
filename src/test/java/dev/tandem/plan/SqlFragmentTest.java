package dev.tandem.plan;

import dev.tandem.engine.DatabaseTarget;
import dev.tandem.testing.TestDatabase;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.sql.Connection;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The proof that a fragment of the spec stays in its place: PostgreSQL's lexical rules as Tandem
 * applies them. Every fragment accepted here is also one expression to PostgreSQL itself (it is
 * run inside parentheses against a real server), and every trick that would end a string, a
 * comment or a parenthesis somewhere else than it seems is refused.
 */
class SqlFragmentTest {
    private static DatabaseTarget db;

    @BeforeAll
    static void table() {
        db = TestDatabase.fresh("fragments");
        TestDatabase.exec(db, "CREATE TABLE f (full_name text, name text, note text, \"weird;col\" int, x int, a int, b int, "
                + "c int, \"a$b$c\" int, arr int[])");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "full_name IS NOT NULL",
            "name ~ '^\\d+$'",
            "note <> 'it''s; fine) really'",
            "note <> E'it\\'s; fine) really'",
            "note <> e'\\\\'",
            "$q$ ; ) $q$ <> note",
            "$$;$$ <> note",
            "\"weird;col\" > 0",
            "/* a ; comment /* nested ) */ still a comment ; */ true",
            "x > 0 -- a trailing comment; with ) in it",
            "\"a$b$c\" > 0",
            "(a + b) * c > 0",
            "arr[1] = 2",
            "note = U&'d\\0061t; )'",
            "note <> 'a'\n    'b; )'"
    })
    void oneExpressionToTandemAndToPostgreSQL(String fragment) throws Exception {
        assertThat(SqlFragment.expressionError(fragment)).as(fragment).isEmpty();
        try (Connection c = db.connect("tandem-test"); Statement s = c.createStatement()) {
            s.executeQuery("SELECT " + SqlFragment.parenthesized(fragment) + " FROM f").close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "true; DELETE FROM f",
            "true) OR (true",
            "'unterminated",
            "E'it\\' ; DELETE FROM f; --",
            "'a\\' ) ; DELETE FROM f; --'",
            "$q$ never closed",
            "$q$ closed by another tag $r$",
            "/* never closed",
            "/* nested /* once */ but not twice",
            "\"unterminated identifier",
            "x ]",
            "arr[1) = 2",
            "(x",
            "",
            "   "
    })
    void refused(String fragment) {
        assertThat(SqlFragment.expressionError(fragment)).as(fragment).isPresent();
    }

    @Test
    void columnNamesOfTheSourceLeaveOutColumnsOfOtherTablesAndTheQualifiers() {
        assertThat(SqlFragment.columnNames("(SELECT b.id FROM breeds b WHERE b.name = dogs.breed)", "dogs"))
                .contains("breed").doesNotContain("id", "name");
        assertThat(SqlFragment.columnNames("proxies.backend_api_id", "proxy_rules")).isEmpty();
        assertThat(SqlFragment.columnNames("lower(name) || public.dogs.x", "dogs")).containsExactly("lower", "name");
    }

    @Test
    void aCheckIsOneQuery() {
        assertThat(SqlFragment.queryError("SELECT count(*) = 0 FROM f")).isEmpty();
        assertThat(SqlFragment.queryError("WITH x AS (SELECT 1) SELECT true FROM x")).isEmpty();
        assertThat(SqlFragment.queryError("(SELECT true)")).isEmpty();
        assertThat(SqlFragment.queryError("VALUES (true)")).isEmpty();
        assertThat(SqlFragment.queryError("DELETE FROM f RETURNING true")).get().asString().contains("SELECT");
        assertThat(SqlFragment.queryError("COMMIT")).get().asString().contains("SELECT");
        assertThat(SqlFragment.queryError("SELECT true; SELECT false")).get().asString().contains("';'");
        assertThat(SqlFragment.queryError("SELECT ';' = ';'")).isEmpty();
    }

    @Test
    void aFragmentEndingInALineCommentCannotCommentOutWhatFollows() {
        String wrapped = SqlFragment.parenthesized("x > 0 -- note");
        assertThat(wrapped).endsWith("\n)");
    }

    @Test
    void aConditionOverColumnsAndLiteralsReadsTheRowsFields() {
        assertThat(SqlFragment.rowCondition("full_name IS NOT NULL", "users", "NEW"))
                .contains(new SqlFragment.RowCondition("NEW.\"full_name\" IS NOT NULL", true));
        assertThat(SqlFragment.rowCondition("NOT (users.active IS FALSE) AND \"Deleted\" IS NULL -- live ones", "users", "OLD"))
                .contains(new SqlFragment.RowCondition("NOT (OLD.\"active\" IS FALSE) AND OLD.\"Deleted\" IS NULL -- live ones", true));
        assertThat(SqlFragment.rowCondition("status = 'it''s' OR score >= 10 OR a IS DISTINCT FROM b", "users", "NEW"))
                .contains(new SqlFragment.RowCondition(
                        "NEW.\"status\" = 'it''s' OR NEW.\"score\" >= 10 OR NEW.\"a\" IS DISTINCT FROM NEW.\"b\"", false));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "lower(name) = 'x'",          // a function call
            "x::int > 0",                 // a cast
            "x > -1",                     // another operator
            "users IS NOT NULL",          // the whole row
            "\"users\" IS NOT NULL",
            "other.x IS NULL",            // another table's column
            "s.users.x IS NULL",
            "d > current_date",           // a keyword that is a value
            "d > date '2020-01-01'",      // a typed literal
            "x IN (1, 2)",
            "x BETWEEN 1 AND 2",
            "EXISTS (SELECT 1 FROM f)",
            "(SELECT true)",
            "x IS DOCUMENT",
            "x ISNULL",
            "name LIKE 'a%'",
            "arr[1] = 2",
            "name COLLATE \"C\" = 'a'",
            "x = ANY (arr)",
            "CASE WHEN x > 0 THEN true END",
            "x > 0 AND",
            "(x > 0",
            ""
    })
    void anyOtherConditionIsLeftAsAQuery(String fragment) {
        assertThat(SqlFragment.rowCondition(fragment, "users", "NEW")).as(fragment).isEmpty();
    }
}
